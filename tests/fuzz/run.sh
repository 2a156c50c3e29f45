#!/bin/bash
# Build every libFuzzer harness in tests/fuzz with clang
# (-fsanitize=fuzzer,address,undefined) straight from the project's sources,
# and run each on its seed corpus for S3WWWD_FUZZ_SECONDS (default 60).
#
#   tests/fuzz/run.sh                  all harnesses, 60 s each
#   tests/fuzz/run.sh sigv4 config     only these (names without fuzz_:
#                                      http range sigv4 config xml)
#   S3WWWD_FUZZ_SECONDS=600 tests/fuzz/run.sh      a long run
#
# Environment:
#   S3WWWD_FUZZ_SECONDS  run time per harness (default 60)
#   S3WWWD_FUZZ_OUT      keep binaries, new corpus entries and crash files
#                        here (default: a temporary directory, removed at the end)
#   S3WWWD_FUZZ_DEPS=0   do not call scripts/deps.sh (clang etc. already there)
#
# The seed corpus in tests/fuzz/corpus/<name> is only read: what the fuzzer
# finds goes to a scratch corpus, so the source tree stays clean (and may be
# read-only).  A crash, a sanitizer report, a failed property check, a leak
# or a timeout fails the harness; its reproducer is printed and kept in
# S3WWWD_FUZZ_OUT when that is set.  Reproduce one with
#   $S3WWWD_FUZZ_OUT/fuzz_NAME crash-file
#
# Last line: "N passed, N failed" (one per harness).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${S3WWWD_FUZZ_SECONDS:-60}

if [ "${S3WWWD_FUZZ_DEPS:-1}" != 0 ]; then
	bash "$src/scripts/deps.sh" >/dev/null
fi
command -v clang >/dev/null || { echo "run.sh: clang not found" >&2; exit 1; }

own_out=0
if [ -n "${S3WWWD_FUZZ_OUT:-}" ]; then
	out=$S3WWWD_FUZZ_OUT
	mkdir -p "$out"
else
	out=$(mktemp -d /tmp/s3wwwd-fuzz.XXXXXX)
	own_out=1
fi
# Kill a fuzzer that is still running if we are interrupted, and remove the
# scratch directory unless the caller asked to keep it.
fuzz_pid=
cleanup() {
	if [ -n "$fuzz_pid" ]; then
		kill "$fuzz_pid" 2>/dev/null || true
		wait "$fuzz_pid" 2>/dev/null || true
	fi
	if [ "$own_out" = 1 ]; then
		rm -rf "$out"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What each harness links, on top of the harness itself.
declare -A SOURCES=(
	[http]="worker/http.c"
	[range]="worker/http.c"
	[sigv4]="common/sigv4.c common/s3.c common/xml.c"
	[config]="daemon/config.c common/creds.c common/s3.c common/sigv4.c common/log.c common/xml.c common/website.c worker/site.c worker/http.c worker/metrics.c"
	[xml]="common/xml.c common/s3.c common/sigv4.c"
	[website]="worker/site.c worker/http.c common/xml.c common/sigv4.c common/s3.c common/website.c"
)
declare -A LIBS=(
	[http]=""
	[range]=""
	[sigv4]="$(pkg-config --libs libcrypto libcurl)"
	[config]="$(pkg-config --libs libconfig libcrypto libcurl)"
	[xml]="$(pkg-config --libs libcrypto libcurl)"
	[website]="$(pkg-config --libs libcrypto libcurl)"
)
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
CFLAGS=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I"$src/common" -I"$src/worker" -I"$src/daemon")
read -r -a pkg_cflags <<<"$(pkg-config --cflags libcurl libconfig libcrypto)"
CFLAGS+=("${pkg_cflags[@]}")

names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
	names=(http range sigv4 config xml website)
fi

pass=0
fail=0
summary=()
for name in "${names[@]}"; do
	if [ -z "${SOURCES[$name]+x}" ]; then
		echo "run.sh: unknown harness '$name' (known: ${!SOURCES[*]})" >&2
		fail=$((fail + 1))
		summary+=("fuzz_$name: unknown")
		continue
	fi
	bin=$out/fuzz_$name
	printf '\n==> fuzz_%s: build\n' "$name"
	srcs=()
	for s in ${SOURCES[$name]}; do
		srcs+=("$src/$s")
	done
	# shellcheck disable=SC2086 # LIBS holds several words on purpose
	if ! clang "${CFLAGS[@]}" "$here/fuzz_$name.c" "${srcs[@]}" -o "$bin" ${LIBS[$name]}; then
		fail=$((fail + 1))
		summary+=("fuzz_$name: BUILD FAILED")
		continue
	fi
	work=$out/corpus-$name
	crashes=$out/crashes-$name
	mkdir -p "$work" "$crashes"
	dict=()
	[ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	printf '==> fuzz_%s: %ss on corpus/%s\n' "$name" "$secs" "$name"
	log=$out/fuzz_$name.log
	rc=0
	# -timeout: an input that takes more than 10 s is a hang, and a failure.
	# -rss_limit_mb: a bounded process, the machine stays usable.
	# stdin from /dev/null: config_load may be pointed at /dev/stdin.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
		"$work" "$here/corpus/$name" </dev/null >"$log" 2>&1 &
	fuzz_pid=$!
	wait "$fuzz_pid" || rc=$?
	fuzz_pid=
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	ncrash=$(find "$crashes" -type f | wc -l)
	if [ "$rc" -eq 0 ] && [ "$ncrash" -eq 0 ]; then
		pass=$((pass + 1))
		summary+=("fuzz_$name: ok, ${execs:-?} executions in ${secs}s, 0 crashes")
		tail -n 3 "$log"
	else
		fail=$((fail + 1))
		summary+=("fuzz_$name: FAILED (exit $rc, ${ncrash} crash file(s), ${execs:-?} executions)")
		tail -n 60 "$log"
		for f in "$crashes"/*; do
			[ -f "$f" ] || continue
			echo "--- reproducer $f (base64):"
			head -c 4096 "$f" | base64
		done
	fi
done

printf '\n==> fuzz results\n'
for line in "${summary[@]}"; do
	echo "    $line"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
