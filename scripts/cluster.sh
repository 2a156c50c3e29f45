#!/bin/bash
# A single-node Kubernetes cluster on this machine, for trying and testing the
# Terraform deployment (terraform/) without a cloud.
#
#   scripts/cluster.sh up            build what is missing, start the cluster,
#                                    load the images, write the kubeconfig and
#                                    a tfvars file for terraform/
#   scripts/cluster.sh down          stop everything it started and remove
#                                    every trace (also after a failed up)
#   scripts/cluster.sh status        each component, the node and the pods;
#                                    exit 1 if anything is down
#   scripts/cluster.sh kubeconfig    print the admin kubeconfig's path
#   scripts/cluster.sh run CMD...    run CMD inside the cluster's network
#                                    (kubectl, helm, terraform, curl, ...)
#   scripts/cluster.sh load IMAGE... copy images from podman into the cluster
#   scripts/cluster.sh forward [PORT [NAMESPACE/SERVICE]]
#                                    serve a Service on this machine's
#                                    127.0.0.1:PORT (default 8080 and
#                                    s3wwwd/s3wwwd, what terraform/ deploys),
#                                    for a browser; Ctrl-C stops it
#
# Everything is built from Debian packages and the Go module proxy
# (scripts/tools.sh kube, coredns, localpath, ...; cached) and runs as root:
# Kubernetes v1.34.4 (one binary for every program, scripts/cluster/kube),
# etcd and containerd from Debian, CNI's bridge plugin, CoreDNS for cluster
# DNS, and Rancher's local-path-provisioner as the default StorageClass.  No
# registry is reachable here, so every image the cluster runs is built
# locally and imported into containerd (scripts/cluster/images).
#
# Network: the whole cluster lives in one network namespace that this script
# creates ($NETNS) and that has no route out: the node's address is a /32 on
# its loopback device, pods sit on a bridge inside it, and nothing is
# masqueraded.  The API server listens there on 127.0.0.1:6443; reach it with
# `scripts/cluster.sh run ...`.
#
# Side effects outside $STATE, undone by `down`: the network namespace, the
# kubepods cgroups, host-wide sysctls the kubelet sets (saved and restored),
# and the few paths the kubelet, containerd and CNI write regardless of their
# configuration (removed if they did not exist before).
#
# Environment: S3WWWD_CLUSTER_DIR (state, default /var/lib/s3wwwd-cluster),
#              S3WWWD_CLUSTER_NETNS (default s3wwwd-cluster),
#              S3WWWD_CLUSTER_NO_IMAGE=1 (up: do not build and load the
#              s3wwwd image), S3WWWD_CACHE (the tools cache, scripts/tools.sh).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$SRCDIR/scripts/tools.sh"
STATE=${S3WWWD_CLUSTER_DIR:-/var/lib/s3wwwd-cluster}
NETNS=${S3WWWD_CLUSTER_NETNS:-s3wwwd-cluster}

NODE=s3wwwd-node
NODE_IP=10.99.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_IP=10.96.0.10

# Images the cluster's own pods run (scripts/cluster/images/Containerfile).
IMAGE_PREFIX=localhost/s3wwwd-cluster
BASE_IMAGE=localhost/debian:bookworm-slim

# Host-wide sysctls the kubelet sets when it starts (pkg/kubelet/cm's kernel
# tunables): saved by up, restored by down.
HOST_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
	kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Written by the kubelet, containerd and CNI whatever their configuration says.
FIXED_PATHS=(/var/log/containers /var/log/pods /var/lib/kubelet /var/lib/cni /run/containerd)

# Start order; down stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: the cluster needs network namespaces, cgroups and mounts"

PKI=$STATE/pki
RUN=$STATE/run
LOGS=$STATE/logs
SOCK=$STATE/containerd/containerd.sock
ADMIN_KUBECONFIG=$STATE/kubeconfig

in_ns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
kubectl() { in_ns "$STATE/bin/kubectl" --kubeconfig="$ADMIN_KUBECONFIG" "$@"; }
ctr() { command ctr --address "$SOCK" --namespace k8s.io "$@"; }

