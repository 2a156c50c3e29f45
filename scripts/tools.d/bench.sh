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
# the proxy ever serves the module.  s3www's source is never fetched any
# other way.

TOOLS+=(benchenv s3www)

S3WWW_MODULE=github.com/harshavardhana/s3www
S3WWW_VERSION=v0.8.0
BENCH_REQUIREMENTS="$SRCDIR/bench/requirements.txt"

build_benchenv() {
	local venv=$1
	logged "$CACHE/.benchenv-build.log" "$PY" -m venv "$venv" ||
		{ say "'$PY -m venv' failed (Debian: apt-get install python3-venv)"; return 1; }
	say "installing $(grep -c '==' "$BENCH_REQUIREMENTS") pinned packages into $venv"
	logged "$CACHE/.benchenv-build.log" env PIP_DISABLE_PIP_VERSION_CHECK=1 \
		"$venv/bin/python" -m pip install --no-input -q -r "$BENCH_REQUIREMENTS" || return 1
	cp "$BENCH_REQUIREMENTS" "$venv/requirements.txt"
}

tool_benchenv() {
	[ -r "$BENCH_REQUIREMENTS" ] || die "$BENCH_REQUIREMENTS not found"
	find_python
	local hash
	hash=$( { cat "$BENCH_REQUIREMENTS"; printf '%s\n' "$PY"; } | sha256sum | cut -c1-12)
	local name="benchenv-$hash"
	# A venv embeds its own path, so it is built in place (see 'cached').
	CACHED_IN_PLACE=1 cached "$name" build_benchenv
	printf '%s\n' "$CACHE/$name/bin/python"
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
