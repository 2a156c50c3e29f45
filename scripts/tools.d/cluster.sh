# shellcheck shell=bash
# What scripts/cluster.sh runs, built from the Go module proxy and the
# project's own sources (sourced by scripts/tools.sh, which provides cached,
# logged, say, die, find_go and go_build_tool).
#
#   kube           Kubernetes v1.34.4 as one multi-call binary  -> its path
#                  (scripts/cluster/kube: kube-apiserver,
#                  kube-controller-manager, kube-scheduler,
#                  kubelet, kube-proxy, kubectl)
#   coredns        CoreDNS v1.15.0 with the plugins the          -> its path
#                  cluster uses (scripts/cluster/coredns)
#   localpath      Rancher's local-path-provisioner              -> its path
#   miniochart     the official MinIO chart as the pinned MinIO  -> its directory
#                  module ships it (helm/minio)
#   clusterimages  the images the cluster runs besides s3wwwd's: -> a docker-archive
#                  pause, CoreDNS, the provisioner, MinIO, mc      tarball
#                  and the Debian base (scripts/cluster/images)
#
# The two modules of the project's own pin every dependency in their go.sum;
# the build reads it (-mod=readonly) and never changes it.

TOOLS+=(kube coredns localpath miniochart clusterimages)

KUBE_VERSION=v1.34.4
LOCALPATH_MODULE=github.com/rancher/local-path-provisioner
LOCALPATH_VERSION=v0.0.30

# src_hash DIR...: a short hash of the files in DIRs, so that a change to the
# sources builds a new cache entry instead of reusing a stale one.
src_hash() {
	(cd "$SRCDIR" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

# go_build_module OUT LOG DIR [LDFLAGS]: build the main package of the module
# in DIR into OUT.  CGO off: static binaries for FROM-scratch images.
go_build_module() {
	local out=$1 log=$2 dir=$3 ldflags=${4:-} t0=$SECONDS
	find_go
	(cd "$dir" && logged "$log" env CGO_ENABLED=0 GOTOOLCHAIN=local \
		GOFLAGS="-trimpath -p=2 -mod=readonly -buildvcs=false" \
		"$GO" build ${ldflags:+-ldflags="$ldflags"} -o "$out" .) || return 1
	say "built $(basename "$out") in $((SECONDS - t0))s"
}

# ---- kube ---------------------------------------------------------------------------

build_kube() {
	local out=$1 ld="-s -w" p
	# Every component reports this version, as a release build does; the
	# MinIO chart's kubeVersion constraint reads it.
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=34 -X $p.gitTreeState=clean"
	done
	say "building Kubernetes $KUBE_VERSION (one binary; about 6 minutes and 1 GB of modules the first time)"
	go_build_module "$out/kube" "$CACHE/.kube-build.log" "$SRCDIR/scripts/cluster/kube" "$ld" || return 1
	"$out/kube" kubectl version --client 2>/dev/null | grep -qF "$KUBE_VERSION" ||
		{ say "built kube does not report $KUBE_VERSION"; return 1; }
}

tool_kube() {
	local name
	name="kube-$KUBE_VERSION-$(src_hash scripts/cluster/kube)"
	cached "$name" build_kube
	printf '%s\n' "$CACHE/$name/kube"
}

# ---- coredns ------------------------------------------------------------------------

build_coredns() {
	say "building CoreDNS (cluster DNS for scripts/cluster.sh)"
	go_build_module "$1/coredns" "$CACHE/.coredns-build.log" "$SRCDIR/scripts/cluster/coredns" "-s -w" || return 1
	"$1/coredns" -plugins 2>/dev/null | grep -qE '^[[:space:]]*kubernetes$' ||
		{ say "built coredns lacks the kubernetes plugin"; return 1; }
}

tool_coredns() {
	local name
	name="coredns-$(src_hash scripts/cluster/coredns)"
	cached "$name" build_coredns
	printf '%s\n' "$CACHE/$name/coredns"
}

# ---- localpath ----------------------------------------------------------------------

build_localpath() {
	find_go
	go_build_tool "$1" "$CACHE/.localpath-build.log" "$LOCALPATH_MODULE@$LOCALPATH_VERSION" "-s -w" || return 1
	"$1/local-path-provisioner" --version >/dev/null 2>&1 ||
		{ say "built local-path-provisioner does not run"; return 1; }
}

tool_localpath() {
	cached "localpath-$LOCALPATH_VERSION" build_localpath
	printf '%s\n' "$CACHE/localpath-$LOCALPATH_VERSION/local-path-provisioner"
}

# ---- miniochart ---------------------------------------------------------------------

# Not cached here: the Go module cache holds it, and `go mod download` of a
# module that is already there only prints where it is.
tool_miniochart() {
	find_go
	local dir
	dir=$(GOFLAGS=-mod=mod GOTOOLCHAIN=local "$GO" mod download -json "$MINIO_MODULE@$MINIO_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -f "$dir/helm/minio/Chart.yaml" ] || die "no MinIO chart in $MINIO_MODULE@$MINIO_VERSION ($dir)"
	printf '%s\n' "$dir/helm/minio"
}

# ---- clusterimages ------------------------------------------------------------------

CLUSTER_IMAGE_PREFIX=localhost/s3wwwd-cluster
CLUSTER_IMAGES=(pause coredns local-path-provisioner minio mc)

# Set by tool_clusterimages before it calls cached: the programs, each
# resolved (and built if needed) outside the builder, whose cleanup trap a
# nested 'cached' would replace.
CI_PROGRAMS=()
CI_BASE=

build_clusterimages() {
	local out=$1 ctx="$1/context" img
	local log="$CACHE/.clusterimages-build.log"
	mkdir -p "$ctx"
	cp "${CI_PROGRAMS[@]}" "$SRCDIR/scripts/cluster/images/minio-entrypoint.sh" "$ctx/"
	# The sandbox process, linked statically for an image with nothing else.
	logged "$log" gcc -O2 -static -Wall -Wextra -Werror \
		-o "$ctx/pause" "$SRCDIR/scripts/cluster/pause.c" || return 1
	local -a names=()
	for img in "${CLUSTER_IMAGES[@]}"; do
		names+=("$CLUSTER_IMAGE_PREFIX/$img:1")
		logged "$log" bash "$SRCDIR/scripts/images.sh" podman build \
			--pull=never --layers --target "$img" --build-arg BASE_IMAGE="$CI_BASE" \
			-t "$CLUSTER_IMAGE_PREFIX/$img:1" -f "$SRCDIR/scripts/cluster/images/Containerfile" "$ctx" ||
			return 1
	done
	# The base goes along: the local-path provisioner's helper pods run it.
	logged "$log" bash "$SRCDIR/scripts/images.sh" podman save -m \
		--format docker-archive -o "$out/images.tar" "${names[@]}" "$CI_BASE" || return 1
	rm -rf "$ctx"
	say "cluster images: $(du -m "$out/images.tar" | cut -f1) MB"
}

tool_clusterimages() {
	CI_PROGRAMS=("$(tool_coredns)" "$(tool_localpath)" "$(tool_minio)" "$(tool_mc)")
	CI_BASE=$(bash "$SRCDIR/scripts/images.sh" base)
	# Rebuilt when a program, the Containerfile, pause or the base changes.
	local key name
	key=$( {
		src_hash scripts/cluster/images scripts/cluster/pause.c
		printf '%s\n' "${CI_PROGRAMS[@]}" "$(tool_debianrootfs)"
	} | sha256sum | cut -c1-12)
	name="clusterimages-$key"
	cached "$name" build_clusterimages
	printf '%s\n' "$CACHE/$name/images.tar"
}
