# Production: MinIO distributed (erasure-coded over 4 pods, each with a
# persistent volume), s3wwwd on at least 3 pods spread over the nodes, with
# a PodDisruptionBudget and a HorizontalPodAutoscaler.
#
#   terraform apply -var-file=environments/prod.tfvars
#
# Needs room for 4 MinIO pods and their volumes (a StorageClass, below),
# and the metrics API (metrics-server) for the autoscaler.  No credentials
# go here.

kubeconfig_path = "~/.kube/config"
kube_context    = "prod"
namespace       = "s3wwwd"

s3wwwd_image = {
  repository  = "registry.example.com/web/s3wwwd"
  tag         = "0.1.0"
  pull_policy = "IfNotPresent"
}
# What runs when the autoscaler has not said otherwise (the chart leaves
# the Deployment's replicas to the HPA when one is configured).
s3wwwd_replicas = 3
s3wwwd_autoscaling = {
  min_replicas                      = 3
  max_replicas                      = 10
  target_cpu_utilization_percentage = 70
}
# Preferred, not required: the autoscaler may go beyond the number of
# nodes; "required" would leave those pods Pending.
s3wwwd_pod_anti_affinity = "preferred"
# Node drains and cluster upgrades leave at least 2 pods serving.
s3wwwd_pod_disruption_budget = {
  min_available = "2"
}

minio_mode            = "distributed"
minio_replicas        = 4
minio_drives_per_node = 1
minio_persistence = {
  enabled       = true
  size          = "50Gi"
  storage_class = "" # the cluster's default StorageClass
}
minio_resources = {
  requests = { cpu = "250m", memory = "1Gi" }
  limits   = { memory = "4Gi" }
}

seed_cache_control           = "public, max-age=300"
seed_active_deadline_seconds = 1800
helm_timeout_seconds         = 900

# How the site is served: HSTS on every answer, long caching of the
# fingerprinted assets, clean URLs (/about serves about.html).
website = {
  headers = [
    { name = "Strict-Transport-Security", value = "max-age=63072000" },
    { prefix = "assets/", name = "Cache-Control", value = "public, max-age=31536000, immutable", override = true },
  ]
  try_suffixes = [".html"]
}

# The bare domain sends every request to the site's own name.
sites = [
  {
    name    = "apex"
    hosts   = ["example.com"]
    website = { redirect_all = { host = "www.example.com", protocol = "https" } }
  },
]
