#!/bin/bash
# Install pinned test tools into a cache OUTSIDE the source tree, so that
# fresh clones, distcheck trees and CI runs on the same machine reuse them.
#
# Usage: scripts/tools.sh minio   build MinIO from the Go module proxy; print its path
#        scripts/tools.sh pyenv   build the venv from tests/requirements.txt; print its python
#        scripts/tools.sh all     all of the above, one path per line
#        scripts/tools.sh list    the known tools
#
# Only the resulting path goes to stdout; progress and errors go to stderr.
# A second run finds the '.complete' stamp and returns at once.  Builds happen
# under a lock (concurrent runs wait for each other) in a temporary directory
# that is renamed into place only once it is complete, so an interrupted run
# never leaves something that a later run would take for a finished install.
#
# Environment: S3WWWD_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/s3wwwd),
#              S3WWWD_PYTHON (interpreter for the venv, see find_python),
#              S3WWWD_TOOLS_NO_BUILD=1 (print the path of a tool that is
#              already built; fail instead of building one that is not).
#
# Adding a tool: write tool_NAME (prints the path, usually via 'cached'),
# a build_NAME it passes to 'cached', and add NAME to TOOLS.
set -euo pipefail

TOOLS=(minio pyenv)

CACHE="${S3WWWD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/s3wwwd}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR="${S3WWWD_SRCDIR:-$(dirname "$HERE")}"

# Pinned versions.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
GO_MIN=1.24

say() { printf 'tools.sh: %s\n' "$*" >&2; }
die() { printf 'tools.sh: error: %s\n' "$*" >&2; exit 1; }

# cached NAME BUILDER: make sure $CACHE/NAME is a complete install; print
# nothing.  BUILDER is called with a fresh empty directory and must fill it
# (return non-zero on failure); the directory is then stamped and renamed to
# $CACHE/NAME.  With CACHED_IN_PLACE=1 the builder gets $CACHE/NAME itself
# (for things that embed their own path, like a venv): the stamp, written
# last, is then what makes it count, and a stampless leftover is wiped first.
cached() {
	local name=$1 builder=$2
	local dir="$CACHE/$name"
	[ -e "$dir/.complete" ] && return 0
	# Asked only where a tool is, never to build it (scripts/cluster.sh run).
	[ "${S3WWWD_TOOLS_NO_BUILD:-0}" = 1 ] && die "$name is not built"

	mkdir -p "$CACHE"
	local lockfd
	exec {lockfd}>"$CACHE/.$name.lock"
	if ! flock -n "$lockfd"; then
		say "waiting for another run that is installing $name"
		flock "$lockfd"
	fi
	if [ -e "$dir/.complete" ]; then
		exec {lockfd}>&-
		return 0
	fi

	# Leftovers of runs that were killed before their EXIT trap ran.
	rm -rf "$CACHE/.$name.tmp."* "$CACHE/.$name.old."*

	local work rc=0
	if [ "${CACHED_IN_PLACE:-0}" = 1 ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		work=$dir
	else
		work=$(mktemp -d "$CACHE/.$name.tmp.XXXXXX")
	fi
	# On failure or interruption remove the partial work.
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM HUP
	"$builder" "$work" || rc=$?
	if [ "$rc" -ne 0 ]; then
		rm -rf "$work"
		trap - EXIT INT TERM HUP
		die "installing $name failed"
	fi
	date -u +%Y-%m-%dT%H:%M:%SZ >"$work/.complete"
	if [ "$work" != "$dir" ]; then
		if [ -e "$dir" ]; then          # an unstamped leftover: replace it
			local old
			old=$(mktemp -d "$CACHE/.$name.old.XXXXXX")
			mv -T "$dir" "$old/x"
			rm -rf "$old"
		fi
		mv -T "$work" "$dir"
	fi
	trap - EXIT INT TERM HUP
	exec {lockfd}>&-
	say "installed $name in $dir"
}

# Run "$@" with its output in a log file; show the log's tail if it fails.
logged() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		say "full log: $log"
		return 1
	fi
}

# ---- Go / MinIO --------------------------------------------------------------

