#!/bin/bash
# Checks of the alerts and the dashboard (monitoring/, helm/s3wwwd/files/):
#
#  1. the chart's files and the repository's copies are identical, and the
#     PrometheusRule renders exactly the file's groups (default values);
#  2. promtool check rules on the file and on the rendered groups;
#     promtool test rules (tests/monitoring/rules_test.yaml: series that fire
#     each alert and series that must not) on both, and a negative control
#     (a changed threshold must fail the tests);
#  3. kubeconform -strict of the rendered PrometheusRule and dashboard
#     ConfigMap, against the Prometheus Operator's CRD (scripts/tools.sh
#     promruleschema) and Kubernetes' own schemas; the helm-unittest suites
#     of the two templates;
#  4. for real, on loopback: MinIO with the site, s3wwwd (2 workers, cache
#     on) serving it under a small load, a reload and a killed worker, and
#     Prometheus (built from the Go module proxy) scraping it with the rules
#     loaded: every expression of the dashboard's panels and every
#     sub-expression of the rules (thresholds removed) returns data, every
#     rule evaluates without error, and S3wwwdWorkerRestarts fires.
#
# Usage: tests/monitoring/run.sh
#        S3WWWD_BUILDDIR=build/plain tests/monitoring/run.sh
#                     (use that build's s3wwwd instead of building one in a
#                     temporary directory)
# Environment: S3WWWD_KEEP_TMP=1 keeps the temporary directory.
# Output: PASS/FAIL per check (the helm-unittest tests counted one by one),
# then "N passed, N failed".  Exit status 0 only if nothing failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
if [ -n "${S3WWWD_BUILDDIR:-}" ] && [ -d "$S3WWWD_BUILDDIR" ]; then
	S3WWWD_BUILDDIR=$(cd "$S3WWWD_BUILDDIR" && pwd)
fi
cd "$SRCDIR"
TOOLS="$SRCDIR/scripts/tools.sh"
CHART=helm/s3wwwd
KUBE_VERSION=1.34.4
RULES=monitoring/s3wwwd-rules.yaml
DASHBOARD=monitoring/s3wwwd-dashboard.json
PY=/usr/bin/python3

say() { printf 'monitoring: %s\n' "$*"; }

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

