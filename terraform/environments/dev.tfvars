# A development environment: one MinIO pod without a volume (the site is
# seeded again whenever MinIO restarts), one s3wwwd pod, no autoscaler.
#
#   terraform apply -var-file=environments/dev.tfvars
#
# Every other input keeps its default (variables.tf; the module's README
# lists them all).  No credentials go here: Terraform generates them.

kubeconfig_path = "~/.kube/config"
kube_context    = "dev"
namespace       = "s3wwwd-dev"

s3wwwd_image = {
  repository  = "registry.example.com/web/s3wwwd"
  tag         = "0.1.0"
  pull_policy = "Always"
}
s3wwwd_replicas = 1

minio_mode     = "standalone"
minio_replicas = 1
minio_persistence = {
  enabled = false
}
minio_resources = {
  requests = { cpu = "50m", memory = "256Mi" }
  limits   = { memory = "1Gi" }
}

seed_cache_control = "no-cache"
