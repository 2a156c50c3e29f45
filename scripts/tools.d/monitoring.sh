# shellcheck shell=bash
# Tools for the monitoring area (tests/monitoring/run.sh; sourced by
# scripts/tools.sh, which provides CACHE, SRCDIR, cached, logged, say, die,
# find_go and, from tools.d/helm.sh, the k8sschemas tool and PROMOP_*).
#
#   prometheus      Prometheus server, built from the Go     -> path of 'prometheus'
#                   module proxy at a pinned version
#   promtool        its rules checker and unit-test runner,  -> path of 'promtool'
#                   from the same build
#   promruleschema  kubeconform schema of the Prometheus     -> a schema directory
#                   Operator's PrometheusRule, converted
#                   from the CRD that the pinned
#                   prometheus-operator module ships
#
# cmd/prometheus is built without the 'builtinassets' tag: the web UI's
# compiled assets are not embedded (the UI pages answer with an error), the
# HTTP API and everything else work.  One build takes about 5 minutes and
# 1.5 GB of module cache the first time (25 minutes here on 2 shared cores).

TOOLS+=(prometheus promtool promruleschema)

PROMETHEUS_MODULE=github.com/prometheus/prometheus
# Prometheus 3.x's Go module versions are v0.3MM.P for release 3.MM.P.
PROMETHEUS_VERSION=v0.316.0

build_prometheus() {
	local out=$1
	find_go
	say "building $PROMETHEUS_MODULE cmd/prometheus and cmd/promtool @$PROMETHEUS_VERSION with $GO (several minutes the first time)"
	# The release they report: v0.316.0 -> 3.16.0.
	local v=${PROMETHEUS_VERSION#v0.}
	v="${v:0:1}.${v:1}"
	# GOTOOLCHAIN=local: never fetch another Go toolchain behind our back.
	# -p 2: these machines are shared and have two cores.
	logged "$CACHE/.prometheus-build.log" env CGO_ENABLED=0 GOFLAGS="-trimpath -p=2" \
		GOTOOLCHAIN=local GOBIN="$out" "$GO" install \
		-ldflags="-s -w -X github.com/prometheus/common/version.Version=$v" \
		"$PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_VERSION" \
		"$PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION" || return 1
	"$out/prometheus" --version >/dev/null 2>&1 || { say "built prometheus does not run"; return 1; }
	"$out/promtool" --version >/dev/null 2>&1 || { say "built promtool does not run"; return 1; }
}

tool_prometheus() {
	cached "prometheus-$PROMETHEUS_VERSION" build_prometheus
	printf '%s\n' "$CACHE/prometheus-$PROMETHEUS_VERSION/prometheus"
}

tool_promtool() {
	cached "prometheus-$PROMETHEUS_VERSION" build_prometheus
	printf '%s\n' "$CACHE/prometheus-$PROMETHEUS_VERSION/promtool"
}

# ---- PrometheusRule schema -------------------------------------------------------

PROMRULE_SCHEMA_GEN="$SRCDIR/tests/monitoring/crd-schema.py"

# Set by tool_promruleschema: the k8sschemas directory, whose ConfigMap schema
# carries the ObjectMeta definition that the CRD's metadata is checked against.
PROMRULE_K8S_SCHEMAS=

build_promruleschema() {
	local out=$1 modcache py=/usr/bin/python3 rc=0 promop
	find_go
	[ -x "$py" ] || py=python3
	# A throw-away module cache: one JSON document is needed, not the module.
	modcache=$(mktemp -d "$CACHE/.promruleschema-mod.XXXXXX")
	{
		promop=$(GOMODCACHE="$modcache" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
			"$GO" mod download -json "$PROMOP_MODULE@$PROMOP_VERSION" |
			"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))') &&
		"$py" "$PROMRULE_SCHEMA_GEN" --out "$out" \
			--meta-from "$PROMRULE_K8S_SCHEMAS/configmap-v1.json" \
			--crd "$promop/jsonnet/prometheus-operator/prometheusrules-crd.json"
	} || rc=$?
	GOMODCACHE="$modcache" "$GO" clean -modcache >/dev/null 2>&1 || true
	rm -rf "$modcache"
	return "$rc"
}

tool_promruleschema() {
	[ -r "$PROMRULE_SCHEMA_GEN" ] || die "$PROMRULE_SCHEMA_GEN not found"
	PROMRULE_K8S_SCHEMAS=$(tool_k8sschemas)
	local hash
	hash=$( { cat "$PROMRULE_SCHEMA_GEN" "$K8S_SCHEMA_GEN"; printf '%s\n' "$PROMOP_VERSION"; } |
		sha256sum | cut -c1-12)
	cached "promrule-schema-$PROMOP_VERSION-$hash" build_promruleschema
	printf '%s\n' "$CACHE/promrule-schema-$PROMOP_VERSION-$hash"
}
