# The site content and the Job that puts it into the bucket.
#
# The ConfigMap's and the Job's names carry a hash of what they do, so a
# change of content (or of the seeding options) makes a new ConfigMap and a
# new Job, which runs again, while neither MinIO's nor s3wwwd's release has
# anything to change: they do not refer to the content at all (s3wwwd only
# waits for the Job through depends_on).

locals {
  site_dir = var.site_dir == null ? "${path.module}/../../../site" : var.site_dir

  # Text goes into `data` (readable with kubectl), everything else into
  # `binaryData` (base64), which is the only place bytes that are not UTF-8
  # may go.
  text_extensions = ["html", "htm", "css", "js", "mjs", "json", "txt", "xml", "svg", "md", "map", "webmanifest", "csv"]
  site_is_text = {
    for f in var.site_files :
    f => contains(local.text_extensions, lower(try(regex("\\.([A-Za-z0-9]+)$", f)[0], "")))
  }
  site_text   = { for f in var.site_files : f => file("${local.site_dir}/${f}") if local.site_is_text[f] }
  site_binary = { for f in var.site_files : f => filebase64("${local.site_dir}/${f}") if !local.site_is_text[f] }

  # The website document travels in the same ConfigMap, under a key of its
  # own that the Job mounts apart from the site files (so that --dir does
  # not upload it as a page), and is uploaded with --website-document,
  # which checks it first: a broken document fails the Job with the reason
  # instead of being logged by every s3wwwd pod.  The key it is stored
  # under is the one the chart's site.websiteDocument names (s3wwwd.tf).
  website_document_cm_key = "s3wwwd-website-document.xml"
  website_document_key    = coalesce(var.website.website_document_key, "website.xml")
  website_mount           = "/website"
  # Only with a document, so that without one the ConfigMap and the Job
  # are what they always were.
  configmap_text = merge(local.site_text, var.website_document == null ? {} : {
    (local.website_document_cm_key) = var.website_document
  })

  # About what the ConfigMap's data will weigh (base64 is 4/3 of the bytes).
  site_bytes = sum(concat([0],
    [for s in values(local.configmap_text) : length(s)],
    [for s in values(local.site_binary) : floor(length(s) * 3 / 4)],
  ))

  content_hash = substr(sha256(jsonencode({
    text   = local.configmap_text
    binary = local.site_binary
  })), 0, 10)

  site_mount  = "/site"
  creds_mount = "/run/secrets/s3wwwd-seed"

  seed_args = concat(
    [
      "--endpoint", local.minio_endpoint,
      "--bucket", var.bucket,
      "--access-key-file", "${local.creds_mount}/${local.access_key_key}",
      "--secret-key-file", "${local.creds_mount}/${local.secret_key_key}",
      # Wait for MinIO with backoff instead of sleeping a fixed time.
      "--wait", tostring(var.seed_wait_seconds),
      # A re-run uploads only what differs.
      "--only-changed",
    ],
    var.seed_sync ? ["--sync"] : [],
    var.seed_cache_control == null ? [] : ["--cache-control", var.seed_cache_control],
    length(var.site_files) > 0 ? ["--dir", local.site_mount] : [],
    flatten([for key, url in var.site_urls : ["--url", "${url}=${key}"]]),
    var.website_document == null ? [] : ["--website-document", "${local.website_mount}/website.xml=${local.website_document_key}"],
  )

  seed_hash = substr(sha256(jsonencode({
    content = local.content_hash
    args    = local.seed_args
    image   = local.image
  })), 0, 10)

  seed_labels = merge(local.labels, {
    "app.kubernetes.io/name"      = "s3wwwd-seed"
    "app.kubernetes.io/instance"  = var.s3wwwd_release_name
    "app.kubernetes.io/component" = "seed"
  })
}

resource "kubernetes_config_map_v1" "site" {
  metadata {
    name      = "${var.s3wwwd_release_name}-site-${local.content_hash}"
    namespace = local.namespace
    labels    = local.seed_labels
  }

  data        = local.configmap_text
  binary_data = local.site_binary
  # The name changes with the content, so this one never needs to.
  immutable = true

  lifecycle {
    precondition {
      # etcd's object limit is 1 MiB; leave room for the metadata.
      condition     = local.site_bytes <= 1000000
      error_message = "The site files add up to ${local.site_bytes} bytes; a ConfigMap holds about 1 MB. Serve larger files through site_urls."
    }
    precondition {
      condition     = var.website_document == null || !contains(var.site_files, local.website_document_cm_key)
      error_message = "site_files must not name ${local.website_document_cm_key}: the ConfigMap holds the website document under that key."
    }
  }
}

