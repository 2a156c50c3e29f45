# shellcheck shell=bash
# Terraform CLI and the providers terraform/ uses, built from the Go module
# proxy (the only place this project can fetch them from: no
# releases.hashicorp.com, no registry.terraform.io) and pinned by module
# version.  Sourced by scripts/tools.sh, which provides cached/logged/say/die.
#
#   scripts/tools.sh terraform     prints the path of the terraform binary
#   scripts/tools.sh tfproviders   prints the path of a CLI configuration file
#                                  (for TF_CLI_CONFIG_FILE) whose
#                                  provider_installation uses nothing but a
#                                  filesystem mirror holding the three builds
#   scripts/tools.sh mc            prints the path of the MinIO client
#
# Terraform 1.11.4: `terraform test` with mock_provider (new in 1.7), and the
# S3 backend's native lock file (use_lockfile, new in 1.10, generally
# available since 1.11; terraform/environments/backend-minio.hcl and
# tests/terraform/run.sh use it).  It builds with Go 1.26 (about 6
# CPU-minutes, 10-16 minutes on two busy cores).  The providers go through the proxy under pseudo
# versions (their go.mod files lack the /v3 suffix, so their v3.x tags are not
# valid module versions); the proxy only serves the versions listed below.
# Each is labelled in the mirror with the release it is (version/VERSION in
# the module, or the tag on the commit):
#   helm        a4f1c1d8b008 = 3.2.0
#   kubernetes  3a33fb6cc605 = 3.2.1 plus two commits (a grpc security bump
#                              and a CODEOWNERS change)
#   random      f8d869dc98d9 = the v3.9.0 tag
# terraform/versions.tf pins exactly these three versions.

TOOLS+=(terraform tfproviders mc)

TERRAFORM_MODULE=github.com/hashicorp/terraform
TERRAFORM_VERSION=v1.11.4

# name|module@version|version label in the mirror
TF_PROVIDERS=(
	"helm|github.com/hashicorp/terraform-provider-helm@v1.3.3-0.20260629194918-a4f1c1d8b008|3.2.0"
	"kubernetes|github.com/hashicorp/terraform-provider-kubernetes@v1.13.4-0.20260821094251-3a33fb6cc605|3.2.1"
	"random|github.com/terraform-providers/terraform-provider-random@v1.3.2-0.20260513075824-f8d869dc98d9|3.9.0"
)
# The kubernetes provider's go.mod asks for go 1.26.3; GOTOOLCHAIN=local
# below refuses to download a newer toolchain, so say so up front.
TF_GO_MIN=1.26.3

tf_check_go() {
	find_go
	local v
	v=$(GOTOOLCHAIN=local "$GO" env GOVERSION)
	v=${v#go}
	# sort -V puts the smaller first: if that is not TF_GO_MIN, Go is too old.
	if [ "$(printf '%s\n%s\n' "$TF_GO_MIN" "$v" | sort -V | head -n1)" != "$TF_GO_MIN" ]; then
		die "$GO is go$v; the pinned Terraform providers need Go >= $TF_GO_MIN (https://go.dev/dl/)"
	fi
}

# go_build_tool OUTDIR LOG MODULE@VERSION [LDFLAGS]: 'go install' one main
# package.  -trimpath makes the result independent of where the module cache
# is; -p=2 because the machines this runs on have two cores shared with other
# builds.  CGO is off so the binary does not depend on the host's libc.
go_build_tool() {
	local out=$1 log=$2 mod=$3 ldflags=${4:-}
	local t0=$SECONDS
	logged "$log" env CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -p=2 -buildvcs=false" \
		GOBIN="$out" "$GO" install ${ldflags:+-ldflags="$ldflags"} "$mod" || return 1
	say "built ${mod%@*} in $((SECONDS - t0))s"
}

# Since 1.10 Terraform's go.mod replaces its backends (and internal/legacy)
# with directories of the same repository that are modules of their own, so
# `go install module@version` refuses it and the module's zip lacks those
# directories.  The proxy serves each of them at the release's commit (the
# pseudo-version below, whose date and hash are v1.11.4's): lay them into a
# writable copy of the release's module and build that.
TERRAFORM_SUBMODULE_VERSION=v0.0.0-20250409131005-35645b8fca68
TERRAFORM_SUBMODULES=(
	internal/backend/remote-state/azure internal/backend/remote-state/consul
	internal/backend/remote-state/cos internal/backend/remote-state/gcs
	internal/backend/remote-state/kubernetes internal/backend/remote-state/oss
	internal/backend/remote-state/pg internal/backend/remote-state/s3
	internal/legacy
)

# mod_dir MODULE@VERSION: download a module and print its directory in the
# module cache.
mod_dir() {
	GOTOOLCHAIN=local GOFLAGS=-mod=mod "$GO" mod download -json "$1" |
		python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["Dir"]) if d.get("Dir") else sys.exit(d.get("Error", "no Dir"))'
}

