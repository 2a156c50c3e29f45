#!/bin/bash
# Chart checks for helm/s3wwwd, offline once the tools are cached:
#
#  - helm lint --strict, for the default values and every set in
#    tests/helm/values/;
#  - helm template of each set, validated by kubeconform -strict against JSON
#    schemas generated from Kubernetes' and the Prometheus Operator's own
#    OpenAPI documents (scripts/tools.sh k8sschemas), and by Kubernetes' own
#    Pod Security admission checks at the "restricted" level (psa-check);
#  - the same for tests/helm/eso-values.yaml (externalSecret.enabled), whose
#    ExternalSecret is validated against a schema made from the External
#    Secrets Operator's own CRD (scripts/tools.sh esoschemas), and that it
#    writes the Secret, with the keys, that the Deployment mounts;
#  - the credentials never appear outside the Secret, and the configuration
#    checksum rolls the pods exactly when the configuration changes;
#  - values.schema.json rejects wrong types, unknown keys and bad values;
#  - s3wwwd -t (S3WWWD_BUILDDIR's, or built here) accepts the s3wwwd.conf
#    rendered from tests/helm/values/site-rules.yaml and, with several sites,
#    from tests/helm/values/sites.yaml;
#  - the helm-unittest suites (helm/s3wwwd/tests);
#  - the chart README documents every value, the schema and values.yaml
#    agree, the packaged chart leaves the test suites out, and appVersion is
#    the version in configure.ac.
#
# Usage: tests/helm/run.sh
# Environment: S3WWWD_KEEP_TMP=1 keeps the temporary directory;
#              S3WWWD_BUILDDIR=build/plain uses that build's s3wwwd instead
#              of building one in the temporary directory.
# Prints PASS/FAIL per check and ends with "N passed, N failed" (the
# helm-unittest tests are counted one by one).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$SRCDIR"

say() { printf 'helm: %s\n' "$*"; }

