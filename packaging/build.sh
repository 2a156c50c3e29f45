#!/bin/bash
# Build the Debian and RPM packages of s3wwwd from this source tree.
#
# Usage: packaging/build.sh [deb|rpm|all] [OUTDIR]
#
#   1. exports the tree (git's tracked and untracked-but-not-ignored files, so
#      an uncommitted change is packaged too) to a scratch copy and runs
#      `autoreconf -fi && configure && make dist` there: the packages are
#      built from the release tarball, never from the working tree;
#   2. deb: unpacks the tarball, adds packaging/debian as debian/ and runs
#      `dpkg-buildpackage -us -uc -b`;
#   3. rpm: puts the tarball and the packaging files into an rpmbuild tree and
#      runs `rpmbuild -bb` with packaging/rpm/s3wwwd.spec (on Debian with
#      --nodeps and packaging/rpm/debian-host.macros).
#
# The results (.deb, .changes, .buildinfo, .rpm, the tarball) go to OUTDIR
# (default build/packaging/out); the scratch trees and logs to
# build/packaging/work.  Both are under build/, which git ignores.
#
# Environment: S3WWWD_JOBS (parallel jobs, default 2: the machine is shared),
# DEB_BUILD_OPTIONS (e.g. nocheck to skip the unit tests in the deb build),
# S3WWWD_RPM_NOCHECK=1 (skip %check in the rpm build),
# S3WWWD_PKG_VERSION=X.Y.Z (build that version: the scratch copy gets it in
# configure.ac, a debian/changelog entry and the spec; the tree is not
# touched.  tests/packaging uses it to publish an upgrade).
# Needs: scripts/deps.sh debhelper rpm (and what deps.sh installs anyway).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(dirname "$HERE")
WHAT=${1:-all}
OUT=${2:-$SRCDIR/build/packaging/out}
WORK=$SRCDIR/build/packaging/work
JOBS=${S3WWWD_JOBS:-2}

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

case $WHAT in
deb | rpm | all) ;;
*) die "usage: $0 [deb|rpm|all] [OUTDIR]" ;;
esac

# Run "$@" with its output in a log; on failure show the log's tail.
logged() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		say "failed: $* (full log: $log)"
		return 1
	fi
}

mkdir -p "$WORK" "$OUT"
OUT=$(cd "$OUT" && pwd)
# Two builds in the same tree would trample each other's scratch copies.
exec {lockfd}>"$WORK/.lock"
flock -n "$lockfd" || { say "waiting for another build in $WORK"; flock "$lockfd"; }
LOGS=$WORK/logs
rm -rf "$LOGS" "$WORK/export" "$WORK/deb" "$WORK/rpm"
mkdir -p "$LOGS"

# ---- 1. release tarball ----------------------------------------------------------

say "exporting the source tree"
mkdir -p "$WORK/export"
if git -C "$SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Files deleted in the work tree but still tracked are skipped.
	git -C "$SRCDIR" ls-files -z -co --exclude-standard |
		(cd "$SRCDIR" && while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done) |
		tar -C "$SRCDIR" --null -T - -cf - | tar -C "$WORK/export" -xf -
else
	tar -C "$SRCDIR" --exclude=./build -cf - . | tar -C "$WORK/export" -xf -
fi
# The packaging files come from the exported copy from here on, so that a
# version bump below reaches the packages without touching the tree.
PKGDIR=$WORK/export/packaging

if [ -n "${S3WWWD_PKG_VERSION:-}" ]; then
	bump=$S3WWWD_PKG_VERSION
	[[ $bump =~ ^[0-9]+(\.[0-9]+)+$ ]] || die "S3WWWD_PKG_VERSION must look like 1.2.3, not '$bump'"
	say "bumping the scratch copy to version $bump"
	sed -i "s/^AC_INIT(\[s3wwwd\], \[[^]]*\]/AC_INIT([s3wwwd], [$bump]/" "$WORK/export/configure.ac"
	grep -q "^AC_INIT(\[s3wwwd\], \[$bump\]" "$WORK/export/configure.ac" ||
		die "could not set the version in configure.ac"
	{
		printf 's3wwwd (%s-1) unstable; urgency=medium\n\n' "$bump"
		printf '  * Version %s, built by packaging/build.sh with S3WWWD_PKG_VERSION.\n\n' "$bump"
		printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$PKGDIR/debian/changelog" -S Maintainer)" \
			"$(date -R)"
		cat "$PKGDIR/debian/changelog"
	} >"$PKGDIR/debian/changelog.new"
	mv "$PKGDIR/debian/changelog.new" "$PKGDIR/debian/changelog"
	awk -v v="$bump" -v d="$(LC_ALL=C date '+%a %b %d %Y')" '
		/^Version:/ { sub(/[^[:space:]]+$/, v) }
		{ print }
		/^%changelog$/ {
			print "* " d " s3wwwd maintainers <maintainers@users.noreply.r-seed-8fdee13a.example> - " v "-1"
			print "- Version " v ", built by packaging/build.sh with S3WWWD_PKG_VERSION."
			print ""
		}' "$PKGDIR/rpm/s3wwwd.spec" >"$PKGDIR/rpm/s3wwwd.spec.new"
	mv "$PKGDIR/rpm/s3wwwd.spec.new" "$PKGDIR/rpm/s3wwwd.spec"