TMP=$(mktemp -d /tmp/s3wwwd-monitoring.XXXXXX)
# The processes this script starts, stopped by PID on any exit.
PIDS=()
stop_pid() {
	local pid=$1 _
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
FINISHED=0
cleanup() {
	local rc=$? i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
	if [ "${S3WWWD_KEEP_TMP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
	# An error outside the checks (a tool that cannot be built, say) still
	# ends with the summary line.
	if [ "$FINISHED" = 0 ]; then
		printf 'FAIL: run.sh stopped early (status %d)\n' "$rc"
		printf '%d passed, %d failed\n' "$PASSED" "$((FAILED + 1))"
		exit 1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

say "dependencies"
bash scripts/deps.sh python3-yaml >/dev/null
HELM=$(bash "$TOOLS" helm)
KUBECONFORM=$(bash "$TOOLS" kubeconform)
HELM_PLUGINS=$(bash "$TOOLS" helmunittest)
K8S_SCHEMAS=$(bash "$TOOLS" k8sschemas)
PROMRULE_SCHEMA=$(bash "$TOOLS" promruleschema)
PROMTOOL=$(bash "$TOOLS" promtool)
PROMETHEUS=$(bash "$TOOLS" prometheus)
MINIO=$(bash "$TOOLS" minio)
VENV_PY=$(bash "$TOOLS" pyenv)
say "$("$PROMTOOL" --version | head -n 1)"

export HELM_PLUGINS HELM_CONFIG_HOME="$TMP/helm/config" HELM_CACHE_HOME="$TMP/helm/cache" \
	HELM_DATA_HOME="$TMP/helm/data" KUBECONFIG=/dev/null

# ---- 1. one source ----------------------------------------------------------------------

check "$RULES is identical to $CHART/files/s3wwwd-rules.yaml" \
	cmp "$RULES" "$CHART/files/s3wwwd-rules.yaml"
check "$DASHBOARD is identical to $CHART/files/s3wwwd-dashboard.json" \
	cmp "$DASHBOARD" "$CHART/files/s3wwwd-dashboard.json"

render() {
	local out=$1
	shift
	"$HELM" template web "$CHART" --namespace site --kube-version "$KUBE_VERSION" \
		--set monitoring.prometheusRule.enabled=true \
		--set monitoring.grafanaDashboard.enabled=true "$@" >"$out"
}
# groups_of RENDERED OUT: the PrometheusRule's spec as a Prometheus rules file.
groups_of() {
	"$PY" - "$1" "$2" <<-'EOF'
		import sys, yaml
		docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
		rules = [d for d in docs if d["kind"] == "PrometheusRule"]
		assert len(rules) == 1, "expected one PrometheusRule, got %d" % len(rules)
		yaml.safe_dump(rules[0]["spec"], open(sys.argv[2], "w"), sort_keys=False)
	EOF
}
if out=$(render "$TMP/rendered.yaml" 2>&1) && out=$(groups_of "$TMP/rendered.yaml" "$TMP/rendered-rules.yaml" 2>&1); then
	pass "helm template with monitoring enabled: $(grep -c '^kind:' "$TMP/rendered.yaml") objects"
else
	fail "helm template with monitoring enabled" "$out"
fi
check "the PrometheusRule holds exactly the groups of $RULES" "$PY" - "$RULES" "$TMP/rendered-rules.yaml" <<-'EOF'
	import sys, yaml
	a, b = (yaml.safe_load(open(p)) for p in sys.argv[1:])
	assert a == b, "the rendered groups differ from the file's"
	print(len(a["groups"][0]["rules"]), "rules")
EOF
check "the dashboard ConfigMap holds exactly $DASHBOARD" "$PY" - "$DASHBOARD" "$TMP/rendered.yaml" <<-'EOF'
	import json, sys, yaml
	want = open(sys.argv[1]).read()
	docs = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
	cms = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard")]
	assert len(cms) == 1, "expected one dashboard ConfigMap, got %d" % len(cms)
	assert cms[0]["metadata"]["labels"].get("grafana_dashboard") == "1", "no sidecar label"
	assert cms[0]["data"]["s3wwwd.json"] == want, "the ConfigMap's JSON differs from the file"
	json.loads(cms[0]["data"]["s3wwwd.json"])
EOF

# ---- 2. promtool ----------------------------------------------------------------------------

check "promtool check rules $RULES" "$PROMTOOL" check rules "$RULES"
check "promtool check rules (the rendered PrometheusRule's groups)" \
	"$PROMTOOL" check rules "$TMP/rendered-rules.yaml"
check "promtool test rules tests/monitoring/rules_test.yaml" \
	"$PROMTOOL" test rules tests/monitoring/rules_test.yaml
# The same tests on the rendered groups, and on a copy of the rules whose
# thresholds are raised tenfold (a negative control: the tests must fail).
mkdir -p "$TMP/t/a" "$TMP/t/b"
sed 's#^  - \.\./\.\./monitoring/s3wwwd-rules\.yaml$#  - rules.yaml#' tests/monitoring/rules_test.yaml >"$TMP/t/a/test.yaml"
cp "$TMP/t/a/test.yaml" "$TMP/t/b/test.yaml"
cp "$TMP/rendered-rules.yaml" "$TMP/t/a/rules.yaml"
check "promtool test rules on the rendered PrometheusRule's groups" \
	"$PROMTOOL" test rules "$TMP/t/a/test.yaml"
sed -E 's/> (0\.05|1|0)$/> \1e1/; s/> 0\.8 \* 8192$/> 8 * 8192/' "$RULES" >"$TMP/t/b/rules.yaml"
if cmp -s "$RULES" "$TMP/t/b/rules.yaml"; then
	fail "negative control: the thresholds were changed"
elif out=$("$PROMTOOL" test rules "$TMP/t/b/test.yaml" 2>&1); then
	fail "negative control: promtool test rules fails with every threshold raised" "$out"
else
	n=$(grep -c 'alertname: S3wwwd' <<<"$out" || true)
	pass "negative control: with every threshold raised the tests fail ($n failed expectations)"
fi

# ---- 3. Kubernetes schemas and helm-unittest --------------------------------------------------

kube_check() {
	"$KUBECONFORM" -strict -summary -output text -kubernetes-version "$KUBE_VERSION" \
		-schema-location "$K8S_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
		-schema-location "$PROMRULE_SCHEMA/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$@"
}
check "kubeconform -strict of the chart with monitoring enabled" kube_check "$TMP/rendered.yaml"
if out=$(render "$TMP/rendered2.yaml" --set monitoring.prometheusRule.namespace=monitoring \
	--set monitoring.prometheusRule.labels.release=kps --set monitoring.prometheusRule.additionalRuleLabels.team=web \
	--set monitoring.grafanaDashboard.namespace=grafana --set monitoring.grafanaDashboard.annotations.grafana_folder=Sites \
	--set server.workers=4 2>&1); then
	check "kubeconform -strict of the chart with monitoring's namespaces, labels and annotations set" \
		kube_check "$TMP/rendered2.yaml"
else
	fail "helm template with monitoring's namespaces, labels and annotations set" "$out"
fi
# The PrometheusRule schema must be strict, or its passes mean nothing.
sed 's/^    - name: s3wwwd$/    - name: s3wwwd\n      interval_: 1m/' "$TMP/rendered.yaml" >"$TMP/bad.yaml"
if out=$(kube_check "$TMP/bad.yaml" 2>&1); then
	fail "kubeconform rejects a misspelt field in the PrometheusRule" "$out"
elif [[ $out == *interval_* ]]; then
	pass "kubeconform rejects a misspelt field in the PrometheusRule (the CRD schema is strict)"
else
	fail "kubeconform rejects a misspelt field in the PrometheusRule" "$out"
fi

junit="$TMP/unittest.xml"
suites=(tests/prometheusrule_test.yaml tests/dashboard_test.yaml)
ut_rc=0
"$HELM" unittest --strict --color=false -o "$junit" -t JUnit \
	"${suites[@]/#/-f=}" "$CHART" >"$TMP/unittest.out" 2>&1 || ut_rc=$?
cat "$TMP/unittest.out"
if [ -s "$junit" ] && counts=$("$PY" - "$junit" "${suites[@]/#/$CHART/}" <<-'EOF'
	import re, sys, xml.etree.ElementTree as ET
	root = ET.parse(sys.argv[1]).getroot()
	total = failed = 0
	for c in root.iter("testcase"):
	    total += 1
	    if c.find("failure") is not None or c.find("error") is not None:
	        failed += 1
	want = sum(len(re.findall(r"^  - it:", open(f).read(), re.M)) for f in sys.argv[2:])
	print(total - failed, failed, total, want)
	EOF
); then
	read -r ut_pass ut_fail ut_total want_total <<<"$counts"
	PASSED=$((PASSED + ut_pass))
	FAILED=$((FAILED + ut_fail))
	say "helm-unittest: $ut_pass passed, $ut_fail failed (exit status $ut_rc)"
	if [ "$ut_total" -eq "$want_total" ] && [ "$ut_total" -gt 0 ]; then
		pass "helm-unittest ran all $want_total tests of ${suites[*]}"
	else
		fail "helm-unittest ran $ut_total of $want_total tests"
	fi
	if [ "$ut_rc" -ne 0 ] && [ "$ut_fail" -eq 0 ]; then
		fail "helm-unittest exited with status $ut_rc without a failed test" "$(tail -n 20 "$TMP/unittest.out")"
	fi
else
	fail "helm-unittest produced a report" "$(tail -n 20 "$TMP/unittest.out")"
fi

# ---- 4. for real: MinIO, s3wwwd, Prometheus -------------------------------------------------------

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http URL SECONDS: until URL answers 200.
wait_http() {
	local url=$1 _
	for _ in $(seq $(($2 * 5))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}

# s3wwwd: from S3WWWD_BUILDDIR (scripts/test.sh passes build/plain), else
# built here out of tree.
find_daemon() {
	local d=${S3WWWD_BUILDDIR:-}
	if [ -n "$d" ] && [ -x "$d/s3wwwd" ]; then
		DAEMON="$d/s3wwwd"
		return 0
	fi
	say "building s3wwwd (set S3WWWD_BUILDDIR to use an existing build)"
	local src="$TMP/src" t=$SECONDS
	mkdir -p "$src" "$TMP/build"
	(cd "$SRCDIR" && tar --exclude=./build --exclude=./.git --exclude=./autom4te.cache -cf - .) |
		tar -C "$src" -xf -
	if ! (cd "$src" && autoreconf -fi && cd "$TMP/build" &&
		"$src/configure" --disable-unit-tests && make -j2 s3wwwd) >"$TMP/build.log" 2>&1; then
		tail -n 30 "$TMP/build.log" >&2
		return 1
	fi
	say "built in $((SECONDS - t))s"
	DAEMON="$TMP/build/s3wwwd"
}

live() {
	local E="$TMP/live"
	mkdir -p "$E/data" "$E/prom" "$E/keys"
	find_daemon || { fail "live: s3wwwd build"; return; }

	local mport cport sport oport pport pw
	mport=$(free_port) cport=$(free_port) sport=$(free_port) oport=$(free_port) pport=$(free_port)
	pw=$("$PY" -c 'import secrets; print(secrets.token_hex(20))')
	printf 'monitoring-root' >"$E/keys/access"
	printf '%s' "$pw" >"$E/keys/secret"
	chmod -R go-rwx "$E"

	MINIO_ROOT_USER=monitoring-root MINIO_ROOT_PASSWORD="$pw" MINIO_BROWSER=off \
		"$MINIO" server --quiet --address "127.0.0.1:$mport" --console-address "127.0.0.1:$cport" \
		"$E/data" >"$E/minio.log" 2>&1 &
	PIDS+=($!)
	if ! wait_http "http://127.0.0.1:$mport/minio/health/ready" 60; then
		fail "live: MinIO starts" "$(tail -n 20 "$E/minio.log")"
		return
	fi
	check "live: the site is uploaded to a bucket in MinIO" env -i PATH=/usr/bin:/bin \
		"$VENV_PY" - "http://127.0.0.1:$mport" "$pw" "$SRCDIR/site" <<-'EOF'
		import os, sys, boto3
		from botocore.config import Config
		url, pw, site = sys.argv[1:]
		s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="monitoring-root",
		                  aws_secret_access_key=pw, region_name="us-east-1",
		                  config=Config(s3={"addressing_style": "path"}))
		s3.create_bucket(Bucket="site")
		for name in sorted(os.listdir(site)):
		    path = os.path.join(site, name)
		    if os.path.isfile(path):
		        s3.upload_file(path, "site", name)
		        print("uploaded", name)
	EOF

	env -i PATH=/usr/bin:/bin "$DAEMON" -address "127.0.0.1:$sport" -internal-listen "127.0.0.1:$oport" \
		-workers 2 -cache -access-log "" -endpoint "http://127.0.0.1:$mport" -bucket site \
		-accessKeyFile "$E/keys/access" -secretKeyFile "$E/keys/secret" >"$E/s3wwwd.log" 2>&1 &
	local daemon_pid=$!
	PIDS+=("$daemon_pid")
	if ! wait_http "http://127.0.0.1:$oport/readyz" 30; then
		fail "live: s3wwwd starts and is ready" "$(tail -n 20 "$E/s3wwwd.log")"
		return
	fi
	pass "live: s3wwwd starts and is ready (the bucket answers)"

	# Prometheus: scrapes every second, evaluates the rendered rules every second.
	cp "$TMP/rendered-rules.yaml" "$E/prom/rules.yaml"
	cat >"$E/prom/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  scrape_timeout: 1s
		  evaluation_interval: 1s
		rule_files: [rules.yaml]
		scrape_configs:
		  - job_name: s3wwwd
		    static_configs:
		      - targets: ['127.0.0.1:$oport']
	EOF
	"$PROMETHEUS" --config.file="$E/prom/prometheus.yml" --storage.tsdb.path="$E/prom/data" \
		--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$E/prometheus.log" 2>&1 &
	PIDS+=($!)
	local prom="http://127.0.0.1:$pport"
	if ! wait_http "$prom/-/ready" 60; then
		fail "live: Prometheus starts" "$(tail -n 20 "$E/prometheus.log")"
		return
	fi
	pass "live: Prometheus $("$PROMETHEUS" --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p') starts and loads the rules"

	# A small load, bounded in count and time: pages, a missing page, HEAD,
	# and methods that are not allowed.  No 5xx: the rules and the dashboard
	# must give data without one (a status code's series appears only once
	# s3wwwd has sent that code).
	check "live: a small load (20 s) is served" "$PY" - "127.0.0.1" "$sport" <<-'EOF'
		import http.client, sys, time
		host, port = sys.argv[1], int(sys.argv[2])
		seen, end, n = {}, time.monotonic() + 20, 0
		reqs = [("GET", "/"), ("GET", "/s3wwwd.gif"), ("GET", "/no-such-page.html"),
		        ("HEAD", "/"), ("DELETE", "/"), ("BREW", "/")]
		while time.monotonic() < end and n < 20000:
		    for method, path in reqs:
		        c = http.client.HTTPConnection(host, port, timeout=5)
		        c.request(method, path)
		        r = c.getresponse()
		        r.read()
		        c.close()
		        seen[r.status] = seen.get(r.status, 0) + 1
		        n += 1
		    time.sleep(0.02)
		print(n, "requests:", seen)
		assert seen.get(200) and seen.get(404) and seen.get(405), seen
	EOF

	# A worker killed (a child of the daemon this script started), then a reload.
	local worker
	worker=$(pgrep -P "$daemon_pid" | head -n 1 || true)
	if [ -n "$worker" ]; then
		kill -KILL "$worker"
		sleep 2
		kill -HUP "$daemon_pid"
		pass "live: killed worker $worker of s3wwwd $daemon_pid, then sent a reload"
	else
		fail "live: found a worker of s3wwwd $daemon_pid"
	fi
	# More load after the restart, so that rates cover it.
	local i
	for i in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$sport/" || true; done
	sleep 5

	# Every expression of the dashboard and every sub-expression of the rules.
	"$PY" - "$DASHBOARD" "$E/prom/rules.yaml" >"$E/exprs.tsv" <<-'EOF'
		import json, re, sys, yaml
		dash = json.load(open(sys.argv[1]))
		rules = yaml.safe_load(open(sys.argv[2]))

		def subst(e):
		    return (e.replace("$__rate_interval", "1m").replace("$__range", "5m")
		             .replace("$__interval", "15s").replace('=~"$job"', '=~"s3wwwd"'))

		def operands(expr):
		    """Split at top-level and/unless/or and comparisons with a number."""
		    e = " ".join(expr.split())
		    parts, depth, cur, i = [], 0, "", 0
		    while i < len(e):
		        ch = e[i]
		        if ch in "([{":
		            depth += 1
		        elif ch in ")]}":
		            depth -= 1
		        elif ch == '"':
		            j = e.index('"', i + 1)
		            cur += e[i:j + 1]
		            i = j + 1
		            continue
		        if depth == 0:
		            m = re.match(r" (and|unless|or)( on ?\([^)]*\))? ", e[i:])
		            if m:
		                parts.append(cur)
		                cur = ""
		                i += len(m.group(0))
		                continue
		        cur += ch
		        i += 1
		    parts.append(cur)
		    out = []
		    for p in parts:
		        p = re.sub(r"\s*(>|<|==|!=|>=|<=)\s*[0-9.e*\s]+$", "", p.strip())
		        out.append(p)
		    return out

		for p in dash["panels"]:
		    for t in p.get("targets", []):
		        print("dashboard %s [%s]\t%s" % (p["title"], t["refId"], subst(t["expr"])))
		for g in rules["groups"]:
		    for r in g["rules"]:
		        for k, o in enumerate(operands(r["expr"])):
		            print("rule %s (%d)\t%s" % (r["alert"], k + 1, o))
	EOF
	local name expr
	while IFS=$'\t' read -r name expr; do
		check "live: data for $name: $expr" "$PY" - "$prom" "$expr" <<-'EOF'
			import json, sys, urllib.parse, urllib.request
			url, expr = sys.argv[1:]
			q = urllib.parse.urlencode({"query": expr})
			d = json.load(urllib.request.urlopen(url + "/api/v1/query?" + q, timeout=10))
			assert d["status"] == "success", d
			res = d["data"]["result"]
			assert res, "empty result"
			print(res[:3])
		EOF
	done <"$E/exprs.tsv"

	check "live: s3wwwd reports the worker restart and the reload" "$PY" - "$prom" <<-'EOF'
		import json, sys, urllib.parse, urllib.request
		def q(e):
		    u = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": e})
		    r = json.load(urllib.request.urlopen(u, timeout=10))["data"]["result"]
		    return float(r[0]["value"][1]) if r else None
		restarts = q("sum(s3wwwd_worker_restarts_total)")
		reloads = q('sum(s3wwwd_reloads_total{result="ok"})')
		print("restarts", restarts, "reloads ok", reloads)
		assert restarts and restarts >= 1 and reloads and reloads >= 1
	EOF
	check "live: Prometheus evaluates every rule without error, and S3wwwdWorkerRestarts fires" \
		"$PY" - "$prom" "$E/prom/rules.yaml" <<-'EOF'
		import json, sys, time, urllib.request, yaml
		url, path = sys.argv[1:]
		want = {r["alert"] for g in yaml.safe_load(open(path))["groups"] for r in g["rules"]}
		end = time.monotonic() + 30
		while True:
		    d = json.load(urllib.request.urlopen(url + "/api/v1/rules", timeout=10))
		    rules = {r["name"]: r for g in d["data"]["groups"] for r in g["rules"]}
		    bad = {n: r.get("lastError") for n, r in rules.items() if r["health"] != "ok"}
		    firing = {n for n, r in rules.items() if r["state"] == "firing"}
		    if set(rules) == want and not bad and "S3wwwdWorkerRestarts" in firing:
		        break
		    if time.monotonic() > end:
		        sys.exit("rules %s, unhealthy %s, firing %s" % (sorted(rules), bad, sorted(firing)))
		    time.sleep(1)
		print(len(rules), "rules healthy; firing:", sorted(firing))
	EOF
}
live

FINISHED=1
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
