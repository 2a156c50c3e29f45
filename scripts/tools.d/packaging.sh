# shellcheck shell=bash
# Tools of the packaging tests (tests/packaging), sourced by scripts/tools.sh.
#
#   scripts/tools.sh nspawnroot   a Debian 12 tree that boots with systemd-nspawn;
#                                 prints its path
#
# The tree is made once with `debootstrap --variant=minbase` and cached; the
# tests never change it (each run boots an overlayfs copy of it).  Besides
# systemd it holds the run-time libraries of the s3wwwd .deb, so that
# `apt-get install ./s3wwwd_*.deb` inside the container needs no network.
# Debian's archive has no version pins for a suite: the cache name carries
# the suite and a hash of the package list, and the tree is whatever the
# mirror served for bookworm on the day it was made.
# Needs debootstrap (scripts/deps.sh debootstrap), root, and the Debian mirror.

NSPAWN_SUITE=bookworm
NSPAWN_MIRROR=${S3WWWD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NSPAWN_PACKAGES=systemd,systemd-sysv,dbus,libcurl4,libconfig9,libssl3,libsystemd0,procps

build_nspawnroot() {
	local out=$1
	command -v debootstrap >/dev/null 2>&1 ||
		{ say "debootstrap is missing: run scripts/deps.sh debootstrap"; return 1; }
	[ "$(id -u)" -eq 0 ] || { say "debootstrap needs root"; return 1; }
	say "debootstrap $NSPAWN_SUITE (minbase + $NSPAWN_PACKAGES) into $out/root (a few minutes)"
	# A private mount namespace: debootstrap mounts /proc and /sys inside the
	# tree, and if it is killed half-way those mounts vanish with the
	# namespace instead of staying under a directory that is then rm -rf'd.
	logged "$CACHE/.nspawnroot-build.log" unshare --mount --propagation private \
		debootstrap --variant=minbase --include="$NSPAWN_PACKAGES" \
		"$NSPAWN_SUITE" "$out/root" "$NSPAWN_MIRROR" || return 1
	# Clean-up that makes each boot quiet and identical: no machine-id (systemd
	# makes a transient one at boot) and no downloaded .debs.
	rm -f "$out/root/etc/machine-id" "$out/root/var/lib/dbus/machine-id"
	: >"$out/root/etc/machine-id"
	rm -rf "$out/root/var/cache/apt/archives/"*.deb
	[ -x "$out/root/lib/systemd/systemd" ] || { say "the tree has no systemd"; return 1; }
}

tool_nspawnroot() {
	local hash
	hash=$(printf '%s %s\n' "$NSPAWN_SUITE" "$NSPAWN_PACKAGES" | sha256sum | cut -c1-12)
	local name="nspawn-$NSPAWN_SUITE-$hash"
	cached "$name" build_nspawnroot
	printf '%s\n' "$CACHE/$name/root"
}

TOOLS+=(nspawnroot)
