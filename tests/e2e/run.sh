#!/bin/bash
# End to end: `terraform apply` of terraform/ on a real Kubernetes cluster
# (scripts/cluster.sh), with the real helm, kubernetes and random providers
# (no mocks), then using, changing and destroying what it deployed.
#
#   1. cluster up; terraform init and apply: MinIO (the official chart), the
#      seeding Job, s3wwwd (2 replicas) in a namespace that enforces Pod
#      Security "restricted"; the order of the three; `helm test`
#   2. through the s3wwwd Service, from inside the cluster's network: the
#      page, the gif byte for byte, 404, /readyz, /metrics counting it
#   3. least privilege against the MinIO in the cluster (check_access.py of
#      the Terraform tests); no secret value in `terraform show`, in any pod
#      spec or in any ConfigMap
#   4. day two: new site content (the plan changes only the Job and its
#      ConfigMap, nothing restarts), a new s3wwwd image rolled out while a
#      client polls (no failed request), a deleted pod (no failed request),
#      rotated credentials (the new keys in use, the old ones refused)
#   5. terraform destroy leaves nothing of the project; cluster down leaves
#      nothing on the machine
#
# Usage: tests/e2e/run.sh   (as root, with no cluster of scripts/cluster.sh up)
# Output: "ok - ..." / "not ok - ..." lines, then "N passed, N failed".  A
# cluster that cannot start is a failure with its reason, never a skip.
# S3WWWD_E2E_KEEP=1 leaves the cluster and the work directory for a look.

