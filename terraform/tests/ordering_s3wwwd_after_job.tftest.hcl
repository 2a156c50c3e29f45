# s3wwwd must be installed after the seeding Job has finished.
#
# Same method as ordering_job_after_minio.tftest.hcl: applying only the s3wwwd
# release on an empty state must also run the Job (and, through it, install
# MinIO).  Without the dependency the Job is not created and this fails.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

run "target_s3wwwd" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  plan_options {
    target = [helm_release.s3wwwd]
  }

  assert {
    condition     = startswith(kubernetes_job_v1.seed.metadata[0].name, "s3wwwd-seed-")
    error_message = "Applying s3wwwd did not run the seeding Job first: s3wwwd does not depend on the Job."
  }
  assert {
    condition     = helm_release.minio.name == "minio"
    error_message = "Applying s3wwwd did not install MinIO first."
  }
}
