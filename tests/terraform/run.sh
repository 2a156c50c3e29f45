#!/bin/bash
# Tests of the Terraform configuration (terraform/), offline:
#
#   1. terraform fmt -check
#   2. terraform init from a filesystem mirror only (no registry)
#   3. terraform validate of the root (terraform/) and of the module
#      (terraform/modules/s3wwwd-site); the module's README documents every
#      input and output as tfdocs.py writes it; the root passes every input
#      on and has a moved block for every resource; a state of the layout
#      before the module moves into it without a change
#   4. terraform test (terraform/tests/*.tftest.hcl: mocked cluster providers,
#      the real random provider): ordering, no secret in plain values,
#      content changes, variable validation, the root; and
#      tests/environments/ with environments/dev.tfvars, staging.tfvars and
#      prod.tfvars
#   5. the ordering edges in `terraform graph`
#   6. a negative control: with the depends_on edges removed, the ordering
#      tests and the graph check must fail
#   7. `helm template` of the real MinIO chart (from the pinned MinIO Go
#      module, helm/minio) and of the project's s3wwwd chart with the values
#      Terraform computes, checked by check_render.py and by Kubernetes'
#      Pod Security checks (psa-check from scripts/tools.sh psacheck)
#   9. remote state: environments/backend-minio.hcl against a real MinIO on
#      loopback: the state lands in the bucket, a second apply is refused
#      while the first holds the lock file, and the lock is released
#   8. against a real MinIO on loopback: the MinIO chart's rendered
#      provisioning scripts (run with mc), s3wwwd-seed with the Job's
#      arguments, what each user may do (check_access.py), and s3wwwd
#      serving the site with the read-only user's keys
#
# Usage: tests/terraform/run.sh        (as root on a fresh machine is fine)
#        S3WWWD_BUILDDIR=build/plain tests/terraform/run.sh
#                                      (use that build's s3wwwd and s3wwwd-seed
#                                      instead of building them in a temp dir)
#
# Tools come from scripts/tools.sh (terraform, tfproviders, helm, psacheck,
# mc, minio, pyenv), cached
# outside the tree; the first run builds them (see terraform/README.md).
# Nothing is written into the source tree: the configuration is copied into
# a temporary directory (removed on exit) and initialised there.
#
# Output: one "ok - ..." / "not ok - ..." line per check, then
# "N passed, N failed".  Exit status 0 only if nothing failed.

# Most functions are run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "${S3WWWD_SRCDIR:-$HERE/../..}" && pwd)
# Relative to where we were started; the script changes directory later.
if [ -n "${S3WWWD_BUILDDIR:-}" ] && [ -d "$S3WWWD_BUILDDIR" ]; then
	S3WWWD_BUILDDIR=$(cd "$S3WWWD_BUILDDIR" && pwd)
fi
TOOLS="$SRCDIR/scripts/tools.sh"

PASS=0
FAIL=0
WORK=$(mktemp -d /tmp/s3wwwd-terraform.XXXXXX)
# Processes this script starts (MinIO, s3wwwd in step 8), stopped on any exit.
MINIO_PID=
DAEMON_PID=
stop_pid() {
	local pid=$1 _
	[ -n "$pid" ] || return 0
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
	local rc=$?
	stop_pid "$DAEMON_PID"
	stop_pid "$MINIO_PID"
	stop_pid "${BK_MINIO_PID:-}"
	rm -rf "$WORK"
	# An error outside the checks (a tool that cannot be installed, say)
	# still ends with the summary line.
	if [ "$FINISHED" = 0 ]; then
		printf 'not ok - run.sh stopped early (status %d)\n' "$rc"
		printf '%d passed, %d failed\n' "$PASS" "$((FAIL + 1))"
		exit 1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

say() { printf 'run.sh: %s\n' "$*" >&2; }
ok() { PASS=$((PASS + 1)); printf 'ok - %s\n' "$*"; }
not_ok() { FAIL=$((FAIL + 1)); printf 'not ok - %s\n' "$*"; }
finish() {
	FINISHED=1
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	exit $((FAIL > 0))
}

# relay PREFIX NAME CMD...: run a checker (NAME) that prints "ok - ..." / "not ok - ..."
# lines and count each; its exit status counts too: a checker that fails
# (or crashes) without a "not ok" line is a failure of its own.
relay() {
	local prefix=$1 name=$2 line rc=0 out
	shift 2
	out=$(mktemp "$WORK/relay.XXXXXX")
	"$@" >"$out" 2>&1 || rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$prefix${line#ok - }" ;;
		"not ok - "*) not_ok "$prefix${line#not ok - }" ;;
		*) printf '    %s\n' "$line" ;;
		esac
	done <"$out"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$out"; then
		not_ok "$prefix$name exited with status $rc"
	fi
	if ! grep -q '^ok - \|^not ok - ' "$out"; then
		not_ok "$prefix$name ran no check"
	fi
}

# check NAME CMD...: one check; its output goes to a log shown on failure.
LOGN=0
check() {
	local name=$1
	shift
	LOGN=$((LOGN + 1))
	local log="$WORK/log.$LOGN"
	if "$@" >"$log" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/    /' "$log" | tail -n 40
	fi
}

# ---- tools -------------------------------------------------------------------------

T0=$SECONDS
# python3-yaml for check_render.py (the rest deps.sh installs anyway).
bash "$SRCDIR/scripts/deps.sh" python3-yaml >&2
TF=$(bash "$TOOLS" terraform)
TF_CLI_CONFIG_FILE=$(bash "$TOOLS" tfproviders)
HELM=$(bash "$TOOLS" helm)
PSA=$(bash "$TOOLS" psacheck)
export TF_CLI_CONFIG_FILE
# No prompts, no version check, no plugin cache that could hide a missing
# mirror entry, no colours in the logs.
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_CLI_ARGS
say "tools ready in $((SECONDS - T0))s: $TF, $HELM"

# The official MinIO chart as shipped in the pinned MinIO module (the same
# pin scripts/tools.sh builds MinIO from).
MINIO_CHART=$(bash "$TOOLS" miniochart)

# ---- a private copy of the configuration -----------------------------------------

# terraform/ refers to ../site and ../helm/s3wwwd; the copy keeps that layout.
TREE="$WORK/tree"
mkdir -p "$TREE"
copy_config() {
	local dst=$1
	mkdir -p "$dst/terraform"
	(cd "$SRCDIR/terraform" && tar --exclude=.terraform --exclude=.terraform.lock.hcl \
		--exclude='*.tfstate*' --exclude=terraform.tfvars -cf - .) | tar -C "$dst/terraform" -xf -
	ln -s "$SRCDIR/site" "$dst/site"
	ln -s "$SRCDIR/helm" "$dst/helm"
}
copy_config "$TREE"
cd "$TREE/terraform"

# ---- 1-3: fmt, init, validate ------------------------------------------------------

check "terraform fmt -check (terraform/ and its tests)" \
	"$TF" fmt -check -recursive -diff -no-color "$SRCDIR/terraform"

# Offline: TF_CLI_CONFIG_FILE allows the filesystem mirror only.
if check "terraform init from the local provider mirror only" \
	"$TF" init -backend=false -input=false -no-color; then
	INIT_OK=1
else
	INIT_OK=0
fi

