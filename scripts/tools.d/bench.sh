# shellcheck shell=bash
# Tools needed only by the benchmark (bench/run.sh); sourced by
# scripts/tools.sh, which provides CACHE, SRCDIR, cached, logged, say, die,
# find_go and find_python.
#
#   benchenv   a venv from bench/requirements.txt     -> its python
#              (boto3 to seed MinIO and set the bucket
#              policy, matplotlib for the plot)
#   s3www      the Go program s3wwwd replaces, from    -> path of 's3www'
#              the Go module proxy at a pinned version
#
# s3www: the module proxy answers 403 "This module version is not available"
# for github.com/harshavardhana/s3www at every version, so build_s3www fails
# at once on this project's machines.  The benchmark treats that failure as
# "s3www unavailable" and leaves its column out; it tries again on every run
# (one request, well under a second), so the column appears by itself if
# the proxy ever serves the module.  This script never fetches s3www's
# source any other way; bench/run.sh takes a binary built elsewhere from
# BENCH_S3WWW_BIN (see bench/README.md for how the published figures'
# s3www was built).

TOOLS+=(benchenv s3www)

S3WWW_MODULE=github.com/harshavardhana/s3www
S3WWW_VERSION=v1.0.0
BENCH_REQUIREMENTS="$SRCDIR/bench/requirements.txt"

tool_benchenv() {
	venv_tool benchenv "$BENCH_REQUIREMENTS"
}

build_s3www() {
	local out=$1
	find_go
	say "building $S3WWW_MODULE@$S3WWW_VERSION with $GO"
	# GOTOOLCHAIN=local: never fetch another Go toolchain behind our back.
	logged "$CACHE/.s3www-build.log" env CGO_ENABLED=0 GOFLAGS="-trimpath -p=2" \
		GOTOOLCHAIN=local GOBIN="$out" "$GO" install "$S3WWW_MODULE@$S3WWW_VERSION" || return 1
	[ -x "$out/s3www" ] || { say "go install gave no s3www binary"; return 1; }
}

tool_s3www() {
	cached "s3www-$S3WWW_VERSION" build_s3www
	printf '%s\n' "$CACHE/s3www-$S3WWW_VERSION/s3www"
}