# Most functions run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
TOOLS="$SRCDIR/scripts/tools.sh"
CLUSTER="$SRCDIR/scripts/cluster.sh"
export S3WWWD_CLUSTER_DIR=${S3WWWD_CLUSTER_DIR:-/var/lib/s3wwwd-cluster}
export S3WWWD_CLUSTER_NETNS=${S3WWWD_CLUSTER_NETNS:-s3wwwd-cluster}
STATE=$S3WWWD_CLUSTER_DIR
NS=s3wwwd                         # terraform/'s default namespace
RELEASE=s3wwwd                    # and release names
VERSION=$(sed -n 's/^AC_INIT(\[s3wwwd\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")

PASS=0
FAIL=0
WORK=$(mktemp -d /tmp/s3wwwd-e2e.XXXXXX)
CLUSTER_STARTED=0
POLLER=
FINISHED=0

say() { printf 'e2e: %s\n' "$*" >&2; }
ok() { PASS=$((PASS + 1)); printf 'ok - %s\n' "$*"; }
not_ok() { FAIL=$((FAIL + 1)); printf 'not ok - %s\n' "$*"; }

# check NAME CMD...: one check; its output goes to a log shown on failure.
# It never fails itself (the script goes on to the next check); checked is
# the same, and its status says whether the check passed.
LOGN=0
CHECK_OK=0
check() {
	local name=$1
	shift
	LOGN=$((LOGN + 1))
	local log="$WORK/log.$LOGN"
	if "$@" >"$log" 2>&1; then
		ok "$name"
		CHECK_OK=1
	else
		not_ok "$name"
		sed 's/^/    /' "$log" | tail -n 40
		CHECK_OK=0
	fi
}
checked() { check "$@"; [ "$CHECK_OK" = 1 ]; }

# The summary goes to the original stdout, even when a check's output is
# redirected to its log at the moment the script is stopped.
exec 3>&1
cleanup() {
	local rc=$?
	set +e
	exec 1>&3 2>&3
	[ -z "$POLLER" ] || { kill "$POLLER" 2>/dev/null; wait "$POLLER" 2>/dev/null; }
	if [ "${S3WWWD_E2E_KEEP:-0}" = 1 ]; then
		say "kept the cluster and $WORK"
	else
		[ "$CLUSTER_STARTED" = 0 ] || bash "$CLUSTER" down >"$WORK/down.log" 2>&1 ||
			{ not_ok "cluster down after a failure"; tail -n 20 "$WORK/down.log"; }
		rm -rf "$WORK"
	fi
	if [ "$FINISHED" = 0 ]; then
		printf 'not ok - run.sh stopped early (status %d)\n' "$rc"
		printf '%d passed, %d failed\n' "$PASS" "$((FAIL + 1))"
		exit 1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

finish() {
	FINISHED=1
	say "finished in $((SECONDS - T0))s"
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	exit $((FAIL > 0))
}

[ "$(id -u)" -eq 0 ] || { not_ok "run as root (the cluster needs namespaces, cgroups, mounts)"; finish; }

# ---- tools and the cluster -------------------------------------------------------

T0=$SECONDS
bash "$SRCDIR/scripts/deps.sh" >&2
# The host-wide sysctls the kubelet changes, to compare after down.
SYSCTLS_BEFORE=$(sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops)
TF=$(bash "$TOOLS" terraform)
TF_CLI_CONFIG_FILE=$(bash "$TOOLS" tfproviders)
HELM=$(bash "$TOOLS" helm)
MC=$(bash "$TOOLS" mc)
PY=$(bash "$TOOLS" pyenv)
export TF_CLI_CONFIG_FILE TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_CLI_ARGS
say "tools ready in $((SECONDS - T0))s"

if [ -e "/run/netns/$S3WWWD_CLUSTER_NETNS" ] || [ -d "$STATE" ]; then
	not_ok "a cluster is already up ($STATE): stop it first with scripts/cluster.sh down"
	finish
fi
CLUSTER_STARTED=1
t=$SECONDS
if bash "$CLUSTER" up >"$WORK/up.log" 2>&1; then
	ok "scripts/cluster.sh up: a single-node Kubernetes cluster in $((SECONDS - t))s"
	grep -E 'ready|Ready|up in' "$WORK/up.log" | sed 's/^/    /'
else
	not_ok "scripts/cluster.sh up: the cluster did not start; its last words:"
	tail -n 30 "$WORK/up.log" | sed 's/^/    /'
	finish
fi

in_ns() { nsenter --net="/run/netns/$S3WWWD_CLUSTER_NETNS" -- "$@"; }
kubectl() { in_ns "$STATE/bin/kubectl" --kubeconfig="$STATE/kubeconfig" "$@"; }
helm() { in_ns env KUBECONFIG="$STATE/kubeconfig" "$HELM" "$@"; }
# terraform reaches the API server only from inside the cluster's network.
tf() { in_ns "$TF" "$@"; }

check "cluster.sh status: every component runs, the node is Ready" bash "$CLUSTER" status

# ---- 1: terraform apply ----------------------------------------------------------------

# A private copy of the configuration (the root in terraform/, which calls
# modules/s3wwwd-site; the module refers to ../../../helm), and of the
# site, which step 4 changes.
TREE="$WORK/tree"
mkdir -p "$TREE/terraform" "$WORK/site"
(cd "$SRCDIR/terraform" && tar --exclude=.terraform --exclude=.terraform.lock.hcl \
	--exclude='*.tfstate*' --exclude=terraform.tfvars -cf - .) | tar -C "$TREE/terraform" -xf -
ln -s "$SRCDIR/helm" "$TREE/helm"
cp "$SRCDIR/site/index.html" "$SRCDIR/site/s3wwwd.gif" "$WORK/site/"
# A seeding Job that cannot run fails within minutes, not the default 15.
# The website rules come along: a WebsiteConfiguration document that the
# seeding Job checks and uploads and s3wwwd reads from the bucket, and a
# second site, by host name, that redirects everything elsewhere.
WEBSITE_XML='<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><RoutingRules><RoutingRule>
<Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>
<Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect>
</RoutingRule></RoutingRules></WebsiteConfiguration>'
# What the bucket should hold afterwards, byte for byte (a heredoc ends in a newline).
mkdir -p "$WORK/expected"
cp "$WORK/site/index.html" "$WORK/site/s3wwwd.gif" "$WORK/expected/"
printf '%s\n' "$WEBSITE_XML" >"$WORK/expected/website.xml"
cat >"$WORK/e2e.tfvars" <<EOF
site_dir                     = "$WORK/site"
seed_wait_seconds            = 120
seed_active_deadline_seconds = 240
website_document             = <<XML
$WEBSITE_XML
XML
sites = [{
  name    = "apex"
  hosts   = ["apex.e2e.test"]
  website = { redirect_all = { host = "www.e2e.test", protocol = "https" } }
}]
EOF
cd "$TREE/terraform"
# What the README tells a person: the tfvars cluster.sh wrote, plus ours.
TFVARS=(-var-file="$STATE/terraform.tfvars" -var-file="$WORK/e2e.tfvars")

checked "terraform init (providers from the project's mirror)" tf init -input=false -no-color ||
	finish

# The operations an operator runs through terraform/Makefile, with this
# cluster's programs and tfvars: the first apply, a look, the destroy.
mk() {
	in_ns make -s -C "$TREE/terraform" TERRAFORM="$TF" TF_FLAGS=-no-color \
		KUBECTL="$STATE/bin/kubectl" KUBECTL_ARGS="--kubeconfig=$STATE/kubeconfig" \
		HELM="$HELM" HELM_ARGS="--kubeconfig=$STATE/kubeconfig" \
		TFVARS="$STATE/terraform.tfvars $WORK/e2e.tfvars" "$@"
}

svc_url() { printf 'http://%s/' "$(kubectl -n "$NS" get svc "$RELEASE" -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')"; }

# wait_200 URL SECONDS: until the URL answers 200, from inside the cluster's
# network (where Service addresses are translated by kube-proxy).
wait_200() {
	local t=$((SECONDS + $2))
	until [ "$(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1")" = 200 ]; do
		[ "$SECONDS" -lt "$t" ] || return 1
		sleep 0.2
	done
}

t_apply=$(date +%s.%N)
if checked "terraform apply (make deploy): MinIO, the seeding Job and s3wwwd" \
	mk deploy AUTO_APPROVE=yes; then
	APPLIED=1
	t_done=$(date +%s.%N)
	if URL=$(svc_url) && wait_200 "$URL" 60; then
		ok "$(awk -v a="$t_apply" -v d="$t_done" -v n="$(date +%s.%N)" 'BEGIN {
			printf "first 200 through the Service %.1fs after apply started (apply took %.1fs)", n - a, d - a }')"
	else
		not_ok "the site answers 200 through the Service after apply"
	fi
else
	APPLIED=0
fi
[ "$APPLIED" = 1 ] || finish

releases_deployed() {
	local r
	for r in minio "$RELEASE"; do
		[ "$(helm -n "$NS" status "$r" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["info"]["status"])')" = deployed ] ||
			{ echo "release $r is not deployed"; return 1; }
	done
}
check "helm: the MinIO and s3wwwd releases are deployed" releases_deployed

# job_done COMPONENT: its one Job succeeded, on its first pod (a pod that
# failed or was killed, and then a retry that worked, is a finding too).
job_done() {
	kubectl -n "$NS" get jobs -l app.kubernetes.io/component="$1" \
		-o jsonpath='{range .items[*]}{.metadata.name} succeeded={.status.succeeded} failed={.status.failed}{"\n"}{end}' >"$WORK/jobs"
	cat "$WORK/jobs"
	[ "$(wc -l <"$WORK/jobs")" = 1 ] && grep -q 'succeeded=1 failed=$' "$WORK/jobs"
}
check "the credentials Job succeeded on its first pod" job_done credentials
check "the seeding Job succeeded on its first pod" job_done seed
check "the pruning Job succeeded on its first pod" job_done credentials-prune

order_ok() {
	kubectl -n "$NS" get pods -l app=minio,release=minio -o json >"$WORK/minio-pods.json"
	kubectl -n "$NS" get jobs -l app.kubernetes.io/part-of=s3wwwd -o json >"$WORK/jobs.json"
	kubectl -n "$NS" get deployment "$RELEASE" -o json >"$WORK/deploy.json"
	python3 "$HERE/e2e.py" order "$WORK/minio-pods.json" "$WORK/jobs.json" "$WORK/deploy.json"
}
check "order: MinIO ready, then the credentials Job, the seeding Job, s3wwwd, and the pruning Job once s3wwwd is available" order_ok

replicas_ok() {
	local want=$1 got
	got=$(kubectl -n "$NS" get deployment "$RELEASE" -o jsonpath='{.status.availableReplicas}/{.status.readyReplicas}/{.status.updatedReplicas}')
	echo "available/ready/updated: $got"
	[ "$got" = "$want/$want/$want" ]
}
check "the s3wwwd Deployment is available with 2 replicas" replicas_ok 2

restricted_enforced() {
	local level
	level=$(kubectl get ns "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')
	echo "enforce=$level"
	[ "$level" = restricted ] || return 1
	# Enforced for real: the API server refuses a pod that is not restricted.
	if kubectl -n "$NS" run e2e-privileged --image=localhost/debian:bookworm-slim --restart=Never \
		--dry-run=server --privileged -- true >"$WORK/psa.out" 2>&1; then
		echo "a privileged pod was admitted"
		return 1
	fi
	cat "$WORK/psa.out"
	grep -q 'violates PodSecurity "restricted' "$WORK/psa.out"
}
check "the namespace enforces Pod Security \"restricted\" (a privileged pod is refused)" restricted_enforced

check "helm test of the s3wwwd release passes" helm -n "$NS" test "$RELEASE" --timeout 3m

# make status: what an operator looks at first, all found from the outputs.
status_shows() {
	mk status >"$WORK/status.out" 2>&1 || { cat "$WORK/status.out"; return 1; }
	cat "$WORK/status.out"
	local want
	for want in "== namespace $NS: pods, Jobs, Services, volumes" "== release minio" "== release $RELEASE" \
		"password of s3wwwd-reader set" "of s3wwwd-reader added" "is the only s3wwwd key of s3wwwd-reader" \
		"== the last 20 events"; do
		grep -qF -- "$want" "$WORK/status.out" || { echo "missing: $want"; return 1; }
	done
	[ "$(grep -c '^STATUS: deployed$' "$WORK/status.out")" = 2 ] || { echo "not both releases deployed"; return 1; }
	[ "$(grep -c '^== job ' "$WORK/status.out")" = 3 ] || { echo "not the three Jobs"; return 1; }
}
check "make status: pods, both releases deployed, the three Jobs' logs, events" status_shows

# ---- 2: through the Service ----------------------------------------------------------

URL=$(svc_url)
# server_pods FIELD...: name, image, IP, ... of each s3wwwd pod that runs
# and is not being deleted; a pod that finished (an old one after a
# rollout) or is draining is no longer one of them.
server_pods() {
	kubectl -n "$NS" get pods -l app.kubernetes.io/instance="$RELEASE",app.kubernetes.io/component=server -o json |
		python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    if p["status"].get("phase") == "Running" and "deletionTimestamp" not in p["metadata"]:
        f = {"name": p["metadata"]["name"], "ip": p["status"].get("podIP", ""),
             "image": p["spec"]["containers"][0]["image"]}
        print(" ".join(f[k] for k in sys.argv[1:]))' "$@"
}
pod_ips() { server_pods ip; }
metrics_urls() { pod_ips | sed 's|.*|http://&:9090/metrics|'; }
requests_now() { mapfile -t u < <(metrics_urls); in_ns python3 "$HERE/e2e.py" requests "${u[@]}"; }

get_same() {
	in_ns curl -sS -o "$WORK/body" -w '%{http_code}\n' "$1" | grep -qx 200 &&
		cmp "$WORK/body" "$2"
}
status_is() {
	local code
	code=$(in_ns curl -s -o /dev/null -w '%{http_code}' "$2")
	echo "HTTP $code for $2"
	[ "$code" = "$1" ]
}

before=$(requests_now || echo '{}')
check "GET / through the Service is the demo page ($URL)" get_same "$URL" "$SRCDIR/site/index.html"
check "GET /s3wwwd.gif is byte-identical to site/s3wwwd.gif" get_same "${URL}s3wwwd.gif" "$SRCDIR/site/s3wwwd.gif"
check "GET of a missing path is 404" status_is 404 "${URL}no-such-page"
for _ in 1 2 3 4 5 6 7; do in_ns curl -s -o /dev/null "${URL}no-such-page"; done
readyz_ok() {
	local ip
	for ip in $(pod_ips); do status_is 200 "http://$ip:9090/readyz" || return 1; done
}
check "/readyz is 200 on every s3wwwd pod" readyz_ok
counted() {
	local after
	after=$(requests_now)
	echo "before: $before"
	echo "after:  $after"
	python3 - "$before" "$after" <<-'EOF'
		import json, sys
		b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
		d = lambda k: a.get(k, 0) - b.get(k, 0)
		# 2 GETs with 200 above (the Service picks the pod; the sum is over
		# both), 8 with 404.
		sys.exit(not (d("GET 200") >= 2 and d("GET 404") == 8))
	EOF
}
check "/metrics of the pods counts those requests (GET 200 and exactly 8 GET 404)" counted

# redirect HOST PATH: the status and Location s3wwwd answers for that Host.
redirect() {
	in_ns curl -s -o /dev/null -H "Host: $1" -w '%{http_code} %{redirect_url}\n' "${URL}${2#/}"
}
redirect_is() {
	local got
	got=$(redirect "$1" "$2")
	echo "Host $1, $2: $got (want $3)"
	[ "$got" = "$3" ]
}
check "the website document the Job uploaded applies: /docs/a is 301 to /documents/a" \
	redirect_is "$RELEASE.$NS.svc" /docs/a "301 ${URL}documents/a"
check "the second site, by host name, redirects every request to https://www.e2e.test" \
	redirect_is apex.e2e.test "/x?y=1" "301 https://www.e2e.test/x?y=1"
site_counted() {
	local u
	for u in $(metrics_urls); do
		in_ns curl -s "$u" | grep -q '^s3wwwd_site_requests_total{site="apex",code="3xx"} [1-9]' &&
			return 0
	done
	return 1
}
check "/metrics counts the second site's requests under site=\"apex\"" site_counted

# ---- 3: least privilege, secrets ----------------------------------------------------

secret() { kubectl -n "$NS" get secret "$1" -o jsonpath="{.data.$2}" | base64 -d; }
ROOT_PW=$(secret minio-root-credentials rootPassword)
READER_PW=$(secret "$RELEASE-reader-credentials" secretKey)
WRITER_PW=$(secret "$RELEASE-seed-credentials" secretKey)
MINIO_URL="http://$(kubectl -n "$NS" get svc minio -o jsonpath='{.spec.clusterIP}'):9000"

# The other bucket with a secret in it and the control user that
# check_access.py expects, made with the root user.
GETONLY_PW=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
access_setup() {
	local m=(in_ns "$MC" --config-dir "$WORK/mc")
	cat >"$WORK/getonly.json" <<-EOF
		{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
		 "Resource": ["arn:aws:s3:::s3wwwd-site/*"]}]}
	EOF
	"${m[@]}" alias set e2e "$MINIO_URL" minio-root "$ROOT_PW" &&
		"${m[@]}" mb -q e2e/other-bucket &&
		echo secret | "${m[@]}" pipe -q e2e/other-bucket/secret.txt &&
		"${m[@]}" admin policy create e2e getonly-test "$WORK/getonly.json" &&
		"${m[@]}" admin user add e2e getonly "$GETONLY_PW" &&
		"${m[@]}" admin policy attach e2e getonly-test --user getonly
}
if checked "mc: a second bucket and a GetObject-only control user in the cluster's MinIO" access_setup; then
	python3 - "$WORK/setup.json" "$MINIO_URL" "$ROOT_PW" "$READER_PW" "$WRITER_PW" "$GETONLY_PW" "$WORK/expected" <<-'EOF'
		import json, sys
		path, url, root, reader, writer, getonly, site = sys.argv[1:]
		json.dump({"endpoint": url, "bucket": "s3wwwd-site", "other_bucket": "other-bucket",
		           "site_dir": site, "site_files": ["index.html", "s3wwwd.gif", "website.xml"],
		           "root": ["minio-root", root], "reader": ["s3wwwd-reader", reader],
		           "writer": ["s3wwwd-seed", writer], "getonly": ["getonly", getonly]},
		          open(path, "w"))
	EOF
	# Every line counts, and so does the script's own exit status.
	rc=0
	in_ns env PYTHONDONTWRITEBYTECODE=1 "$PY" "$SRCDIR/tests/terraform/check_access.py" \
		"$WORK/setup.json" >"$WORK/access.out" 2>&1 || rc=$?
	n=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "least privilege: ${line#ok - }"; n=$((n + 1)) ;;
		"not ok - "*) not_ok "least privilege: ${line#not ok - }"; n=$((n + 1)) ;;
		*) printf '    %s\n' "$line" ;;
		esac
	done <"$WORK/access.out"
	# A crash after some checks, or too few checks, is a failure of its own.
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$WORK/access.out"; then
		not_ok "check_access.py exited with status $rc"
	fi
	[ "$n" -ge 20 ] || not_ok "check_access.py ran $n checks, fewer than its 20"