lock_ok() {
	local p
	for p in helm:3.2.0 kubernetes:3.2.1 random:3.9.0; do
		python3 - "${p%%:*}" "${p#*:}" .terraform.lock.hcl <<-'EOF' || return 1
			import re, sys
			name, ver, path = sys.argv[1:]
			text = open(path).read()
			m = re.search(r'provider "registry.terraform.io/hashicorp/%s" \{(.*?)\n\}' % name, text, re.S)
			assert m, "no lock entry for " + name
			assert 'version     = "%s"' % ver in m.group(1), m.group(1)
			assert re.search(r'"h1:[A-Za-z0-9+/=]+"', m.group(1)), "no h1: hash for " + name
			print(name, ver, "locked")
		EOF
	done
}

# The example settings are formatted, and every value in them passes the
# variables' validation (console evaluates the variables; no state needed).
tfvars_example_ok() {
	"$TF" fmt -check -no-color - <"$SRCDIR/terraform/terraform.tfvars.example" &&
		echo 'module.site.minio_chart_values.mode' |
		"$TF" console -no-color -var-file="$SRCDIR/terraform/terraform.tfvars.example"
}

# The module on its own, as another configuration would use it.
module_validate() (
	cd modules/s3wwwd-site && "$TF" init -backend=false -input=false -no-color && "$TF" validate -no-color
)

# A state made by the layout before the module (resources at the root):
# the three passwords, from fixtures/old-root (the random provider is real
# and needs no cluster).  Planned with the root, they must move into the
# module unchanged (moved.tf), with nothing destroyed or created.
moved_state_ok() (
	local old="$WORK/old-root" tree="$WORK/moved"
	cp -a "$HERE/fixtures/old-root" "$old"
	(cd "$old" && "$TF" init -input=false -no-color && "$TF" apply -auto-approve -input=false -no-color) || return 1
	copy_config "$tree"
	cp -a .terraform .terraform.lock.hcl "$tree/terraform/"
	cp "$old/terraform.tfstate" "$tree/terraform/terraform.tfstate"
	cd "$tree/terraform"
	"$TF" plan -refresh=false -input=false -no-color -out=moved.plan \
		-target=module.site.random_password.minio_root -target=module.site.random_password.reader \
		-target=module.site.random_password.writer -target=random_password.minio_root \
		-target=random_password.reader -target=random_password.writer || return 1
	"$TF" show -json moved.plan | python3 -c '
import json, sys
p = json.load(sys.stdin)
rc = {r["address"]: r for r in p.get("resource_changes", [])}
want = ["module.site.random_password." + n for n in ("minio_root", "reader", "writer")]
bad = [a for a in want if a not in rc or rc[a]["change"]["actions"] != ["no-op"]
       or rc[a].get("previous_address") != a[len("module.site."):]]
other = [a for a, r in rc.items() if r["change"]["actions"] != ["no-op"]]
for a in want:
    r = rc.get(a, {})
    print(r.get("previous_address"), "->", a, r.get("change", {}).get("actions"))
sys.exit(1 if bad or other else 0)'
)

if [ "$INIT_OK" = 1 ]; then
	check "lock file records the pinned provider versions with h1: hashes" lock_ok
	check "terraform validate (the root)" "$TF" validate -no-color
	check "terraform validate (modules/s3wwwd-site on its own)" module_validate
	check "terraform.tfvars.example is formatted and passes validation" tfvars_example_ok
	relay "" tfdocs.py python3 "$HERE/tfdocs.py" check "$TREE/terraform/modules/s3wwwd-site"
	relay "" "tfdocs.py check-root" python3 "$HERE/tfdocs.py" check-root "$TREE/terraform" "$TREE/terraform/modules/s3wwwd-site"
	check "moved: a state of the old root layout moves into module.site without a change" moved_state_ok
else
	not_ok "terraform validate (init failed)"
fi

# ---- the Makefile's operations ---------------------------------------------------------
#
# What each target runs (make -n), that the status target reads only
# outputs the root has, and the checks for real; tests/e2e/run.sh deploys,
# looks and cleans up with it on the cluster.

# made TARGET [VAR=VALUE...]: the commands make would run, one line each,
# blanks squeezed.
made() { make -s -n "$@" TERRAFORM=terraform | tr -s ' \t' '  '; }
make_runs() {
	local want=$1 got
	shift
	got=$(made "$@") || return 1
	echo "$got"
	grep -qF -- "$want" <<<"$got"
}
check "make deploy ENV=staging AUTO_APPROVE=yes applies staging.tfvars without asking" \
	make_runs "terraform apply -input=false -auto-approve -var-file=environments/staging.tfvars" deploy ENV=staging AUTO_APPROVE=yes
check "make deploy without AUTO_APPROVE lets terraform ask (no -input=false, no -auto-approve)" \
	make_runs "terraform apply -var-file=environments/dev.tfvars;" deploy
check "make plan ENV=prod plans prod.tfvars into prod.tfplan" \
	make_runs "terraform plan -input=false -var-file=environments/prod.tfvars -out=prod.tfplan" plan ENV=prod
check "make rotate replaces the reader's password, with every tfvars file" \
	make_runs "terraform apply -var-file=a.tfvars -var-file=b.tfvars -replace=module.site.random_password.reader" \
	rotate TFVARS="a.tfvars b.tfvars"
check "make cleanup destroys with the environment's tfvars" \
	make_runs "terraform destroy -var-file=environments/prod.tfvars" cleanup ENV=prod
rotate_refuses() {
	local out rc=0
	out=$(make -s rotate WHO=root TERRAFORM=false 2>&1) || rc=$?
	echo "$out"
	[ "$rc" = 2 ] && grep -q "WHO must be reader or writer, not root" <<<"$out"
}
check "make rotate WHO=root is refused before terraform runs" rotate_refuses
status_outputs() {
	python3 - Makefile outputs.tf <<-'EOF'
		import re, sys
		mk, out = (open(p).read() for p in sys.argv[1:])
		used = set(re.findall(r"\$\(OUT\) (\w+)", mk))
		used |= {w for loop in re.findall(r"for o in ([\w ]+);", mk) for w in loop.split()}
		have = set(re.findall(r'^output "(\w+)"', out, re.M))
		print("used:", sorted(used))
		sys.exit(1 if not used or used - have else 0)
	EOF
}
check "make status reads only outputs the root has" status_outputs
if [ "$INIT_OK" = 1 ]; then
	check "make fmt-check validate (for real)" make -s fmt-check validate TERRAFORM="$TF" TF_FLAGS=-no-color
fi

# ---- 4: terraform test -------------------------------------------------------------