build_terraform() {
	local out=$1
	tf_check_go
	say "building terraform $TERRAFORM_VERSION with $GO (about 10 minutes the first time on two cores)"
	local src="$out/.src" dir sub t0=$SECONDS
	dir=$(mod_dir "$TERRAFORM_MODULE@$TERRAFORM_VERSION") || return 1
	mkdir -p "$src"
	cp -R "$dir/." "$src/"
	chmod -R u+w "$src"
	for sub in "${TERRAFORM_SUBMODULES[@]}"; do
		grep -q "=> ./$sub\$" "$src/go.mod" || { say "go.mod of terraform $TERRAFORM_VERSION does not replace $sub"; return 1; }
		dir=$(mod_dir "$TERRAFORM_MODULE/$sub@$TERRAFORM_SUBMODULE_VERSION") || return 1
		rm -rf "${src:?}/$sub"
		mkdir -p "$src/$sub"
		cp -R "$dir/." "$src/$sub/"
		chmod -R u+w "$src/$sub"
	done
	# Go 1.26 no longer knows the godebug setting tlskyber (the Kyber draft
	# key exchange is gone); tlsmlkem=0 turns off its successor, as the
	# release meant for the post-quantum key exchange.
	grep -q '^godebug tlskyber=0$' "$src/go.mod" || { say "go.mod of terraform $TERRAFORM_VERSION changed (godebug)"; return 1; }
	sed -i 's/^godebug tlskyber=0$/godebug tlsmlkem=0/' "$src/go.mod"
	# dev=no: report "1.11.4" like a release build, not "1.11.4-dev".
	logged "$CACHE/.terraform-build.log" env -C "$src" CGO_ENABLED=0 GOTOOLCHAIN=local \
		GOFLAGS="-trimpath -p=2 -buildvcs=false -mod=mod" "$GO" build \
		-ldflags="-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$out/terraform" . || return 1
	rm -rf "$src"
	say "built terraform in $((SECONDS - t0))s"
	"$out/terraform" version >/dev/null 2>&1 || { say "built terraform does not run"; return 1; }
}

tool_terraform() {
	local name="terraform-${TERRAFORM_VERSION#v}"
	cached "$name" build_terraform
	printf '%s\n' "$CACHE/$name/terraform"
}

# The mirror uses Terraform's "unpacked" filesystem-mirror layout:
#   HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION
build_tfproviders() {
	local out=$1
	tf_check_go
	local os arch
	os=$(GOTOOLCHAIN=local "$GO" env GOOS)
	arch=$(GOTOOLCHAIN=local "$GO" env GOARCH)
	local entry name mod ver dir bin
	for entry in "${TF_PROVIDERS[@]}"; do
		IFS='|' read -r name mod ver <<<"$entry"
		say "building terraform-provider-$name $ver (${mod#*@})"
		bin=$(mktemp -d "$out/.bin.XXXXXX")
		# The providers report this version to Terraform, as a release would.
		go_build_tool "$bin" "$CACHE/.tfproviders-build.log" "$mod" \
			"-s -w -X main.Version=$ver -X main.version=$ver" || return 1
		dir="$out/mirror/registry.terraform.io/hashicorp/$name/$ver/${os}_${arch}"
		mkdir -p "$dir"
		mv "$bin/terraform-provider-$name" "$dir/terraform-provider-${name}_v$ver"
		rmdir "$bin"
	done
	# Only the mirror, never the network: 'terraform init' fails rather than
	# reaching for registry.terraform.io if something is missing.
	cat >"$out/terraformrc" <<EOF
# Written by scripts/tools.sh tfproviders.  Use with TF_CLI_CONFIG_FILE.
provider_installation {
  filesystem_mirror {
    path    = "$out/mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
}
disable_checkpoint = true
EOF
}

# ---- mc ------------------------------------------------------------------------
# The MinIO client.  tests/terraform/run.sh runs the MinIO chart's rendered
# provisioning scripts (policies, users, bucket: what the chart's post-install
# job does with the mc image) with it against a real local MinIO.  The proxy
# serves this one pseudo-version of the module (mc has no semver tags).

MC_MODULE=github.com/minio/mc
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9

build_mc() {
	local out=$1
	find_go
	say "building mc ${MC_VERSION##*-} with $GO (a few minutes the first time)"
	go_build_tool "$out" "$CACHE/.mc-build.log" "$MC_MODULE@$MC_VERSION" "-s -w" || return 1
	"$out/mc" --version >/dev/null 2>&1 || { say "built mc does not run"; return 1; }
}

tool_mc() {
	local name="mc-${MC_VERSION##*-}"
	cached "$name" build_mc
	printf '%s\n' "$CACHE/$name/mc"
}

tool_tfproviders() {
	# The directory name carries a hash of the pins, so changing a pin builds
	# a new mirror instead of reusing a stale one.
	local hash name
	hash=$(printf '%s\n' "${TF_PROVIDERS[@]}" | sha256sum | cut -c1-12)
	name="tfproviders-$hash"
	# The CLI config names the mirror by absolute path, so build in place.
	CACHED_IN_PLACE=1 cached "$name" build_tfproviders
	printf '%s\n' "$CACHE/$name/terraformrc"
}
