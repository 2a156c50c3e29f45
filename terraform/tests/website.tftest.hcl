# How the site is served (website), its website document (website_document)
# and several sites (sites): what reaches the s3wwwd chart's values, the
# MinIO chart's buckets and policies and the seeding Job, and what is
# refused at plan time.  tests/terraform/run.sh also renders the chart with
# such values (tests/terraform/fixtures/sites.tfvars), has s3wwwd -t read
# the result, and runs the Job's arguments against a real MinIO.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl goes through
# the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

variables {
  document = <<-EOT
    <WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <RoutingRules><RoutingRule>
        <Condition><KeyPrefixEquals>blog/</KeyPrefixEquals></Condition>
        <Redirect><HostName>blog.example.com</HostName></Redirect>
      </RoutingRule></RoutingRules>
    </WebsiteConfiguration>
  EOT
}

run "defaults_leave_the_chart_and_the_job_as_they_were" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  assert {
    condition     = !contains(keys(output.s3wwwd_chart_values), "site") && !contains(keys(output.s3wwwd_chart_values), "sites")
    error_message = "Unset website inputs must not reach the chart."
  }
  assert {
    condition     = !contains(output.seed_args, "--website-document") && keys(kubernetes_config_map_v1.site.data) == tolist(["index.html"])
    error_message = "Without a website document the Job and the ConfigMap must be what they were."
  }
  assert {
    condition = (
      length([for v in kubernetes_job_v1.seed.spec[0].template[0].spec[0].volume : v if v.name == "website"]) == 0 &&
      length([for v in kubernetes_job_v1.seed.spec[0].template[0].spec[0].volume : v if v.name == "site"][0].config_map[0].items) == 0
    )
    error_message = "Without a website document the Job mounts the whole ConfigMap and nothing else."
  }
  assert {
    condition     = jsonencode(output.minio_chart_values.buckets) == jsonencode([{ name = "s3wwwd-site", policy = "none", purge = false }])
    error_message = "Without sites MinIO gets the one bucket."
  }
}

run "website_rules_reach_the_chart" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    website = {
      index          = "start.html"
      spa_file       = "app.html"
      error_document = "404.html"
      cors_origins   = ["https://a.example.com"]
      routing_rules = [
        { key_prefix = "docs/", replace_key_prefix = "documents/" },
        { key_prefix = "legacy/", replace_key_prefix = "" },
        { error_code = 404, host = "old.example.com", protocol = "https", code = 302 },
      ]
      headers           = [{ prefix = "assets/", name = "Cache-Control", value = "public, max-age=300", override = true }]
      try_suffixes      = [".html"]
      redirect_suffixes = false
      fallbacks         = [{ prefix = "app/", spa_file = "app/index.html" }, { prefix = "docs/", error_document = "docs/404.html" }]
      website_ttl       = "2m"
    }
  }

  assert {
    # jsonencode: the same values, whether lists or tuples.
    condition = jsonencode(output.s3wwwd_chart_values.site) == jsonencode({
      index            = "start.html"
      spaFile          = "app.html"
      errorDocument    = "404.html"
      corsOrigins      = ["https://a.example.com"]
      routingRules     = [{ keyPrefix = "docs/", replaceKeyPrefix = "documents/" }, { keyPrefix = "legacy/", replaceKeyPrefix = "" }, { errorCode = 404, host = "old.example.com", protocol = "https", code = 302 }]
      headers          = [{ prefix = "assets/", name = "Cache-Control", value = "public, max-age=300", override = true }]
      trySuffixes      = [".html"]
      redirectSuffixes = false
      fallbacks        = [{ prefix = "app/", spaFile = "app/index.html" }, { prefix = "docs/", errorDocument = "docs/404.html" }]
      websiteTtl       = "2m"
    })
    error_message = "The website settings must reach the chart's site value, in camelCase, with only what is set (an empty replace_key_prefix included)."
  }
  assert {
    condition     = !contains(output.seed_args, "--website-document")
    error_message = "Website settings alone upload no document."
  }
}

run "redirect_all_reaches_the_chart" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    website = { redirect_all = { host = "www.example.com" } }
  }

  assert {
    condition     = jsonencode(output.s3wwwd_chart_values.site) == jsonencode({ redirectAll = { host = "www.example.com" } })
    error_message = "redirect_all must reach the chart as redirectAll."
  }
}

