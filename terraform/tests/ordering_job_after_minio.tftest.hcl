# The seeding Job must run after MinIO is installed.
#
# Targeting a resource makes Terraform apply it together with everything it
# depends on, and nothing else.  Applying only the Job on an empty state must
# therefore also install MinIO; if the Job stopped depending on MinIO, the
# MinIO release would not be created and the assertion below fails.  (Each
# test file starts from an empty state; tests/terraform/run.sh proves this
# file fails once the dependency is removed.)

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

run "target_job" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  plan_options {
    target = [kubernetes_job_v1.seed]
  }

  assert {
    condition     = helm_release.minio.name == "minio"
    error_message = "Applying the Job did not install MinIO first: the Job does not depend on MinIO."
  }
  assert {
    condition     = kubernetes_job_v1.seed.wait_for_completion == true && kubernetes_job_v1.seed.spec[0].backoff_limit == 3
    error_message = "The Job must be waited for, with a bounded number of retries."
  }
}
