# shellcheck shell=bash
# Tools for the Helm chart and the container image (sourced by scripts/tools.sh,
# which provides CACHE, SRCDIR, cached, logged, say, die and find_go).
#
#   helm          the Helm 3 CLI                         -> path of 'helm'
#   kubeconform   Kubernetes manifest validator          -> path of 'kubeconform'
#   helmunittest  helm-unittest as a Helm plugin         -> a HELM_PLUGINS directory
#   k8sschemas    JSON schemas of the Kubernetes kinds   -> a kubeconform schema directory
#                 the chart renders, generated from the
#                 pinned Kubernetes and prometheus-operator
#                 modules' OpenAPI documents
#   psacheck      Kubernetes' own Pod Security Standard -> path of 'psa-check'
#                 checks (k8s.io/pod-security-admission),
#                 run on rendered manifests (tests/helm/psa)
#   debianrootfs  Debian bookworm, minbase, slimmed      -> path of a rootfs tarball
#                 (mmdebstrap; the container image's base,
#                 imported by tests/container/run.sh)
#
# The Go tools come from the Go module proxy at pinned versions (checked
# against the checksum database by the go command) and are built with the
# local Go: no prebuilt binary is downloaded from anywhere.

TOOLS+=(helm kubeconform helmunittest k8sschemas psacheck debianrootfs)

HELM_MODULE=helm.sh/helm/v3
HELM_VERSION=v3.19.5
KUBECONFORM_MODULE=github.com/yannh/kubeconform
KUBECONFORM_VERSION=v0.7.0
# v1.0.1 is missing from the checksum database, so the go command refuses it;
# v1.0.0 is the newest release that installs with a plain 'go install'.
HELMUNITTEST_MODULE=github.com/helm-unittest/helm-unittest
HELMUNITTEST_VERSION=v1.0.0
# The Kubernetes release whose API the chart is validated against, and the
# prometheus-operator release that defines the ServiceMonitor CRD.
K8S_MODULE=k8s.io/kubernetes
K8S_VERSION=v1.34.4
PROMOP_MODULE=github.com/prometheus-operator/prometheus-operator
PROMOP_VERSION=v0.85.0
# The kinds the chart renders: group/version/Kind ("" group for core).
K8S_KINDS=(
	/v1/ConfigMap /v1/Pod /v1/Secret /v1/Service /v1/ServiceAccount
	apps/v1/Deployment autoscaling/v2/HorizontalPodAutoscaler
	networking.k8s.io/v1/Ingress networking.k8s.io/v1/NetworkPolicy
	policy/v1/PodDisruptionBudget
)
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=http://deb.debian.org/debian
DEBIAN_SECURITY_MIRROR=http://deb.debian.org/debian-security

# go_install DIR MODULE/PKG VERSION LOG: build a Go command into DIR.
go_install() {
	local out=$1 pkg=$2 version=$3 log=$4
	find_go
	say "building $pkg@$version with $GO"
	# GOTOOLCHAIN=local: never fetch another Go toolchain behind our back.
	# -p 2: these machines are shared and have two cores.
	logged "$log" env CGO_ENABLED=0 GOFLAGS="-trimpath -p=2" GOTOOLCHAIN=local \
		GOBIN="$out" "$GO" install "$pkg@$version"
}

# ---- helm ----------------------------------------------------------------------

build_helm() {
	local out=$1
	find_go
	say "building $HELM_MODULE/cmd/helm@$HELM_VERSION with $GO"
	# Helm prints its version from these variables; 'go install' leaves them empty.
	logged "$CACHE/.helm-build.log" env CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$out" \
		GOFLAGS="-trimpath -p=2 -ldflags=-X=helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
		"$GO" install "$HELM_MODULE/cmd/helm@$HELM_VERSION" || return 1
	"$out/helm" version --short >/dev/null 2>&1 || { say "built helm does not run"; return 1; }
}

tool_helm() {
	cached "helm-$HELM_VERSION" build_helm
	printf '%s\n' "$CACHE/helm-$HELM_VERSION/helm"
}

# ---- kubeconform ---------------------------------------------------------------

build_kubeconform() {
	go_install "$1" "$KUBECONFORM_MODULE/cmd/kubeconform" "$KUBECONFORM_VERSION" \
		"$CACHE/.kubeconform-build.log" || return 1
	"$1/kubeconform" -v >/dev/null 2>&1 || { say "built kubeconform does not run"; return 1; }
}

tool_kubeconform() {
	cached "kubeconform-$KUBECONFORM_VERSION" build_kubeconform
	printf '%s\n' "$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform"
}

# ---- helm-unittest ---------------------------------------------------------------

# A plugin directory of our own (the project's plugin.yaml would run its
# install hook, which downloads a release binary): HELM_PLUGINS=<printed
# path> makes the binary available as 'helm unittest'.
build_helmunittest() {
	local out=$1
	mkdir -p "$out/unittest"
	go_install "$out/unittest" "$HELMUNITTEST_MODULE/cmd/helm-unittest" "$HELMUNITTEST_VERSION" \
		"$CACHE/.helmunittest-build.log" || return 1
	cat >"$out/unittest/plugin.yaml" <<-EOF
		name: unittest
		version: "${HELMUNITTEST_VERSION#v}"
		usage: unit tests for Helm charts
		description: helm-unittest $HELMUNITTEST_VERSION, built from the Go module by scripts/tools.sh
		ignoreFlags: false
		command: "\$HELM_PLUGIN_DIR/helm-unittest"
	EOF
	"$out/unittest/helm-unittest" --help >/dev/null 2>&1 ||
		{ say "built helm-unittest does not run"; return 1; }
}