CHART=helm/s3wwwd
VALUE_SETS=(tests/helm/values/*.yaml)
# The Kubernetes version the schemas are generated for (scripts/tools.d/helm.sh).
KUBE_VERSION=1.34.4

say "dependencies"
bash scripts/deps.sh python3-yaml >/dev/null
HELM=$(bash scripts/tools.sh helm)
KUBECONFORM=$(bash scripts/tools.sh kubeconform)
HELM_PLUGINS=$(bash scripts/tools.sh helmunittest)
SCHEMAS=$(bash scripts/tools.sh k8sschemas)
PSA_CHECK=$(bash scripts/tools.sh psacheck)
ESO_SCHEMAS=$(bash scripts/tools.sh esoschemas)
PY=/usr/bin/python3

TMP=$(mktemp -d /tmp/s3wwwd-helm.XXXXXX)
cleanup() {
	local rc=$?
	if [ "${S3WWWD_KEEP_TMP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Keep Helm away from the user's configuration, repositories and plugins:
# only the helm-unittest plugin built by tools.sh.
export HELM_PLUGINS HELM_CONFIG_HOME="$TMP/helm/config" HELM_CACHE_HOME="$TMP/helm/cache" \
	HELM_DATA_HOME="$TMP/helm/data" KUBECONFIG=/dev/null

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'PASS: %s\n' "$1"; }
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAIL: %s\n' "$1"
	[ $# -lt 2 ] || printf '%s\n' "${@:2}" | sed 's/^/  /' | head -n 40
}
# check NAME CMD...: one check, passing when CMD succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

# template NAME [helm args...]: render the chart into $TMP/NAME.yaml.
template() {
	local name=$1
	shift
	"$HELM" template web "$CHART" --namespace site --kube-version "$KUBE_VERSION" \
		"$@" >"$TMP/$name.yaml"
}

# ---- metadata --------------------------------------------------------------------

version=$(sed -n 's/^AC_INIT(\[s3wwwd\], \[\([^]]*\)\].*/\1/p' configure.ac)
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$CHART/Chart.yaml")
if [ -n "$version" ] && [ "$version" = "$app_version" ]; then
	pass "Chart appVersion $app_version is the version in configure.ac"
else
	fail "Chart appVersion is the version in configure.ac" "appVersion '$app_version', configure.ac '$version'"
fi

# ---- lint, render, validate --------------------------------------------------------

sets=(default)
for f in "${VALUE_SETS[@]}"; do sets+=("$(basename "$f" .yaml)"); done

for set in "${sets[@]}"; do
	args=()
	[ "$set" = default ] || args=(-f "tests/helm/values/$set.yaml")
	check "helm lint --strict ($set values)" \
		"$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" "${args[@]}"
	if ! out=$(template "$set" "${args[@]}" 2>&1); then
		fail "helm template ($set values)" "$out"
		continue
	fi
	pass "helm template ($set values): $(grep -c '^kind:' "$TMP/$set.yaml") objects"
	# No -ignore-missing-schemas: a kind without a schema is an error.
	check "kubeconform -strict, Kubernetes $KUBE_VERSION ($set values)" \
		"$KUBECONFORM" -strict -summary -output text -kubernetes-version "$KUBE_VERSION" \
		-schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$TMP/$set.yaml"
	check "Pod Security Standard \"restricted\" ($set values)" \
		"$PSA_CHECK" -level restricted "$TMP/$set.yaml"
done

# Every kind the chart can render was seen by kubeconform in some set.
kinds=$(cat "$TMP"/*.yaml | sed -n 's/^kind: *//p' | sort -u | tr '\n' ' ')
want="ConfigMap Deployment HorizontalPodAutoscaler Ingress NetworkPolicy Pod PodDisruptionBudget Secret Service ServiceAccount ServiceMonitor "
if [ "$kinds" = "$want" ]; then
	pass "the value sets render every kind: $kinds"
else
	fail "the value sets render every kind" "rendered: $kinds" "expected: $want"
fi

# A schema that is not strict would let anything through: make sure the
# generated schemas reject what they must.
cat >"$TMP/bad.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: x:1
          securityContext: {readOnlyRootFS: true}
EOF
if out=$("$KUBECONFORM" -strict -output text -kubernetes-version "$KUBE_VERSION" \
	-schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$TMP/bad.yaml" 2>&1); then
	fail "kubeconform rejects a misspelt field" "$out"
elif [[ $out == *readOnlyRootFS* ]]; then
	pass "kubeconform rejects a misspelt field (the schemas are strict)"
else
	fail "kubeconform rejects a misspelt field" "$out"
fi

# psa-check must fail a pod that breaks the standard, or its passes mean nothing.
sed -e 's/readOnlyRootFS: true/privileged: true/' "$TMP/bad.yaml" >"$TMP/privileged.yaml"
if out=$("$PSA_CHECK" -level restricted "$TMP/privileged.yaml" 2>&1); then
	fail "psa-check rejects a privileged pod" "$out"
elif [[ $out == *privileged* ]]; then
	pass "psa-check rejects a privileged pod"
else
	fail "psa-check rejects a privileged pod" "$out"
fi

# ---- credentials from a secret manager ----------------------------------------------

# externalSecret.enabled: the ExternalSecret is validated against the schema
# made from the External Secrets Operator's own CRD (scripts/tools.sh
# esoschemas), the other kinds against the Kubernetes schemas as above.  Its
# values are not a set in values/, whose checks know only those schemas.
ESO_VALUES=tests/helm/eso-values.yaml
ESO_LOCATIONS=(
	-schema-location "$ESO_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
	-schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
check "helm lint --strict (external secret values)" \
	"$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" -f "$ESO_VALUES"
if out=$(template eso -f "$ESO_VALUES" 2>&1); then
	pass "helm template (external secret values): $(grep -c '^kind:' "$TMP/eso.yaml") objects"
	check "kubeconform -strict, ExternalSecret against the operator's CRD, Kubernetes $KUBE_VERSION (external secret values)" \
		"$KUBECONFORM" -strict -summary -output text -kubernetes-version "$KUBE_VERSION" \
		"${ESO_LOCATIONS[@]}" "$TMP/eso.yaml"
	check "Pod Security Standard \"restricted\" (external secret values)" \
		"$PSA_CHECK" -level restricted "$TMP/eso.yaml"
	check "the ExternalSecret writes the Secret the Deployment mounts, with the keys it reads" \
		"$PY" - "$TMP/eso.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = [d["kind"] for d in docs]
assert "Secret" not in kinds, "the chart renders a Secret of its own too"
es = [d for d in docs if d["kind"] == "ExternalSecret"]
assert len(es) == 1, "expected one ExternalSecret, got %d" % len(es)
dep = [d for d in docs if d["kind"] == "Deployment"][0]
vols = [v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "credentials"]
assert len(vols) == 1, "the Deployment mounts no credentials volume"
target, secret = es[0]["spec"]["target"]["name"], vols[0]["secret"]["secretName"]
assert target == secret, "ExternalSecret writes %s, the Deployment mounts %s" % (target, secret)
written = sorted(d["secretKey"] for d in es[0]["spec"]["data"])
read = sorted(i["key"] for i in vols[0]["secret"]["items"])
assert written == read, "ExternalSecret writes keys %s, the Deployment reads %s" % (written, read)
conf = [d for d in docs if d["kind"] == "ConfigMap"][0]["data"]["s3wwwd.conf"]
for i in vols[0]["secret"]["items"]:
    assert "/%s\";" % i["path"] in conf, "s3wwwd.conf does not read %s" % i["path"]
EOF
	# The schema is strict: a misspelt field of the ExternalSecret fails.
	sed -e 's/^\( *\)remoteRef:/\1remoteRefs:/' "$TMP/eso.yaml" >"$TMP/eso-bad.yaml"
	if out=$("$KUBECONFORM" -strict -output text -kubernetes-version "$KUBE_VERSION" \
		"${ESO_LOCATIONS[@]}" "$TMP/eso-bad.yaml" 2>&1); then
		fail "kubeconform rejects a misspelt ExternalSecret field" "$out"
	elif [[ $out == *ExternalSecret*remoteRefs* ]]; then
		pass "kubeconform rejects a misspelt ExternalSecret field (the CRD's schema is strict)"
	else
		fail "kubeconform rejects a misspelt ExternalSecret field" "$out"
	fi
else
	fail "helm template (external secret values)" "$out"
fi

# ---- credentials and checksums -------------------------------------------------------

ACCESS=AKIAEXAMPLEACCESSKEY7
SECRET=example-secret-value-0123456789
if template secret --set credentials.create=true \
	--set credentials.accessKey=$ACCESS --set credentials.secretKey=$SECRET 2>"$TMP/err"; then
	check "credentials appear only in the Secret, base64-encoded" \
		"$PY" - "$TMP/secret.yaml" "$ACCESS" "$SECRET" <<'EOF'
import base64, sys, yaml
path, keys = sys.argv[1], sys.argv[2:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
encoded = [base64.b64encode(k.encode()).decode() for k in keys]
secrets = [d for d in docs if d["kind"] == "Secret"]
assert len(secrets) == 1, "expected one Secret, got %d" % len(secrets)
assert sorted(secrets[0]["data"].values()) == sorted(encoded), "Secret data is not the keys"
for d in docs:
    text = yaml.safe_dump(d)
    for k in keys:
        assert k not in text, "%s %s holds a key in plain text" % (d["kind"], d["metadata"]["name"])
    if d["kind"] != "Secret":
        for e in encoded:
            assert e not in text, "%s %s holds an encoded key" % (d["kind"], d["metadata"]["name"])
    for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        assert "env" not in c and "envFrom" not in c, "container %s has environment variables" % c["name"]
EOF
else
	fail "credentials appear only in the Secret" "$(cat "$TMP/err")"
fi

# checksum/config: stable for the same values, different for another bucket.
checksum() {
	"$HELM" template web "$CHART" --kube-version "$KUBE_VERSION" \
		--show-only templates/deployment.yaml "$@" |
		sed -n 's/^ *checksum\/config: *//p'
}
a=$(checksum) b=$(checksum) c=$(checksum --set s3.bucket=other-site)
d=$(checksum --set podAnnotations.x=y)
e=$(checksum --set 'sites[0].hosts[0]=blog.example.com')
f=$(checksum --set 'sites[0].hosts[0]=blog.example.com' --set 'sites[0].bucket=other-site')
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ] && [ "$a" = "$d" ] &&
	[ -n "$e" ] && [ "$e" != "$a" ] && [ "$e" != "$f" ]; then
	pass "checksum/config changes with the configuration and only with it (sites included)"
else
	fail "checksum/config changes with the configuration and only with it (sites included)" \
		"same values: $a / $b; other bucket: $c; pod annotation only: $d;" \
		"a site: $e; the site in another bucket: $f"
fi

# ---- the values schema ------------------------------------------------------------------

# must_reject NAME WHERE [helm args...]: rendering fails on the values
# schema, at the JSON pointer WHERE (or with that message).
must_reject() {
	local name=$1 where=$2 out
	shift 2
	if out=$("$HELM" template web "$CHART" --kube-version "$KUBE_VERSION" "$@" 2>&1); then
		fail "schema rejects $name" "rendered without error"
	elif [[ $out == *"don't meet the specifications of the schema"* && $out == *"$where"* ]]; then
		pass "schema rejects $name"
	else
		fail "schema rejects $name" "not a schema error at $where:" "$out"
	fi
}
must_reject "a string replica count" "at '/replicaCount'" --set-string replicaCount=two
must_reject "an unknown top-level key" "additional properties 'replicas' not allowed" --set replicas=3
must_reject "a misspelt nested key" "additional properties 'endpoit' not allowed" \
	--set s3.endpoit=http://x:9000
must_reject "a string where a boolean belongs" "at '/networkPolicy/enabled'" \
	--set-string networkPolicy.enabled=yes
must_reject "the image tag latest" "at '/image/tag'" --set image.tag=latest
must_reject "an endpoint without a scheme" "at '/s3/endpoint'" --set s3.endpoint=minio:9000
must_reject "a duration without a unit" "at '/server/limits/drainTimeout'" \
	--set-string server.limits.drainTimeout=30
must_reject "an unknown access log format" "at '/server/accessLog'" --set server.accessLog=xml
must_reject "a port out of range" "at '/server/port'" --set server.port=70000
must_reject "an unknown directory redirect mode" "at '/site/directoryRedirect'" \
	--set site.directoryRedirect=sometimes
must_reject "a cache ttl without a unit" "at '/server/cache/ttl'" \
	--set-string server.cache.ttl=10
must_reject "a cache of no memory" "at '/server/cache/memoryMiB'" --set server.cache.memoryMiB=0
must_reject "a control character in a string" "at '/s3/bucketPath'" \
	--set-string "s3.bucketPath=$(printf 'a\tb')"
must_reject "an invalid bucket name" "at '/s3/bucket'" --set s3.bucket=Not_A_Bucket
must_reject "a routing rule protocol other than http(s)" "at '/site/routingRules/0/protocol'" \
	--set 'site.routingRules[0].protocol=ftp'
must_reject "a routing rule code 304" "at '/site/routingRules/0/code'" \
	--set 'site.routingRules[0].code=304'
must_reject "a routing rule that redirects nowhere" "at '/site/routingRules/0'" \
	--set 'site.routingRules[0].keyPrefix=docs/'
must_reject "routing rules with redirectAll" "at '/site'" \
	--set 'site.routingRules[0].host=a.example.org' --set site.redirectAll.host=b.example.org
must_reject "a try suffix without a dot" "at '/site/trySuffixes/0'" --set 'site.trySuffixes[0]=html'
must_reject "a fallback without a document" "at '/site/fallbacks/0'" \
	--set 'site.fallbacks[0].prefix=app/'
must_reject "sites that is not a list" "at '/sites'" --set sites=blog
must_reject "a site without hosts that is not the default" "at '/sites/0'" \
	--set 'sites[0].name=blog'
must_reject "an upper-case site host name" "at '/sites/0/hosts/0'" \
	--set 'sites[0].hosts[0]=Blog.example.com'
must_reject "a site host name with a port" "at '/sites/0/hosts/0'" \
	--set 'sites[0].hosts[0]=blog.example.com:8080'
must_reject "a site host wildcard in the middle" "at '/sites/0/hosts/0'" \
	--set 'sites[0].hosts[0]=blog.*.example.com'
must_reject "a site host name twice in one site" "at '/sites/0/hosts'" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].hosts[1]=a.example.com'
must_reject "a site with more host names than s3wwwd takes (16)" "at '/sites/0/hosts'" \
	--set-json "sites=[{\"hosts\": [$(printf '"h%d.example.com",' {1..16})\"h17.example.com\"]}]"
must_reject "more sites than s3wwwd takes (32)" "at '/sites'" \
	--set-json "sites=[$(printf '{"hosts": ["s%d.example.com"]},' {1..32}){\"hosts\": [\"s33.example.com\"]}]"
must_reject "a site name with a space" "at '/sites/0/name'" \
	--set 'sites[0].name=my blog' --set 'sites[0].hosts[0]=a.example.com'
must_reject "a site name longer than 63 bytes" "at '/sites/0/name'" \
	--set "sites[0].name=$(printf 'n%.0s' {1..64})" --set 'sites[0].hosts[0]=a.example.com'
must_reject "an unknown key in a site" "additional properties 'bukket' not allowed" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].bukket=blog'
must_reject "a site's invalid bucket name" "at '/sites/0/bucket'" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].bucket=Blog_Bucket'
must_reject "a site's endpoint without a scheme" "at '/sites/0/endpoint'" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].endpoint=minio:9000'
must_reject "a site's routing rules with its redirectAll" "at '/sites/0'" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].routingRules[0].host=b.example.org' \
	--set 'sites[0].redirectAll.host=c.example.org'