fi

no_secret_in() {
	local what=$1 file=$2 pw
	[ -s "$file" ] || { echo "nothing to look at in $file"; return 1; }
	for pw in "$ROOT_PW" "$READER_PW" "$WRITER_PW"; do
		[ "${#pw}" -ge 20 ] || { echo "a password read from its Secret is too short: ${#pw}"; return 1; }
		if grep -qF -- "$pw" "$file"; then
			echo "a secret value appears in $what"
			return 1
		fi
	done
	echo "$(wc -c <"$file") bytes of $what, none of the 3 passwords"
}
tf show -no-color >"$WORK/show.txt"
check "no secret value in terraform show" no_secret_in "terraform show" "$WORK/show.txt"
kubectl get pods,deployments,replicasets,statefulsets,jobs -A -o json >"$WORK/specs.json"
check "no secret value in any pod, Deployment, ReplicaSet, StatefulSet or Job spec" \
	no_secret_in "the workload specs" "$WORK/specs.json"
kubectl get configmaps -A -o json >"$WORK/configmaps.json"
check "no secret value in any ConfigMap" no_secret_in "the ConfigMaps" "$WORK/configmaps.json"

# ---- 4: day two -----------------------------------------------------------------------

# What must not restart: the pods (uid and restart count) and the releases.
snapshot() {
	kubectl -n "$NS" get pods -l 'app.kubernetes.io/component!=seed' \
		-o jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.name} {.metadata.uid} {.status.containerStatuses[*].restartCount}{"\n"}{end}' | sort
	helm -n "$NS" list -o json | python3 -c 'import json,sys; [print(r["name"], "revision", r["revision"]) for r in json.load(sys.stdin)]'
}