# Each run block is one check; a file that cannot even start counts as one
# failure.
run_tf_test() {
	local out="$WORK/tftest.out" rc=0
	"$TF" test -no-color "$@" >"$out" 2>&1 || rc=$?
	local line file run status nruns=0
	while IFS= read -r line; do
		if [[ $line =~ ^([^[:space:]].*\.tftest\.hcl)\.\.\.\ (in\ progress|pass|fail|skip|tearing\ down)$ ]]; then
			file=${BASH_REMATCH[1]}
		elif [[ $line =~ ^\ +run\ \"([^\"]+)\"\.\.\.\ (pass|fail|skip)$ ]]; then
			run=${BASH_REMATCH[1]} status=${BASH_REMATCH[2]}
			nruns=$((nruns + 1))
			if [ "$status" = pass ]; then
				ok "terraform test: ${file#tests/} / $run"
			else
				not_ok "terraform test: ${file#tests/} / $run ($status)"
			fi
		fi
	done <"$out"
	if [ "$rc" -ne 0 ] || [ "$nruns" -eq 0 ]; then
		grep -E -A12 '^(Error|│ Error)' "$out" | head -n 60 | sed 's/^/    /' || true
		if [ "$rc" -ne 0 ] && ! grep -qE '^ +run "[^"]+"\.\.\. fail$' "$out"; then
			not_ok "terraform test exited with status $rc"
		fi
	fi
	cp "$out" "$WORK/tftest.last"
}

if [ "$INIT_OK" = 1 ]; then
	run_tf_test
	# The environments, through the root, each with its own tfvars.
	for env in dev staging prod; do
		run_tf_test -test-directory=tests/environments -var-file="environments/$env.tfvars" \
			-filter="tests/environments/$env.tftest.hcl"
	done
else
	not_ok "terraform test (init failed)"
fi

# ---- 5: ordering in the dependency graph -------------------------------------------

# reachable GRAPH.dot FROM TO: is there a path FROM -> ... -> TO ("A" -> "B"
# in Terraform's DOT means A depends on B).  Transitive edges may be reduced
# away, so look for a path, not for one edge.
reachable() {
	python3 - "$@" <<-'EOF'
		import re, sys
		dot, src, dst = sys.argv[1:]
		edges = {}
		for a, b in re.findall(r'"([^"]+)"\s*->\s*"([^"]+)"', open(dot).read()):
		    norm = lambda s: re.sub(r'^\[root\]\s*', '', s).split(' (')[0]
		    edges.setdefault(norm(a), set()).add(norm(b))
		seen, todo = set(), [src]
		while todo:
		    n = todo.pop()
		    if n == dst:
		        sys.exit(0)
		    # Not through a module call's own node ("module.site"): it waits
		    # for all of the module's outputs, which is no order between
		    # the module's resources.
		    if re.fullmatch(r"(module\.[^.]+\.)*module\.[^.]+", n):
		        continue
		    if n not in seen:
		        seen.add(n)
		        todo.extend(edges.get(n, ()))
		print("no path from %s to %s; edges from it: %s" % (src, dst, sorted(edges.get(src, ()))))
		sys.exit(1)
	EOF
}

graph_order() {
	local dot=$1
	local m=module.site
	reachable "$dot" "$m.kubernetes_job_v1.seed" "$m.helm_release.minio" &&
		reachable "$dot" "$m.helm_release.s3wwwd" "$m.kubernetes_job_v1.seed" &&
		reachable "$dot" "$m.kubernetes_secret_v1.reader_key" "$m.kubernetes_job_v1.credentials" &&
		reachable "$dot" "$m.helm_release.s3wwwd" "$m.kubernetes_secret_v1.reader_key" &&
		reachable "$dot" "$m.kubernetes_job_v1.credentials_prune" "$m.helm_release.s3wwwd" &&
		! reachable "$dot" "$m.helm_release.minio" "$m.kubernetes_job_v1.seed" >/dev/null &&
		! reachable "$dot" "$m.helm_release.minio" "$m.kubernetes_config_map_v1.site" >/dev/null
}

if [ "$INIT_OK" = 1 ] && "$TF" graph -type=plan >"$WORK/graph.dot" 2>"$WORK/graph.err"; then
	check "graph: the Job depends on MinIO, s3wwwd on the Job and its key's Secret (made after the credentials Job), the pruning Job on s3wwwd, MinIO on neither" graph_order "$WORK/graph.dot"
else
	not_ok "terraform graph"
	sed 's/^/    /' "$WORK/graph.err" 2>/dev/null | tail -n 20 || true
fi

# ---- 6: negative control ------------------------------------------------------------

# The same configuration with the two depends_on edges cut must fail the
# ordering tests and the graph check; otherwise those checks prove nothing.
cut_edges() {
	python3 - "$1" <<-'EOF'
		import re, sys
		d = sys.argv[1]
		for f, pat in (("seed.tf", r"depends_on = \[helm_release\.minio, kubernetes_job_v1\.credentials\]"),
		               ("s3wwwd.tf", r"\n\s*kubernetes_job_v1\.seed,")):
		    p = d + "/modules/s3wwwd-site/" + f
		    s = open(p).read()
		    t, n = re.subn(pat, "" if f == "s3wwwd.tf" else "depends_on = []", s)
		    assert n == 1, "pattern not found in " + f
		    open(p, "w").write(t)
	EOF
}

if [ "$INIT_OK" = 1 ]; then
	NEG="$WORK/negative"
	copy_config "$NEG"
	cp -a .terraform .terraform.lock.hcl "$NEG/terraform/"
	if cut_edges "$NEG/terraform"; then
		(
			cd "$NEG/terraform"
			for t in ordering_job_after_minio ordering_s3wwwd_after_job; do
				if "$TF" test -no-color -filter="tests/$t.tftest.hcl" >"$WORK/neg.$t" 2>&1; then
					echo "not ok - negative control: $t.tftest.hcl still passes without its depends_on"
				# Terraform 1.11 crashes instead of failing the assertion when
				# it refers to a resource that the targeted apply left out
				# ("no expansion has been registered for helm_release.minio",
				# in a run with a module block): that is the same finding.
				elif grep -q 'run "target_[a-z0-9]*"\.\.\. fail' "$WORK/neg.$t" ||
					grep -qE 'no expansion has been registered for (helm_release\.minio|kubernetes_job_v1\.seed)$' "$WORK/neg.$t"; then
					echo "ok - negative control: $t.tftest.hcl fails without its depends_on"
				else
					echo "not ok - negative control: $t.tftest.hcl failed for another reason"
					sed 's/^/    /' "$WORK/neg.$t" | tail -n 20
				fi
			done
			"$TF" graph -type=plan >"$WORK/graph-neg.dot" 2>/dev/null
			if reachable "$WORK/graph-neg.dot" module.site.kubernetes_job_v1.seed module.site.helm_release.minio >/dev/null ||
				reachable "$WORK/graph-neg.dot" module.site.helm_release.s3wwwd module.site.kubernetes_job_v1.seed >/dev/null; then
				echo "not ok - negative control: the graph still orders Job and releases without depends_on"
			else
				echo "ok - negative control: the graph check fails without depends_on"
			fi
		) >"$WORK/neg.out"
		while IFS= read -r line; do
			case $line in
			"ok - "*) ok "${line#ok - }" ;;
			"not ok - "*) not_ok "${line#not ok - }" ;;
			*) printf '%s\n' "$line" ;;
			esac
		done <"$WORK/neg.out"
	else
		not_ok "negative control: could not remove the depends_on edges (configuration changed?)"
	fi
fi

# ---- 7: the charts, rendered with Terraform's values ---------------------------------

# tf_json EXPR [-var ...]: the value of EXPR as JSON, from `terraform console`
# (no state, no cluster: the chart values depend on variables only).
tf_json() {
	local expr=$1
	shift
	# console prints a string as an HCL literal; jsondecode(...) of our JSON
	# string would be the same value again, so print it through jsonencode
	# and undo the HCL quoting.
	# shellcheck disable=SC2016
	echo "jsonencode($expr)" | "$TF" console -no-color "$@" | python3 -c '
import json, sys
s = sys.stdin.read().strip()
# An HCL quoted string: JSON-compatible escapes plus $${ and %%{.
v = json.loads(s.replace("$${", "${").replace("%%{", "%{"))
json.dump(json.loads(v), sys.stdout, indent=1)'
}

KUBE_VERSION=1.34.4

