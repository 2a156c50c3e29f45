# Names and addresses only: no output carries a credential.  The keys are in
# the Secrets named below (kubectl get secret NAME -o jsonpath=...).

output "url" {
  description = "In-cluster URL of the site (the s3wwwd Service). From outside: kubectl -n NAMESPACE port-forward svc/SERVICE 8080:80."
  value       = "http://${helm_release.s3wwwd.name}.${local.namespace}.svc/"
}

output "namespace" {
  description = "Namespace everything is installed in."
  value       = local.namespace
}

output "minio_release_name" {
  description = "Helm release name of MinIO (also its Service name)."
  value       = helm_release.minio.name
}

output "s3wwwd_release_name" {
  description = "Helm release name of s3wwwd (also its Service name)."
  value       = helm_release.s3wwwd.name
}

output "minio_endpoint" {
  description = "In-cluster S3 endpoint of MinIO."
  value       = local.minio_endpoint
}

output "bucket" {
  description = "The bucket that holds the site."
  value       = var.bucket
}

output "seed_job_name" {
  description = "Name of the seeding Job; it changes (and the Job re-runs) when the content or the seeding options change."
  value       = kubernetes_job_v1.seed.metadata[0].name
}

output "site_configmap_name" {
  description = "Name of the ConfigMap holding the site files."
  value       = kubernetes_config_map_v1.site.metadata[0].name
}

output "credential_secret_names" {
  description = "Secrets holding the generated credentials: MinIO root, the read-only user, s3wwwd's key (a service account of the read-only user), the seeding Job's writer."
  value = {
    minio_root = kubernetes_secret_v1.minio_root.metadata[0].name
    reader     = kubernetes_secret_v1.reader.metadata[0].name
    reader_key = kubernetes_secret_v1.reader_key.metadata[0].name
    writer     = kubernetes_secret_v1.writer.metadata[0].name
  }
}

output "chart_values_sha256" {
  description = "Fingerprints of the values given to each chart: if one changes between two applies, that release was upgraded."
  value = {
    minio  = sha256(join("\n---\n", helm_release.minio.values))
    s3wwwd = sha256(join("\n---\n", helm_release.s3wwwd.values))
  }
}

output "credentials_job_name" {
  description = "Name of the Job that gives MinIO the users' passwords and s3wwwd's key; it changes (and the Job re-runs) when a password is rotated."
  value       = kubernetes_job_v1.credentials.metadata[0].name
}

output "credentials_prune_job_name" {
  description = "Name of the Job that removes s3wwwd's previous keys once the pods use the new one; it changes with credentials_job_name."
  value       = kubernetes_job_v1.credentials_prune.metadata[0].name
}

output "reader_key_id" {
  description = "The access key s3wwwd uses (a MinIO service account of the read-only user, named after a digest of its password). Not a secret."
  value       = local.reader_key_id
}

# What the module hands each chart and the Jobs.  Derived from the inputs
# only (known at plan time, no credentials), so that a reviewer or an
# offline test (tests/terraform/run.sh renders the real charts with them)
# can see them without a cluster.

output "minio_chart_values" {
  description = "The values given to the MinIO chart (before minio_extra_values and the image overrides). Secret names only, no credentials."
  value       = local.minio_values
}

output "s3wwwd_chart_values" {
  description = "The values given to the s3wwwd chart (before s3wwwd_extra_values and the credentials digest annotation). Secret names only, no credentials."
  value       = local.s3wwwd_values
}

output "seed_args" {
  description = "The command line arguments of s3wwwd-seed in the seeding Job."
  value       = local.seed_args
}

output "credentials_scripts" {
  description = "The shell scripts of the credentials Job (credentials) and of the pruning Job (prune); both take s3wwwd's access key in READER_KEY."
  value = {
    credentials = local.credentials_script
    prune       = local.credentials_prune_script
  }
}

output "mc_image" {
  description = "The MinIO client image the credentials Job runs (the MinIO chart's own unless mc_image is set)."
  value       = local.mc_image
}
