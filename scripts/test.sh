#!/bin/bash
# The whole test suite, as CI runs it (README: "Test it").
#
#  1. installs the Debian packages and the pinned tools it needs;
#  2. builds with warnings as errors and runs `make check`: the style check,
#     the Check unit tests, and the integration suite against a real MinIO
#     and the real daemon;
#  3. runs `make distcheck` (the tarball builds and passes its tests);
#  4. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and
#     runs the whole suite once more;
#  5. the other areas: fuzzing, the Helm chart, monitoring, Terraform, the container
#     image, the packages, and last the end-to-end test of the Terraform
#     deployment on a real Kubernetes cluster (tests/e2e/run.sh).
#
# Build trees go to build/ (ignored by git).  Set S3WWWD_TEST_QUICK=1 to skip
# steps 3 and 4 while developing.
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRCDIR"
JOBS=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==> %s\n' "$*"; }

# Every area adds its counts here (scripts/tally.py: passed, failed,
# skipped with the reason); the run ends with one line that sums them up.
TALLY=$(mktemp /tmp/s3wwwd-tally.XXXXXX)
trap 'rm -f "$TALLY"' EXIT
tally() { /usr/bin/python3 "$SRCDIR/scripts/tally.py" "$@"; }

# count_build DIR: Check's counts and the integration suite's JUnit report.
count_build() {
	local dir=$1
	tally check "$TALLY" "unit:$dir" "$dir"/tests/unit/*.log
	tally junit "$TALLY" "integration:$dir" "$dir/integration.xml"
}

# run_area NAME CMD...: an area's own runner, which ends with "N passed, N
# failed[, N skipped]" (and a "skip - ID: REASON" line per skip).
run_area() {
	local name=$1 out rc=0
	shift
	out=$(mktemp /tmp/s3wwwd-area.XXXXXX)
	"$@" 2>&1 | tee "$out" || rc=$?
	tally area "$TALLY" "$name" "$out" "$rc"
	[ "$rc" -eq 0 ] || FAILED_AREAS+=("$name")
	rm -f "$out"
	return 0
}
FAILED_AREAS=()

# The skips CI accepts, each with the reason no machine of this kind can run
# the test; the goal is an empty list.
ALLOWLIST=$SRCDIR/tests/skip-allowlist.txt

step "dependencies"
bash scripts/deps.sh
S3WWWD_MINIO=$(bash scripts/tools.sh minio)
bash scripts/tools.sh pyenv >/dev/null
export S3WWWD_MINIO

step "autoreconf"
autoreconf -fi >/dev/null

# show_logs DIR...: the last lines of the test logs a build directory holds
# (automake names only the failing runner).
show_logs() {
	local d f
	for d in "$@"; do
		for f in "$d"/tests/unit/*.log "$d"/tests/integration/*.log "$d"/scripts/*.log; do
			[ -f "$f" ] && { echo "---- $f"; tail -n 200 "$f"; }
		done
	done
	return 0
}

# build_and_check DIR [CONFIGURE ARGS]: 1 if the build or a test fails, after
# showing the logs; the caller records it and the other areas still run, so
# that one failure does not hide the state of the rest.
build_and_check() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$SRCDIR/configure" --enable-werror "$@" >configure.out) ||
		{ cat "$dir/configure.out"; return 1; }
	make -C "$dir" -j"$JOBS" || return 1
	rm -f "$dir/integration.xml"
	if ! S3WWWD_JUNITXML="$SRCDIR/$dir/integration.xml" make -C "$dir" check; then
		show_logs "$dir"
		count_build "$dir"
		return 1
	fi
	count_build "$dir"
}

step "build and make check (-Werror)"
build_and_check build/plain || FAILED_AREAS+=(build/plain)

if [ "${S3WWWD_TEST_QUICK:-0}" != 1 ]; then
	step "make distcheck"
	# distcheck runs the suites again in the unpacked tarball's build tree.
	if ! make -C build/plain distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror; then
		show_logs build/plain/s3wwwd-*/_build/sub
		FAILED_AREAS+=(distcheck)
	fi

	step "sanitizer build (ASan + UBSan) and make check"
	# The sanitizers make everything 2-3 times slower: the tests' time
	# bounds grow with S3WWWD_TEST_SLOWDOWN (tests/integration/harness.py).
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	S3WWWD_TEST_SLOWDOWN=4 \
		build_and_check build/sanitizers --enable-sanitizers || FAILED_AREAS+=(build/sanitizers)

	step "fuzzing: a short libFuzzer run of every harness"
	run_area fuzz bash tests/fuzz/run.sh

	step "Helm chart: lint, template, kubeconform, Pod Security, helm-unittest"
	run_area helm bash tests/helm/run.sh

	step "monitoring: promtool on the alerts, and Prometheus scraping s3wwwd for every dashboard and alert expression"
	run_area monitoring env S3WWWD_BUILDDIR="$SRCDIR/build/plain" bash tests/monitoring/run.sh

	step "Terraform: fmt, validate, terraform test, MinIO chart render, provisioning against MinIO"
	run_area terraform env S3WWWD_BUILDDIR="$SRCDIR/build/plain" bash tests/terraform/run.sh

	step "container image under podman"
	run_area container bash tests/container/run.sh

	step "packages: .deb and .rpm, and the .deb under a booted systemd"
	run_area packaging bash tests/packaging/run.sh

	# Last: the cluster's control plane takes CPU while it runs, and no
	# timing-sensitive test may run beside it.
	step "end to end: terraform apply on a real single-node Kubernetes cluster"
	run_area e2e bash tests/e2e/run.sh
fi

rc=0
tally summary "$TALLY" "$ALLOWLIST" || rc=1
if [ "${#FAILED_AREAS[@]}" -gt 0 ]; then
	echo "failed: ${FAILED_AREAS[*]}" >&2
	rc=1
fi
exit "$rc"

