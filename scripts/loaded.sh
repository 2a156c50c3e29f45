#!/bin/bash
# The integration suite under load: N consecutive full runs while CPU-burning
# processes (stress-ng) take both cores, to show that the tests' time bounds
# (tests/integration/harness.py, SLOWDOWN) hold on a busy machine.
#
#   scripts/loaded.sh [RUNS [BURNERS]]        default 3 runs, 2 burners
#
# Uses the build in build/plain (S3WWWD_BUILDDIR to choose another; it must
# have been built, e.g. by scripts/test.sh).  Writes
# tests/results/loaded-DATE.txt with each run's counts and time.  Not part of
# the test suite (it takes three times as long).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRCDIR"
runs=${1:-3}
burners=${2:-2}
build=$(cd "${S3WWWD_BUILDDIR:-build/plain}" && pwd)
[ -x "$build/s3wwwd" ] || { echo "loaded: no s3wwwd in $build (run scripts/test.sh first)" >&2; exit 1; }
bash scripts/deps.sh stress-ng >/dev/null

results=tests/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%d-%H%M%S)
report=$results/loaded-$stamp.txt
stress_pid=
cleanup() {
	[ -z "$stress_pid" ] || { kill "$stress_pid" 2>/dev/null; wait "$stress_pid" 2>/dev/null; }
	true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stress-ng --cpu "$burners" --cpu-method matrixprod --timeout 0 --quiet &
stress_pid=$!
{
	echo "# scripts/loaded.sh $runs $burners: the integration suite beside stress-ng --cpu $burners"
	echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores," \
		"S3WWWD_TEST_SLOWDOWN=${S3WWWD_TEST_SLOWDOWN:-default}, started $stamp"
} >"$report"
failed_runs=0
for i in $(seq "$runs"); do
	t0=$SECONDS
	xml=$(mktemp /tmp/s3wwwd-loaded.XXXXXX.xml)
	rc=0
	S3WWWD_SRCDIR=$SRCDIR S3WWWD_BUILDDIR=$build S3WWWD_JUNITXML=$xml \
		bash tests/integration/run.sh -q >"/tmp/s3wwwd-loaded-$i.log" 2>&1 || rc=$?
	load=$(cut -d' ' -f1 /proc/loadavg)
	line=$(python3 - "$xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
p = f = s = 0
bad = []
for c in r.iter("testcase"):
    if c.find("failure") is not None or c.find("error") is not None:
        f += 1
        bad.append(c.get("name"))
    elif c.find("skipped") is not None:
        s += 1
    else:
        p += 1
print("%d passed, %d failed, %d skipped%s" % (p, f, s, (": " + " ".join(bad)) if bad else ""))
EOF
)
	rm -f "$xml"
	[ "$rc" -eq 0 ] || failed_runs=$((failed_runs + 1))
	echo "run $i: $line in $((SECONDS - t0))s, pytest exit $rc, load average $load" | tee -a "$report"
done
echo "# $((runs - failed_runs)) of $runs runs without a failure" >>"$report"
echo "loaded: figures in $report"
[ "$failed_runs" -eq 0 ]