# render_check CASE CHART NAME EXPR [-var ...]
render_check() {
	local case=$1 chart=$2 name=$3 expr=$4
	shift 4
	local values="$WORK/$case.values.json" out="$WORK/$case.yaml"
	if ! tf_json "$expr" "$@" >"$values" 2>"$WORK/$case.err"; then
		not_ok "$case: terraform console $expr"
		sed 's/^/    /' "$WORK/$case.err" | tail -n 20
		return
	fi
	# helm reads JSON as YAML; --namespace as Terraform installs it.  A
	# `go install`ed helm assumes Kubernetes 1.20 unless told; the s3wwwd
	# chart needs >= 1.27.
	if ! "$HELM" template "$name" "$chart" --namespace s3wwwd --kube-version "$KUBE_VERSION" \
		-f "$values" >"$out" 2>"$WORK/$case.err"; then
		not_ok "$case: helm template"
		sed 's/^/    /' "$WORK/$case.err" | tail -n 20
		return
	fi
	ok "$case: helm template renders the chart with Terraform's values"
	# The namespace Terraform creates enforces Pod Security "restricted"
	# when MinIO has a volume (terraform/main.tf), "baseline" without one,
	# as the MinIO chart then drops its security contexts; s3wwwd's own
	# pods meet "restricted" always.
	local level=restricted
	case $case in minio-ephemeral | minio-dev) level=baseline ;; esac
	check "$case: pods pass Pod Security \"$level\" (Kubernetes' own checks)" \
		"$PSA" -level "$level" "$out"
	relay "$case: " check_render.py python3 "$HERE/check_render.py" "$case" "$out" "$values"
}

# The credentials Job (terraform/credentials.tf) runs the chart's mc image
# unless told otherwise: its default must be the chart's.
chart_mc_default() {
	local want have
	want=$(tf_json module.site.mc_image | python3 -c 'import json, sys; print(json.load(sys.stdin))')
	have=$(python3 -c 'import sys, yaml; v = yaml.safe_load(open(sys.argv[1]))["mcImage"]; print(v["repository"] + ":" + v["tag"])' \
		"$MINIO_CHART/values.yaml")
	echo "terraform: $want, chart: $have"
	[ "$want" = "$have" ]
}

if [ "$INIT_OK" = 1 ]; then
	check "the credentials Job's default mc image is the MinIO chart's own" chart_mc_default
	MV=module.site.minio_chart_values
	SV=module.site.s3wwwd_chart_values
	render_check minio-standalone "$MINIO_CHART" minio $MV
	render_check minio-ephemeral "$MINIO_CHART" minio $MV \
		-var 'minio_persistence={enabled=false}'
	render_check minio-distributed "$MINIO_CHART" minio $MV \
		-var minio_mode=distributed -var minio_replicas=4 -var minio_drives_per_node=2 \
		-var 'minio_persistence={size="20Gi",storage_class="fast"}'
	# The two environments, through the root.
	render_check minio-dev "$MINIO_CHART" minio $MV -var-file=environments/dev.tfvars
	render_check minio-staging "$MINIO_CHART" minio $MV -var-file=environments/staging.tfvars
	render_check minio-prod "$MINIO_CHART" minio $MV -var-file=environments/prod.tfvars
	# Website rules, a website document and several sites, one in a bucket
	# of its own (fixtures/sites.tfvars).
	render_check minio-sites "$MINIO_CHART" minio $MV -var-file="$HERE/fixtures/sites.tfvars"
	if [ -f "$SRCDIR/helm/s3wwwd/Chart.yaml" ]; then
		render_check s3wwwd "$SRCDIR/helm/s3wwwd" s3wwwd $SV
		render_check s3wwwd-dev "$SRCDIR/helm/s3wwwd" s3wwwd $SV -var-file=environments/dev.tfvars
		render_check s3wwwd-staging "$SRCDIR/helm/s3wwwd" s3wwwd $SV -var-file=environments/staging.tfvars
		render_check s3wwwd-prod "$SRCDIR/helm/s3wwwd" s3wwwd $SV -var-file=environments/prod.tfvars
		render_check s3wwwd-sites "$SRCDIR/helm/s3wwwd" s3wwwd $SV -var-file="$HERE/fixtures/sites.tfvars"
	else
		not_ok "s3wwwd: chart helm/s3wwwd not found"
	fi
fi

# ---- 8: the provisioning, the seeding and the site, for real -----------------------
#
# No Kubernetes here, but everything else is real: a MinIO server, the MinIO
# chart's provisioning scripts exactly as rendered above (run with mc, as the
# chart's post-install job does), s3wwwd-seed with the arguments Terraform
# gives the Job (over a directory laid out like a mounted ConfigMap), and
# s3wwwd with the reader's keys.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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

# s3wwwd and s3wwwd-seed: from S3WWWD_BUILDDIR (what `make check` exports,
# and what scripts/test.sh can pass), else built here out of tree.
find_binaries() {
	local d=${S3WWWD_BUILDDIR:-}
	if [ -n "$d" ] && [ -x "$d/s3wwwd" ] && [ -x "$d/s3wwwd-seed" ]; then
		BIN=$(cd "$d" && pwd)
		return 0
	fi
	say "building s3wwwd and s3wwwd-seed (set S3WWWD_BUILDDIR to use an existing build)"
	local src="$WORK/src" t=$SECONDS
	mkdir -p "$src" "$WORK/build"
	(cd "$SRCDIR" && tar --exclude=./build --exclude=./.git --exclude=./autom4te.cache -cf - .) |
		tar -C "$src" -xf -
	if ! (cd "$src" && autoreconf -fi && cd "$WORK/build" &&
		"$src/configure" --disable-unit-tests && make -j2 s3wwwd s3wwwd-seed) >"$WORK/build.log" 2>&1; then
		tail -n 30 "$WORK/build.log" >&2
		return 1
	fi
	say "built in $((SECONDS - t))s"
	BIN="$WORK/build"
}

# Passwords like random_password makes them: 40 letters and digits.
gen_password() {
	python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(40)))'
}

# The chart's scripts with their in-pod paths moved into $E; each path must
# be found, so that a changed chart is noticed rather than half-run.
extract_scripts() {
	python3 - "$WORK/minio-standalone.yaml" "$E" "$MC" <<-'EOF'
		import sys, yaml
		rendered, e, mc = sys.argv[1:]
		cm = [d for d in yaml.safe_load_all(open(rendered)) if d and d["kind"] == "ConfigMap"][0]
		moves = [("/usr/bin/mc", mc), ('"/etc/minio/mc/"', '"%s/mc/"' % e),
		         ("/config/", e + "/config/"),
		         ("/tmp/accessKey_and_secretKey_tmp", e + "/tmp/accessKey_and_secretKey_tmp")]
		for name, text in cm["data"].items():
		    if name in ("add-policy", "add-user", "initialize"):
		        for old, new in moves:
		            if old == "/tmp/accessKey_and_secretKey_tmp" and name != "add-user":
		                continue
		            assert old in text, "%s: %s not found" % (name, old)
		            text = text.replace(old, new)
		    open("%s/config/%s" % (e, name), "w").write(text)
	EOF
}

run_chart_script() {
	env -i PATH=/usr/bin:/bin HOME="$E/home" MINIO_ENDPOINT=127.0.0.1 MINIO_PORT="$MPORT" \
		bash "$E/config/$1"
}

provision_again() {
	run_chart_script add-policy && run_chart_script initialize && run_chart_script add-user
}

