# What the configuration hands to the official MinIO chart (plan only).
# tests/terraform/run.sh also renders the real chart with these values.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

run "defaults_standalone" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  assert {
    condition     = helm_release.minio.chart == "minio" && helm_release.minio.repository == "https://charts.min.io/" && helm_release.minio.version == "5.4.0"
    error_message = "MinIO must come from the official repository at the pinned chart version."
  }
  assert {
    condition     = yamldecode(helm_release.minio.values[0]).mode == "standalone" && yamldecode(helm_release.minio.values[0]).replicas == 1
    error_message = "The default must be standalone with one replica."
  }
  assert {
    condition     = yamldecode(helm_release.minio.values[0]).persistence.enabled == true
    error_message = "Persistence must be on by default (a restart must not lose the site)."
  }
  assert {
    condition     = yamldecode(helm_release.minio.values[0]).existingSecret == kubernetes_secret_v1.minio_root.metadata[0].name
    error_message = "Root credentials must come from the Terraform-made Secret."
  }
  assert {
    condition = alltrue([
      for k in ["rootUser", "rootPassword"] :
      try(yamldecode(helm_release.minio.values[0])[k], "") == ""
    ])
    error_message = "Root credentials must not be set as chart values."
  }
  assert {
    # Exactly our two users: the chart's default console/console123 is gone.
    condition = (
      sort([for u in yamldecode(helm_release.minio.values[0]).users : u.accessKey]) == tolist(["s3wwwd-reader", "s3wwwd-seed"])
    )
    error_message = "users must be exactly the reader and the seeding writer (no console user)."
  }
  assert {
    condition = alltrue([
      for u in yamldecode(helm_release.minio.values[0]).users :
      !contains(keys(u), "secretKey") && u.existingSecretKey == "secretKey"
    ])
    error_message = "User secret keys must come from Secrets (existingSecret), never from values."
  }
  assert {
    condition = (
      { for u in yamldecode(helm_release.minio.values[0]).users : u.accessKey => u.existingSecret } ==
      { "s3wwwd-reader" = kubernetes_secret_v1.reader.metadata[0].name, "s3wwwd-seed" = kubernetes_secret_v1.writer.metadata[0].name }
    )
    error_message = "Each MinIO user must read its key from its own Secret."
  }
  assert {
    condition     = [for b in yamldecode(helm_release.minio.values[0]).buckets : b.name] == ["s3wwwd-site"] && yamldecode(helm_release.minio.values[0]).buckets[0].policy == "none"
    error_message = "The chart must create exactly the site bucket, private."
  }
}

run "reader_policy_is_read_only_on_the_bucket" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    bucket = "www.example.org"
  }

  assert {
    condition = (
      { for u in yamldecode(helm_release.minio.values[0]).users : u.accessKey => u.policy }["s3wwwd-reader"] == "s3wwwd-site-read"
    )
    error_message = "The reader must get the read policy."
  }
  assert {
    condition = (
      [for p in yamldecode(helm_release.minio.values[0]).policies : p.statements if p.name == "s3wwwd-site-read"][0] == [
        { resources = ["arn:aws:s3:::www.example.org/*"], actions = ["s3:GetObject"] },
        { resources = ["arn:aws:s3:::www.example.org"], actions = ["s3:ListBucket", "s3:GetBucketLocation"] },
      ]
    )
    error_message = "The read policy must allow GetObject on the bucket's objects and ListBucket/GetBucketLocation on the bucket, nothing else."
  }
  assert {
    # No Put/Delete/admin action may leak into the read policy.
    condition = alltrue(flatten([
      for p in yamldecode(helm_release.minio.values[0]).policies : [
        for s in p.statements : [for a in s.actions : contains(["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"], a)]
      ] if p.name == "s3wwwd-site-read"
    ]))
    error_message = "The read policy holds a write action."
  }
  assert {
    # Every statement of every policy is confined to this bucket.
    condition = alltrue(flatten([
      for p in yamldecode(helm_release.minio.values[0]).policies : [
        for s in p.statements : [for r in s.resources : contains(["arn:aws:s3:::www.example.org", "arn:aws:s3:::www.example.org/*"], r)]
      ]
    ]))
    error_message = "A policy reaches beyond the site bucket."
  }
}

run "distributed_with_persistence_settings" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    minio_mode            = "distributed"
    minio_replicas        = 4
    minio_drives_per_node = 2
    minio_persistence = {
      enabled       = true
      size          = "50Gi"
      storage_class = "fast-ssd"
    }
  }

  assert {
    condition = (
      yamldecode(helm_release.minio.values[0]).mode == "distributed" &&
      yamldecode(helm_release.minio.values[0]).replicas == 4 &&
      yamldecode(helm_release.minio.values[0]).drivesPerNode == 2
    )
    error_message = "Distributed mode settings must reach the chart."
  }
  assert {
    condition     = yamldecode(helm_release.minio.values[0]).persistence == { enabled = true, size = "50Gi", storageClass = "fast-ssd" }
    error_message = "Persistence settings must reach the chart."
  }
}

run "persistence_off" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    minio_persistence = { enabled = false }
  }

  assert {
    condition     = yamldecode(helm_release.minio.values[0]).persistence.enabled == false
    error_message = "Persistence must be selectable."
  }
}

run "local_chart_path_replaces_repository" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    minio_chart_path = "/srv/charts/minio"
  }

  assert {
    # (version is left unset, which the provider fills in from the chart.)
    condition     = helm_release.minio.chart == "/srv/charts/minio" && helm_release.minio.repository == null
    error_message = "A local chart path must replace the repository."
  }
}
