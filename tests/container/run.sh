#!/bin/bash
# Container image test: build the image from the Containerfile with podman and
# run it, the way the Helm chart runs it, against a real MinIO.
#
#  1. bootstraps Debian bookworm with mmdebstrap (cached by scripts/tools.sh
#     debianrootfs) and imports it as the Containerfile's base image, since no
#     registry is reachable here;
#  2. builds the image (podman's layer cache makes a rebuild fast);
#  3. creates a network namespace with only a loopback interface, starts
#     MinIO in it, seeds the demo site with the image's own s3wwwd-seed;
#  4. runs the image in that namespace with the configuration the chart
#     renders (helm template), read-only root filesystem, no capabilities,
#     the credentials mounted as files, and checks the site, the ops
#     endpoints, the user, the read-only root and a graceful stop; runs the
#     chart's `helm test` script in the image against it.
#
# Usage: tests/container/run.sh          (as root: rootful podman, netns)
# Environment: S3WWWD_IMAGE (default localhost/s3wwwd:<version>) the tag to
#              build; S3WWWD_KEEP_TMP=1 keeps the temporary directory.
# The built image, the imported base image and the build stage with the
# toolchain are kept (they are the build cache); containers, MinIO, the
# namespace and temporary files are removed.
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$SRCDIR"

