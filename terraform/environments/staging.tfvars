# Staging: what production serves, on a smaller footprint, to try a release
# before prod.  The website settings and the sites are prod's, so a change
# to them shows here first; MinIO runs standalone on one persistent volume,
# s3wwwd on 2 pods spread over the nodes with a PodDisruptionBudget keeping
# one, and no autoscaler (no metrics-server needed).
#
#   terraform apply -var-file=environments/staging.tfvars
#
# Use its own state (backend key s3wwwd/staging.tfstate).  No credentials
# go here.

kubeconfig_path = "~/.kube/config"
kube_context    = "staging"
namespace       = "s3wwwd-staging"

s3wwwd_image = {
  repository  = "registry.example.com/web/s3wwwd"
  tag         = "0.1.0"
  pull_policy = "IfNotPresent"
}
s3wwwd_replicas          = 2
s3wwwd_pod_anti_affinity = "preferred"
s3wwwd_pod_disruption_budget = {
  min_available = "1"
}

minio_mode     = "standalone"
minio_replicas = 1
minio_persistence = {
  enabled       = true
  size          = "10Gi"
  storage_class = "" # the cluster's default StorageClass
}
minio_resources = {
  requests = { cpu = "100m", memory = "512Mi" }
  limits   = { memory = "2Gi" }
}

seed_cache_control   = "public, max-age=60"
helm_timeout_seconds = 600

# As in prod.tfvars: HSTS, long caching of the fingerprinted assets, clean
# URLs, and the bare domain sent to the site's own name.
website = {
  headers = [
    { name = "Strict-Transport-Security", value = "max-age=63072000" },
    { prefix = "assets/", name = "Cache-Control", value = "public, max-age=31536000, immutable", override = true },
  ]
  try_suffixes = [".html"]
}

sites = [
  {
    name    = "apex"
    hosts   = ["staging.example.com"]
    website = { redirect_all = { host = "www.staging.example.com", protocol = "https" } }
  },
]