find_go() {
	GO=$(command -v go 2>/dev/null || true)
	[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
	[ -n "$GO" ] || die "Go >= $GO_MIN is needed to build MinIO but 'go' was not found; install it from https://go.dev/dl/ (Debian 12's golang-go is 1.19, too old)"
	local v
	v=$(GOTOOLCHAIN=local "$GO" env GOVERSION 2>/dev/null || true)
	[[ "$v" =~ ^go([0-9]+)\.([0-9]+) ]] || die "cannot tell the version of $GO ('$v')"
	local maj=${BASH_REMATCH[1]} min=${BASH_REMATCH[2]}
	if [ "$maj" -lt "${GO_MIN%%.*}" ] ||
		{ [ "$maj" -eq "${GO_MIN%%.*}" ] && [ "$min" -lt "${GO_MIN#*.}" ]; }; then
		die "$GO is $v; MinIO needs Go >= $GO_MIN (install it from https://go.dev/dl/)"
	fi
}

build_minio() {
	local out=$1
	find_go
	say "building MinIO $MINIO_VERSION with $GO (several minutes the first time)"
	# GOTOOLCHAIN=local: never fetch another Go toolchain behind our back.
	logged "$CACHE/.minio-build.log" env CGO_ENABLED=0 GOFLAGS=-trimpath \
		GOTOOLCHAIN=local GOBIN="$out" "$GO" install "$MINIO_MODULE@$MINIO_VERSION" || return 1
	"$out/minio" --version >/dev/null 2>&1 || { say "built minio does not run"; return 1; }
}

tool_minio() {
	local name="minio-${MINIO_VERSION##*-}"     # minio-<12-char commit>
	local dir="$CACHE/$name"
	# Adopt a binary installed into this layout by a plain 'go install' (it
	# has no stamp) once it is seen to run.
	if [ ! -e "$dir/.complete" ] && [ -x "$dir/minio" ] &&
		"$dir/minio" --version >/dev/null 2>&1; then
		date -u +%Y-%m-%dT%H:%M:%SZ >"$dir/.complete"
	fi
	cached "$name" build_minio
	printf '%s\n' "$dir/minio"
}

# ---- Python venv -------------------------------------------------------------

# The venv is made from Debian's /usr/bin/python3 (+ python3-venv, both
# installed by scripts/deps.sh), not from whatever 'python3' is first on PATH:
# on these machines that is a pyenv shim whose interpreter a fresh machine or
# CI may not have, while Debian's is the same everywhere deps.sh ran.  If
# /usr/bin/python3 is missing or has no venv module we fall back to python3
# on PATH; S3WWWD_PYTHON overrides both.  The interpreter's real path is part
# of the venv's hash, so switching interpreters never reuses a wrong venv.
find_python() {
	if [ -n "${S3WWWD_PYTHON:-}" ]; then
		PY=$S3WWWD_PYTHON
	elif [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
		PY=/usr/bin/python3
	else
		PY=$(command -v python3 2>/dev/null) ||
			die "no python3 found; run scripts/deps.sh (Debian: python3 python3-venv)"
		[ "$PY" = /usr/bin/python3 ] || say "note: /usr/bin/python3 with venv not usable, using $PY"
	fi
	PY=$(readlink -f "$(command -v "$PY")")
}

REQUIREMENTS="$SRCDIR/tests/requirements.txt"

# The requirements file build_venv installs; set by venv_tool.
VENV_REQUIREMENTS=

build_venv() {
	local venv=$1
	logged "$CACHE/.venv-build.log" "$PY" -m venv "$venv" ||
		{ say "'$PY -m venv' failed (Debian: apt-get install python3-venv)"; return 1; }
	say "installing $(grep -c '==' "$VENV_REQUIREMENTS") pinned packages into $venv"
	logged "$CACHE/.venv-build.log" env PIP_DISABLE_PIP_VERSION_CHECK=1 \
		"$venv/bin/python" -m pip install --no-input -q -r "$VENV_REQUIREMENTS" || return 1
	cp "$VENV_REQUIREMENTS" "$venv/requirements.txt"
}

# venv_tool PREFIX REQUIREMENTS: a cached venv named after the hash of the
# requirements and the interpreter; prints its python.
venv_tool() {
	local prefix=$1 req=$2 hash name
	[ -r "$req" ] || die "$req not found"
	find_python
	hash=$( { cat "$req"; printf '%s\n' "$PY"; } | sha256sum | cut -c1-12)
	name="$prefix-$hash"
	VENV_REQUIREMENTS=$req
	# A venv hard-codes its own path (activate, script shebangs), so it is
	# built in place; the stamp written last is what marks it complete.
	CACHED_IN_PLACE=1 cached "$name" build_venv
	printf '%s\n' "$CACHE/$name/bin/python"
}

tool_pyenv() {
	venv_tool venv "$REQUIREMENTS"
}

# ---- more tools ----------------------------------------------------------------
# Each file in scripts/tools.d/ defines tool_NAME/build_NAME for one area
# (helm, terraform, ...) and appends NAME to TOOLS, so areas stay apart.
for f in "$HERE"/tools.d/*.sh; do
	[ -e "$f" ] || continue
	# shellcheck source=/dev/null
	. "$f"
done

# ---- main --------------------------------------------------------------------

usage() {
	local IFS='|'
	echo "usage: $0 {all|list|${TOOLS[*]}}" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case $1 in
all)
	for t in "${TOOLS[@]}"; do "tool_$t"; done
	;;
list)
	printf '%s\n' "${TOOLS[@]}"
	;;
*)
	for t in "${TOOLS[@]}"; do
		if [ "$t" = "$1" ]; then
			"tool_$t"
			exit 0
		fi
	done
	usage
	;;
esac
