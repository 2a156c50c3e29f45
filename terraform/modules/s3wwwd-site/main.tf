# s3wwwd on Kubernetes: the official MinIO chart, a Job that seeds the site
# bucket with s3wwwd-seed, then the s3wwwd chart.  The order is
#
#   Secrets -> helm_release.minio -> kubernetes_job_v1.seed -> helm_release.s3wwwd
#
# and comes from Terraform dependencies only (no Helm hooks between charts).
# tests/terraform/run.sh checks these edges in `terraform graph`.

locals {
  namespace = var.create_namespace ? kubernetes_namespace_v1.this[0].metadata[0].name : var.namespace

  labels = {
    "app.kubernetes.io/part-of"    = "s3wwwd"
    "app.kubernetes.io/managed-by" = "terraform"
  }

  # Names are derived from variables only (never from resource attributes) so
  # that the chart values below are known at plan time and can be rendered
  # offline by `terraform console` in the tests.
  minio_service  = var.minio_release_name # fullnameOverride below
  minio_endpoint = "http://${local.minio_service}.${var.namespace}.svc:9000"

  minio_root_secret = "${var.minio_release_name}-root-credentials"
  minio_root_user   = "minio-root"

  # s3wwwd reads the site with a key of the read-only user (a service
  # account, credentials.tf), from its own Secret; only the seeding Job can
  # write.
  reader_user       = "s3wwwd-reader"
  reader_secret     = "${var.s3wwwd_release_name}-reader-credentials"
  reader_key_secret = "${var.s3wwwd_release_name}-reader-key"
  reader_policy     = "${var.s3wwwd_release_name}-site-read"
  writer_user       = "s3wwwd-seed"
  writer_secret     = "${var.s3wwwd_release_name}-seed-credentials"
  writer_policy     = "${var.s3wwwd_release_name}-site-write"

  # Key names inside the user Secrets.  The MinIO chart reads the secret
  # key from the users' (users[].existingSecretKey), the seeding Job and
  # s3wwwd mount theirs as files.
  access_key_key = "accessKey"
  secret_key_key = "secretKey"

  image = "${var.s3wwwd_image.repository}:${var.s3wwwd_image.tag}"

  pod_security_level = var.minio_persistence.enabled ? "restricted" : "baseline"
}

resource "kubernetes_namespace_v1" "this" {
  count = var.create_namespace ? 1 : 0

  metadata {
    name = var.namespace
    # Pod Security: every pod here meets "restricted" (minio.tf sets the
    # MinIO chart's security contexts), and the API server refuses any that
    # does not.  Without persistence the MinIO chart drops its security
    # contexts, so only "baseline" can be enforced then.
    labels = merge(local.labels, {
      "pod-security.kubernetes.io/enforce" = local.pod_security_level
      "pod-security.kubernetes.io/warn"    = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
    })
  }
}

# ---- credentials -----------------------------------------------------------------
#
# Generated here, stored only in Kubernetes Secrets (and, as always with
# Terraform, in the state: keep the state private).  Chart values name the
# Secrets; they never carry the secrets themselves.
#
# No special characters: the MinIO chart's provisioning scripts put the root
# password on an unquoted shell command line (`mc alias set ... $ACCESS
# $SECRET`), where quotes or spaces would break it.  40 alphanumerics are
# still about 238 bits.

resource "random_password" "minio_root" {
  length  = 40
  special = false
}

resource "random_password" "reader" {
  length  = 40
  special = false
}

resource "random_password" "writer" {
  length  = 40
  special = false
}

resource "kubernetes_secret_v1" "minio_root" {
  metadata {
    name      = local.minio_root_secret
    namespace = local.namespace
    labels    = local.labels
  }
  # The key names the MinIO chart expects of existingSecret.
  data = {
    rootUser     = local.minio_root_user
    rootPassword = random_password.minio_root.result
  }
}

resource "kubernetes_secret_v1" "reader" {
  metadata {
    name      = local.reader_secret
    namespace = local.namespace
    labels    = local.labels
  }
  data = {
    (local.access_key_key) = local.reader_user
    (local.secret_key_key) = random_password.reader.result
  }
}

# s3wwwd's key: the reader's service account of this password, with the
# same secret.  Written only once the credentials Job has given MinIO the
# key, so that no pod ever reads a key MinIO does not know.
resource "kubernetes_secret_v1" "reader_key" {
  metadata {
    name      = local.reader_key_secret
    namespace = local.namespace
    labels    = local.labels
  }
  data = {
    (local.access_key_key) = local.reader_key_id
    (local.secret_key_key) = random_password.reader.result
  }

  depends_on = [kubernetes_job_v1.credentials]
}

resource "kubernetes_secret_v1" "writer" {
  metadata {
    name      = local.writer_secret
    namespace = local.namespace
    labels    = local.labels
  }
  data = {
    (local.access_key_key) = local.writer_user
    (local.secret_key_key) = random_password.writer.result
  }
}