must_reject "a site's routing rule code 304" "at '/sites/0/routingRules/0/code'" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].routingRules[0].code=304'
must_reject "a site's server-wide cache setting" "additional properties 'memoryMiB' not allowed" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].cache.memoryMiB=10'
must_reject "a site's credentials Secret that is no name" "at '/sites/0/credentialsSecret'" \
	--set 'sites[0].hosts[0]=a.example.com' --set 'sites[0].credentialsSecret=Not_A_Name'
must_reject "an unknown key in a list item" "additional properties 'pathtype' not allowed" \
	--set ingress.enabled=true --set 'ingress.hosts[0].host=a.example.org' \
	--set 'ingress.hosts[0].paths[0].path=/' --set 'ingress.hosts[0].paths[0].pathtype=Prefix'

# ---- the daemon reads what the chart renders -------------------------------------------------

# s3wwwd -t on the s3wwwd.conf of tests/helm/values/site-rules.yaml (every
# site setting: routing rules, headers, clean URLs, fallbacks), and again
# with site.redirectAll in place of the rules.  s3wwwd comes from
# S3WWWD_BUILDDIR, else it is built here out of tree.
find_daemon() {
	local d=${S3WWWD_BUILDDIR:-}
	if [ -n "$d" ] && [ -x "$d/s3wwwd" ]; then
		DAEMON=$(cd "$d" && pwd)/s3wwwd
		return 0
	fi
	say "building s3wwwd (set S3WWWD_BUILDDIR to use an existing build)"
	local src="$TMP/src"
	mkdir -p "$src" "$TMP/build"
	(cd "$SRCDIR" && tar --exclude=./build --exclude=./.git --exclude=./autom4te.cache -cf - .) |
		tar -C "$src" -xf -
	if ! (cd "$src" && autoreconf -fi && cd "$TMP/build" &&
		"$src/configure" --disable-unit-tests && make -j2 s3wwwd) >"$TMP/build.log" 2>&1; then
		tail -n 30 "$TMP/build.log"
		return 1
	fi
	DAEMON="$TMP/build/s3wwwd"
}
# daemon_check NAME [helm args...]: s3wwwd -t accepts the rendered s3wwwd.conf.
daemon_check() {
	local name=$1 out
	shift
	if ! out=$("$HELM" template web "$CHART" --kube-version "$KUBE_VERSION" \
		--show-only templates/configmap.yaml "$@" 2>&1 >"$TMP/conf-$name.yaml"); then
		fail "s3wwwd -t accepts the rendered s3wwwd.conf ($name)" "$out"
		return
	fi
	# The key files the pod would have mounted (s3wwwd -t reads them) are
	# made under $TMP/mounts, and the file names them there.
	"$PY" - "$TMP/conf-$name.yaml" "$TMP/mounts" >"$TMP/$name.conf" <<'EOF'
import os, re, sys, yaml
conf = yaml.safe_load(open(sys.argv[1]))["data"]["s3wwwd.conf"]
mounts = sys.argv[2]
def move(m):
    path = mounts + m.group(2)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write("example-" + os.path.basename(path))
    return '%s = "%s";' % (m.group(1), path)
sys.stdout.write(re.sub(r'\b((?:access_key|secret_key|session_token)_file) = "(/[^"]+)";', move, conf))
EOF
	check "s3wwwd -t accepts the rendered s3wwwd.conf ($name)" "$DAEMON" -t -c "$TMP/$name.conf"
}
if find_daemon >"$TMP/find-daemon.out" 2>&1; then
	cat "$TMP/find-daemon.out"
	daemon_check site-rules -f tests/helm/values/site-rules.yaml
	daemon_check site-redirect-all -f tests/helm/values/site-rules.yaml \
		--set-json 'site.routingRules=[]' --set site.redirectAll.host=www.example.org \
		--set site.redirectAll.protocol=https
	# Several sites, each setting of a site and a default site.
	daemon_check sites -f tests/helm/values/sites.yaml
	daemon_check sites-default -f tests/helm/values/sites.yaml \
		--set 'sites[0].default=true'
	# ... and the daemon reads them: two sites with one host name are refused.
	sed -e 's/hosts = \[ "docs\.example\.com" \];/hosts = [ "blog.example.com" ];/' \
		"$TMP/sites.conf" >"$TMP/bad-sites.conf"
	if ! cmp -s "$TMP/sites.conf" "$TMP/bad-sites.conf" &&
		out=$("$DAEMON" -t -c "$TMP/bad-sites.conf" 2>&1); then
		fail "s3wwwd -t rejects two sites with the same host name" "$out"
	elif [[ ${out:-} == *blog.example.com* ]]; then
		pass "s3wwwd -t rejects two sites with the same host name"
	else
		fail "s3wwwd -t rejects two sites with the same host name" "${out:-the sed found no docs host}"
	fi
	# ... and rejects what it must, or its acceptance means nothing.
	sed -e 's/code = 302;/code = 304;/' "$TMP/site-rules.conf" >"$TMP/bad-rule.conf"
	if out=$("$DAEMON" -t -c "$TMP/bad-rule.conf" 2>&1); then
		fail "s3wwwd -t rejects a routing rule with code 304" "$out"
	elif [[ $out == *"redirect code 304"* ]]; then
		pass "s3wwwd -t rejects a routing rule with code 304"
	else
		fail "s3wwwd -t rejects a routing rule with code 304" "$out"
	fi
	# Only the sites' host names (s3.bucket ""): the daemon, run on the
	# rendered s3wwwd.conf, answers 421 for another host.  Choosing the site
	# needs no S3, so no MinIO here: a known host reaches its site, which
	# then finds no S3 at the endpoint (502).
	daemon_check sites-only -f tests/helm/values/sites.yaml --set s3.bucket= --set 'sites[2].bucket=www' --set 'sites[3].bucket=www'
	free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
	sites_only_421() {
		local port opsport pid code known rc=0
		port=$(free_port) opsport=$(free_port)
		sed -e "s|^listen = \"0.0.0.0:8080\";|listen = \"127.0.0.1:$port\";|" \
			-e "s|^  listen = \"0.0.0.0:9090\";|  listen = \"127.0.0.1:$opsport\";|" \
			-e 's|endpoint = "http://[^"]*";|endpoint = "http://127.0.0.1:9";|' \
			"$TMP/sites-only.conf" >"$TMP/sites-only-run.conf"
		if ! grep -q "127.0.0.1:$port" "$TMP/sites-only-run.conf" ||
			! grep -q "127.0.0.1:$opsport" "$TMP/sites-only-run.conf"; then
			echo "a listen line was not moved"
			return 1
		fi
		"$DAEMON" -c "$TMP/sites-only-run.conf" >"$TMP/sites-only.log" 2>&1 &
		pid=$!
		for _ in $(seq 50); do
			[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$opsport/healthz")" = 200 ] && break
			sleep 0.1
		done
		code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: unknown.example.org' "http://127.0.0.1:$port/")
		known=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: blog.example.com' "http://127.0.0.1:$port/")
		echo "unknown host: $code, blog.example.com: $known"
		[ "$code" = 421 ] && [ "$known" = 502 ] || rc=1
		kill "$pid"
		wait "$pid" || true
		[ "$rc" = 0 ] || tail -n 20 "$TMP/sites-only.log"
		return "$rc"
	}
	check "the daemon on the rendered s3wwwd.conf with s3.bucket \"\" answers 421 for a host no site names" sites_only_421