# New content: the plan touches only the seeding Job and its ConfigMap.
sed -i 's|</body>|<p id="e2e">content changed by the end-to-end test</p>\n</body>|' "$WORK/site/index.html"
grep -q 'id="e2e"' "$WORK/site/index.html"
before_snap=$(snapshot)
plan_only_job() {
	local rc=0
	tf plan -input=false -no-color -detailed-exitcode -out="$WORK/content.plan" "${TFVARS[@]}" || rc=$?
	[ "$rc" = 2 ] || { echo "plan exit status $rc, want 2 (changes)"; return 1; }
	tf show -json "$WORK/content.plan" >"$WORK/content.plan.json"
	python3 "$HERE/e2e.py" plan "$WORK/content.plan.json" | tee "$WORK/changes"
	[ "$(awk '{print $1}' "$WORK/changes" | sort | tr '\n' ' ')" = "module.site.kubernetes_config_map_v1.site module.site.kubernetes_job_v1.seed " ]
}
if checked "new content: the plan changes only the seeding Job and its ConfigMap" plan_only_job; then
	check "apply of the content plan" tf apply -input=false -no-color "$WORK/content.plan"
else
	check "apply of the new content" tf apply -auto-approve -input=false -no-color "${TFVARS[@]}"
fi
check "the new content is served" get_same "$URL" "$WORK/site/index.html"
same_snapshot() {
	local now
	now=$(snapshot)
	diff <(echo "$before_snap") <(echo "$now") && echo "$now"
}
check "nothing else restarted: MinIO and s3wwwd pods and release revisions unchanged" same_snapshot

