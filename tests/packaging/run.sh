#!/bin/bash
# The packaging tests: build the .deb and the .rpm, boot Debian 12 with real
# systemd in systemd-nspawn, and check the packages there (tests/packaging/*.py).
#
#   1. installs what it needs (scripts/deps.sh: debhelper, rpm, lintian,
#      rpmlint, systemd-container, debootstrap, apt-utils, createrepo-c,
#      gnupg, dnf) and the cached tools (scripts/tools.sh: minio, pyenv,
#      nspawnroot);
#   2. builds both packages with packaging/build.sh into build/packaging/out,
#      and a newer version of the same tree into build/packaging/out/next
#      (S3WWWD_PKG_VERSION: the next patch release) for the upgrade;
#   3. runs pytest on tests/packaging: the .deb (contents, lintian), the .rpm
#      (contents, scriptlets, rpmlint, install into a scratch root, and the
#      signed rpm repository read by dnf) and the .deb in the booted
#      container, installed from a signed apt repository (packaging/repo.sh,
#      served on the host's loopback): start, serve, watchdog, reload under
#      load, broken reloads, kill, stop, low port, socket activation, an
#      upgrade to the newer version under load, remove, purge; against a
#      real MinIO on the host's loopback.
#
# Usage: tests/packaging/run.sh [pytest args]   (as root; e.g. -k socket -x)
#        S3WWWD_PKG_SKIP_BUILD=1: test the packages already in build/packaging/out
#
# Last line: "N passed, N failed".  Exit status 0 only if all passed.
# Everything it starts (the container, MinIO, mounts) is stopped by a trap,
# also when it fails or is interrupted.
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$SRCDIR"
export S3WWWD_SRCDIR=$SRCDIR

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'tests/packaging/run.sh: error: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount, systemd-nspawn)"

RUNDIR=$SRCDIR/build/packaging/run
PIDFILE=$RUNDIR/nspawn.pid
PYTEST_PID=
# Stop process $1: SIGTERM, up to $2 tenths of a second, then SIGKILL.
stop_pid() {
	local pid=$1 wait=$2
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 "$wait"); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
	# Interrupted: conftest.py turns SIGTERM into KeyboardInterrupt, so that
	# pytest runs its fixtures' teardown (container off, MinIO, unmount).
	[ -n "$PYTEST_PID" ] && stop_pid "$PYTEST_PID" 300
	# What pytest could not clean up because it was killed or crashed.
	[ -s "$PIDFILE" ] && stop_pid "$(cat "$PIDFILE")" 100
	[ -s "$RUNDIR/minio.pid" ] && stop_pid "$(cat "$RUNDIR/minio.pid")" 100
	if [ -d "$RUNDIR" ]; then
		local m
		# Deepest first; only our own overlay mounts under RUNDIR.
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done < <(awk -v d="$RUNDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
		if ! awk -v d="$RUNDIR/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
			rm -rf "$RUNDIR"
		fi
	fi
}
mkdir -p "$SRCDIR/build/packaging"
# One run per tree at a time: a second one would tear down the first's container.
exec {lockfd}>"$SRCDIR/build/packaging/.run.lock"
if ! flock -n "$lockfd"; then
	echo "waiting for another tests/packaging/run.sh in this tree"
	flock "$lockfd"
fi
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cleanup          # leftovers of an earlier run that was killed

start=$(date +%s)
say "dependencies"
# Another apt on this (shared) machine holds the dpkg lock now and then.
for attempt in 1 2 3 4 5 6; do
	if bash scripts/deps.sh systemd-container debootstrap rpm rpmlint lintian debhelper \
		fakeroot file apt-utils createrepo-c gnupg dnf; then
		break
	fi
	[ "$attempt" -lt 6 ] || die "scripts/deps.sh failed"
	echo "deps.sh failed (dpkg lock held by another apt?); retrying in 20 s"
	sleep 20
done
S3WWWD_MINIO=$(bash scripts/tools.sh minio)
PY=$(bash scripts/tools.sh pyenv)
S3WWWD_NSPAWN_ROOT=$(bash scripts/tools.sh nspawnroot)
export S3WWWD_MINIO S3WWWD_NSPAWN_ROOT

OUT=$SRCDIR/build/packaging/out
NEXT_OUT=$OUT/next
if [ "${S3WWWD_PKG_SKIP_BUILD:-0}" != 1 ]; then
	say "build the .deb and the .rpm (packaging/build.sh)"
	bash packaging/build.sh all "$OUT" || die "packaging/build.sh failed"
	# The next patch release of the same tree, for the upgrade test.  Its
	# unit tests ran in the build above.
	version=$(sed -n 's/^AC_INIT(\[s3wwwd\], \[\([^]]*\)\].*/\1/p' configure.ac)
	next=${version%.*}.$((${version##*.} + 1))
	say "build version $next of the same tree (packaging/build.sh, S3WWWD_PKG_VERSION)"
	S3WWWD_PKG_VERSION=$next DEB_BUILD_OPTIONS=nocheck S3WWWD_RPM_NOCHECK=1 \
		bash packaging/build.sh all "$NEXT_OUT" || die "packaging/build.sh of $next failed"
fi

say "tests (pytest tests/packaging)"
mkdir -p "$RUNDIR"
export S3WWWD_PKG_OUT=$OUT S3WWWD_PKG_NEXT_OUT=$NEXT_OUT S3WWWD_PKG_RUNDIR=$RUNDIR \
	S3WWWD_PKG_PIDFILE=$PIDFILE
export PYTHONDONTWRITEBYTECODE=1
junit=$RUNDIR/junit.xml
rc=0
# In the background, so that a signal to this script reaches the trap at once
# (bash runs traps only between foreground commands).
"$PY" -m pytest -p no:cacheprovider -v -ra --timeout=600 --junitxml="$junit" \
	--rootdir="$SRCDIR/tests/packaging" tests/packaging "$@" </dev/null &
PYTEST_PID=$!
wait "$PYTEST_PID" || rc=$?
PYTEST_PID=

# The closing line from the report: passed, failed (errors count as
# failed) and skipped, each skip with its reason on a line of its own.
"$PY" - "$junit" >"$RUNDIR/counts" <<'EOF' || echo "0 1 0" >"$RUNDIR/counts"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
p = f = 0
skips = []
for c in root.iter("testcase"):
    if c.find("failure") is not None or c.find("error") is not None:
        f += 1
    elif c.find("skipped") is not None:
        skips.append("skip - %s: %s" % (c.get("name"), c.find("skipped").get("message", "")))
    else:
        p += 1
print(p, f, len(skips))
print("\n".join(skips))
EOF
read -r passed failed skipped <"$RUNDIR/counts"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1           # pytest failed without a failing test (collection, usage)
fi
echo "packaging tests took $(($(date +%s) - start)) s"
tail -n +2 "$RUNDIR/counts" | grep . || true
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