resource "kubernetes_job_v1" "seed" {
  metadata {
    name      = "${var.s3wwwd_release_name}-seed-${local.seed_hash}"
    namespace = local.namespace
    labels    = local.seed_labels
  }

  spec {
    backoff_limit              = var.seed_backoff_limit
    active_deadline_seconds    = var.seed_active_deadline_seconds
    ttl_seconds_after_finished = var.seed_ttl_seconds_after_finished == null ? null : tostring(var.seed_ttl_seconds_after_finished)

    template {
      metadata {
        labels = local.seed_labels
      }

      spec {
        restart_policy                  = "Never"
        automount_service_account_token = false
        enable_service_links            = false

        dynamic "image_pull_secrets" {
          for_each = var.image_pull_secrets
          content {
            name = image_pull_secrets.value
          }
        }

        # The unprivileged uid the s3wwwd chart runs its pods with.
        security_context {
          run_as_non_root = true
          run_as_user     = 10001
          run_as_group    = 10001
          # Makes the mounted Secret files readable for that group (mode 0440).
          fs_group = 10001
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "seed"
          image             = local.image
          image_pull_policy = var.s3wwwd_image.pull_policy
          command           = ["/usr/bin/s3wwwd-seed"] # where the Containerfile installs it
          args              = local.seed_args

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            # Said again here: the provider sends false for a container
            # field left unset, and Pod Security "restricted" refuses a
            # container that says runAsNonRoot=false.
            run_as_non_root = true
            capabilities {
              drop = ["ALL"]
            }
          }

          resources {
            requests = {
              cpu    = "50m"
              memory = "32Mi"
            }
            limits = {
              memory = "256Mi"
            }
          }

          # The write credentials as files, never as plain values.
          volume_mount {
            name       = "credentials"
            mount_path = local.creds_mount
            read_only  = true
          }
          volume_mount {
            name       = "site"
            mount_path = local.site_mount
            read_only  = true
          }
          dynamic "volume_mount" {
            for_each = var.website_document == null ? [] : [local.website_mount]
            content {
              name       = "website"
              mount_path = volume_mount.value
              read_only  = true
            }
          }
          # s3wwwd-seed spools --url downloads here (the root is read-only).
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "credentials"
          secret {
            secret_name  = kubernetes_secret_v1.writer.metadata[0].name
            default_mode = "0440"
          }
        }
        volume {
          name = "site"
          config_map {
            name = kubernetes_config_map_v1.site.metadata[0].name
            # With a website document in the ConfigMap, the site files
            # only; without one, the whole ConfigMap as always.
            dynamic "items" {
              for_each = var.website_document == null ? [] : var.site_files
              content {
                key  = items.value
                path = items.value
              }
            }
          }
        }
        dynamic "volume" {
          for_each = var.website_document == null ? [] : [local.website_document_cm_key]
          content {
            name = "website"
            config_map {
              name = kubernetes_config_map_v1.site.metadata[0].name
              items {
                key  = volume.value
                path = "website.xml"
              }
            }
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "512Mi"
          }
        }
      }
    }
  }

  wait_for_completion = true
  timeouts {
    # The Job's own deadline plus time to pull the image and schedule.
    create = "${var.seed_active_deadline_seconds + 180}s"
    update = "${var.seed_active_deadline_seconds + 180}s"
  }

  # MinIO, its users and its bucket must exist before the Job runs, and the
  # writer's password must be the one in its Secret (credentials.tf).
  depends_on = [helm_release.minio, kubernetes_job_v1.credentials]

  lifecycle {
    precondition {
      condition     = length(var.site_files) + length(var.site_urls) > 0
      error_message = "Nothing to publish: give site_files or site_urls."
    }
    precondition {
      condition     = length(setintersection(toset(var.site_files), toset(keys(var.site_urls)))) == 0
      error_message = "site_urls keys must not repeat names from site_files."
    }
    precondition {
      condition     = var.website_document == null || !contains(concat(var.site_files, keys(var.site_urls)), local.website_document_key)
      error_message = "The website document goes to the key ${local.website_document_key}, which site_files or site_urls also names; choose another website.website_document_key."
    }
    precondition {
      condition     = var.seed_active_deadline_seconds > var.seed_wait_seconds
      error_message = "seed_active_deadline_seconds must be larger than seed_wait_seconds, or the Job is killed while still waiting for MinIO."
    }
  }
}