# seed_site [-var-file=...]: s3wwwd-seed with the Job's arguments for
# those variables.
seed_site() {
	# Terraform's own arguments for the Job, with the in-cluster endpoint and
	# mount points moved to this machine.
	local -a args
	mapfile -t args < <(tf_json module.site.seed_args "$@" | python3 -c '
import json, sys
e, port = sys.argv[1:]
args = json.load(sys.stdin)
args[args.index("--endpoint") + 1] = "http://127.0.0.1:" + port
creds = "/run/secrets/s3wwwd-seed/"
args = [e + "/writer/" + a[len(creds):] if a.startswith(creds) else
        e + "/site" if a == "/site" else
        e + a if a.startswith("/website/") else a for a in args]
print("\n".join(args))' "$E" "$MPORT")
	[ "${#args[@]}" -gt 10 ] || return 1
	printf 'args:'
	printf ' %q' "${args[@]}"
	printf '\n'
	# A clean environment: both programs read settings from S3WWW*_
	# variables, and S3WWWD_CACHE (the tools cache here) is one of them.
	env -i PATH=/usr/bin:/bin "$BIN/s3wwwd-seed" "${args[@]}"
}

# The Job sees the site as a ConfigMap volume: "..data" links to a
# timestamped directory and every key is a link through "..data".
make_configmap_dir() {
	local d="$E/site" ts=..2026_01_01_00_00_00.000000001 f
	mkdir -p "$d/$ts"
	for f in index.html s3wwwd.gif; do
		cp "$SRCDIR/site/$f" "$d/$ts/$f"
		ln -s "..data/$f" "$d/$f"
	done
	ln -s "$ts" "$d/..data"
}

get_ok() {
	local url=$1 file=$2 code
	code=$(curl -s -o "$E/body" -w '%{http_code}' "$url")
	if [ "$code" != 200 ] || ! cmp -s "$E/body" "$file"; then
		echo "HTTP $code for $url, or not the content of $file"
		return 1
	fi
}

status_is() {
	local want=$1 url=$2 code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
	[ "$code" = "$want" ] || { echo "HTTP $code for $url, want $want"; return 1; }
}

# The credentials Jobs' scripts (credentials.tf, the module's
# credentials_scripts output) with their in-pod paths and MinIO's in-cluster
# address moved here; each must be found.
extract_credentials_scripts() {
	tf_json module.site.credentials_scripts | python3 -c '
import json, sys
e, mc, port = sys.argv[1:]
moves = {"credentials": [], "prune": [("/tmp/ls", e + "/tmp/ls"), ("/tmp/old", e + "/tmp/old")]}
for name, text in json.load(sys.stdin).items():
    for old, new in moves[name] + [("/usr/bin/mc --config-dir /tmp/mc", mc + " --config-dir " + e + "/tmp/mc"),
                                   ("/creds/", e + "/creds/"), ("@minio:9000", "@127.0.0.1:" + port)]:
        assert old in text, "%s: %s not found" % (name, old)
        text = text.replace(old, new)
    open("%s/%s.sh" % (e, name), "w").write(text)
    print(name, len(text), "bytes")' "$E" "$MC" "$MPORT"
}

# run_creds NAME KEY [GRACE]: a credentials Job's script as the Job runs it
# (sh, with s3wwwd's access key in READER_KEY, the pruning Job's wait for
# the old pods in GRACE_SECONDS, default 1, and the Secrets mounted under
# creds/).
run_creds() {
	env -i PATH=/usr/bin:/bin READER_KEY="$2" GRACE_SECONDS="${3:-1}" sh "$E/$1.sh"
}

# prune_waits KEY GRACE MIN MAX: the pruning script succeeds in MIN to MAX
# seconds (it waits GRACE only when there is an old key to remove).
prune_waits() {
	local t0 t1
	t0=$(date +%s.%N)
	run_creds prune "$1" "$2" || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v lo="$3" -v hi="$4" \
		'BEGIN { d = b - a; printf "took %.1fs (want %s to %s)\n", d, lo, hi; exit !(d >= lo && d < hi) }'
}

# key_id PASSWORD: s3wwwd's access key for that password, as credentials.tf
# names it (terraform/tests/hardening.tftest.hcl checks the formula there).
key_id() {
	printf 's3wwwd-%s' "$(printf '%s' "$1" | sha256sum | cut -c1-12)"
}

# start_keyed_s3wwwd PORT LOG PATH: s3wwwd with the key files in key/ (as
# the chart mounts them) in the background (DAEMON_PID), until PATH
# answers 200; else its log's last lines and 1.
start_keyed_s3wwwd() {
	env -i PATH=/usr/bin:/bin "$BIN/s3wwwd" -address "127.0.0.1:$1" -workers 1 -access-log "" \
		-endpoint "http://127.0.0.1:$MPORT" -bucket s3wwwd-site \
		-accessKeyFile "$E/key/accessKey" -secretKeyFile "$E/key/secretKey" \
		>"$E/$2.log" 2>&1 &
	DAEMON_PID=$!
	wait_http "http://127.0.0.1:$1/$3" 30 && return 0
	tail -n 20 "$E/$2.log" | sed 's/^/    /'
	return 1
}

# mc_as ACCESS SECRET ARGS...: mc with those keys as the alias "k".
mc_as() {
	MC_HOST_k="http://$1:$2@127.0.0.1:$MPORT" "$MC" --config-dir "$E/mc" "${@:3}"
}

# key_reads ACCESS SECRET: those keys read the seeded index from MinIO.
key_reads() {
	mc_as "$1" "$2" cat k/s3wwwd-site/index.html | cmp - "$SRCDIR/site/index.html"
}

e2e() {
	E="$WORK/e2e"
	mkdir -p "$E/config" "$E/mc" "$E/tmp" "$E/home" "$E/writer" "$E/reader" "$E/data" "$E/key" \
		"$E/creds/root" "$E/creds/reader" "$E/creds/writer"
	local minio py
	if ! { minio=$(bash "$TOOLS" minio) && MC=$(bash "$TOOLS" mc) &&
		py=$(bash "$TOOLS" pyenv) && find_binaries; }; then
		not_ok "e2e: tools or the build"
		return
	fi

	local values="$WORK/minio-standalone.values.json"
	local root_pw reader_pw writer_pw reader_sec writer_sec
	root_pw=$(gen_password) reader_pw=$(gen_password) writer_pw=$(gen_password)
	reader_sec=$(python3 -c 'import json,sys; print([u["existingSecret"] for u in json.load(open(sys.argv[1]))["users"] if u["accessKey"] == "s3wwwd-reader"][0])' "$values")
	writer_sec=$(python3 -c 'import json,sys; print([u["existingSecret"] for u in json.load(open(sys.argv[1]))["users"] if u["accessKey"] == "s3wwwd-seed"][0])' "$values")
	# What Kubernetes would project into the chart's job from the Secrets
	# Terraform makes (kubernetes_secret_v1.minio_root, .reader, .writer).
	printf 'minio-root' >"$E/config/rootUser"
	printf '%s' "$root_pw" >"$E/config/rootPassword"
	mkdir -p "$E/config/secrets/$reader_sec" "$E/config/secrets/$writer_sec"
	printf '%s' "$reader_pw" >"$E/config/secrets/$reader_sec/secretKey"
	printf '%s' "$writer_pw" >"$E/config/secrets/$writer_sec/secretKey"
	printf 's3wwwd-seed' >"$E/writer/accessKey"
	printf '%s' "$writer_pw" >"$E/writer/secretKey"
	printf 's3wwwd-reader' >"$E/reader/accessKey"
	printf '%s' "$reader_pw" >"$E/reader/secretKey"
	# What the credentials Jobs mount: the root's, the reader's and the
	# writer's Secrets; and s3wwwd's key, as its pods mount it.
	printf 'minio-root' >"$E/creds/root/rootUser"
	printf '%s' "$root_pw" >"$E/creds/root/rootPassword"
	cp "$E/reader/accessKey" "$E/reader/secretKey" "$E/creds/reader/"
	cp "$E/writer/accessKey" "$E/writer/secretKey" "$E/creds/writer/"
	KEY1=$(key_id "$reader_pw")
	printf '%s' "$KEY1" >"$E/key/accessKey"
	printf '%s' "$reader_pw" >"$E/key/secretKey"
	chmod -R go-rwx "$E"

	MPORT=$(free_port)
	local cport
	cport=$(free_port)
	MINIO_ROOT_USER=minio-root MINIO_ROOT_PASSWORD="$root_pw" MINIO_BROWSER=off \
		"$minio" server --quiet --address "127.0.0.1:$MPORT" --console-address "127.0.0.1:$cport" \
		"$E/data" >"$E/minio.log" 2>&1 &
	MINIO_PID=$!
	if ! wait_http "http://127.0.0.1:$MPORT/minio/health/ready" 60; then
		not_ok "e2e: MinIO did not start"
		tail -n 20 "$E/minio.log" | sed 's/^/    /'
		return
	fi

	check "e2e: the chart's scripts are rendered and relocatable" extract_scripts
	# The post-install job's order: policies (init container), then bucket and users.
	check "e2e: chart script add-policy runs against MinIO" run_chart_script add-policy
	check "e2e: chart script initialize (bucket) runs against MinIO" run_chart_script initialize
	check "e2e: chart script add-user runs against MinIO" run_chart_script add-user
	# The same job runs again on every upgrade (post-upgrade hook).
	check "e2e: the provisioning scripts run again cleanly (helm upgrade)" provision_again

	# Then the credentials Job (credentials.tf): the passwords, and
	# s3wwwd's key, which s3wwwd uses below as the pods do.
	check "e2e: the credentials Jobs' scripts are rendered and relocatable" extract_credentials_scripts
	check "e2e: the credentials Job's script sets the passwords and adds s3wwwd's key" run_creds credentials "$KEY1"
	check "e2e: the pruning Job's script, with no old key, removes nothing and does not wait" \
		prune_waits "$KEY1" 30 0 10
	key_is_read_only() {
		key_reads "$KEY1" "$reader_pw" || return 1
		if echo x | mc_as "$KEY1" "$reader_pw" pipe -q k/s3wwwd-site/written-by-the-key; then
			echo "s3wwwd's key could write"
			return 1
		fi
		if mc_as "$KEY1" "$reader_pw" ls k/other-bucket/; then
			echo "s3wwwd's key could list another bucket"
			return 1
		fi
	}

	# Another bucket with a secret in it, and the control user with
	# GetObject but no ListBucket, made with the root alias the scripts set.
	local getonly_pw
	getonly_pw=$(gen_password)
	cat >"$E/getonly.json" <<-EOF
		{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
		 "Resource": ["arn:aws:s3:::s3wwwd-site/*"]}]}
	EOF
	if ! {
		"$MC" --config-dir "$E/mc" mb -q myminio/other-bucket &&
			echo secret | "$MC" --config-dir "$E/mc" pipe -q myminio/other-bucket/secret.txt &&
			"$MC" --config-dir "$E/mc" admin policy create myminio getonly-test "$E/getonly.json" &&
			"$MC" --config-dir "$E/mc" admin user add myminio getonly "$getonly_pw" &&
			"$MC" --config-dir "$E/mc" admin policy attach myminio getonly-test --user getonly
	} >"$E/setup.log" 2>&1; then
		not_ok "e2e: test setup with mc"
		tail -n 20 "$E/setup.log" | sed 's/^/    /'
		return
	fi

	make_configmap_dir
	check "e2e: s3wwwd-seed with Terraform's Job arguments uploads the site as the writer" seed_site
	check "e2e: s3wwwd's key reads the site and nothing else: no write, no other bucket (the reader's policy)" \
		key_is_read_only

	python3 - "$E/setup.json" "$MPORT" "$root_pw" "$reader_pw" "$writer_pw" "$getonly_pw" "$SRCDIR/site" <<-'EOF'
		import json, sys
		path, port, root, reader, writer, getonly, site = sys.argv[1:]
		json.dump({"endpoint": "http://127.0.0.1:" + port, "bucket": "s3wwwd-site",
		           "other_bucket": "other-bucket", "site_dir": site,
		           "site_files": ["index.html", "s3wwwd.gif"],
		           "root": ["minio-root", root], "reader": ["s3wwwd-reader", reader],
		           "writer": ["s3wwwd-seed", writer], "getonly": ["getonly", getonly]},
		          open(path, "w"))
	EOF
	relay "e2e: " check_access.py env PYTHONDONTWRITEBYTECODE=1 "$py" "$HERE/check_access.py" "$E/setup.json"

	# s3wwwd with its key, as the chart mounts it.
	local hport
	hport=$(free_port)
	start_keyed_s3wwwd "$hport" s3wwwd healthz || { not_ok "e2e: s3wwwd did not start"; return; }
	local u="http://127.0.0.1:$hport"
	check "e2e: s3wwwd (its key) is ready: the bucket answers" status_is 200 "$u/readyz"
	check "e2e: s3wwwd serves / as the seeded index.html" get_ok "$u/" "$SRCDIR/site/index.html"
	check "e2e: s3wwwd serves the seeded gif" get_ok "$u/s3wwwd.gif" "$SRCDIR/site/s3wwwd.gif"
	check "e2e: s3wwwd answers 404 for a missing page" status_is 404 "$u/no-such-page.html"
	stop_pid "$DAEMON_PID"
	DAEMON_PID=
	sites_e2e
	credentials_rotation "$reader_pw"
	stop_pid "$MINIO_PID"
	MINIO_PID=
}