fi

say "make dist"
(
	cd "$WORK/export"
	logged "$LOGS/autoreconf.log" autoreconf -fi
	mkdir -p _dist
	cd _dist
	# --disable-unit-tests: `make dist` needs no Check library.
	logged "$LOGS/configure-dist.log" ../configure --disable-unit-tests
	logged "$LOGS/dist.log" make dist
)
tarball=$(find "$WORK/export/_dist" -maxdepth 1 -name 's3wwwd-*.tar.gz' | head -n 1)
[ -n "$tarball" ] || die "make dist produced no s3wwwd-*.tar.gz"
base=$(basename "$tarball" .tar.gz)
VERSION=${base#s3wwwd-}
say "tarball $base.tar.gz (version $VERSION)"
cp "$tarball" "$OUT/"

# The tarball should carry packaging/ (EXTRA_DIST); if it does not yet, the
# files come from this tree so that the packages still build.
add_packaging() {
	local tree=$1
	if [ ! -f "$tree/packaging/systemd/s3wwwd.service" ]; then
		say "note: the tarball has no packaging/ (add it to EXTRA_DIST); copying it in"
		rm -rf "$tree/packaging"
		cp -a "$PKGDIR" "$tree/packaging"
	fi
}

# ---- 2. deb ------------------------------------------------------------------------

build_deb() {
	local debver upver
	debver=$(dpkg-parsechangelog -l "$PKGDIR/debian/changelog" -S Version)
	upver=${debver%-*}
	upver=${upver#*:}
	[ "$upver" = "$VERSION" ] ||
		die "packaging/debian/changelog is at $debver but the tarball is $VERSION: add a changelog entry (dch -v $VERSION-1)"
	say "dpkg-buildpackage ($debver)"
	rm -f "$OUT"/s3wwwd*.deb "$OUT"/s3wwwd*.changes "$OUT"/s3wwwd*.buildinfo
	mkdir -p "$WORK/deb"
	cp "$tarball" "$WORK/deb/s3wwwd_$VERSION.orig.tar.gz"
	tar -C "$WORK/deb" -xzf "$tarball"
	local tree=$WORK/deb/$base
	add_packaging "$tree"
	cp -a "$PKGDIR/debian" "$tree/debian"
	(
		cd "$tree"
		export DEB_BUILD_OPTIONS="parallel=$JOBS ${DEB_BUILD_OPTIONS:-}"
		logged "$LOGS/dpkg-buildpackage.log" dpkg-buildpackage -us -uc -b
	)
	local f
	for f in "$WORK/deb"/*.deb "$WORK/deb"/*.changes "$WORK/deb"/*.buildinfo; do
		[ -e "$f" ] && cp "$f" "$OUT/"
	done
	ls "$OUT"/s3wwwd_"$debver"_*.deb >/dev/null 2>&1 || die "no .deb was produced"
}

# ---- 3. rpm ------------------------------------------------------------------------

build_rpm() {
	local spec=$PKGDIR/rpm/s3wwwd.spec specver
	specver=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
	[ "$specver" = "$VERSION" ] ||
		die "packaging/rpm/s3wwwd.spec is at $specver but the tarball is $VERSION: update Version and %changelog"
	say "rpmbuild ($specver)"
	local top=$WORK/rpm
	rm -f "$OUT"/s3wwwd*.rpm
	mkdir -p "$top"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS}
	cp "$tarball" "$top/SOURCES/"
	cp "$PKGDIR/systemd/s3wwwd.service" "$PKGDIR/systemd/s3wwwd.socket" \
		"$PKGDIR/systemd/s3wwwd.sysusers" "$PKGDIR/systemd/s3wwwd.tmpfiles" \
		"$PKGDIR/s3wwwd.conf" "$PKGDIR/s3wwwd.env" "$top/SOURCES/"
	cp "$spec" "$top/SPECS/"
	local -a defs=(--define "_topdir $top" --define "_smp_mflags -j$JOBS")
	local -a opts=()
	[ "${S3WWWD_RPM_NOCHECK:-0}" = 1 ] && opts+=(--nocheck)
	if [ -f /etc/debian_version ]; then
		# On Debian: BuildRequires name Fedora packages, which dpkg's world
		# does not know (scripts/deps.sh installs the Debian equivalents),
		# and Debian's rpm needs the fix-ups in debian-host.macros.  On an
		# RPM distribution, rpmbuild checks BuildRequires and uses its own
		# macros.
		opts+=(--nodeps)
		defs+=(--load "$PKGDIR/rpm/debian-host.macros")
	fi
	logged "$LOGS/rpmbuild.log" rpmbuild -bb "${opts[@]}" "${defs[@]}" \
		"$top/SPECS/s3wwwd.spec"
	find "$top/RPMS" -name '*.rpm' -exec cp {} "$OUT/" \;
	ls "$OUT"/s3wwwd-"$VERSION"-*.rpm >/dev/null 2>&1 || die "no .rpm was produced"
}

case $WHAT in
deb) build_deb ;;
rpm) build_rpm ;;
all) build_deb; build_rpm ;;
esac

say "done; packages in $OUT:"
find "$OUT" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.rpm' \) -printf '  %f\n' | sort >&2
