# No generated credential may appear anywhere but in the Kubernetes Secrets.
#
# The cluster providers are mocked; random is the real provider, so the
# passwords checked below are really generated ones, different every run.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

run "apply" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  # The passwords are where they belong ...
  assert {
    condition     = kubernetes_secret_v1.minio_root.data.rootPassword == random_password.minio_root.result
    error_message = "The MinIO root Secret must hold the generated root password."
  }
  assert {
    condition     = kubernetes_secret_v1.reader.data.secretKey == random_password.reader.result && kubernetes_secret_v1.reader.data.accessKey == "s3wwwd-reader"
    error_message = "The reader Secret must hold the reader's keys."
  }
  assert {
    condition     = kubernetes_secret_v1.reader_key.data.secretKey == random_password.reader.result && kubernetes_secret_v1.reader_key.data.accessKey == "s3wwwd-${substr(sha256(random_password.reader.result), 0, 12)}" && length(kubernetes_secret_v1.reader_key.data.accessKey) <= 20
    error_message = "s3wwwd's Secret must hold its key: the reader's service account of this password (20 characters at most, MinIO's limit)."
  }
  assert {
    condition     = kubernetes_secret_v1.writer.data.secretKey == random_password.writer.result && kubernetes_secret_v1.writer.data.accessKey == "s3wwwd-seed"
    error_message = "The writer Secret must hold the writer's keys."
  }
  assert {
    condition = length(distinct([
      random_password.minio_root.result, random_password.reader.result, random_password.writer.result,
    ])) == 3 && alltrue([for p in [random_password.minio_root.result, random_password.reader.result, random_password.writer.result] : length(p) == 40])
    error_message = "Three distinct 40-character passwords are expected."
  }

  # ... and nowhere else: chart values, the Job's spec, the ConfigMap.
  assert {
    condition = alltrue([
      for p in [random_password.minio_root.result, random_password.reader.result, random_password.writer.result] :
      !strcontains(join("\n", helm_release.minio.values), p)
    ])
    error_message = "A generated password appears in the MinIO chart values."
  }
  assert {
    condition = alltrue([
      for p in [random_password.minio_root.result, random_password.reader.result, random_password.writer.result] :
      !strcontains(join("\n", helm_release.s3wwwd.values), p)
    ])
    error_message = "A generated password appears in the s3wwwd chart values."
  }
  assert {
    condition = alltrue([
      for p in [random_password.minio_root.result, random_password.reader.result, random_password.writer.result] :
      !strcontains(jsonencode(kubernetes_job_v1.seed.spec), p) && !strcontains(jsonencode(kubernetes_job_v1.seed.metadata), p)
    ])
    error_message = "A generated password appears in the seeding Job."
  }
  assert {
    condition = alltrue([
      for p in [random_password.minio_root.result, random_password.reader.result, random_password.writer.result] :
      !strcontains(jsonencode(kubernetes_config_map_v1.site.data), p)
    ])
    error_message = "A generated password appears in the site ConfigMap."
  }
  assert {
    condition     = helm_release.minio.set_sensitive == null && helm_release.s3wwwd.set_sensitive == null && helm_release.minio.set == null && helm_release.s3wwwd.set == null
    error_message = "Values must go through the values list only (no set/set_sensitive)."
  }

  # The Job gets the writer's keys as mounted files, not as environment.
  assert {
    condition = (
      length(kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].env) == 0 &&
      length(kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].env_from) == 0
    )
    error_message = "The seeding Job must not take credentials from the environment."
  }
  assert {
    condition = (
      [for v in kubernetes_job_v1.seed.spec[0].template[0].spec[0].volume : v.secret[0].secret_name if v.name == "credentials"] ==
      [kubernetes_secret_v1.writer.metadata[0].name]
    )
    error_message = "The seeding Job must mount the writer's Secret (not root's, not the reader's)."
  }
  assert {
    condition = (
      yamldecode(helm_release.s3wwwd.values[0]).credentials.existingSecret == kubernetes_secret_v1.reader_key.metadata[0].name &&
      yamldecode(helm_release.s3wwwd.values[0]).credentials.create == false
    )
    error_message = "s3wwwd must use its key's Secret (not the reader's password, root's or the writer's)."
  }

  # The outputs name things; they carry no key.
  assert {
    condition = alltrue([
      for p in [random_password.minio_root.result, random_password.reader.result, random_password.writer.result] :
      !strcontains(jsonencode([
        output.url, output.namespace, output.minio_release_name, output.s3wwwd_release_name,
        output.minio_endpoint, output.bucket, output.seed_job_name, output.site_configmap_name,
        output.credential_secret_names, output.chart_values_sha256,
      ]), p)
    ])
    error_message = "A generated password appears in an output."
  }
}
