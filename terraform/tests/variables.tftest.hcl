# Bad input is refused at plan time, before anything reaches a cluster.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

# The defaults and a valid non-default setup pass (so the checks below fail
# for the reason they name, not for everything).
run "defaults_are_valid" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
}

run "valid_distributed" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    minio_mode     = "distributed"
    minio_replicas = 4
    bucket         = "my.site-1"
    namespace      = "web"
    s3wwwd_image   = { repository = "registry.example.com:5000/team/s3wwwd", tag = "0.1.0-r2" }
  }
}

run "bucket_uppercase" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { bucket = "My_Bucket" }
  expect_failures = [var.bucket]
}

run "bucket_ip_address" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { bucket = "192.168.1.10" }
  expect_failures = [var.bucket]
}

run "namespace_invalid" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { namespace = "Not-A-Label-" }
  expect_failures = [var.namespace]
}

run "image_latest" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { s3wwwd_image = { repository = "localhost/s3wwwd", tag = "latest" } }
  expect_failures = [var.s3wwwd_image]
}

run "image_repository_with_tag" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { s3wwwd_image = { repository = "localhost/s3wwwd:0.1.0", tag = "0.1.0" } }
  expect_failures = [var.s3wwwd_image]
}

run "image_pull_policy" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { s3wwwd_image = { repository = "localhost/s3wwwd", tag = "0.1.0", pull_policy = "Sometimes" } }
  expect_failures = [var.s3wwwd_image]
}

run "minio_mode_unknown" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_mode = "cluster" }
  expect_failures = [var.minio_mode]
}

run "minio_chart_version_range" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_chart_version = "~> 5.4" }
  expect_failures = [var.minio_chart_version]
}

run "minio_chart_repository_scheme" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_chart_repository = "charts.min.io" }
  expect_failures = [var.minio_chart_repository]
}

run "minio_replicas_fraction" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_replicas = 2.5 }
  expect_failures = [var.minio_replicas]
}

run "persistence_size" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_persistence = { size = "ten gigs" } }
  expect_failures = [var.minio_persistence]
}

run "resources_key" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_resources = { requests = { gpu = "1" } } }
  expect_failures = [var.minio_resources]
}

run "extra_values_not_a_mapping" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_extra_values = ["- just\n- a list\n"] }
  expect_failures = [var.minio_extra_values]
}

run "site_file_with_path" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { site_files = ["css/site.css"] }
  expect_failures = [var.site_files]
}

run "site_file_twice" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { site_files = ["index.html", "index.html"] }
  expect_failures = [var.site_files]
}

run "site_url_scheme" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { site_urls = { "a.txt" = "ftp://example.org/a.txt" } }
  expect_failures = [var.site_urls]
}

run "site_url_key" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { site_urls = { "/a.txt" = "https://example.org/a.txt" } }
  expect_failures = [var.site_urls]
}

run "seed_wait_zero" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { seed_wait_seconds = 0 }
  expect_failures = [var.seed_wait_seconds]
}

run "seed_backoff_negative" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { seed_backoff_limit = -1 }
  expect_failures = [var.seed_backoff_limit]
}

run "seed_ttl_negative" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { seed_ttl_seconds_after_finished = -5 }
  expect_failures = [var.seed_ttl_seconds_after_finished]
}

run "release_name_too_long" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { s3wwwd_release_name = "s3wwwd-with-a-release-name-that-is-far-too-long" }
  expect_failures = [var.s3wwwd_release_name]
}

# Rules that involve more than one variable are preconditions.

run "standalone_with_replicas" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_replicas = 3 }
  expect_failures = [helm_release.minio]
}

run "distributed_too_small" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    minio_mode     = "distributed"
    minio_replicas = 2
  }
  expect_failures = [helm_release.minio]
}

run "deadline_shorter_than_wait" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    seed_wait_seconds            = 600
    seed_active_deadline_seconds = 300
  }
  expect_failures = [kubernetes_job_v1.seed]
}

run "nothing_to_publish" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { site_files = [] }
  expect_failures = [kubernetes_job_v1.seed]
}

run "url_key_repeats_a_file" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { site_urls = { "index.html" = "https://example.org/index.html" } }
  expect_failures = [kubernetes_job_v1.seed]
}

run "minio_images_valid" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    minio_image = { repository = "localhost/s3wwwd-cluster/minio", tag = "1" }
    mc_image    = { repository = "registry.example.com/minio/mc", tag = "RELEASE.2024-11-21T17-21-54Z" }
  }
}

run "minio_image_latest" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { minio_image = { repository = "quay.io/minio/minio", tag = "latest" } }
  expect_failures = [var.minio_image]
}

run "mc_image_no_tag" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { mc_image = { repository = "quay.io/minio/mc", tag = "" } }
  expect_failures = [var.mc_image]
}