# ---- processes ---------------------------------------------------------------------
#
# No supervisor: each component is a process of ours with a pid file.  A pid
# counts only while /proc says it is still the program we started, so a
# recycled pid is never signalled.

pid_of() {
	local name=$1 pid exe
	[ -r "$RUN/$name.pid" ] || return 1
	pid=$(cat "$RUN/$name.pid")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[ "$exe" = "$(cat "$RUN/$name.exe")" ] || return 1
	printf '%s\n' "$pid"
}

# start NAME PROGRAM ARGS...: run PROGRAM in the cluster's network namespace,
# in a session of its own (a Ctrl-C in the terminal that ran `up` does not
# reach it), with its output in $LOGS/NAME.log.
start() {
	local name=$1 prog=$2
	shift 2
	readlink -f "$prog" >"$RUN/$name.exe"
	# The shell writes its own pid, then becomes the program: nsenter
	# without --fork and exec keep that pid.
	# shellcheck disable=SC2016
	setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$RUN/$name.pid" \
		nsenter --net="/run/netns/$NETNS" -- "$prog" "$@" \
		</dev/null >>"$LOGS/$name.log" 2>&1 &
	local _
	for _ in $(seq 50); do
		[ -s "$RUN/$name.pid" ] && pid_of "$name" >/dev/null && return 0
		sleep 0.1
	done
	tail -n 20 "$LOGS/$name.log" >&2 || true
	die "$name did not start (log: $LOGS/$name.log)"
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 10).
stop_pid() {
	local pid=$1 wait=${2:-10} _
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq $((wait * 10))); do
		[ -d "/proc/$pid" ] || return 0
		# A zombie is gone for our purpose.
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

stop_component() {
	local name=$1 pid
	if pid=$(pid_of "$name"); then
		say "stopping $name ($pid)"
		stop_pid "$pid"
	fi
	rm -f "$RUN/$name.pid" "$RUN/$name.exe"
}

# wait_for WHAT SECONDS CMD...: until CMD succeeds; fails with WHAT's log if a
# component it names died meanwhile.
wait_for() {
	local what=$1 secs=$2 t
	shift 2
	t=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if [ -e "$RUN/$what.pid" ] && ! pid_of "$what" >/dev/null; then
			tail -n 30 "$LOGS/$what.log" >&2 || true
			die "$what exited (log: $LOGS/$what.log)"
		fi
		[ "$SECONDS" -lt "$t" ] || die "timed out after ${secs}s waiting for $what (log: $LOGS/$what.log)"
		sleep 0.2
	done
}

# ---- certificates and kubeconfigs --------------------------------------------------

