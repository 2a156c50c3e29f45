#!/bin/bash
# Publish packages as an apt and an rpm repository, signed, the way users
# install and upgrade from them.
#
# Usage: packaging/repo.sh REPO KEYID PACKAGE...
#
#   REPO     the repository's directory (made if missing; publishing again
#            adds the new packages to what is there, so an upgrade is a
#            second call with the newer files)
#   KEYID    the OpenPGP key to sign with, from $GNUPGHOME
#   PACKAGE  .deb and .rpm files
#
# The result:
#   REPO/deb/         pool/ and dists/stable/ (apt-ftparchive), Release signed
#                     as InRelease and Release.gpg
#   REPO/rpm/         the .rpm files and repodata/ (createrepo_c), repomd.xml
#                     signed as repodata/repomd.xml.asc
#   REPO/s3wwwd-archive-keyring.gpg   the public key (binary, for apt's
#                     signed-by=) and REPO/s3wwwd.asc (armored, for rpm/dnf)
#
# Serve REPO with any web server.  Users add it with
#   deb [signed-by=/usr/share/keyrings/s3wwwd-archive-keyring.gpg] https://HOST/deb stable main
# (packaging/README.md has the details, and the .repo file for dnf).
# Needs: apt-utils (apt-ftparchive), createrepo-c, gnupg.
set -euo pipefail

say() { printf 'repo.sh: %s\n' "$*" >&2; }
die() { printf 'repo.sh: error: %s\n' "$*" >&2; exit 1; }

[ $# -ge 3 ] || die "usage: $0 REPO KEYID PACKAGE..."
REPO=$1
KEYID=$2
shift 2
for t in apt-ftparchive createrepo_c gpg; do
	command -v "$t" >/dev/null || die "$t not found (scripts/deps.sh apt-utils createrepo-c gnupg)"
done
mkdir -p "$REPO/deb/pool/main/s/s3wwwd" "$REPO/rpm"
REPO=$(cd "$REPO" && pwd)

for f in "$@"; do
	case $f in
	*.deb) cp "$f" "$REPO/deb/pool/main/s/s3wwwd/" ;;
	*.rpm) cp "$f" "$REPO/rpm/" ;;
	*) die "not a .deb or .rpm: $f" ;;
	esac
done

gpg --batch --yes --export "$KEYID" >"$REPO/s3wwwd-archive-keyring.gpg"
gpg --batch --yes --armor --export "$KEYID" >"$REPO/s3wwwd.asc"
[ -s "$REPO/s3wwwd-archive-keyring.gpg" ] || die "no public key $KEYID in ${GNUPGHOME:-~/.gnupg}"

# ---- apt -------------------------------------------------------------------------

(
	cd "$REPO/deb"
	for arch in $(find pool -name '*.deb' -exec dpkg-deb -f {} Architecture \; | sort -u); do
		dir=dists/stable/main/binary-$arch
		mkdir -p "$dir"
		apt-ftparchive --arch "$arch" packages pool >"$dir/Packages"
		gzip -9nkf "$dir/Packages"
	done
	apt-ftparchive \
		-o APT::FTPArchive::Release::Origin=s3wwwd \
		-o APT::FTPArchive::Release::Label=s3wwwd \
		-o APT::FTPArchive::Release::Suite=stable \
		-o APT::FTPArchive::Release::Codename=stable \
		-o APT::FTPArchive::Release::Components=main \
		-o "APT::FTPArchive::Release::Architectures=$(ls dists/stable/main | sed 's/binary-//' | paste -sd' ')" \
		release dists/stable >dists/stable/Release.new
	mv dists/stable/Release.new dists/stable/Release
	gpg --batch --yes --local-user "$KEYID" --clearsign -o dists/stable/InRelease dists/stable/Release
	gpg --batch --yes --local-user "$KEYID" --armor --detach-sign -o dists/stable/Release.gpg \
		dists/stable/Release
)

# ---- rpm -------------------------------------------------------------------------

createrepo_c --quiet --update "$REPO/rpm" >/dev/null
gpg --batch --yes --local-user "$KEYID" --armor --detach-sign \
	-o "$REPO/rpm/repodata/repomd.xml.asc" "$REPO/rpm/repodata/repomd.xml"

say "published $# package(s) in $REPO (deb: $(find "$REPO/deb/pool" -name '*.deb' | wc -l)," \
	"rpm: $(find "$REPO/rpm" -maxdepth 1 -name '*.rpm' | wc -l))"
