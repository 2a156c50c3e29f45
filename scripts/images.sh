#!/bin/bash
# Container images with rootful podman, for the container test
# (tests/container/run.sh), the cluster (scripts/cluster.sh) and its tools.
#
#   scripts/images.sh base          import the Debian bookworm rootfs that
#                                   scripts/tools.sh debianrootfs bootstraps
#                                   as localhost/debian:bookworm-slim (once
#                                   per rootfs); print the name
#   scripts/images.sh s3wwwd [TAG [ARGS...]]
#                                   build s3wwwd's image from the
#                                   Containerfile on that base, with podman
#                                   build's ARGS (a --label, say); print its
#                                   name (default localhost/s3wwwd:VERSION)
#   scripts/images.sh podman ARGS   podman with the options these machines
#                                   need (below)
#
# No registry is reachable where this project is tested, so every image is
# built here from Debian's packages and the project's own sources.  Only the
# image's name goes to stdout; progress and build logs go to stderr.
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_IMAGE=localhost/debian:bookworm-slim
BUILD_DEPS_IMAGE=localhost/s3wwwd-build-deps:cache

say() { printf 'images: %s\n' "$*" >&2; }
die() { printf 'images: error: %s\n' "$*" >&2; exit 1; }

# These machines refuse the resource limits podman and buildah give
# containers by default (1048576 open files and processes): runc then fails
# with "error setting rlimits".  Open files get the host's own hard limit;
# processes 32768 (higher values are refused here even below the host's hard
# limit).  Passed as flags rather than written into
# /etc/containers/containers.conf, so nothing on the machine is changed.
ulimit_opts() {
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] && nofile=1048576
	{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
	printf '%s\n' --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc"
}

# podman with runc (crun is not installed) and, for the commands that start
# containers, the limits above.
run_podman() {
	local -a opts=()
	case ${1:-} in
	build | run | create) mapfile -t opts < <(ulimit_opts) ;;
	esac
	if [ ${#opts[@]} -gt 0 ]; then
		command podman --runtime runc "$1" "${opts[@]}" "${@:2}"
	else
		command podman --runtime runc "$@"
	fi
}

cmd_base() {
	local rootfs rootfs_id have
	rootfs=$(bash "$SRCDIR/scripts/tools.sh" debianrootfs)
	# Re-imported when the cached rootfs changed: its directory name carries
	# a hash of how it was made, kept in a label.
	rootfs_id=$(basename "$(dirname "$rootfs")")
	have=$(run_podman image inspect --format '{{index .Labels "org.s3wwwd.rootfs"}}' "$BASE_IMAGE" 2>/dev/null || true)
	if [ "$have" != "$rootfs_id" ]; then
		say "importing $rootfs as $BASE_IMAGE"
		run_podman import --quiet \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["/bin/bash"]' \
			--change "LABEL org.s3wwwd.rootfs=$rootfs_id" \
			"$rootfs" "$BASE_IMAGE" >/dev/null
	fi
	printf '%s\n' "$BASE_IMAGE"
}

cmd_s3wwwd() {
	local version image log t0=$SECONDS
	version=$(sed -n 's/^AC_INIT(\[s3wwwd\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")
	[ -n "$version" ] || die "cannot read the version from configure.ac"
	image=${1:-localhost/s3wwwd:$version}
	shift $(($# > 0 ? 1 : 0))
	local -a extra=("$@")
	cmd_base >/dev/null
	log=$(mktemp /tmp/s3wwwd-image-build.XXXXXX.log)
	say "building $image (log: $log)"
	build() {
		run_podman build --pull=never --layers --build-arg JOBS=2 \
			-f "$SRCDIR/Containerfile" "$@" "$SRCDIR" >>"$log" 2>&1
	}
	# The toolchain stage gets a name so that it stays cached while the
	# compile layers and images of earlier builds (the sources change all
	# the time) are pruned: only dangling images of this Containerfile's
	# stages (labelled org.s3wwwd.stage), nobody else's.
	if ! build --target build-deps -t "$BUILD_DEPS_IMAGE" || ! build "${extra[@]}" -t "$image"; then
		tail -n 40 "$log" >&2
		die "building $image failed (log: $log)"
	fi
	run_podman image prune -f --filter label=org.s3wwwd.stage >/dev/null 2>&1 || true
	rm -f "$log"
	say "built $image in $((SECONDS - t0))s"
	printf '%s\n' "$image"
}

[ "$(id -u)" -eq 0 ] || die "run as root (rootful podman)"
case ${1:-} in
base) cmd_base ;;
s3wwwd) shift; cmd_s3wwwd "$@" ;;
podman) shift; run_podman "$@" ;;
*)
	echo "usage: $0 {base|s3wwwd [TAG [ARGS...]]|podman ARGS...}" >&2
	exit 2
	;;
esac
