#!/bin/bash
# Run the integration tests (tests/integration) against a real MinIO and the
# built daemon.  This is what `make check` runs (TESTS in Makefile.am, with
# S3WWWD_SRCDIR and S3WWWD_BUILDDIR exported by AM_TESTS_ENVIRONMENT); by
# hand: tests/integration/run.sh [pytest args], e.g. -k restart -x.
#
# It takes the venv's python from `scripts/tools.sh pyenv` and MinIO from
# `scripts/tools.sh minio` (both cached outside the tree, instant once built).
# Nothing is written into the source tree, which is read-only under
# `make distcheck`: no pytest cache, no __pycache__.
#
# Environment: PYTEST_ADDOPTS (read by pytest itself), S3WWWD_JUNITXML (write
# a JUnit XML report there), S3WWWD_TEST_TIMEOUT (seconds per test, default
# 300; 0 disables), and what harness.py reads (S3WWWD_MINIO, S3WWWD_KEEP_TMP).
#
# Exit code: pytest's; 99 (automake's "hard error") if the tools cannot be set up.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S3WWWD_SRCDIR=$(cd "${S3WWWD_SRCDIR:-$here/../..}" && pwd)
S3WWWD_BUILDDIR=$(cd "${S3WWWD_BUILDDIR:-$S3WWWD_SRCDIR}" && pwd)
export S3WWWD_SRCDIR S3WWWD_BUILDDIR

tools="$S3WWWD_SRCDIR/scripts/tools.sh"
if ! py=$(bash "$tools" pyenv); then
	echo "run.sh: '$tools pyenv' failed" >&2
	exit 99
fi
if [ -z "${S3WWWD_MINIO:-}" ]; then
	if ! S3WWWD_MINIO=$(bash "$tools" minio); then
		echo "run.sh: '$tools minio' failed" >&2
		exit 99
	fi
	export S3WWWD_MINIO
fi

# The MinIO client, for the tests that manage MinIO users (credential
# rotation); built here rather than inside a test, whose time is limited.
if [ -z "${S3WWWD_MC:-}" ]; then
	if ! S3WWWD_MC=$(bash "$tools" mc); then
		echo "run.sh: '$tools mc' failed" >&2
		exit 99
	fi
	export S3WWWD_MC
fi

export PYTHONDONTWRITEBYTECODE=1
args=(-p no:cacheprovider -v -ra --timeout="${S3WWWD_TEST_TIMEOUT:-300}")
if [ -n "${S3WWWD_JUNITXML:-}" ]; then
	args+=(--junitxml="$S3WWWD_JUNITXML")
fi

# Run the whole directory unless the arguments name tests (paths or node ids).
paths=(tests/integration)
for a in "$@"; do
	case $a in
	-*) ;;
	*::* | *.py) paths=() ;;
	*) [ -e "$a" ] && paths=() ;;
	esac
done

cd "$S3WWWD_SRCDIR" || exit 99
"$py" -m pytest "${args[@]}" "${paths[@]}" "$@"
exit $?
