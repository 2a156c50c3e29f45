# The module's outputs, passed through.  Names and addresses only: no
# output carries a credential (the keys are in the Secrets named by
# credential_secret_names: kubectl get secret NAME -o jsonpath=...).

output "url" {
  description = "In-cluster URL of the site (the s3wwwd Service). From outside: kubectl -n NAMESPACE port-forward svc/SERVICE 8080:80."
  value       = module.site.url
}

output "namespace" {
  description = "Namespace everything is installed in."
  value       = module.site.namespace
}

output "minio_release_name" {
  description = "Helm release name of MinIO (also its Service name)."
  value       = module.site.minio_release_name
}

output "s3wwwd_release_name" {
  description = "Helm release name of s3wwwd (also its Service name)."
  value       = module.site.s3wwwd_release_name
}

output "minio_endpoint" {
  description = "In-cluster S3 endpoint of MinIO."
  value       = module.site.minio_endpoint
}

output "bucket" {
  description = "The bucket that holds the site."
  value       = module.site.bucket
}

output "seed_job_name" {
  description = "Name of the seeding Job; it changes (and the Job re-runs) when the content or the seeding options change."
  value       = module.site.seed_job_name
}

output "site_configmap_name" {
  description = "Name of the ConfigMap holding the site files."
  value       = module.site.site_configmap_name
}

output "credential_secret_names" {
  description = "Secrets holding the generated credentials: MinIO root, the read-only user, s3wwwd's key (a service account of the read-only user), the seeding Job's writer."
  value       = module.site.credential_secret_names
}

output "chart_values_sha256" {
  description = "Fingerprints of the values given to each chart: if one changes between two applies, that release was upgraded."
  value       = module.site.chart_values_sha256
}

output "credentials_job_name" {
  description = "Name of the Job that gives MinIO the users' passwords and s3wwwd's key; it changes (and the Job re-runs) when a password is rotated."
  value       = module.site.credentials_job_name
}

output "credentials_prune_job_name" {
  description = "Name of the Job that removes s3wwwd's previous keys once the pods use the new one; it changes with credentials_job_name."
  value       = module.site.credentials_prune_job_name
}

output "reader_key_id" {
  description = "The access key s3wwwd uses (a MinIO service account of the read-only user, named after a digest of its password). Not a secret."
  value       = module.site.reader_key_id
}