run "website_document_goes_into_the_job" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  variables {
    website_document = var.document
  }

  assert {
    condition     = jsonencode(output.s3wwwd_chart_values.site) == jsonencode({ websiteDocument = "website.xml" })
    error_message = "The chart must read the document from the key the Job uploads it to (default website.xml)."
  }
  assert {
    condition     = join(" ", slice(output.seed_args, length(output.seed_args) - 2, length(output.seed_args))) == "--website-document /website/website.xml=website.xml"
    error_message = "The Job must upload the document last, with --website-document, which checks it."
  }
  assert {
    condition     = kubernetes_config_map_v1.site.data["s3wwwd-website-document.xml"] == var.document && contains(keys(kubernetes_config_map_v1.site.data), "index.html")
    error_message = "The ConfigMap must carry the document beside the site files."
  }
  assert {
    condition = (
      jsonencode([for v in kubernetes_job_v1.seed.spec[0].template[0].spec[0].volume : [for i in v.config_map[0].items : [i.key, i.path]] if v.name == "site"]) == jsonencode([[["index.html", "index.html"], ["s3wwwd.gif", "s3wwwd.gif"]]]) &&
      jsonencode([for v in kubernetes_job_v1.seed.spec[0].template[0].spec[0].volume : [for i in v.config_map[0].items : [i.key, i.path]] if v.name == "website"]) == jsonencode([[["s3wwwd-website-document.xml", "website.xml"]]]) &&
      jsonencode([for m in kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].volume_mount : [m.mount_path, m.read_only] if m.name == "website"]) == jsonencode([["/website", true]])
    )
    error_message = "The Job must mount the site files at /site (not the document, which --dir would upload as a page) and the document alone at /website."
  }
}

run "a_new_document_reruns_the_job_only" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  variables {
    website_document = replace(var.document, "blog.example.com", "news.example.com")
  }

  assert {
    condition     = output.seed_job_name != run.website_document_goes_into_the_job.seed_job_name && output.site_configmap_name != run.website_document_goes_into_the_job.site_configmap_name
    error_message = "A changed document must give a new ConfigMap and a new Job (which uploads it)."
  }
  assert {
    condition     = output.chart_values_sha256 == run.website_document_goes_into_the_job.chart_values_sha256
    error_message = "A changed document must not upgrade a release: s3wwwd reads it again by itself."
  }
}

run "document_key_from_the_website" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    website          = { website_document_key = "config/aws-website.xml" }
    website_document = var.document
  }

  assert {
    condition     = output.s3wwwd_chart_values.site.websiteDocument == "config/aws-website.xml" && contains(output.seed_args, "/website/website.xml=config/aws-website.xml")
    error_message = "website.website_document_key names the key for both the Job and the chart."
  }
}

run "sites_reach_the_chart_and_minio" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan

  variables {
    sites = [
      {
        name        = "blog"
        hosts       = ["blog.example.com", "*.blog.example.com"]
        bucket      = "blog-site"
        bucket_path = ""
        website     = { spa_file = "index.html", headers = [], redirect_suffixes = false }
        cache       = { enabled = true, ttl = "1m" }
      },
      { hosts = ["example.com"], website = { redirect_all = { host = "www.example.com", protocol = "https" } } },
      { name = "rest", default = true, bucket_path = "rest", website = { routing_rules = [{ key_prefix = "a/", code = 307 }] } },
    ]
  }

  assert {
    condition = jsonencode(output.s3wwwd_chart_values.sites) == jsonencode([
      { name = "blog", hosts = ["blog.example.com", "*.blog.example.com"], bucket = "blog-site", bucketPath = "", spaFile = "index.html", headers = [], redirectSuffixes = false, cache = { enabled = true, ttl = "1m" } },
      { hosts = ["example.com"], redirectAll = { host = "www.example.com", protocol = "https" } },
      { name = "rest", default = true, bucketPath = "rest", routingRules = [{ keyPrefix = "a/", code = 307 }] },
    ])
    error_message = "Each site must reach the chart's sites value with only what it sets (an empty list and a false included)."
  }
  assert {
    condition     = !contains(keys(output.s3wwwd_chart_values), "site")
    error_message = "Sites alone leave the top-level site to the chart's defaults."
  }
  assert {
    condition = (
      jsonencode(output.minio_chart_values.buckets) == jsonencode([{ name = "s3wwwd-site", policy = "none", purge = false }, { name = "blog-site", policy = "none", purge = false }]) &&
      jsonencode(output.minio_chart_values.policies[0].statements[0].resources) == jsonencode(["arn:aws:s3:::s3wwwd-site/*", "arn:aws:s3:::blog-site/*"]) &&
      jsonencode(output.minio_chart_values.policies[1].statements[1].resources) == jsonencode(["arn:aws:s3:::s3wwwd-site", "arn:aws:s3:::blog-site"])
    )
    error_message = "A site's own bucket must be created in MinIO, readable by s3wwwd and writable by the seeding user."
  }
  assert {
    condition     = !contains(output.seed_args, "blog-site")
    error_message = "The seeding Job fills only the site's bucket."
  }
}

