# environments/dev.tfvars, through the root.  tests/terraform/run.sh runs
# this file with -var-file=environments/dev.tfvars.

mock_provider "helm" {}
mock_provider "kubernetes" {}

run "dev" {
  command = plan

  assert {
    condition     = module.site.minio_chart_values.mode == "standalone" && module.site.minio_chart_values.persistence.enabled == false
    error_message = "dev: one MinIO pod without a volume."
  }
  assert {
    condition     = module.site.s3wwwd_chart_values.replicaCount == 1 && !contains(keys(module.site.s3wwwd_chart_values), "autoscaling")
    error_message = "dev: one s3wwwd pod, no autoscaler."
  }
  assert {
    condition     = output.namespace == "s3wwwd-dev"
    error_message = "dev: its own namespace."
  }
}
