# Remote state in a MinIO bucket, locked with the S3 backend's own lock
# file (Terraform >= 1.10): while one run holds the state, the next one's
# `terraform plan/apply` stops with "Error acquiring the state lock".
#
#   cp backend-s3.tf.example backend.tf
#   export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...   # a MinIO user
#   terraform init -backend-config=environments/backend-minio.hcl
#
# (-migrate-state moves a local terraform.tfstate into the bucket.)  The
# state holds the generated passwords: the bucket must be private, and
# versioned so that a bad apply can be rolled back (mc version enable).
# Use one key per environment, e.g. -backend-config=key=s3wwwd/dev.tfstate.
# The credentials come from the environment (or a profile), never from
# this file.  tests/terraform/run.sh runs this file against a real MinIO.

bucket = "terraform-state"
key    = "s3wwwd/prod.tfstate"
# MinIO ignores the region, but the backend needs one.
region = "us-east-1"

endpoints = {
  s3 = "https://minio.example.org:9000"
}
# MinIO serves buckets as https://host/BUCKET/KEY, not BUCKET.host.
use_path_style = true

# S3-native locking: a KEY.tflock object next to the state, created with a
# conditional write (If-None-Match), which MinIO supports.  No DynamoDB.
use_lockfile = true

# MinIO is not AWS: no STS to check the credentials against, no AWS
# region list, no account id, no instance metadata.
skip_credentials_validation = true
skip_region_validation      = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
# The AWS SDK's default request checksums (CRC32 and friends, in trailing
# headers) are not understood by every S3 server; MD5 is.
skip_s3_checksum = true
