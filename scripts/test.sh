#!/bin/bash
# The whole test suite, as CI runs it (README: "Test it").
#
#  1. installs the Debian packages and the pinned tools it needs;
#  2. builds with warnings as errors and runs `make check`: the style check,
#     the Check unit tests, and the integration suite against a real MinIO
#     and the real daemon;
#  3. runs `make distcheck` (the tarball builds and passes its tests);
#  4. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and
#     runs the whole suite once more.
#
# Build trees go to build/ (ignored by git).  Set S3WWWD_TEST_QUICK=1 to skip
# steps 3 and 4 while developing.
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRCDIR"
JOBS=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
bash scripts/deps.sh
S3WWWD_MINIO=$(bash scripts/tools.sh minio)
bash scripts/tools.sh pyenv >/dev/null
export S3WWWD_MINIO

step "autoreconf"
autoreconf -fi >/dev/null

build_and_check() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$SRCDIR/configure" --enable-werror "$@" >configure.out ||
		{ cat configure.out; exit 1; })
	make -C "$dir" -j"$JOBS"
	if ! make -C "$dir" check; then
		for f in "$dir"/tests/unit/*.log "$dir"/tests/integration/*.log "$dir"/scripts/*.log; do
			[ -f "$f" ] && { echo "---- $f"; tail -n 200 "$f"; }
		done
		return 1
	fi
	cat "$dir"/test-suite.log 2>/dev/null | head -n 20 || true
}

step "build and make check (-Werror)"
build_and_check build/plain

if [ "${S3WWWD_TEST_QUICK:-0}" != 1 ]; then
	step "make distcheck"
	make -C build/plain distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror

	step "sanitizer build (ASan + UBSan) and make check"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		build_and_check build/sanitizers --enable-sanitizers
fi

step "all tests passed"