# start_poller NAME: a client in the cluster's network polling the site.
# Not through in_ns: $! must be the poller itself (nsenter execs it), which
# the stop signal has to reach.
start_poller() {
	nsenter --net="/run/netns/$S3WWWD_CLUSTER_NETNS" -- python3 "$HERE/e2e.py" poll "$URL" "$WORK/poll-$1.json" &
	POLLER=$!
	sleep 1
}
# stop_poller NAME: stop it; pass if it saw no failure in a fair number.
stop_poller() {
	kill -TERM "$POLLER"
	wait "$POLLER" || true
	POLLER=
	python3 "$HERE/e2e.py" report "$WORK/poll-$1.json" 0
}
# polled NAME: what the poller saw, for the record.
polled() { python3 "$HERE/e2e.py" report "$WORK/poll-$1.json" 1000000 | sed -n 1p | sed 's/^/    /'; }

# A new image, rolled out under load.
NEW_TAG="$VERSION-e2e"
image_ok() {
	bash "$SRCDIR/scripts/images.sh" s3wwwd "localhost/s3wwwd:$NEW_TAG" --label org.s3wwwd.e2e=rollout &&
		bash "$CLUSTER" load "localhost/s3wwwd:$NEW_TAG"
}
if checked "a new s3wwwd image, built locally and loaded ($NEW_TAG)" image_ok; then
	TFVARS+=(-var "s3wwwd_image={repository=\"localhost/s3wwwd\",tag=\"$NEW_TAG\",pull_policy=\"IfNotPresent\"}")
	start_poller rollout
	check "apply of the new image" tf apply -auto-approve -input=false -no-color "${TFVARS[@]}"
	# The old pods finish their requests (preStop, then the drain) and go.
	new_image_everywhere() {
		local images t=$((SECONDS + 90))
		while :; do
			# All pods here, draining ones too: the old ones must be gone.
			images=$(kubectl -n "$NS" get pods -l app.kubernetes.io/component=server \
				--field-selector=status.phase!=Succeeded \
				-o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort | uniq -c)
			[ "$(echo "$images" | awk '{print $1, $2}')" = "2 localhost/s3wwwd:$NEW_TAG" ] && break
			[ "$SECONDS" -lt "$t" ] || { echo "$images"; return 1; }
			sleep 1
		done
		echo "$images"
		replicas_ok 2
	}
	check "both pods run the new image, the old ones are gone" new_image_everywhere
	sleep 1
	check "rollout of the new image: no failed request while a client polled" stop_poller rollout
	polled rollout
