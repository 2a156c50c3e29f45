#!/bin/bash
# Install the Debian packages that building and testing s3wwwd need.
#
# Idempotent and quiet: when every package is already installed it runs no
# apt command at all (no 'apt-get update'), prints one line and exits 0.
# Otherwise it prints the packages it is about to install and installs them
# without recommends.  Go is not installed from Debian (bookworm ships 1.19,
# too old to build MinIO); the script only checks that a Go >= 1.24 is there.
#
# Usage: scripts/deps.sh            (as root, or with sudo available)
#        S3WWWD_SKIP_GO_CHECK=1 scripts/deps.sh   (no Go needed, e.g. a
#                                    build without the integration tests)
set -euo pipefail

PKGS=(
	# build
	build-essential autoconf automake libtool pkg-config
	libcurl4-openssl-dev libssl-dev libconfig-dev libsystemd-dev
	# unit tests
	check
	# integration tests (scripts/tools.sh builds the venv from Debian's python3)
	python3 python3-venv curl ca-certificates procps iproute2 git
	# memory checking, fuzzing, browser test, load test
	valgrind clang chromium wrk
)
GO_MIN_MAJOR=1
GO_MIN_MINOR=24

say() { printf 'deps.sh: %s\n' "$*"; }
die() { printf 'deps.sh: error: %s\n' "$*" >&2; exit 1; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available"
	SUDO=sudo
fi
command -v dpkg-query >/dev/null 2>&1 || die "this script needs a Debian-based system (dpkg/apt)"

# Print the packages among "$@" that are not installed.
missing_pkgs() {
	local installed
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null \
		| awk '$2 == "installed" { print $1 }') || true
	local p
	for p in "$@"; do
		grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
	done
}

APT_UPDATED=0
install_pkgs() {
	local -a want
	mapfile -t want < <(missing_pkgs "$@")
	[ "${#want[@]}" -eq 0 ] && return 0
	say "installing: ${want[*]}"
	local log
	log=$(mktemp /tmp/s3wwwd-deps.XXXXXX.log)
	export DEBIAN_FRONTEND=noninteractive
	if [ "$APT_UPDATED" -eq 0 ]; then
		if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q >"$log" 2>&1; then
			cat "$log" >&2
			die "apt-get update failed (log: $log)"
		fi
		APT_UPDATED=1
	fi
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		--no-install-recommends "${want[@]}" >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "apt-get install failed (full log: $log)"
	fi
	rm -f "$log"
	INSTALLED_ANY=1
}

INSTALLED_ANY=0
# Extra packages named on the command line (a test area's own needs).
install_pkgs "${PKGS[@]}" "$@"

# clang's libFuzzer and sanitizer runtimes are only a Recommends of clang,
# which --no-install-recommends skips; the package name carries clang's major
# version (libclang-rt-14-dev on Debian 12), so derive it from the clang we have.
if command -v clang >/dev/null 2>&1; then
	clang_major=$(clang -dumpversion | cut -d. -f1)
	rt="libclang-rt-${clang_major}-dev"
	if [ -n "$(missing_pkgs "$rt")" ]; then
		[ "$APT_UPDATED" -eq 0 ] && { $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null 2>&1 || true; APT_UPDATED=1; }
		if apt-cache show "$rt" >/dev/null 2>&1; then
			install_pkgs "$rt"
		else
			say "warning: $rt not available; clang -fsanitize=fuzzer may not link"
		fi
	fi
fi

if [ "$INSTALLED_ANY" -eq 0 ]; then
	say "all ${#PKGS[@]} packages already installed"
fi

# Go: needed to build MinIO for the integration tests (scripts/tools.sh minio).
[ "${S3WWWD_SKIP_GO_CHECK:-0}" = 1 ] && exit 0
GO=$(command -v go 2>/dev/null || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
go_help="Install Go >= $GO_MIN_MAJOR.$GO_MIN_MINOR from https://go.dev/dl/ (Debian 12's golang-go is 1.19, too old to build MinIO) and put it on PATH, or set S3WWWD_SKIP_GO_CHECK=1 if you do not run the integration tests."
[ -n "$GO" ] || die "Go not found. $go_help"
gover=$(GOTOOLCHAIN=local "$GO" env GOVERSION 2>/dev/null || true)   # e.g. go1.26.8
[[ "$gover" =~ ^go([0-9]+)\.([0-9]+) ]] || die "cannot tell the version of $GO ('$gover'). $go_help"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
if [ "$major" -lt "$GO_MIN_MAJOR" ] ||
	{ [ "$major" -eq "$GO_MIN_MAJOR" ] && [ "$minor" -lt "$GO_MIN_MINOR" ]; }; then
	die "$GO is $gover, too old. $go_help"
fi
say "Go OK: $gover ($GO)"