# credentials_rotation OLD_PASSWORD: terraform apply -replace=random_password.
# reader, step by step as the Jobs and the chart take it, with s3wwwd on
# the old key throughout (the old pods): the new key is added next to the
# old one, both read until the pruning Job, which then removes the old one.
credentials_rotation() {
	local pw1=$1 pw2 key2 hport
	pw2=$(gen_password)
	key2=$(key_id "$pw2")
	hport=$(free_port)
	start_keyed_s3wwwd "$hport" s3wwwd-rotation readyz ||
		{ not_ok "rotation: s3wwwd with the old key did not become ready"; return; }
	local u="http://127.0.0.1:$hport"
	# The new password in the reader's Secret, as Terraform writes it.
	printf '%s' "$pw2" >"$E/creds/reader/secretKey"
	check "rotation: the credentials Job's script adds the new key next to the old one" run_creds credentials "$key2"
	both_read() {
		key_reads "$KEY1" "$pw1" && key_reads "$key2" "$pw2" && get_ok "$u/" "$SRCDIR/site/index.html"
	}
	check "rotation: until the pruning Job both keys read, and s3wwwd on the old key serves the site" both_read
	parent_rotated() {
		key_reads s3wwwd-reader "$pw2" && ! key_reads s3wwwd-reader "$pw1" 2>/dev/null
	}
	check "rotation: the reader's own password is the new one" parent_rotated
	# A key the operator gave the reader for something else.
	local ops_pw
	ops_pw=$(gen_password)
	"$MC" --config-dir "$E/mc" admin user svcacct add myminio s3wwwd-reader \
		--access-key ops-backup-key --secret-key "$ops_pw" >/dev/null
	prune_missing() {
		if run_creds prune s3wwwd-000000000000; then
			echo "the pruning Job succeeded without its key"
			return 1
		fi
		key_reads "$KEY1" "$pw1" && key_reads "$key2" "$pw2"
	}
	check "rotation: without s3wwwd's key in MinIO the pruning Job fails and removes nothing" prune_missing
	check "rotation: the pruning Job's script waits the grace period, then removes the old key" \
		prune_waits "$key2" 3 3 20
	pruned() {
		if key_reads "$KEY1" "$pw1" 2>/dev/null; then
			echo "the old key still reads"
			return 1
		fi
		key_reads "$key2" "$pw2" && key_reads ops-backup-key "$ops_pw" &&
			"$MC" --config-dir "$E/mc" admin user svcacct ls myminio s3wwwd-reader --json |
			python3 -c 'import json, sys; k = sorted(json.loads(l)["accessKey"] for l in sys.stdin); print(k); sys.exit(k != sorted(sys.argv[1:]))' \
				"$key2" ops-backup-key
	}
	check "rotation: MinIO refuses the old key; the new one and the operator's own key read" pruned
	# /readyz asks MinIO at most once a second.
	not_ready() {
		local _
		for _ in $(seq 25); do
			status_is 503 "$u/readyz" >/dev/null && return 0
			sleep 0.2
		done
		status_is 503 "$u/readyz"
	}
	check "rotation: s3wwwd still on the old key is not ready (the readiness probe notices)" not_ready
	again() {
		run_creds credentials "$key2" && run_creds prune "$key2" && key_reads "$key2" "$pw2"
	}
	check "rotation: both scripts run again cleanly (a retried Job)" again
	stop_pid "$DAEMON_PID"
	DAEMON_PID=
}

