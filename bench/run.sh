#!/bin/bash
# s3wwwd benchmark: MinIO (anonymous and with presigned URLs), s3wwwd, s3www
# (if it can be built), nginx as a proxy, as a caching proxy and from disk,
# measured with wrk on loopback in one run.  Not part of the pass/fail test
# suite; see bench/README.md.
#
# Usage: bench/run.sh            (as root or a user who can run nginx)
# Knobs: BENCH_DURATION=6 (s per point), BENCH_CONNS=1,16,64,
#        BENCH_SERVERS=minio,minio-signed,s3wwwd,... BENCH_OBJECTS=1KiB,404,...,
#        BENCH_SLOW_CLIENTS=1000 (0 skips), BENCH_PROFILE=1,
#        BENCH_BUILDDIR (default build/bench: an -O2 build made here),
#        BENCH_CACHE_ARGS (flags that turn s3wwwd's cache on),
#        BENCH_S3WWW_BIN (an s3www binary, when the module proxy refuses it).
# Writes bench/results/<UTC stamp>.{json,csv}, latest.json, latest.png and
# profile-<stamp>.txt.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(dirname "$HERE")
BUILDDIR=${BENCH_BUILDDIR:-$SRCDIR/build/bench}

say() { printf 'bench: %s\n' "$*"; }

# Debian packages: the load generator, the nginx under test, perf.
bash "$SRCDIR/scripts/deps.sh" wrk nginx linux-perf >&2

MINIO=$(bash "$SRCDIR/scripts/tools.sh" minio)
PYTHON=$(bash "$SRCDIR/scripts/tools.sh" benchenv)

# s3www from the Go module proxy at its pinned version.  The proxy refuses the
# module, so this normally fails at once and the column is left out, unless
# BENCH_S3WWW_BIN names an s3www binary built some other way (for example
# from a source checkout with `go build`, its dependencies from the proxy).
S3WWW=
S3WWW_WHY=
if [ -n "${BENCH_S3WWW_BIN:-}" ]; then
	[ -x "$BENCH_S3WWW_BIN" ] || { say "BENCH_S3WWW_BIN=$BENCH_S3WWW_BIN is not executable" >&2; exit 2; }
	S3WWW=$BENCH_S3WWW_BIN
	say "s3www: $S3WWW (from BENCH_S3WWW_BIN)"
elif S3WWW=$(bash "$SRCDIR/scripts/tools.sh" s3www 2>"${TMPDIR:-/tmp}/bench-s3www.$$.log"); then
	say "s3www: $S3WWW"
else
	S3WWW=
	if grep -q 'not available\|403' "${TMPDIR:-/tmp}/bench-s3www.$$.log"; then
		S3WWW_WHY="module proxy refuses github.com/harshavardhana/s3www"
	else
		S3WWW_WHY="go install failed: $(grep -m1 -v '^tools.sh' "${TMPDIR:-/tmp}/bench-s3www.$$.log" || true)"
	fi
	say "s3www: unavailable ($S3WWW_WHY)"
fi
rm -f "${TMPDIR:-/tmp}/bench-s3www.$$.log"

# An optimised build of the daemon, with frame pointers for perf's call
# graphs; separate from any debug or sanitizer build.
if [ ! -x "$SRCDIR/configure" ]; then
	(cd "$SRCDIR" && autoreconf -fi) >&2
fi
if [ ! -f "$BUILDDIR/Makefile" ]; then
	mkdir -p "$BUILDDIR"
	(cd "$BUILDDIR" && "$SRCDIR/configure" -q CFLAGS="-O2 -g -fno-omit-frame-pointer") >&2
fi
say "building s3wwwd in $BUILDDIR"
make -C "$BUILDDIR" -j2 s3wwwd >"$BUILDDIR/bench-make.log" 2>&1 ||
	{ tail -n 30 "$BUILDDIR/bench-make.log" >&2; exit 1; }

# 1,000 slow clients plus their upstream connections need more descriptors
# than the usual 1,024, in the client and in the daemon (it inherits them).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

say "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
WRK=$(command -v wrk)
NGINX=$(PATH=$PATH:/usr/sbin command -v nginx)
export BENCH_S3WWWD="$BUILDDIR/s3wwwd" BENCH_MINIO="$MINIO" BENCH_WRK="$WRK" \
	BENCH_NGINX="$NGINX" BENCH_SITE="$SRCDIR/site" \
	BENCH_RESULTS="${BENCH_RESULTS:-$HERE/results}" BENCH_S3WWW="$S3WWW" \
	BENCH_S3WWW_UNAVAILABLE="$S3WWW_WHY" PYTHONUNBUFFERED=1
exec "$PYTHON" "$HERE/bench.py"