fi

# One pod deleted: the site keeps answering and the Deployment heals.
victim=$(server_pods name | sed -n 1p) # sed reads all: head would break the pipe under pipefail
start_poller delete
kubectl -n "$NS" delete pod "$victim" --wait=true >/dev/null
healed() {
	local t=$((SECONDS + 90))
	until replicas_ok 2 && ! kubectl -n "$NS" get pod "$victim" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$t" ] || return 1
		sleep 1
	done
}
check "a deleted s3wwwd pod is replaced (2 available again)" healed
sleep 2
check "a deleted s3wwwd pod: no failed request while a client polled" stop_poller delete
polled delete

# Rotation: new reader keys through Terraform.  s3wwwd's key is a service
# account of the reader; the new one is added next to the old one, the pods
# roll onto it, and only then is the old one removed: a client polling
# throughout sees no failed request.
OLD_READER_PW=$READER_PW
OLD_KEY=$(secret "$RELEASE-reader-key" accessKey)
start_poller rotate
t_rot=$SECONDS
check "rotation: terraform apply -replace=module.site.random_password.reader" \
	tf apply -auto-approve -input=false -no-color -replace=module.site.random_password.reader "${TFVARS[@]}"
READER_PW=$(secret "$RELEASE-reader-credentials" secretKey)
NEW_KEY=$(secret "$RELEASE-reader-key" accessKey)
new_keys_in_use() {
	[ "$READER_PW" != "$OLD_READER_PW" ] || { echo "the Secret did not change"; return 1; }
	[ "$NEW_KEY" != "$OLD_KEY" ] || { echo "the key did not change: $NEW_KEY"; return 1; }
	[ "$NEW_KEY" = "$(tf output -raw reader_key_id)" ] || { echo "the Secret's key is not the output's"; return 1; }
	[ "$(secret "$RELEASE-reader-key" secretKey)" = "$READER_PW" ] || { echo "the key's secret is not the password"; return 1; }
	local p
	for p in $(server_pods name); do
		if [ "$(kubectl -n "$NS" exec "$p" -- cat /var/run/secrets/s3wwwd/access_key)" != "$NEW_KEY" ] ||
			[ "$(kubectl -n "$NS" exec "$p" -- cat /var/run/secrets/s3wwwd/secret_key)" != "$READER_PW" ]; then
			echo "$p has not got the new key"
			return 1
		fi
	done
	replicas_ok 2 && wait_200 "$URL" 30 && readyz_ok
}
if checked "rotation: every s3wwwd pod has the new key ($OLD_KEY -> $NEW_KEY) and the site answers" new_keys_in_use; then
	ok "rotation: the new keys were in use $((SECONDS - t_rot))s after the apply started"