# cert NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]: a key and a
# certificate signed by the cluster's CA.  P-256 keys: fast to make, and
# every component accepts them.
cert() {
	local name=$1 subj=$2 eku=$3 san=${4:-}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
	{
		echo "basicConstraints = CA:FALSE"
		echo "keyUsage = critical, digitalSignature, keyEncipherment"
		echo "extendedKeyUsage = $eku"
		[ -z "$san" ] || echo "subjectAltName = $san"
	} >"$PKI/$name.ext"
	openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 30 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
	rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

make_pki() {
	mkdir -p "$PKI"
	chmod 0700 "$PKI"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=s3wwwd-cluster-ca" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
	cert apiserver "/CN=kube-apiserver" serverAuth \
		"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$NODE_IP"
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
	cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
	cert controller-manager "/CN=system:kube-controller-manager" clientAuth
	cert scheduler "/CN=system:kube-scheduler" clientAuth
	cert kube-proxy "/CN=system:kube-proxy" clientAuth
	cert kubelet-client "/O=system:nodes/CN=system:node:$NODE" clientAuth
	cert kubelet "/CN=$NODE" serverAuth "DNS:$NODE,IP:$NODE_IP"
	# The key the API server signs service account tokens with.
	openssl ecparam -genkey -name prime256v1 -noout -out "$PKI/sa.key" 2>/dev/null
	openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}

# kubeconfig FILE CERT: a kubeconfig for the API server on loopback.
kubeconfig() {
	cat >"$1" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		  - name: s3wwwd-cluster
		    cluster:
		      server: https://127.0.0.1:6443
		      certificate-authority: $PKI/ca.crt
		users:
		  - name: $2
		    user:
		      client-certificate: $PKI/$2.crt
		      client-key: $PKI/$2.key
		contexts:
		  - name: s3wwwd-cluster
		    context:
		      cluster: s3wwwd-cluster
		      user: $2
		current-context: s3wwwd-cluster
	EOF
	chmod 0600 "$1"
}

# ---- configuration files -----------------------------------------------------------

write_configs() {
	local c=$STATE/config
	mkdir -p "$c" "$STATE/cni/net.d" "$STATE/cni/ipam"

	kubeconfig "$ADMIN_KUBECONFIG" admin
	kubeconfig "$c/controller-manager.kubeconfig" controller-manager
	kubeconfig "$c/scheduler.kubeconfig" scheduler
	kubeconfig "$c/kube-proxy.kubeconfig" kube-proxy
	kubeconfig "$c/kubelet.kubeconfig" kubelet-client

	# containerd: everything under $STATE; images from the local store only.
	# restrict_oom_score_adj: these machines lack CAP_SYS_RESOURCE, so a
	# sandbox may not lower its oom_score_adj below containerd's own.
	cat >"$c/containerd.toml" <<-EOF
		version = 2
		root = "$STATE/containerd/root"
		state = "$STATE/containerd/state"
		disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
		  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
		[grpc]
		  address = "$SOCK"
		[ttrpc]
		  address = "$SOCK.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$STATE/containerd/opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$IMAGE_PREFIX/pause:1"
		  restrict_oom_score_adj = true
		  netns_mounts_under_state_dir = true
		  enable_selinux = false
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    snapshotter = "overlayfs"
		    default_runtime_name = "runc"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		        Root = "$STATE/runc"
		        SystemdCgroup = false
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$STATE/cni/net.d"
	EOF

	# Pods on a bridge inside the namespace; no masquerade, no route out.
	cat >"$STATE/cni/net.d/10-s3wwwd-cluster.conflist" <<-EOF
		{
		  "cniVersion": "1.0.0",
		  "name": "s3wwwd-cluster",
		  "plugins": [{
		    "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
		    "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam",
		             "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}
		  }]
		}
	EOF

	# Until CoreDNS runs, and for pods with dnsPolicy Default: no name server.
	: >"$STATE/resolv.conf"

	# Image garbage collection off: an image removed here cannot be pulled
	# back.  Eviction only when the disk is really full, since the machines
	# this runs on are often shared and fuller than the kubelet's defaults
	# like.
	cat >"$c/kubelet.yaml" <<-EOF
		apiVersion: kubelet.config.k8s.io/v1beta1
		kind: KubeletConfiguration
		address: $NODE_IP
		port: 10250
		readOnlyPort: 0
		healthzBindAddress: 127.0.0.1
		authentication:
		  anonymous: {enabled: false}
		  webhook: {enabled: true}
		  x509: {clientCAFile: $PKI/ca.crt}
		authorization: {mode: Webhook}
		tlsCertFile: $PKI/kubelet.crt
		tlsPrivateKeyFile: $PKI/kubelet.key
		cgroupDriver: cgroupfs
		containerRuntimeEndpoint: unix://$SOCK
		failSwapOn: false
		clusterDNS: [$DNS_IP]
		clusterDomain: cluster.local
		resolvConf: $STATE/resolv.conf
		podLogsDir: $STATE/pod-logs
		volumePluginDir: $STATE/volume-plugins
		serializeImagePulls: false
		imageGCHighThresholdPercent: 100
		imageGCLowThresholdPercent: 99
		evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
		maxPods: 110
	EOF

	# kube-proxy in iptables mode (the kernel has no IPVS); conntrack limits
	# left alone (0), as they are host-wide.
	cat >"$c/kube-proxy.yaml" <<-EOF
		apiVersion: kubeproxy.config.k8s.io/v1alpha1
		kind: KubeProxyConfiguration
		clientConnection: {kubeconfig: $c/kube-proxy.kubeconfig}
		mode: iptables
		clusterCIDR: $POD_CIDR
		hostnameOverride: $NODE
		healthzBindAddress: 127.0.0.1:10256
		metricsBindAddress: 127.0.0.1:10249
		conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
	EOF
}

# ---- up ------------------------------------------------------------------------------

is_up() { [ -e "/run/netns/$NETNS" ] || [ -d "$RUN" ]; }

# What would make up fail half-way, or make down remove what is not ours.
preflight() {
	is_up && die "the cluster is already up (or a failed run left it half up): scripts/cluster.sh down"
	local d
	for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
		[ -d "$d" ] && die "$d exists: another kubelet runs on this machine (or ran and left it)"
	done
	[ -r /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
		die "the kernel has no br_netfilter (net.bridge.bridge-nf-call-iptables): pods could not reach Services"
	return 0
}

prepare_host() {
	mkdir -p "$STATE" "$RUN" "$LOGS" "$STATE/bin"
	# What down restores and removes: recorded before anything touches it.
	local s p
	for s in "${HOST_SYSCTLS[@]}"; do
		printf '%s=%s\n' "$s" "$(sysctl -n "$s")"
	done >"$STATE/sysctls.saved"
	for p in "${FIXED_PATHS[@]}"; do
		[ -e "$p" ] || printf '%s\n' "$p"
	done >"$STATE/paths.created"

	ip netns add "$NETNS"
	in_ns ip link set lo up
	in_ns ip addr add "$NODE_IP/32" dev lo
	# Service addresses are only ever translated by kube-proxy, but the
	# kernel must find a route to them first.
	in_ns ip route add "$SERVICE_CIDR" dev lo src "$NODE_IP"
	in_ns sysctl -qw net.ipv4.ip_forward=1
	# Pod-to-Service traffic between two pods on the same bridge must pass
	# iptables, or the reply skips the reverse translation.
	in_ns sysctl -qw net.bridge.bridge-nf-call-iptables=1
}

# The cluster's own images, then s3wwwd's ($S3WWWD_IMAGE, built by up).
S3WWWD_IMAGE=
load_cluster_images() {
	local images
	images=$(bash "$TOOLS" clusterimages)
	ctr images import --all-platforms "$images" >"$LOGS/images.log" 2>&1 ||
		{ cat "$LOGS/images.log" >&2; die "importing $images failed"; }
	say "loaded the cluster's images"
	[ -z "$S3WWWD_IMAGE" ] || load_images "$S3WWWD_IMAGE"
}

# load_images IMAGE...: from podman's store into containerd's.
load_images() {
	local tmp
	tmp=$(mktemp "$STATE/images.XXXXXX.tar")
	bash "$SRCDIR/scripts/images.sh" podman save -m --format docker-archive -o "$tmp" "$@" \
		>/dev/null 2>"$LOGS/load.log" ||
		{ rm -f "$tmp"; cat "$LOGS/load.log" >&2; die "podman save $* failed"; }
	ctr images import --all-platforms "$tmp" >>"$LOGS/load.log" 2>&1 ||
		{ rm -f "$tmp"; cat "$LOGS/load.log" >&2; die "importing $* into containerd failed"; }
	rm -f "$tmp"
	say "loaded $*"
}

node_ready() {
	[ "$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# manifest FILE: a manifest from scripts/cluster/manifests with its @...@
# filled in.
manifest() {
	sed -e "s|@DNS_IP@|$DNS_IP|g" \
		-e "s|@COREDNS_IMAGE@|$IMAGE_PREFIX/coredns:1|g" \
		-e "s|@PROVISIONER_IMAGE@|$IMAGE_PREFIX/local-path-provisioner:1|g" \
		-e "s|@HELPER_IMAGE@|$BASE_IMAGE|g" \
		-e "s|@VOLUME_DIR@|$STATE/volumes|g" \
		"$SRCDIR/scripts/cluster/manifests/$1"
}

write_tfvars() {
	local chart
	chart=$(bash "$TOOLS" miniochart)
	cat >"$STATE/terraform.tfvars" <<-EOF
		# Written by scripts/cluster.sh up for this machine's cluster; use with
		#   scripts/cluster.sh run terraform apply -var-file=$STATE/terraform.tfvars
		kubeconfig_path = "$ADMIN_KUBECONFIG"

		# Every image is local (no registry here): imported into containerd
		# by cluster.sh, never pulled.
		s3wwwd_image = {
		  repository  = "localhost/s3wwwd"
		  tag         = "$(version)"
		  pull_policy = "IfNotPresent"
		}
		minio_image = { repository = "$IMAGE_PREFIX/minio", tag = "1" }
		mc_image    = { repository = "$IMAGE_PREFIX/mc", tag = "1" }

		# The official chart as the pinned MinIO module ships it (no
		# https://charts.min.io here).
		minio_chart_path = "$chart"

		# Standalone on a volume from the cluster's local-path StorageClass.
		minio_persistence = {
		  enabled       = true
		  size          = "1Gi"
		  storage_class = ""
		}
		minio_resources = {
		  requests = { cpu = "50m", memory = "256Mi" }
		  limits   = { memory = "1Gi" }
		}
	EOF
}

version() { sed -n 's/^AC_INIT(\[s3wwwd\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac"; }

cmd_up() {
	preflight
	local t0=$SECONDS
	bash "$SRCDIR/scripts/deps.sh" containerd runc containernetworking-plugins etcd-server \
		iptables conntrack podman mmdebstrap openssl >&2
	local kube
	kube=$(bash "$TOOLS" kube)
	# Built before anything starts, so that a failed build leaves nothing up.
	bash "$TOOLS" clusterimages >/dev/null
	bash "$TOOLS" miniochart >/dev/null
	if [ "${S3WWWD_CLUSTER_NO_IMAGE:-0}" != 1 ]; then
		S3WWWD_IMAGE=$(bash "$SRCDIR/scripts/images.sh" s3wwwd)
	fi
	say "tools ready in $((SECONDS - t0))s"

	# From here on a failure takes down whatever was started.
	trap 'rc=$?; if [ "$rc" -ne 0 ]; then say "up failed; cleaning up"; cmd_down || true; fi' EXIT
	prepare_host
	local p
	for p in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
		ln -sf "$kube" "$STATE/bin/$p"
	done
	make_pki
	write_configs

	# etcd on a tmpfs: the cluster is thrown away with down, and fsync on
	# these machines' disks would make every write slow.
	mkdir -p "$STATE/etcd"
	mount -t tmpfs -o size=1g,mode=0700 s3wwwd-cluster-etcd "$STATE/etcd"
	start etcd "$(command -v etcd)" --name s3wwwd-cluster --data-dir "$STATE/etcd/data" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster s3wwwd-cluster=http://127.0.0.1:2380 --logger zap --log-level warn
	local t_etcd=$SECONDS
	wait_for etcd 30 in_ns curl -fsS http://127.0.0.1:2379/health

	start kube-apiserver "$STATE/bin/kube-apiserver" \
		--advertise-address="$NODE_IP" --bind-address=0.0.0.0 --secure-port=6443 \
		--etcd-servers=http://127.0.0.1:2379 \
		--service-cluster-ip-range="$SERVICE_CIDR" \
		--client-ca-file="$PKI/ca.crt" \
		--tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
		--kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
		--kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority="$PKI/ca.crt" \
		--kubelet-preferred-address-types=InternalIP \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
		--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
		--allow-privileged=true --profiling=false
	wait_for kube-apiserver 60 kubectl get --raw /readyz
	say "API server ready $((SECONDS - t_etcd))s after etcd started"

	# The controller manager dies on start if RBAC has not yet granted it
	# its roles (the API server bootstraps them right after /readyz).
	wait_for kube-apiserver 30 kubectl auth can-i get configmaps -n kube-system \
		--as=system:kube-controller-manager
	start kube-controller-manager "$STATE/bin/kube-controller-manager" \
		--kubeconfig="$STATE/config/controller-manager.kubeconfig" \
		--authentication-kubeconfig="$STATE/config/controller-manager.kubeconfig" \
		--authorization-kubeconfig="$STATE/config/controller-manager.kubeconfig" \
		--bind-address=127.0.0.1 --leader-elect=false \
		--root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
		--use-service-account-credentials=true \
		--cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
		--service-cluster-ip-range="$SERVICE_CIDR" \
		--flex-volume-plugin-dir="$STATE/volume-plugins" --profiling=false
	start kube-scheduler "$STATE/bin/kube-scheduler" \
		--kubeconfig="$STATE/config/scheduler.kubeconfig" \
		--authentication-kubeconfig="$STATE/config/scheduler.kubeconfig" \
		--authorization-kubeconfig="$STATE/config/scheduler.kubeconfig" \
		--bind-address=127.0.0.1 --leader-elect=false --profiling=false

	mkdir -p "$STATE/containerd" "$STATE/runc" "$STATE/volumes" "$STATE/pod-logs" "$STATE/volume-plugins"
	start containerd "$(command -v containerd)" --config "$STATE/config/containerd.toml"
	wait_for containerd 30 ctr version
	load_cluster_images

	start kubelet "$STATE/bin/kubelet" --config="$STATE/config/kubelet.yaml" \
		--kubeconfig="$STATE/config/kubelet.kubeconfig" --root-dir="$STATE/kubelet" \
		--cert-dir="$PKI" --node-ip="$NODE_IP" --hostname-override="$NODE"
	wait_for kubelet 90 node_ready
	say "node Ready $((SECONDS - t_etcd))s after etcd started"
	start kube-proxy "$STATE/bin/kube-proxy" --config="$STATE/config/kube-proxy.yaml"

	manifest coredns.yaml | kubectl apply -f - >"$LOGS/addons.log"
	manifest local-path.yaml | kubectl apply -f - >>"$LOGS/addons.log"
	wait_for kube-proxy 120 kubectl -n kube-system rollout status deployment/coredns --timeout=5s
	wait_for kubelet 120 kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=5s
	write_tfvars
	trap - EXIT
	say "up in $((SECONDS - t0))s ($((SECONDS - t_etcd))s from etcd to DNS and storage ready)"
	cat >&2 <<-EOF

		  kubeconfig: $ADMIN_KUBECONFIG (API at https://127.0.0.1:6443 inside netns $NETNS)
		  try:        bash scripts/cluster.sh run kubectl get nodes,pods -A
		  terraform:  cd terraform && bash ../scripts/cluster.sh run terraform init &&
		              bash ../scripts/cluster.sh run terraform apply -var-file=$STATE/terraform.tfvars
		  stop:       bash scripts/cluster.sh down
	EOF
}

# ---- down ----------------------------------------------------------------------------

# The runtime's processes that are ours: containerd's shims carry our socket
# on their command line.
our_shims() {
	local d
	for d in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qF -- "-address $SOCK " && echo "${d#/proc/}"
	done
	return 0
}

# Every process in the kubepods cgroups (the pods' containers), in any
# hierarchy.
pod_pids() {
	local d
	for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
		[ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -u
	return 0
}

cmd_down() {
	[ -d "$STATE" ] || [ -e "/run/netns/$NETNS" ] || { say "not up"; return 0; }
	local i pid
	# The kubelet first, so that nothing restarts what is stopped next.
	stop_component kube-proxy
	stop_component kubelet
	# Containers: kill them, then their shims (which exit with them, or
	# are killed if they do not).
	for pid in $(pod_pids); do kill -KILL "$pid" 2>/dev/null || true; done
	for pid in $(our_shims); do stop_pid "$pid" 5; done
	for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
		stop_component "${COMPONENTS[i]}"
	done
	# Anything still in the namespace was started there by us.
	if [ -e "/run/netns/$NETNS" ]; then
		for pid in $(ip netns pids "$NETNS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
	fi
	for pid in $(pod_pids); do kill -KILL "$pid" 2>/dev/null || true; done

	# Mounts under the state directory (etcd's tmpfs, container root
	# filesystems, pod volumes, the pods' network namespaces), deepest
	# first.
	local m
	for _ in 1 2 3; do
		m=$(awk -v s="$STATE/" 'index($5, s) == 1 || $5 == substr(s, 1, length(s) - 1) { print $5 }' \
			/proc/self/mountinfo | sort -r)
		[ -n "$m" ] || break
		while IFS= read -r p; do
			umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true
		done <<<"$m"
	done

	# The kubepods cgroups, leaves first (a cgroup is removed with rmdir
	# once it is empty).
	local d
	for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[ -d "$d" ] && say "warning: could not remove $d"
	done

	[ -e "/run/netns/$NETNS" ] && ip netns del "$NETNS"

	if [ -r "$STATE/sysctls.saved" ]; then
		while IFS= read -r line; do sysctl -qw "$line" || true; done <"$STATE/sysctls.saved"
	fi
	if [ -r "$STATE/paths.created" ]; then
		while IFS= read -r p; do
			case $p in /var/log/containers | /var/log/pods | /var/lib/kubelet | /var/lib/cni | /run/containerd) rm -rf "$p" ;; esac
		done <"$STATE/paths.created"
	fi
	if awk -v s="$STATE/" 'index($5, s) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		die "something is still mounted under $STATE; not removing it"
	fi
	rm -rf "$STATE"
	say "down"
}

# ---- status, run, load -------------------------------------------------------------

cmd_status() {
	is_up || { say "not up"; return 1; }
	local name pid bad=0
	for name in "${COMPONENTS[@]}"; do
		if pid=$(pid_of "$name"); then
			printf '%-24s running (pid %s)\n' "$name" "$pid"
		else
			printf '%-24s DOWN (log: %s)\n' "$name" "$LOGS/$name.log"
			bad=1
		fi
	done
	if pid_of kube-apiserver >/dev/null; then
		kubectl get nodes -o wide || bad=1
		kubectl get pods -A -o wide || bad=1
		node_ready || { say "node not Ready"; bad=1; }
	fi
	return "$bad"
}

cmd_run() {
	is_up || die "the cluster is not up (scripts/cluster.sh up)"
	[ $# -gt 0 ] || die "usage: scripts/cluster.sh run CMD [ARGS...]"
	# kubectl from the cluster's own binary; terraform and helm from the
	# tools cache when they are built; Terraform's providers from the
	# project's offline mirror unless told otherwise.
	local path=$STATE/bin:$PATH tf helm rc
	export S3WWWD_TOOLS_NO_BUILD=1
	tf=$(bash "$TOOLS" terraform 2>/dev/null) && path=$(dirname "$tf"):$path
	helm=$(bash "$TOOLS" helm 2>/dev/null) && path=$(dirname "$helm"):$path
	# (A TF_CLI_CONFIG_FILE that names no file, as some shells set, counts as
	# none: terraform would then reach for the registry.)
	if [ ! -f "${TF_CLI_CONFIG_FILE:-}" ] && rc=$(bash "$TOOLS" tfproviders 2>/dev/null); then
		export TF_CLI_CONFIG_FILE=$rc
	fi
	unset S3WWWD_TOOLS_NO_BUILD
	exec nsenter --net="/run/netns/$NETNS" -- env PATH="$path" KUBECONFIG="$ADMIN_KUBECONFIG" "$@"
}

cmd_forward() {
	is_up || die "the cluster is not up (scripts/cluster.sh up)"
	local port=${1:-8080} svc=${2:-s3wwwd/s3wwwd} target
	target=$(kubectl -n "${svc%%/*}" get service "${svc#*/}" \
		-o jsonpath='{.spec.clusterIP} {.spec.ports[0].port}') ||
		die "no Service $svc in the cluster"
	# shellcheck disable=SC2086
	exec python3 "$SRCDIR/scripts/cluster/forward.py" "/run/netns/$NETNS" "$port" $target
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kubeconfig) is_up || die "not up"; printf '%s\n' "$ADMIN_KUBECONFIG" ;;
run) shift; cmd_run "$@" ;;
load) shift; is_up || die "not up"; [ $# -gt 0 ] || die "usage: scripts/cluster.sh load IMAGE..."; load_images "$@" ;;
forward) shift; cmd_forward "$@" ;;
*)
	echo "usage: $0 {up|down|status|kubeconfig|run CMD...|load IMAGE...|forward [PORT [NS/SERVICE]]}" >&2
	exit 2
	;;
esac
