#!/bin/bash
# A long fuzzing campaign: run harnesses for the given times with
# tests/fuzz/run.sh, fold what they found into the committed corpus
# (tests/fuzz/corpus/NAME, minimized with libFuzzer's -merge=1, so that only
# inputs that add coverage are kept), and write the figures to
# tests/fuzz/results/campaign-DATE.txt.
#
#   tests/fuzz/campaign.sh http=1800 range=600 sigv4=1800 config=1800 xml=600
#
# Each argument is NAME=SECONDS.  Harnesses run one after the other on one
# core, so the campaign can run in the background (nice -n 19) while other
# work goes on.  Not part of the test suite: CI runs each harness for 60 s
# (scripts/test.sh) on the corpus this grows.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 NAME=SECONDS..." >&2; exit 2; }

out=$(mktemp -d /tmp/s3wwwd-campaign.XXXXXX)
trap 'rm -rf "$out"' EXIT
results=$here/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%d-%H%M%S)
report=$results/campaign-$stamp.txt
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)

{
	echo "# fuzz campaign $stamp, commit $commit, $(nproc) cores, clang $(clang -dumpversion)"
	echo "# command: tests/fuzz/campaign.sh $*"
	echo "# harness seconds executions exec/s crashes corpus_before corpus_after"
} >"$report"

total=0
failed=0
for arg in "$@"; do
	name=${arg%%=*}
	secs=${arg#*=}
	before=$(find "$here/corpus/$name" -type f | wc -l)
	log=$out/run-$name.log
	rc=0
	S3WWWD_FUZZ_SECONDS=$secs S3WWWD_FUZZ_OUT=$out S3WWWD_FUZZ_DEPS=0 \
		bash "$here/run.sh" "$name" >"$log" 2>&1 || rc=$?
	line=$(grep -E "^ +fuzz_$name: " "$log" | tail -n 1)
	execs=$(sed -n 's/.* \([0-9][0-9]*\) executions.*/\1/p' <<<"$line")
	crashes=$(find "$out/crashes-$name" -type f 2>/dev/null | wc -l)
	if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
		failed=$((failed + 1))
		echo "campaign: fuzz_$name failed (exit $rc): $line" >&2
		tail -n 40 "$log" >&2
		execs=${execs:-0}
	fi
	# Keep what adds coverage to the committed corpus, and nothing else.
	if [ -x "$out/fuzz_$name" ] && [ -d "$out/corpus-$name" ]; then
		"$out/fuzz_$name" -merge=1 "$here/corpus/$name" "$out/corpus-$name" \
			</dev/null >"$out/merge-$name.log" 2>&1 ||
			{ echo "campaign: merging the corpus of fuzz_$name failed" >&2; failed=$((failed + 1)); }
	fi
	after=$(find "$here/corpus/$name" -type f | wc -l)
	printf '%s %s %s %s %s %s %s\n' "$name" "$secs" "$execs" "$((execs / secs))" "$crashes" \
		"$before" "$after" >>"$report"
	total=$((total + execs))
	echo "campaign: fuzz_$name: $execs executions in ${secs}s, $crashes crashes, corpus $before -> $after"
done
echo "# total executions: $total; failed harnesses: $failed" >>"$report"
echo "campaign: $total executions in all; figures in ${report#"$src"/}"
[ "$failed" -eq 0 ]
