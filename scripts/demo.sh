#!/bin/bash
# Set everything up and run the product (README: "Run it"):
# install the build dependencies, build s3wwwd, start a local MinIO (built
# from the Go module proxy at a pinned commit), seed it with the demo site
# using s3wwwd-seed, and serve it with s3wwwd until Ctrl-C.
#
# Environment: S3WWWD_DEMO_PORT (default 8080), S3WWWD_DEMO_MINIO_PORT
# (default 9000).  MinIO's data lives in a temporary folder removed on exit.
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRCDIR"
PORT=${S3WWWD_DEMO_PORT:-8080}
MINIO_PORT=${S3WWWD_DEMO_MINIO_PORT:-9000}
BUILD=build/demo

say() { printf '\n==> %s\n' "$*"; }

say "installing dependencies"
S3WWWD_SKIP_GO_CHECK=0 bash scripts/deps.sh
MINIO=$(bash scripts/tools.sh minio)

say "building s3wwwd"
autoreconf -fi >/dev/null
mkdir -p "$BUILD"
(cd "$BUILD" && "$SRCDIR/configure" >/dev/null)
make -C "$BUILD" -j"$(nproc)" >/dev/null

WORK=$(mktemp -d /tmp/s3wwwd-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Throwaway credentials for this run only.
ROOT_USER=demo-admin
ROOT_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

say "starting MinIO on 127.0.0.1:$MINIO_PORT"
MINIO_ROOT_USER=$ROOT_USER MINIO_ROOT_PASSWORD=$ROOT_PASSWORD MINIO_BROWSER=off \
MINIO_UPDATE=off "$MINIO" server --quiet --address "127.0.0.1:$MINIO_PORT" \
	--console-address "127.0.0.1:$((MINIO_PORT + 1))" "$WORK/data" >"$WORK/minio.log" 2>&1 &
pids+=($!)

say "seeding the demo site (waits for MinIO to answer)"
AWS_ACCESS_KEY_ID=$ROOT_USER AWS_SECRET_ACCESS_KEY=$ROOT_PASSWORD \
	"$BUILD/s3wwwd-seed" --endpoint "http://127.0.0.1:$MINIO_PORT" --bucket demo \
	--dir "$SRCDIR/site" --wait 60

cat >"$WORK/s3wwwd.conf" <<CONF
listen = "127.0.0.1:$PORT";
s3: {
  endpoint = "http://127.0.0.1:$MINIO_PORT";
  bucket = "demo";
  access_key_file = "$WORK/access_key";
  secret_key_file = "$WORK/secret_key";
};
CONF
umask 077
printf '%s\n' "$ROOT_USER" >"$WORK/access_key"
printf '%s\n' "$ROOT_PASSWORD" >"$WORK/secret_key"

say "serving the demo site"
"$BUILD/s3wwwd" -c "$WORK/s3wwwd.conf" &
pids+=($!)
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
printf '\n    s3wwwd is serving the demo site at  http://127.0.0.1:%s/\n' "$PORT"
printf '    (metrics: http://127.0.0.1:%s/metrics)   Ctrl-C stops it.\n\n' "$PORT"
wait "${pids[1]}"
