# Pod Security and credential rotation: what the namespace enforces, what
# the MinIO chart is told, and how a new password reaches MinIO and s3wwwd.
# The cluster providers are mocked; tests/e2e/run.sh does the same for real.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

run "restricted_with_persistence" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  assert {
    condition     = kubernetes_namespace_v1.this[0].metadata[0].labels["pod-security.kubernetes.io/enforce"] == "restricted"
    error_message = "With MinIO on a volume every pod meets \"restricted\", so the namespace must enforce it."
  }
  assert {
    condition = alltrue([
      yamldecode(helm_release.minio.values[0]).securityContext.runAsNonRoot,
      yamldecode(helm_release.minio.values[0]).securityContext.seccompProfile.type == "RuntimeDefault",
      yamldecode(helm_release.minio.values[0]).containerSecurityContext.allowPrivilegeEscalation == false,
      yamldecode(helm_release.minio.values[0]).containerSecurityContext.capabilities.drop == ["ALL"],
      yamldecode(helm_release.minio.values[0]).postJob.securityContext.enabled,
      yamldecode(helm_release.minio.values[0]).postJob.securityContext.seccompProfile.type == "RuntimeDefault",
      yamldecode(helm_release.minio.values[0]).makeUserJob.securityContext.enabled,
      yamldecode(helm_release.minio.values[0]).makeUserJob.containerSecurityContext.capabilities.drop == ["ALL"],
    ])
    error_message = "The MinIO chart must get the security contexts of Pod Security \"restricted\"."
  }
}

run "baseline_without_persistence" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_persistence = { enabled = false } }

  assert {
    condition     = kubernetes_namespace_v1.this[0].metadata[0].labels["pod-security.kubernetes.io/enforce"] == "baseline"
    error_message = "Without persistence the MinIO chart renders no security context: only \"baseline\" can be enforced."
  }
}

run "images_override_the_chart" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    minio_image = { repository = "localhost/s3wwwd-cluster/minio", tag = "1" }
    mc_image    = { repository = "localhost/s3wwwd-cluster/mc", tag = "1" }
  }

  assert {
    condition     = yamldecode(helm_release.minio.values[0]).image.repository == "localhost/s3wwwd-cluster/minio" && yamldecode(helm_release.minio.values[0]).mcImage.tag == "1"
    error_message = "minio_image and mc_image must reach the chart's image and mcImage."
  }
}

run "chart_images_by_default" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  assert {
    condition     = !can(yamldecode(helm_release.minio.values[0]).image) && !can(yamldecode(helm_release.minio.values[0]).mcImage)
    error_message = "Without minio_image and mc_image the chart's own images must be kept."
  }
}

# A new reader password makes a new credentials Job (which gives MinIO the
# password, since the chart's own job skips users that exist, and s3wwwd's
# new key), a new key in s3wwwd's Secret, a new annotation on s3wwwd's pods
# (so they restart with it) and a new pruning Job (which removes the old
# key after them); none carries the password itself.
run "first" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply
}

run "rotated" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply
  # A new password, as `terraform apply -replace=random_password.reader`
  # makes one.
  plan_options {
    replace = [random_password.reader]
  }

  assert {
    condition     = kubernetes_job_v1.credentials.metadata[0].name != run.first.credentials_job_name
    error_message = "A rotated password must make a new credentials Job, or MinIO keeps the old one."
  }
  assert {
    condition     = kubernetes_job_v1.credentials.metadata[0].name == "s3wwwd-credentials-${substr(sha256(join("\n", ["key", random_password.reader.result, random_password.writer.result])), 0, 10)}"
    error_message = "The credentials Job's name must follow the current passwords."
  }
  assert {
    condition     = kubernetes_job_v1.credentials_prune.metadata[0].name == "s3wwwd-credentials-prune-${substr(sha256(join("\n", ["key", random_password.reader.result, random_password.writer.result])), 0, 10)}" && kubernetes_job_v1.credentials_prune.metadata[0].name != run.first.credentials_prune_job_name
    error_message = "A rotated password must make a new pruning Job, or the old key stays valid."
  }
  assert {
    condition     = kubernetes_secret_v1.reader_key.data.accessKey == "s3wwwd-${substr(sha256(random_password.reader.result), 0, 12)}" && kubernetes_secret_v1.reader_key.data.accessKey != run.first.reader_key_id && kubernetes_secret_v1.reader_key.data.secretKey == random_password.reader.result
    error_message = "s3wwwd's Secret must hold the key of the current password, a new access key."
  }
  assert {
    condition = alltrue([
      for j in [kubernetes_job_v1.credentials, kubernetes_job_v1.credentials_prune] :
      j.spec[0].template[0].spec[0].container[0].env[0].name == "READER_KEY" && j.spec[0].template[0].spec[0].container[0].env[0].value == kubernetes_secret_v1.reader_key.data.accessKey
    ])
    error_message = "Both Jobs must work on the key that s3wwwd's Secret holds."
  }
  assert {
    condition     = yamldecode(helm_release.s3wwwd.values[1]).podAnnotations["s3wwwd.io/credentials-sha256"] == sha256(random_password.reader.result)
    error_message = "s3wwwd's pods must carry a digest of the current reader password, so that they restart with it."
  }
  assert {
    condition = alltrue([
      for p in [random_password.reader.result, random_password.writer.result, random_password.minio_root.result] :
      !strcontains(join("\n", concat(helm_release.minio.values, helm_release.s3wwwd.values)), p) &&
      !strcontains(jsonencode(kubernetes_job_v1.credentials.spec), p) &&
      !strcontains(jsonencode(kubernetes_job_v1.credentials_prune.spec), p)
    ])
    error_message = "No password may appear in the chart values or the credentials Jobs."
  }
}

run "credentials_jobs_are_restricted" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  assert {
    condition = alltrue([
      for j in [kubernetes_job_v1.credentials, kubernetes_job_v1.credentials_prune] : (
        j.spec[0].template[0].spec[0].security_context[0].run_as_non_root == true &&
        j.spec[0].template[0].spec[0].security_context[0].seccomp_profile[0].type == "RuntimeDefault" &&
        j.spec[0].template[0].spec[0].container[0].security_context[0].run_as_non_root == true &&
        j.spec[0].template[0].spec[0].container[0].security_context[0].allow_privilege_escalation == false &&
        j.spec[0].template[0].spec[0].container[0].security_context[0].capabilities[0].drop == tolist(["ALL"]) &&
        j.spec[0].template[0].spec[0].automount_service_account_token == false
      )
    ])
    error_message = "The credentials Jobs must meet Pod Security \"restricted\" and mount no API token."
  }
  assert {
    condition     = kubernetes_job_v1.credentials.spec[0].template[0].spec[0].container[0].image == "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z" && kubernetes_job_v1.credentials_prune.spec[0].template[0].spec[0].container[0].image == "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z"
    error_message = "Without mc_image the credentials Jobs must run the MinIO chart's own mc image."
  }
}
