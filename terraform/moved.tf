# Until the module existed every resource was declared here, at the root.
# These blocks tell Terraform that a state made then holds the same objects
# under the module's addresses: the next plan moves them ("has moved to")
# instead of destroying and re-creating MinIO, its data and the site.
# tests/terraform/run.sh checks that every resource of the module has its
# block and plans a state of the old layout.  Keep them as long as such
# states may exist.
#
# Added after the module, never at the root (no block): kubernetes_secret_v1.reader_key, kubernetes_job_v1.credentials_prune.

moved {
  from = kubernetes_namespace_v1.this
  to   = module.site.kubernetes_namespace_v1.this
}

moved {
  from = random_password.minio_root
  to   = module.site.random_password.minio_root
}

moved {
  from = random_password.reader
  to   = module.site.random_password.reader
}

moved {
  from = random_password.writer
  to   = module.site.random_password.writer
}

moved {
  from = kubernetes_secret_v1.minio_root
  to   = module.site.kubernetes_secret_v1.minio_root
}

moved {
  from = kubernetes_secret_v1.reader
  to   = module.site.kubernetes_secret_v1.reader
}

moved {
  from = kubernetes_secret_v1.writer
  to   = module.site.kubernetes_secret_v1.writer
}

moved {
  from = helm_release.minio
  to   = module.site.helm_release.minio
}

moved {
  from = kubernetes_job_v1.credentials
  to   = module.site.kubernetes_job_v1.credentials
}

moved {
  from = kubernetes_config_map_v1.site
  to   = module.site.kubernetes_config_map_v1.site
}

moved {
  from = kubernetes_job_v1.seed
  to   = module.site.kubernetes_job_v1.seed
}

moved {
  from = helm_release.s3wwwd
  to   = module.site.helm_release.s3wwwd
}