# fixtures/sites.tfvars, for real: the Job's arguments upload the website
# document (and a broken one fails the run), and s3wwwd, with the
# s3wwwd.conf the chart renders from Terraform's values, serves the sites
# by host name.  Runs inside e2e(), with its MinIO, users and seeded site.
SITES_VARS=
sites_e2e() {
	SITES_VARS="$HERE/fixtures/sites.tfvars"
	local doc="$E/website/website.xml" key
	mkdir -p "$E/website"
	if ! tf_json var.website_document -var-file="$SITES_VARS" |
		python3 -c 'import json, sys; open(sys.argv[1], "w").write(json.load(sys.stdin))' "$doc"; then
		not_ok "e2e (sites): the website document of fixtures/sites.tfvars"
		return
	fi
	key=$(tf_json module.site.s3wwwd_chart_values -var-file="$SITES_VARS" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["site"]["websiteDocument"])')
	check "e2e (sites): s3wwwd-seed with the Job's arguments uploads the website document" \
		seed_site -var-file="$SITES_VARS"
	doc_stored() {
		"$MC" --config-dir "$E/mc" stat --json "myminio/s3wwwd-site/$key" >"$E/stat.json" &&
			"$MC" --config-dir "$E/mc" cat "myminio/s3wwwd-site/$key" >"$E/stored.xml" &&
			cmp "$doc" "$E/stored.xml" &&
			python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["metadata"]["Content-Type"]; print(t); sys.exit(t != "application/xml")' "$E/stat.json"
	}
	check "e2e (sites): the document is at $key, as application/xml, byte for byte" doc_stored
	broken_refused() {
		cp "$doc" "$E/good.xml"
		sed -i 's|<Protocol>https</Protocol>|<Protocol>gopher</Protocol>|' "$doc"
		local rc=0
		seed_site -var-file="$SITES_VARS" >"$E/broken.log" 2>&1 || rc=$?
		cp "$E/good.xml" "$doc"
		cat "$E/broken.log"
		[ "$rc" = 1 ] && grep -q 'protocol must be http or https, not "gopher"; nothing was uploaded' "$E/broken.log" &&
			"$MC" --config-dir "$E/mc" cat "myminio/s3wwwd-site/$key" | cmp - "$E/good.xml"
	}
	check "e2e (sites): a broken website document fails the Job's run (exit 1, the reason) and changes nothing" broken_refused

	# The chart's s3wwwd.conf from Terraform's values (rendered in step 7),
	# with the in-cluster endpoint, ports and mounted key files moved here.
	local hport oport conf="$E/sites.conf"
	hport=$(free_port) oport=$(free_port)
	if ! python3 - "$WORK/s3wwwd-sites.yaml" "$MPORT" "$hport" "$oport" "$E/key" >"$conf" <<-'EOF'; then
		import re, sys, yaml
		rendered, mport, hport, oport, reader = sys.argv[1:]
		cm = [d for d in yaml.safe_load_all(open(rendered)) if d and d["kind"] == "ConfigMap"][0]
		conf = cm["data"]["s3wwwd.conf"]
		moves = [(r'endpoint = "http://[^"]*:9000";', 'endpoint = "http://127.0.0.1:%s";' % mport),
		         (r'^listen = "[^"]*";', 'listen = "127.0.0.1:%s";' % hport),
		         (r'^  listen = "[^"]*";', '  listen = "127.0.0.1:%s";' % oport),
		         (r'access_key_file = "[^"]*";', 'access_key_file = "%s/accessKey";' % reader),
		         (r'secret_key_file = "[^"]*";', 'secret_key_file = "%s/secretKey";' % reader)]
		for pat, new in moves:
		    conf, n = re.subn(pat, new, conf, flags=re.M)
		    assert n >= 1, pat
		sys.stdout.write(conf)
	EOF
		not_ok "e2e (sites): the s3wwwd.conf rendered from Terraform's values"
		return
	fi
	check "e2e (sites): s3wwwd -t accepts the s3wwwd.conf rendered from Terraform's values" \
		env -i PATH=/usr/bin:/bin "$BIN/s3wwwd" -t -c "$conf"
	env -i PATH=/usr/bin:/bin "$BIN/s3wwwd" -c "$conf" >"$E/s3wwwd-sites.log" 2>&1 &
	DAEMON_PID=$!
	if ! wait_http "http://127.0.0.1:$oport/healthz" 30; then
		not_ok "e2e (sites): s3wwwd did not start with the rendered s3wwwd.conf"
		tail -n 20 "$E/s3wwwd-sites.log" | sed 's/^/    /'
		stop_pid "$DAEMON_PID"
		DAEMON_PID=
		return
	fi
	# answers HOST PATH STATUS [LOCATION]
	answers() {
		local code loc
		code=$(curl -s -o /dev/null -D "$E/headers" -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$hport$2")
		loc=$(sed -n 's/^[Ll]ocation: *//p' "$E/headers" | tr -d '\r')
		echo "Host $1, $2: $code $loc"
		[ "$code $loc" = "$3 ${4:-}" ]
	}
	# (Paths without .html: every site inherits the top-level clean URLs,
	# whose redirect of /page.html to /page comes first.)
	check "e2e (sites): the apex site redirects every request (redirect_all)" \
		answers example.com '/a/b?x=1' 301 'https://www.example.com/a/b?x=1'
	check "e2e (sites): a host no site names goes to the default site, its rule and its bucket" \
		answers unknown.example.org /x/page 307 /index.html
	check "e2e (sites): the default site serves the seeded index" \
		answers unknown.example.org / 200
	stop_pid "$DAEMON_PID"
	DAEMON_PID=

	# The same configuration with the default site given a host name
	# instead: a host no site names goes to the top-level site, which
	# applies the website document the Job uploaded (its rule sends blog/
	# to https://blog.example.com).
	sed -e 's/^    default = true;$/    hosts = [ "fallback.example.org" ];/' "$conf" >"$E/sites-nodefault.conf"
	env -i PATH=/usr/bin:/bin "$BIN/s3wwwd" -c "$E/sites-nodefault.conf" >"$E/s3wwwd-sites2.log" 2>&1 &
	DAEMON_PID=$!
	if ! wait_http "http://127.0.0.1:$oport/healthz" 30; then
		not_ok "e2e (sites): s3wwwd did not start without the default site"
		tail -n 20 "$E/s3wwwd-sites2.log" | sed 's/^/    /'
		stop_pid "$DAEMON_PID"
		DAEMON_PID=
		return
	fi
	doc_applied() {
		local _
		for _ in $(seq 50); do
			answers unknown.example.org /blog/post 301 https://blog.example.com/blog/post && return 0
			sleep 0.2
		done
		cat "$E/s3wwwd-sites2.log"
		return 1
	}
	check "e2e (sites): the top-level site applies the uploaded website document's rules" doc_applied
	stop_pid "$DAEMON_PID"
	DAEMON_PID=
}

if [ "$INIT_OK" = 1 ] && [ -s "$WORK/minio-standalone.yaml" ]; then
	# Failures are reported by the checks inside; this only catches the rest.
	e2e || not_ok "e2e: stopped early"
else
	not_ok "e2e: skipped (init or the MinIO render failed)"
fi

# ---- 9: remote state in MinIO, with the S3 lock file -------------------------------
#
# environments/backend-minio.hcl as it is, with only the endpoint moved to a
# MinIO on loopback, for a small configuration with the same backend block
# (backend-s3.tf.example) whose one resource holds the state for a while.

BK_MINIO_PID=
backend_test() {
	local B="$WORK/backend" minio port cport pw
	mkdir -p "$B/data" "$B/cfg" "$B/mc"
	minio=$(bash "$TOOLS" minio) && MC=$(bash "$TOOLS" mc) || { not_ok "backend: tools"; return; }
	port=$(free_port) cport=$(free_port) pw=$(gen_password)
	MINIO_ROOT_USER=state-admin MINIO_ROOT_PASSWORD="$pw" MINIO_BROWSER=off \
		"$minio" server --quiet --address "127.0.0.1:$port" --console-address "127.0.0.1:$cport" \
		"$B/data" >"$B/minio.log" 2>&1 &
	BK_MINIO_PID=$!
	if ! wait_http "http://127.0.0.1:$port/minio/health/ready" 60; then
		not_ok "backend: MinIO did not start"
		return
	fi
	local bucket key
	bucket=$(sed -n 's/^bucket *= *"\(.*\)"$/\1/p' "$SRCDIR/terraform/environments/backend-minio.hcl")
	key=$(sed -n 's/^key *= *"\(.*\)"$/\1/p' "$SRCDIR/terraform/environments/backend-minio.hcl")
	export MC_HOST_st="http://state-admin:$pw@127.0.0.1:$port"
	mcq() { "$MC" --config-dir "$B/mc" "$@"; }
	check "backend: a private state bucket ($bucket) in a MinIO on loopback" mcq mb -q "st/$bucket"

	cp "$SRCDIR/terraform/backend-s3.tf.example" "$B/cfg/backend.tf"
	cat >"$B/cfg/main.tf" <<-'EOF'
		variable "hold_seconds" {
		  type    = number
		  default = 0
		}
		# Holds the state (and its lock) for hold_seconds while it is created.
		resource "terraform_data" "hold" {
		  input = var.hold_seconds
		  provisioner "local-exec" {
		    command = "sleep ${var.hold_seconds}"
		  }
		}
	EOF
	printf 'endpoints = {\n  s3 = "http://127.0.0.1:%s"\n}\n' "$port" >"$B/endpoint.hcl"
	# The credentials come from the environment, as the example says.
	local -a env=(env -u AWS_PROFILE -u AWS_CONFIG_FILE AWS_ACCESS_KEY_ID=state-admin AWS_SECRET_ACCESS_KEY="$pw")
	bk_init() {
		cd "$B/cfg" && "${env[@]}" "$TF" init -input=false -no-color \
			-backend-config="$SRCDIR/terraform/environments/backend-minio.hcl" -backend-config="$B/endpoint.hcl"
	}
	if ! checked_bk "backend: terraform init -backend-config=environments/backend-minio.hcl" bk_init; then
		return
	fi
	# The first apply holds the lock for 25 seconds.
	(cd "$B/cfg" && "${env[@]}" "$TF" apply -auto-approve -input=false -no-color -var hold_seconds=25) >"$B/apply1.log" 2>&1 &
	local first=$!
	lock_appears() {
		local _
		for _ in $(seq 100); do
			mcq stat "st/$bucket/$key.tflock" && return 0
			sleep 0.2
		done
		echo "no $key.tflock in the bucket"
		return 1
	}
	check "backend: while an apply runs, its lock file $bucket/$key.tflock is in the bucket" lock_appears
	refused() {
		local rc=0
		(cd "$B/cfg" && "${env[@]}" "$TF" apply -auto-approve -input=false -no-color -lock-timeout=0s -var hold_seconds=1) >"$B/apply2.log" 2>&1 || rc=$?
		cat "$B/apply2.log"
		[ "$rc" -ne 0 ] && grep -q 'Error acquiring the state lock' "$B/apply2.log" &&
			grep -q "$bucket/$key" "$B/apply2.log"
	}
	check "backend: a second apply is refused while the first holds the lock (\"Error acquiring the state lock\", naming the state)" refused
	first_done() {
		wait "$first"
		local rc=$?
		cat "$B/apply1.log"
		return "$rc"
	}
	check "backend: the first apply finishes" first_done
	state_in_bucket() {
		mcq cat "st/$bucket/$key" >"$B/state.json" &&
			python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
r = [x["type"] + "." + x["name"] for x in s["resources"]]
print("serial", s["serial"], "resources", r)
sys.exit(r != ["terraform_data.hold"])' "$B/state.json"
	}
	check "backend: the state is the object $bucket/$key in MinIO, with the resource" state_in_bucket
	released() {
		! mcq stat "st/$bucket/$key.tflock" >/dev/null 2>&1 || { echo "the lock file is still there"; return 1; }
		cd "$B/cfg" && "${env[@]}" "$TF" apply -auto-approve -input=false -no-color -lock-timeout=0s -var hold_seconds=1
	}
	check "backend: the lock is released (no lock file; the next apply takes and frees it)" released
	check "backend: no lock file left after that apply" bash -c '! "$1" --config-dir "$2" stat "$3" >/dev/null 2>&1' _ "$MC" "$B/mc" "st/$bucket/$key.tflock"
	stop_pid "$BK_MINIO_PID"
	BK_MINIO_PID=
}
checked_bk() {
	local before=$FAIL
	check "$@"
	[ "$FAIL" = "$before" ]
}
backend_test

say "finished in $((SECONDS - T0))s"
finish
