# environments/staging.tfvars, through the root.  tests/terraform/run.sh runs
# this file with -var-file=environments/staging.tfvars.

mock_provider "helm" {}
mock_provider "kubernetes" {}

run "staging" {
  command = plan

  assert {
    condition = (
      module.site.minio_chart_values.mode == "standalone" && module.site.minio_chart_values.replicas == 1 &&
      module.site.minio_chart_values.persistence.enabled == true && module.site.minio_chart_values.persistence.size == "10Gi"
    )
    error_message = "staging: one MinIO pod on a persistent volume."
  }
  assert {
    condition = (
      module.site.s3wwwd_chart_values.replicaCount == 2 && !contains(keys(module.site.s3wwwd_chart_values), "autoscaling") &&
      length(module.site.s3wwwd_chart_values.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution) == 1 &&
      module.site.s3wwwd_chart_values.podDisruptionBudget.enabled == true && module.site.s3wwwd_chart_values.podDisruptionBudget.minAvailable == 1
    )
    error_message = "staging: 2 s3wwwd pods spread over the nodes, a PodDisruptionBudget keeping 1, no autoscaler."
  }
  assert {
    condition = (
      length(module.site.s3wwwd_chart_values.site.headers) == 2 && jsonencode(module.site.s3wwwd_chart_values.site.trySuffixes) == jsonencode([".html"]) &&
      module.site.s3wwwd_chart_values.sites[0].redirectAll.host == "www.staging.example.com"
    )
    error_message = "staging: prod's response headers and clean URLs, and its own apex redirected to its www."
  }
  assert {
    condition     = output.namespace == "s3wwwd-staging"
    error_message = "staging: its own namespace."
  }
}
