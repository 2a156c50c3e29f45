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
#  5. the other areas: fuzzing, the Helm chart, Terraform, the container
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

# Every area adds its counts here; the last line of the run sums them up.
TALLY=$(mktemp /tmp/s3wwwd-tally.XXXXXX)
trap 'rm -f "$TALLY"' EXIT

# count_build DIR: Check's and pytest's own counts from a build's test logs.
count_build() {
	local dir=$1
	# Check: "100%: Checks: 60, Failures: 0, Errors: 0"
	cat "$dir"/tests/unit/*.log 2>/dev/null | sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' |
		while read -r n f e; do echo "$((n - f - e)) $((f + e)) unit:$dir"; done >>"$TALLY"
	# pytest: "==== 123 passed, 2 failed, 1 skipped in 9.1s ===="
	local line p f
	line=$(grep -E '^=+ .*(passed|failed).* in [0-9.]+s' "$dir/tests/integration/run.sh.log" 2>/dev/null | tail -n 1)
	p=$(sed -n 's/.* \([0-9]*\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
	echo "${p:-0} ${f:-0} integration:$dir" >>"$TALLY"
}

# run_area NAME CMD...: an area's own runner, which ends with "N passed, N failed".
run_area() {
	local name=$1 out rc=0
	shift
	out=$(mktemp /tmp/s3wwwd-area.XXXXXX)
	"$@" 2>&1 | tee "$out" || rc=$?
	if grep -qE '^(.*: )?[0-9]+ passed, [0-9]+ failed' "$out"; then
		sed -n 's/^\(.*: \)\{0,1\}\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\2 \3/p' "$out" |
			tail -n 1 | while read -r p f; do echo "$p $f $name"; done >>"$TALLY"
	fi
	if [ "$rc" -ne 0 ]; then
		# A runner that died before counting still counts as a failure.
		grep -qE '^(.*: )?[0-9]+ passed, [1-9][0-9]* failed' "$out" || echo "0 1 $name" >>"$TALLY"
		FAILED_AREAS+=("$name")
	fi
	rm -f "$out"
	return 0
}
FAILED_AREAS=()

tally() {
	printf '\n==> results\n'
	awk '{ printf "    %-40s %6d passed, %d failed\n", $3, $1, $2; p += $1; f += $2 }
	     END { printf "%d passed, %d failed\n", p, f }' "$1"
}

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
		count_build "$dir"
		tally "$TALLY"
		return 1
	fi
	count_build "$dir"
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

	step "fuzzing: a short libFuzzer run of every harness"
	run_area fuzz bash tests/fuzz/run.sh

	step "Helm chart: lint, template, kubeconform, Pod Security, helm-unittest"
	run_area helm bash tests/helm/run.sh

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

tally "$TALLY"
if [ "${#FAILED_AREAS[@]}" -gt 0 ]; then
	echo "failed: ${FAILED_AREAS[*]}" >&2
	exit 1
fi

