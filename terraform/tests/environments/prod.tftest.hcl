# environments/prod.tfvars, through the root.  tests/terraform/run.sh runs
# this file with -var-file=environments/prod.tfvars.

mock_provider "helm" {}
mock_provider "kubernetes" {}

run "prod" {
  command = plan

  assert {
    condition = (
      module.site.minio_chart_values.mode == "distributed" && module.site.minio_chart_values.replicas >= 4 &&
      module.site.minio_chart_values.persistence.enabled == true
    )
    error_message = "prod: MinIO distributed over 4 or more pods, with persistence."
  }
  assert {
    condition = (
      module.site.s3wwwd_chart_values.replicaCount >= 2 &&
      module.site.s3wwwd_chart_values.autoscaling.enabled == true &&
      module.site.s3wwwd_chart_values.autoscaling.minReplicas >= 2
    )
    error_message = "prod: several s3wwwd pods, with an autoscaler that keeps at least 2."
  }
  assert {
    condition     = length(module.site.s3wwwd_chart_values.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution) == 1
    error_message = "prod: pod anti-affinity over the nodes."
  }
  assert {
    condition     = module.site.s3wwwd_chart_values.podDisruptionBudget.enabled == true && module.site.s3wwwd_chart_values.podDisruptionBudget.minAvailable == 2
    error_message = "prod: a PodDisruptionBudget keeping 2 pods."
  }
  assert {
    condition = (
      length(module.site.s3wwwd_chart_values.site.headers) == 2 && jsonencode(module.site.s3wwwd_chart_values.site.trySuffixes) == jsonencode([".html"]) &&
      module.site.s3wwwd_chart_values.sites[0].redirectAll.host == "www.example.com"
    )
    error_message = "prod: response headers, clean URLs, and the apex redirected to www."
  }
}