else
	fail "s3wwwd build" "$(cat "$TMP/find-daemon.out")"
fi

# ---- helm-unittest ------------------------------------------------------------------------

junit="$TMP/unittest.xml"
ut_rc=0
"$HELM" unittest --strict --color=false -o "$junit" -t JUnit "$CHART" >"$TMP/unittest.out" 2>&1 || ut_rc=$?
cat "$TMP/unittest.out"
# Every suite file and every test in it must have run: counted in the files
# ("- it:" entries) and in the report, and they must agree.
if [ -s "$junit" ] && counts=$("$PY" - "$junit" "$CHART/tests" <<'EOF'
import glob, os, re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [s for s in root.iter("testsuite")]
total = failed = 0
for c in root.iter("testcase"):
    total += 1
    if c.find("failure") is not None or c.find("error") is not None:
        failed += 1
files = sorted(glob.glob(os.path.join(sys.argv[2], "*_test.yaml")))
want = sum(len(re.findall(r"^  - it:", open(f).read(), re.M)) for f in files)
print(total - failed, failed, len(suites), len(files), total, want)
EOF
); then
	read -r ut_pass ut_fail ut_suites want_suites ut_total want_total <<<"$counts"
	PASSED=$((PASSED + ut_pass))
	FAILED=$((FAILED + ut_fail))
	say "helm-unittest: $ut_pass passed, $ut_fail failed in $ut_suites suites (exit status $ut_rc)"
	if [ "$ut_suites" -eq "$want_suites" ] && [ "$ut_total" -eq "$want_total" ]; then
		pass "helm-unittest ran all $want_suites suites and all $want_total tests"
	else
		fail "helm-unittest ran $ut_suites of $want_suites suites and $ut_total of $want_total tests"
	fi
	if [ "$ut_rc" -ne 0 ] && [ "$ut_fail" -eq 0 ]; then
		fail "helm-unittest exited with status $ut_rc without a failed test" "$(tail -n 20 "$TMP/unittest.out")"
	fi
