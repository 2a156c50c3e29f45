# Changing the site re-runs the seeding Job and touches neither release.
#
# The runs share one state: "initial" installs everything, "unchanged" applies
# the same input again, "changed" applies other content.

# Every run applies the module (modules/s3wwwd-site) itself, so that the
# assertions can look at its resources; tests/root.tftest.hcl and
# tests/environments/ go through the root configuration.
mock_provider "helm" {}
mock_provider "kubernetes" {}

run "initial" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  assert {
    condition     = keys(kubernetes_config_map_v1.site.data) == tolist(["index.html"]) && keys(kubernetes_config_map_v1.site.binary_data) == tolist(["s3wwwd.gif"])
    error_message = "The demo site must give index.html as text and the gif as binaryData."
  }
  assert {
    condition     = kubernetes_config_map_v1.site.binary_data["s3wwwd.gif"] == filebase64("../site/s3wwwd.gif") && kubernetes_config_map_v1.site.data["index.html"] == file("../site/index.html")
    error_message = "The ConfigMap must hold the project's demo files unchanged."
  }
  assert {
    condition     = kubernetes_config_map_v1.site.immutable == true
    error_message = "The site ConfigMap must be immutable (its name changes with its content)."
  }
  assert {
    # The Job mounts the ConfigMap and seeds from it, waiting for MinIO.
    condition = (
      [for v in kubernetes_job_v1.seed.spec[0].template[0].spec[0].volume : v.config_map[0].name if v.name == "site"] == [kubernetes_config_map_v1.site.metadata[0].name] &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].command == tolist(["/usr/bin/s3wwwd-seed"]) &&
      contains(kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].args, "--wait") &&
      contains(kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].args, "/site")
    )
    error_message = "The Job must run s3wwwd-seed --wait over the mounted site ConfigMap."
  }
  assert {
    condition     = kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].image == "localhost/s3wwwd:0.1.0"
    error_message = "The Job must use the pinned s3wwwd image."
  }
  assert {
    # What Pod Security "restricted" asks of a pod.
    condition = (
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].security_context[0].run_as_non_root == true &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].security_context[0].seccomp_profile[0].type == "RuntimeDefault" &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].security_context[0].allow_privilege_escalation == false &&
      # The provider sends a container's unset run_as_non_root as false,
      # which "restricted" refuses (found on the real cluster, tests/e2e).
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].security_context[0].run_as_non_root == true &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].security_context[0].capabilities[0].drop == tolist(["ALL"]) &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].security_context[0].read_only_root_filesystem == true &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].automount_service_account_token == false
    )
    error_message = "The seeding Job must meet Pod Security \"restricted\" and mount no API token."
  }
  assert {
    condition = (
      kubernetes_job_v1.seed.spec[0].backoff_limit == 3 &&
      kubernetes_job_v1.seed.spec[0].active_deadline_seconds == 900 &&
      kubernetes_job_v1.seed.spec[0].template[0].spec[0].restart_policy == "Never" &&
      kubernetes_job_v1.seed.wait_for_completion == true &&
      kubernetes_job_v1.seed.timeouts.create == "1080s"
    )
    error_message = "The Job must be bounded (retries, deadline, Terraform timeout) and waited for."
  }
}

run "unchanged" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  assert {
    condition     = output.seed_job_name == run.initial.seed_job_name
    error_message = "The same content must keep the same Job (no re-run)."
  }
}

run "changed" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  variables {
    site_dir   = "tests/fixtures/site-v2"
    site_files = ["index.html"]
  }

  assert {
    condition     = output.seed_job_name != run.initial.seed_job_name && output.site_configmap_name != run.initial.site_configmap_name
    error_message = "New content must give a new ConfigMap and a new Job (which re-runs)."
  }
  assert {
    condition     = output.chart_values_sha256 == run.initial.chart_values_sha256
    error_message = "New content must not change the values of the MinIO or s3wwwd release."
  }
  assert {
    condition     = kubernetes_config_map_v1.site.data["index.html"] == file("tests/fixtures/site-v2/index.html") && length(kubernetes_config_map_v1.site.binary_data) == 0
    error_message = "The ConfigMap must hold the new content."
  }
}

run "urls_and_options" {
  module {
    source = "./modules/s3wwwd-site"
  }

  command = apply

  variables {
    site_urls = {
      "logo.png" = "https://example.org/logo.png?v=2"
    }
    seed_cache_control = "public, max-age=300"
  }

  assert {
    condition = (
      join(" ", kubernetes_job_v1.seed.spec[0].template[0].spec[0].container[0].args) ==
      "--endpoint http://minio.s3wwwd.svc:9000 --bucket s3wwwd-site --access-key-file /run/secrets/s3wwwd-seed/accessKey --secret-key-file /run/secrets/s3wwwd-seed/secretKey --wait 300 --only-changed --sync --cache-control public, max-age=300 --dir /site --url https://example.org/logo.png?v=2=logo.png"
    )
    error_message = "Unexpected seeding arguments."
  }
  assert {
    condition     = output.seed_job_name != run.initial.seed_job_name
    error_message = "Different seeding options must re-run the Job."
  }
  assert {
    condition     = output.chart_values_sha256 == run.initial.chart_values_sha256
    error_message = "Seeding options must not change the releases."
  }
}