fi
sleep 1
check "rotation: no failed request while a client polled" stop_poller rotate
polled rotate
# The new Jobs (the names the outputs give), each alone of its kind now.
rotation_jobs_done() {
	job_done credentials && grep -q "^$(tf output -raw credentials_job_name) " "$WORK/jobs" &&
		job_done credentials-prune && grep -q "^$(tf output -raw credentials_prune_job_name) " "$WORK/jobs"
}
check "rotation: the credentials Job and the pruning Job both succeeded, each on its first pod" rotation_jobs_done
old_key_refused() {
	python3 - "$WORK/setup.json" "$OLD_KEY" "$OLD_READER_PW" "$NEW_KEY" "$READER_PW" >"$WORK/rot.json" <<-'EOF'
		import json, sys
		s = json.load(open(sys.argv[1]))
		s["old"], s["new"] = sys.argv[2:4], sys.argv[4:6]
		s["parent_old"] = ["s3wwwd-reader", sys.argv[3]]
		json.dump(s, sys.stdout)
	EOF
	in_ns env PYTHONDONTWRITEBYTECODE=1 "$PY" - "$WORK/rot.json" <<-'EOF'
		import json, sys
		import boto3
		from botocore.config import Config
		from botocore.exceptions import ClientError
		s = json.load(open(sys.argv[1]))
		def get(keys):
		    c = boto3.client("s3", endpoint_url=s["endpoint"], region_name="us-east-1",
		                     aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
		                     config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
		    try:
		        c.get_object(Bucket=s["bucket"], Key="index.html")["Body"].read()
		        return 200
		    except ClientError as e:
		        return e.response["Error"]["Code"]
		old, new, parent = get(s["old"]), get(s["new"]), get(s["parent_old"])
		print("old key:", old, "new key:", new, "the reader's old password:", parent)
		sys.exit(not (old == "InvalidAccessKeyId" and new == 200 and parent == "SignatureDoesNotMatch"))
	EOF
}
check "rotation: MinIO refuses the old key and the reader's old password, and accepts the new key" old_key_refused
one_key_left() {
	local keys
	keys=$(in_ns "$MC" --config-dir "$WORK/mc" admin user svcacct ls e2e s3wwwd-reader --json |
		python3 -c 'import json, sys; print(" ".join(sorted(json.loads(l)["accessKey"] for l in sys.stdin)))')
	echo "the reader's keys: $keys"
	[ "$keys" = "$NEW_KEY" ]
}
check "rotation: the reader has one key left, the new one" one_key_left

# ---- 5: destroy -------------------------------------------------------------------------

check "terraform destroy (make cleanup)" mk cleanup AUTO_APPROVE=yes
nothing_left() {
	local left
	left=$(helm list -A -q)
	[ -z "$left" ] || { echo "releases left: $left"; return 1; }
	if kubectl get namespace "$NS" >/dev/null 2>&1; then
		echo "namespace $NS still exists:"
		kubectl -n "$NS" get jobs,secrets,pvc,pods 2>&1
		return 1
	fi
	left=$(kubectl get pvc,pv -A -o name)
	[ -z "$left" ] || { echo "volumes left: $left"; return 1; }
	left=$(kubectl get jobs,secrets,configmaps -A -l app.kubernetes.io/part-of=s3wwwd -o name)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}
wait_nothing_left() {
	local t=$((SECONDS + 120))
	until nothing_left >"$WORK/left" 2>&1; do
		[ "$SECONDS" -lt "$t" ] || { cat "$WORK/left"; return 1; }
		sleep 1
	done
	# The provisioner's helper pod removes the volume's directory.
	until [ -z "$(ls -A "$STATE/volumes")" ]; do
		[ "$SECONDS" -lt "$t" ] || { echo "left in $STATE/volumes:"; ls -A "$STATE/volumes"; return 1; }
		sleep 1
	done
	echo "no release, namespace, Job, Secret, ConfigMap, PVC or PV of the project; $STATE/volumes is empty"
}
check "destroy leaves no release, Job, Secret, PVC, volume or namespace behind" wait_nothing_left

# ---- the cluster goes ---------------------------------------------------------------

down_clean() {
	bash "$CLUSTER" down || return 1
	CLUSTER_STARTED=0
	local left=0
	[ ! -e "/run/netns/$S3WWWD_CLUSTER_NETNS" ] || { echo "netns left"; left=1; }
	[ ! -e "$STATE" ] || { echo "$STATE left"; left=1; }
	! ls -d /sys/fs/cgroup/*/kubepods 2>/dev/null || { echo "kubepods cgroups left"; left=1; }
	! grep -qF "$STATE" /proc/self/mountinfo || { echo "mounts left"; left=1; }
	! pgrep -f "$STATE" || { echo "processes left"; left=1; }
	local now
	now=$(sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops)
	[ "$now" = "$SYSCTLS_BEFORE" ] || { printf 'sysctls not restored:\n%s\nwere:\n%s\n' "$now" "$SYSCTLS_BEFORE"; left=1; }
	return "$left"
}
check "cluster.sh down: no process, mount, cgroup, namespace or state left" down_clean

finish
