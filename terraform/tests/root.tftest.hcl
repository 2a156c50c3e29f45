# The root configuration: it passes every input to the module unchanged and
# the module's outputs back (mocked cluster providers, the real random
# provider).  The other files here test the module's resources directly.

mock_provider "helm" {}
mock_provider "kubernetes" {}

run "defaults" {
  command = apply

  assert {
    condition     = output.url == "http://s3wwwd.s3wwwd.svc/" && output.namespace == "s3wwwd" && output.bucket == "s3wwwd-site"
    error_message = "The root must give the module's defaults and pass its outputs on."
  }
  assert {
    condition     = output.minio_endpoint == "http://minio.s3wwwd.svc:9000" && output.minio_release_name == "minio" && output.s3wwwd_release_name == "s3wwwd"
    error_message = "Unexpected endpoint or release names."
  }
  assert {
    condition     = startswith(output.seed_job_name, "s3wwwd-seed-") && startswith(output.credentials_job_name, "s3wwwd-credentials-") && startswith(output.credentials_prune_job_name, "s3wwwd-credentials-prune-") && can(regex("^s3wwwd-[0-9a-f]{12}$", output.reader_key_id)) && startswith(output.site_configmap_name, "s3wwwd-site-")
    error_message = "The Job and ConfigMap names must come through."
  }
  assert {
    condition     = output.credential_secret_names == { minio_root = "minio-root-credentials", reader = "s3wwwd-reader-credentials", reader_key = "s3wwwd-reader-key", writer = "s3wwwd-seed-credentials" }
    error_message = "The Secret names must come through."
  }
  assert {
    # The defaults hand the s3wwwd chart what they did before the module
    # existed: no high-availability keys unless asked for.
    condition     = !contains(keys(module.site.s3wwwd_chart_values), "affinity") && !contains(keys(module.site.s3wwwd_chart_values), "autoscaling") && !contains(keys(module.site.s3wwwd_chart_values), "podDisruptionBudget")
    error_message = "Unset high-availability inputs must not reach the chart."
  }
  assert {
    # Nor the website settings, sites or a website document.
    condition     = !contains(keys(module.site.s3wwwd_chart_values), "site") && !contains(keys(module.site.s3wwwd_chart_values), "sites") && !contains(module.site.seed_args, "--website-document")
    error_message = "Unset website inputs must not reach the chart or the Job."
  }
}

run "every_input_reaches_the_module" {
  command = plan

  variables {
    namespace                    = "web"
    create_namespace             = false
    bucket                       = "www.example.org"
    site_dir                     = "tests/fixtures/site-v2"
    site_files                   = ["index.html"]
    site_urls                    = { "logo.png" = "https://example.org/logo.png" }
    seed_cache_control           = "no-cache"
    seed_sync                    = false
    seed_wait_seconds            = 60
    seed_backoff_limit           = 1
    seed_active_deadline_seconds = 120
    minio_release_name           = "store"
    minio_mode                   = "distributed"
    minio_replicas               = 4
    minio_drives_per_node        = 2
    minio_persistence            = { size = "20Gi", storage_class = "fast" }
    minio_resources              = { requests = { cpu = "1" } }
    mc_image                     = { repository = "localhost/mc", tag = "1" }
    s3wwwd_release_name          = "site"
    s3wwwd_replicas              = 4
    s3wwwd_image                 = { repository = "registry.example.com/s3wwwd", tag = "9.9.9" }
    image_pull_secrets           = ["regcred"]
    s3wwwd_pod_anti_affinity     = "required"
    s3wwwd_pod_disruption_budget = { max_unavailable = "25%" }
    s3wwwd_autoscaling           = { min_replicas = 4, max_replicas = 8 }
    website                      = { try_suffixes = [".html"], website_document_key = "aws/website.xml" }
    website_document             = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>"
    sites                        = [{ name = "blog", hosts = ["blog.example.org"], bucket = "blog.example.org", website = { spa_file = "index.html" } }]
  }

  assert {
    condition = (
      module.site.minio_chart_values.mode == "distributed" && module.site.minio_chart_values.replicas == 4 &&
      module.site.minio_chart_values.drivesPerNode == 2 && module.site.minio_chart_values.fullnameOverride == "store" &&
      module.site.minio_chart_values.persistence == { enabled = true, size = "20Gi", storageClass = "fast" } &&
      module.site.minio_chart_values.resources.requests["cpu"] == "1" &&
      module.site.minio_chart_values.buckets[0].name == "www.example.org"
    )
    error_message = "The MinIO inputs must reach the module."
  }
  assert {
    condition = (
      module.site.s3wwwd_chart_values.fullnameOverride == "site" && module.site.s3wwwd_chart_values.replicaCount == 4 &&
      module.site.s3wwwd_chart_values.image.repository == "registry.example.com/s3wwwd" && module.site.s3wwwd_chart_values.image.tag == "9.9.9" &&
      module.site.s3wwwd_chart_values.imagePullSecrets == [{ name = "regcred" }] &&
      module.site.s3wwwd_chart_values.s3.endpoint == "http://store.web.svc:9000"
    )
    error_message = "The s3wwwd inputs must reach the module."
  }
  assert {
    condition = (
      length(module.site.s3wwwd_chart_values.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution) == 1 &&
      module.site.s3wwwd_chart_values.podDisruptionBudget == { enabled = true, minAvailable = "", maxUnavailable = "25%" } &&
      module.site.s3wwwd_chart_values.autoscaling.minReplicas == 4 && module.site.s3wwwd_chart_values.autoscaling.maxReplicas == 8
    )
    error_message = "Anti-affinity, the PodDisruptionBudget and the autoscaler must reach the chart."
  }
  assert {
    condition = (
      join(" ", module.site.seed_args) ==
      "--endpoint http://store.web.svc:9000 --bucket www.example.org --access-key-file /run/secrets/s3wwwd-seed/accessKey --secret-key-file /run/secrets/s3wwwd-seed/secretKey --wait 60 --only-changed --cache-control no-cache --dir /site --url https://example.org/logo.png=logo.png --website-document /website/website.xml=aws/website.xml"
    )
    error_message = "The seeding inputs (the website document included) must reach the module."
  }
  assert {
    condition = (
      jsonencode(module.site.s3wwwd_chart_values.site) == jsonencode({ trySuffixes = [".html"], websiteDocument = "aws/website.xml" }) &&
      jsonencode(module.site.s3wwwd_chart_values.sites) == jsonencode([{ name = "blog", hosts = ["blog.example.org"], bucket = "blog.example.org", spaFile = "index.html" }]) &&
      module.site.minio_chart_values.buckets[1].name == "blog.example.org"
    )
    error_message = "website, website_document and sites must reach the module."
  }
  assert {
    condition     = module.site.mc_image == "localhost/mc:1" && output.namespace == "web"
    error_message = "mc_image and namespace must reach the module."
  }
}

