# s3wwwd on Kubernetes: the root configuration.  It configures the providers
# (providers.tf, pinned in versions.tf) and calls the module that does the
# work, modules/s3wwwd-site:
#
#   Secrets -> helm_release.minio -> kubernetes_job_v1.credentials
#           -> kubernetes_job_v1.seed -> helm_release.s3wwwd
#
# Settings per environment: environments/dev.tfvars, environments/prod.tfvars
# (terraform apply -var-file=environments/prod.tfvars).  State that was made
# before the module existed moves into it without a change (moved.tf).

module "site" {
  source = "./modules/s3wwwd-site"

  namespace                               = var.namespace
  create_namespace                        = var.create_namespace
  bucket                                  = var.bucket
  site_dir                                = var.site_dir
  site_files                              = var.site_files
  site_urls                               = var.site_urls
  seed_cache_control                      = var.seed_cache_control
  seed_sync                               = var.seed_sync
  website                                 = var.website
  website_document                        = var.website_document
  sites                                   = var.sites
  seed_wait_seconds                       = var.seed_wait_seconds
  seed_backoff_limit                      = var.seed_backoff_limit
  seed_active_deadline_seconds            = var.seed_active_deadline_seconds
  seed_ttl_seconds_after_finished         = var.seed_ttl_seconds_after_finished
  minio_release_name                      = var.minio_release_name
  minio_chart_repository                  = var.minio_chart_repository
  minio_chart_version                     = var.minio_chart_version
  minio_chart_path                        = var.minio_chart_path
  minio_image                             = var.minio_image
  mc_image                                = var.mc_image
  minio_mode                              = var.minio_mode
  minio_replicas                          = var.minio_replicas
  minio_drives_per_node                   = var.minio_drives_per_node
  minio_persistence                       = var.minio_persistence
  minio_resources                         = var.minio_resources
  minio_extra_values                      = var.minio_extra_values
  s3wwwd_release_name                     = var.s3wwwd_release_name
  s3wwwd_chart_path                       = var.s3wwwd_chart_path
  s3wwwd_image                            = var.s3wwwd_image
  image_pull_secrets                      = var.image_pull_secrets
  s3wwwd_replicas                         = var.s3wwwd_replicas
  s3wwwd_termination_grace_period_seconds = var.s3wwwd_termination_grace_period_seconds
  s3wwwd_pod_anti_affinity                = var.s3wwwd_pod_anti_affinity
  s3wwwd_pod_disruption_budget            = var.s3wwwd_pod_disruption_budget
  s3wwwd_autoscaling                      = var.s3wwwd_autoscaling
  s3wwwd_extra_values                     = var.s3wwwd_extra_values
  helm_timeout_seconds                    = var.helm_timeout_seconds
}