# ---- refused at plan time ------------------------------------------------------

run "rule_code_304" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { routing_rules = [{ key_prefix = "a/", code = 304 }] } }
  expect_failures = [var.website]
}

run "rule_protocol_ftp" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { routing_rules = [{ protocol = "ftp" }] } }
  expect_failures = [var.website]
}

run "rule_redirects_nowhere" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { routing_rules = [{ key_prefix = "docs/" }] } }
  expect_failures = [var.website]
}

run "rule_both_replacements" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { routing_rules = [{ replace_key = "a", replace_key_prefix = "b" }] } }
  expect_failures = [var.website]
}

run "rule_error_code_not_an_error" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { routing_rules = [{ error_code = 200, host = "a.example.com" }] } }
  expect_failures = [var.website]
}

run "redirect_all_with_rules" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    website = {
      redirect_all  = { host = "www.example.com" }
      routing_rules = [{ key_prefix = "a/", host = "b.example.com" }]
    }
  }
  expect_failures = [var.website]
}

run "redirect_all_host_with_a_path" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { redirect_all = { host = "www.example.com/x" } } }
  expect_failures = [var.website]
}

run "header_name_not_a_token" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { headers = [{ name = "Cache Control", value = "no-cache" }] } }
  expect_failures = [var.website]
}

run "try_suffix_without_a_dot" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { try_suffixes = ["html"] } }
  expect_failures = [var.website]
}

run "fallback_without_a_document" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { fallbacks = [{ prefix = "app/" }] } }
  expect_failures = [var.website]
}

run "website_ttl_without_a_unit" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { website_ttl = "60" } }
  expect_failures = [var.website]
}

run "document_key_escapes" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { website_document_key = "config/../website.xml" } }
  expect_failures = [var.website]
}

run "control_character_in_a_value" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website = { error_document = "a\nb.html" } }
  expect_failures = [var.website]
}

run "document_not_a_website_configuration" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { website_document = "{\"IndexDocument\": {\"Suffix\": \"index.html\"}}" }
  expect_failures = [var.website_document]
}

run "document_too_large" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  # 256 KiB and one byte.
  variables { website_document = "<WebsiteConfiguration>${join("", [for i in range(1024) : format("%256s", "")])}</WebsiteConfiguration>" }
  expect_failures = [var.website_document]
}

run "document_key_is_a_site_file" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    website          = { website_document_key = "index.html" }
    website_document = var.document
  }
  expect_failures = [kubernetes_job_v1.seed]
}

run "site_host_upper_case" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = ["Blog.example.com"] }] }
  expect_failures = [var.sites]
}

run "site_host_with_a_port" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = ["blog.example.com:8080"] }] }
  expect_failures = [var.sites]
}

run "site_with_too_many_hosts" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = [for i in range(17) : "h${i}.example.com"] }] }
  expect_failures = [var.sites]
}

run "too_many_sites" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [for i in range(33) : { hosts = ["s${i}.example.com"] }] }
  expect_failures = [var.sites]
}

run "site_without_hosts" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ name = "blog" }] }
  expect_failures = [var.sites]
}

run "site_name_with_a_space" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ name = "my blog", hosts = ["blog.example.com"] }] }
  expect_failures = [var.sites]
}

run "sites_share_a_host" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = ["a.example.com"] }, { name = "b", hosts = ["a.example.com"] }] }
  expect_failures = [var.sites]
}

run "sites_share_a_name" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ name = "a.example.com", hosts = ["b.example.com"] }, { hosts = ["a.example.com"] }] }
  expect_failures = [var.sites]
}

run "two_default_sites" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ name = "a", default = true }, { name = "b", default = true }] }
  expect_failures = [var.sites]
}

run "site_bucket_invalid" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = ["a.example.com"], bucket = "Blog_Bucket" }] }
  expect_failures = [var.sites]
}

run "site_cache_ttl_without_a_unit" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = ["a.example.com"], cache = { ttl = "10" } }] }
  expect_failures = [var.sites]
}

run "site_rule_code_304" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables { sites = [{ hosts = ["a.example.com"], website = { routing_rules = [{ code = 304 }] } }] }
  expect_failures = [var.sites]
}

run "site_redirect_all_with_rules" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = plan
  variables {
    sites = [{
      hosts   = ["a.example.com"]
      website = { redirect_all = { host = "b.example.com" }, routing_rules = [{ host = "c.example.com" }] }
    }]
  }
  expect_failures = [var.sites]
}
