# shellcheck shell=bash
# The External Secrets Operator's schema, for the chart's ExternalSecret
# (sourced by scripts/tools.sh, which provides CACHE, SRCDIR, cached, logged,
# say, die, find_go and, from tools.d/helm.sh, tool_k8sschemas).
#
#   esoschemas  kubeconform schema of ExternalSecret      -> a schema directory,
#               external-secrets.io/v1, converted by         laid out as
#               tests/helm/eso-schemas.py from the CRD       {{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json
#               that the pinned external-secrets Go
#               module ships (no website download)

TOOLS+=(esoschemas)

ESO_MODULE=github.com/external-secrets/external-secrets
ESO_VERSION=v1.3.2
# The CRDs of the kinds the chart renders, inside the module, and the
# versions of them it renders.
ESO_CRDS=(config/crds/bases/external-secrets.io_externalsecrets.yaml)
ESO_CRD_VERSIONS=(v1)
ESO_SCHEMA_GEN="$SRCDIR/tests/helm/eso-schemas.py"

# Set by tool_esoschemas: the k8sschemas directory, whose ConfigMap schema
# carries the ObjectMeta definition that the CRD's metadata is checked against.
ESO_K8S_SCHEMAS=

build_esoschemas() {
	local out=$1 modcache py=/usr/bin/python3 rc=0 eso crd v
	local args=()
	find_go
	[ -x "$py" ] || py=python3
	"$py" -c 'import yaml' 2>/dev/null ||
		{ say "$py has no PyYAML (bash scripts/deps.sh python3-yaml)"; return 1; }
	for v in "${ESO_CRD_VERSIONS[@]}"; do args+=(--version "$v"); done
	# A throw-away module cache: a few YAML files are needed, not the module.
	modcache=$(mktemp -d "$CACHE/.esoschemas-mod.XXXXXX")
	{
		eso=$(GOMODCACHE="$modcache" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
			"$GO" mod download -json "$ESO_MODULE@$ESO_VERSION" |
			"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))') &&
		for crd in "${ESO_CRDS[@]}"; do args+=(--crd "$eso/$crd"); done &&
		"$py" "$ESO_SCHEMA_GEN" --out "$out" \
			--meta-from "$ESO_K8S_SCHEMAS/configmap-v1.json" "${args[@]}"
	} || rc=$?
	# The module cache is read-only by design; let go remove it.
	GOMODCACHE="$modcache" "$GO" clean -modcache >/dev/null 2>&1 || true
	rm -rf "$modcache"
	return "$rc"
}

tool_esoschemas() {
	[ -r "$ESO_SCHEMA_GEN" ] || die "$ESO_SCHEMA_GEN not found"
	ESO_K8S_SCHEMAS=$(tool_k8sschemas)
	local hash
	hash=$( { cat "$ESO_SCHEMA_GEN"; basename "$ESO_K8S_SCHEMAS";
		printf '%s\n' "$ESO_VERSION" "${ESO_CRDS[@]}" "${ESO_CRD_VERSIONS[@]}"; } |
		sha256sum | cut -c1-12)
	cached "eso-schemas-$ESO_VERSION-$hash" build_esoschemas
	printf '%s\n' "$CACHE/eso-schemas-$ESO_VERSION-$hash"
}