say() { printf 'container: %s\n' "$*"; }
die() { printf 'container: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (rootful podman, network namespaces)"

VERSION=$(sed -n 's/^AC_INIT(\[s3wwwd\], \[\([^]]*\)\].*/\1/p' configure.ac)
[ -n "$VERSION" ] || die "cannot read the version from configure.ac"
IMAGE=${S3WWWD_IMAGE:-localhost/s3wwwd:$VERSION}
# The image must stay small: the runtime stage has only the libraries.
MAX_IMAGE_MB=150
# The chart needs a Kubernetes version to render (its kubeVersion constraint).
KUBE_VERSION=1.34.4

# podman with runc and the resource limits these machines accept
# (scripts/images.sh has the details).
podman() { bash "$SRCDIR/scripts/images.sh" podman "$@"; }

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'PASS: %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL: %s\n' "$1"; [ $# -lt 2 ] || printf '  %s\n' "${@:2}"; }
finish() {
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ]
}

# ---- setup ---------------------------------------------------------------------

say "dependencies"
bash scripts/deps.sh podman runc mmdebstrap python3-yaml >/dev/null
MINIO=$(bash scripts/tools.sh minio)
HELM=$(bash scripts/tools.sh helm)

TMP=$(mktemp -d /tmp/s3wwwd-container.XXXXXX)
NETNS=s3wwwd-ct-$$
CTR=s3wwwd-ct-$$
MINIO_PID=
cleanup() {
	local rc=$?
	set +e
	podman rm -f -t 0 "$CTR" >/dev/null 2>&1
	if [ -n "$MINIO_PID" ]; then
		kill "$MINIO_PID" 2>/dev/null
		wait "$MINIO_PID" 2>/dev/null
	fi
	# Whatever else still runs in the namespace was started by this test.
	if ip netns pids "$NETNS" >/dev/null 2>&1; then
		ip netns pids "$NETNS" | xargs -r kill -9 2>/dev/null
		ip netns del "$NETNS" 2>/dev/null
	fi
	if [ "${S3WWWD_KEEP_TMP:-0}" = 1 ]; then
		say "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- the image -------------------------------------------------------------------

# On the Debian base bootstrapped from Debian's packages (no registry here);
# podman's layer cache makes a rebuild fast.
start=$SECONDS
if bash scripts/images.sh s3wwwd "$IMAGE" >/dev/null; then
	pass "image builds from the Containerfile ($((SECONDS - start))s)"
else
	fail "image builds from the Containerfile"
	finish
fi

user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
entry=$(podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$IMAGE")
if [ "$user" = 10001:10001 ] &&
	[ "$entry" = '["/usr/sbin/s3wwwd"] ["-c","/etc/s3wwwd/s3wwwd.conf"]' ]; then
	pass "image runs s3wwwd -c /etc/s3wwwd/s3wwwd.conf as user 10001:10001"
else
	fail "image user and entrypoint" "user=$user entrypoint/cmd=$entry"
fi

size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
if [ "$size" -lt $((MAX_IMAGE_MB * 1000 * 1000)) ]; then
	pass "image is small: $((size / 1000 / 1000)) MB < $MAX_IMAGE_MB MB"
else
	fail "image size" "$((size / 1000 / 1000)) MB, more than $MAX_IMAGE_MB MB"
fi

# The runtime stage must not carry the build stage's tools and headers.
if out=$(podman run --rm --read-only --entrypoint /bin/sh "$IMAGE" -c \
	'for f in gcc cc make autoconf; do command -v $f && exit 1; done
	 test ! -e /usr/include/curl && test ! -e /src && test ! -e /out' 2>&1); then
	pass "no compiler, headers or sources in the runtime image"
else
	fail "no compiler, headers or sources in the runtime image" "$out"
fi

if out=$(podman run --rm --read-only --read-only-tmpfs=false \
	"$IMAGE" -version 2>&1) && [ "$out" = "s3wwwd $VERSION" ]; then
	pass "s3wwwd -version in the image: $out"
else
	fail "s3wwwd -version in the image" "$out"
fi

# ---- MinIO in a private network namespace ------------------------------------------

# Only a loopback interface: the daemon can listen on 0.0.0.0 as in a pod
# without being reachable from anywhere else, and nothing collides with
# ports in use on the host.
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
in_ns() { ip netns exec "$NETNS" "$@"; }
NS_OPT=(--network "ns:/run/netns/$NETNS")

ACCESS_KEY=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SECRET_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$TMP/minio" "$TMP/conf" "$TMP/credentials"
# Not through in_ns: $! must be MinIO itself (ip and env exec it), not a
# subshell running a function.
ip netns exec "$NETNS" env MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" \
	MINIO_BROWSER=off MINIO_UPDATE=off \
	"$MINIO" server --quiet --address 127.0.0.1:9000 --console-address 127.0.0.1:9001 \
	"$TMP/minio/data" >"$TMP/minio/log" 2>&1 &
MINIO_PID=$!
for _ in $(seq 1 300); do
	in_ns curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/ready 2>/dev/null && break
	kill -0 "$MINIO_PID" 2>/dev/null || { cat "$TMP/minio/log"; die "MinIO exited"; }
	sleep 0.1
done
in_ns curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/ready || die "MinIO is not ready"

# The Secret volume as the kubelet makes it: one file per key, readable by
# the pod's group only.
printf '%s' "$ACCESS_KEY" >"$TMP/credentials/access_key"
printf '%s' "$SECRET_KEY" >"$TMP/credentials/secret_key"
chown -R 10001:10001 "$TMP/credentials"
chmod 0550 "$TMP/credentials"
chmod 0440 "$TMP/credentials"/*
CREDS_MOUNT=(-v "$TMP/credentials:/var/run/secrets/s3wwwd:ro")

# Seed with the image's own tool and demo site, as the Terraform seeding Job does.
if out=$(podman run --rm "${NS_OPT[@]}" --read-only --read-only-tmpfs=false \
	--cap-drop=ALL --security-opt=no-new-privileges "${CREDS_MOUNT[@]}" \
	--entrypoint /usr/bin/s3wwwd-seed "$IMAGE" \
	--endpoint http://127.0.0.1:9000 --bucket site --wait 30 \
	--access-key-file /var/run/secrets/s3wwwd/access_key \
	--secret-key-file /var/run/secrets/s3wwwd/secret_key \
	--dir /usr/share/s3wwwd/site 2>&1); then
	pass "s3wwwd-seed in the image uploads the demo site"
else
	fail "s3wwwd-seed in the image uploads the demo site" "$out"
fi

# ---- the daemon, configured by the chart ---------------------------------------------

# The chart's ConfigMap and `helm test` pod, rendered for this namespace:
# MinIO's address here instead of the in-cluster Service, the Service port
# equal to the container port (there is no Service in front of it here).
RELEASE=ct
"$HELM" template "$RELEASE" helm/s3wwwd --namespace default --kube-version "$KUBE_VERSION" \
	--set s3.endpoint=http://127.0.0.1:9000 --set s3.bucket=site \
	--set service.port=8080 \
	--show-only templates/configmap.yaml --show-only templates/tests/test-http.yaml \
	>"$TMP/rendered.yaml"
/usr/bin/python3 - "$TMP/rendered.yaml" "$TMP" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
conf = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["s3wwwd.conf"]
open(sys.argv[2] + "/conf/s3wwwd.conf", "w").write(conf)
pod = next(d for d in docs if d["kind"] == "Pod")
c = pod["spec"]["containers"][0]
with open(sys.argv[2] + "/helm-test.argv", "w") as f:
    for a in c["command"] + c["args"]:
        f.write(a.replace("\0", "") + "\0")
EOF
chmod 0755 "$TMP/conf"
chmod 0644 "$TMP/conf/s3wwwd.conf"
CONF_MOUNT=(-v "$TMP/conf:/etc/s3wwwd:ro")

if out=$(podman run --rm "${NS_OPT[@]}" --read-only --read-only-tmpfs=false \
	"${CONF_MOUNT[@]}" "${CREDS_MOUNT[@]}" "$IMAGE" -t -c /etc/s3wwwd/s3wwwd.conf 2>&1); then
	pass "s3wwwd -t accepts the chart's configuration"
else
	fail "s3wwwd -t accepts the chart's configuration" "$out"
fi

# As in the pod: read-only root, nothing writable at all (no tmpfs either),
# no capabilities, no privilege escalation, the image's default command.
podman run -d --name "$CTR" "${NS_OPT[@]}" \
	--read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt=no-new-privileges \
	"${CONF_MOUNT[@]}" "${CREDS_MOUNT[@]}" "$IMAGE" >/dev/null

ready=
for _ in $(seq 1 100); do
	if in_ns curl -fsS -o /dev/null http://127.0.0.1:9090/readyz 2>/dev/null; then
		ready=1
		break
	fi
	[ "$(podman inspect -f '{{.State.Running}}' "$CTR")" = true ] || break
	sleep 0.1
done
if [ -n "$ready" ]; then
	pass "the container becomes ready (/readyz 200 on the ops port)"
else
	fail "the container becomes ready" "$(podman logs "$CTR" 2>&1 | tail -n 20)"
fi

# fetch URL OUTFILE: print "STATUS CONTENT-TYPE"
fetch() {
	in_ns curl -sS -o "$2" -w '%{http_code} %{content_type}' "$1" 2>&1 || true
}

got=$(fetch http://127.0.0.1:8080/ "$TMP/index.out")
if [ "${got%% *}" = 200 ] && cmp -s "$TMP/index.out" site/index.html; then
	pass "GET / serves site/index.html ($got)"
else
	fail "GET / serves site/index.html" "got: $got"
fi

got=$(fetch http://127.0.0.1:8080/s3wwwd.gif "$TMP/gif.out")
if [ "$got" = "200 image/gif" ] && cmp -s "$TMP/gif.out" site/s3wwwd.gif; then
	pass "GET /s3wwwd.gif serves the gif byte for byte ($got)"
else
	fail "GET /s3wwwd.gif serves the gif byte for byte" "got: $got"
fi

got=$(fetch http://127.0.0.1:8080/no-such-page "$TMP/404.out")
if [ "${got%% *}" = 404 ]; then
	pass "GET /no-such-page is 404"
else
	fail "GET /no-such-page is 404" "got: $got"
fi

got=$(fetch http://127.0.0.1:9090/healthz "$TMP/healthz.out")
if [ "${got%% *}" = 200 ]; then
	pass "GET /healthz on the ops port is 200"
else
	fail "GET /healthz on the ops port is 200" "got: $got"
fi

# The chart publishes only the HTTP port: the ops paths must not answer there.
got=$(fetch http://127.0.0.1:8080/metrics "$TMP/metrics-main.out")
if [ "${got%% *}" = 404 ]; then
	pass "the ops paths do not answer on the HTTP port (/metrics: 404)"
else
	fail "the ops paths do not answer on the HTTP port" "got: $got"
fi

got=$(fetch http://127.0.0.1:9090/metrics "$TMP/metrics.out")
if [ "${got%% *}" = 200 ] && grep -q '^s3wwwd_' "$TMP/metrics.out"; then
	pass "GET /metrics on the ops port has s3wwwd_ metrics"
else
	fail "GET /metrics on the ops port has s3wwwd_ metrics" "got: $got" \
		"$(head -c 300 "$TMP/metrics.out" 2>/dev/null)"
fi

# Every process of the container (master and workers), seen from the host:
# uid 10001 in all four uid fields and no capabilities at all.
bad=
pids=$(podman top "$CTR" hpid | tail -n +2)
for p in $pids; do
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$p/status")
	caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$p/status")
	[ "$uids" = "10001 10001 10001 10001" ] && [ "$caps" = 0000000000000000 ] ||
		bad="$bad pid $p: uids '$uids' CapEff $caps;"
done
if [ -n "$pids" ] && [ -z "$bad" ]; then
	pass "all $(wc -w <<<"$pids") processes run as uid 10001 without capabilities"
else
	fail "processes run as uid 10001 without capabilities" "pids: $pids $bad"
fi

# Even root in the container cannot write to the root filesystem.
out=$(podman exec --user 0 "$CTR" /bin/touch /usr/probe 2>&1 || true)
if [[ $out == *"Read-only file system"* ]]; then
	pass "the root filesystem is read-only"
else
	fail "the root filesystem is read-only" "touch said: $out"
fi

# The chart's `helm test` pod, its exact script, in the image, against the
# running daemon; the Service name resolves to it through /etc/hosts.
mapfile -d '' -t test_argv <"$TMP/helm-test.argv"
fullname=$RELEASE-s3wwwd
if out=$(podman run --rm "${NS_OPT[@]}" --read-only --read-only-tmpfs=false \
	--cap-drop=ALL --security-opt=no-new-privileges --add-host "$fullname:127.0.0.1" \
	--entrypoint "${test_argv[0]}" "$IMAGE" "${test_argv[@]:1}" 2>&1) &&
	[[ $out == *PASS* ]]; then
	pass "the chart's helm test script passes against the container"
else
	fail "the chart's helm test script passes against the container" "$out"
fi

# SIGTERM: the daemon drains and exits 0, well within the pod's grace period.
start=$SECONDS
podman stop -t 20 "$CTR" >/dev/null
code=$(podman inspect -f '{{.State.ExitCode}}' "$CTR")
took=$((SECONDS - start))
if [ "$code" = 0 ] && [ "$took" -lt 15 ]; then
	pass "SIGTERM stops the container cleanly (exit 0 after ${took}s)"
else
	fail "SIGTERM stops the container cleanly" "exit code $code after ${took}s" \
		"$(podman logs "$CTR" 2>&1 | tail -n 10)"
fi

finish