else
	fail "helm-unittest produced a report" "$(tail -n 20 "$TMP/unittest.out")"
fi

# ---- documentation and packaging -------------------------------------------------------------

check "README.md documents every value, values.yaml and the schema agree" \
	"$PY" - "$CHART" <<'EOF'
import json, sys, yaml
chart = sys.argv[1]
values = yaml.safe_load(open(chart + "/values.yaml"))
schema = json.load(open(chart + "/values.schema.json"))
readme = open(chart + "/README.md").read()

def leaves(v, prefix=""):
    """Dotted paths of the values; maps whose schema is open are leaves."""
    for k, sub in v.items():
        path = prefix + k
        yield path
        if isinstance(sub, dict) and sub and closed(path):
            yield from leaves(sub, path + ".")

def node(path):
    s = schema
    for part in path.split("."):
        s = s.get("properties", {}).get(part)
        if s is None:
            return None
        if "$ref" in s:
            s = schema["definitions"][s["$ref"].split("/")[-1]]
    return s

def closed(path):
    s = node(path)
    return s is not None and s.get("additionalProperties") is False

problems = []
for path in leaves(values):
    if node(path) is None:
        problems.append("%s is in values.yaml but not in values.schema.json" % path)
    if "`%s`" % path not in readme:
        problems.append("%s is not documented in README.md" % path)
for key in schema["properties"]:
    if key != "global" and key not in values:
        problems.append("%s is in values.schema.json but has no default in values.yaml" % key)
if problems:
    sys.exit("\n".join(problems))
EOF

if "$HELM" package "$CHART" -d "$TMP/pkg" >"$TMP/package.out" 2>&1; then
	tgz=$(ls "$TMP"/pkg/*.tgz)
	# A variable, not a pipe into grep -q: with pipefail, tar's SIGPIPE after
	# an early match would count as a failure.
	listing=$(tar tzf "$tgz")
	if grep -q '^s3wwwd/tests/' <<<"$listing"; then
		fail "helm package leaves the unit tests out" "$(grep '^s3wwwd/tests/' <<<"$listing")"
	elif grep -qx 's3wwwd/templates/tests/test-http.yaml' <<<"$listing"; then
		pass "helm package builds $(basename "$tgz") with the helm test, without the unit tests"
	else
		fail "helm package includes the helm test pod" "$listing"
	fi
else
	fail "helm package" "$(cat "$TMP/package.out")"
fi

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