tool_helmunittest() {
	cached "helm-plugins-unittest-$HELMUNITTEST_VERSION" build_helmunittest
	printf '%s\n' "$CACHE/helm-plugins-unittest-$HELMUNITTEST_VERSION"
}

# ---- Kubernetes JSON schemas -----------------------------------------------------

K8S_SCHEMA_GEN="$SRCDIR/tests/helm/k8s-schemas.py"

# The modules are downloaded into a throw-away module cache: only two JSON
# documents of their sources are needed, not 200 MB of Go code kept around.
build_k8sschemas() {
	local out=$1 modcache py=/usr/bin/python3
	find_go
	# Debian's python3 (scripts/deps.sh), not a pyenv shim first on PATH
	# whose interpreter a fresh machine may lack; only the stdlib is needed.
	[ -x "$py" ] || py=python3
	modcache=$(mktemp -d "$CACHE/.k8sschemas-mod.XXXXXX")
	local rc=0 k8s promop
	{
		k8s=$(GOMODCACHE="$modcache" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
			"$GO" mod download -json "$K8S_MODULE@$K8S_VERSION" |
			"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))') &&
		promop=$(GOMODCACHE="$modcache" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
			"$GO" mod download -json "$PROMOP_MODULE@$PROMOP_VERSION" |
			"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))') &&
		"$py" "$K8S_SCHEMA_GEN" --out "$out" \
			--swagger "$k8s/api/openapi-spec/swagger.json" \
			--crd "$promop/jsonnet/prometheus-operator/servicemonitors-crd.json" \
			"${K8S_KINDS[@]}"
	} || rc=$?
	# The module cache is read-only by design; let go remove it.
	GOMODCACHE="$modcache" "$GO" clean -modcache >/dev/null 2>&1 || true
	rm -rf "$modcache"
	return "$rc"
}

tool_k8sschemas() {
	[ -r "$K8S_SCHEMA_GEN" ] || die "$K8S_SCHEMA_GEN not found"
	local hash
	hash=$( { cat "$K8S_SCHEMA_GEN"; printf '%s\n' "${K8S_KINDS[@]}" "$PROMOP_VERSION"; } |
		sha256sum | cut -c1-12)
	local name="k8s-schemas-$K8S_VERSION-$hash"
	cached "$name" build_k8sschemas
	printf '%s\n' "$CACHE/$name"
}

# ---- psa-check -------------------------------------------------------------------

PSACHECK_SRC="$SRCDIR/tests/helm/psa"

# Built from the tree's own module; its go.sum pins every dependency.
build_psacheck() {
	local out=$1
	find_go
	say "building psa-check (tests/helm/psa) with $GO"
	# -mod=readonly: build exactly what go.sum pins; the source tree may be
	# read-only (make distcheck), so nothing is written there.
	logged "$CACHE/.psacheck-build.log" env -C "$PSACHECK_SRC" CGO_ENABLED=0 \
		GOTOOLCHAIN=local GOFLAGS="-trimpath -p=2 -mod=readonly" \
		"$GO" build -o "$out/psa-check" . || return 1
}

tool_psacheck() {
	[ -r "$PSACHECK_SRC/go.mod" ] || die "$PSACHECK_SRC/go.mod not found"
	local hash
	hash=$(cat "$PSACHECK_SRC/go.mod" "$PSACHECK_SRC/go.sum" "$PSACHECK_SRC"/*.go |
		sha256sum | cut -c1-12)
	cached "psa-check-$hash" build_psacheck
	printf '%s\n' "$CACHE/psa-check-$hash/psa-check"
}

# ---- Debian base image rootfs -----------------------------------------------------

# What Debian's official "-slim" images leave out, as dpkg path filters.
# mmdebstrap writes them into the rootfs's dpkg configuration too, so that
# packages installed later in an image build are slimmed the same way.
DEBIAN_SLIM_OPTS=(
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-exclude=/usr/share/lintian/*'
	--aptopt='Acquire::Languages "none"'
)

build_debianrootfs() {
	local out=$1
	command -v mmdebstrap >/dev/null 2>&1 ||
		{ say "mmdebstrap not found (bash scripts/deps.sh mmdebstrap)"; return 1; }
	[ "$(id -u)" -eq 0 ] || { say "building the Debian rootfs needs root"; return 1; }
	say "bootstrapping Debian $DEBIAN_SUITE with mmdebstrap (about 2 minutes)"
	# The merged-usr hook gives the merged /usr layout without the usrmerge
	# package, which would pull Perl (40 MB) into every image.
	logged "$CACHE/.debianrootfs-build.log" mmdebstrap --mode=root --variant=minbase \
		--format=tar --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		"${DEBIAN_SLIM_OPTS[@]}" "$DEBIAN_SUITE" "$out/rootfs.tar" \
		"deb $DEBIAN_MIRROR $DEBIAN_SUITE main" \
		"deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
		"deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main" || return 1
}

tool_debianrootfs() {
	local hash
	hash=$(printf '%s\n' "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR" \
		"${DEBIAN_SLIM_OPTS[@]}" | sha256sum | cut -c1-12)
	local name="debian-$DEBIAN_SUITE-slim-$hash"
	cached "$name" build_debianrootfs
	printf '%s\n' "$CACHE/$name/rootfs.tar"
}
