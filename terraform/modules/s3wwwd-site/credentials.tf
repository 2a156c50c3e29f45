# A Job that gives MinIO the users' current passwords.
#
# The MinIO chart creates the users from their Secrets, but only once: its
# provisioning script skips a user that exists ("User ... already exists"),
# so a password rotated in the Secret would never reach MinIO, and s3wwwd
# would be refused as soon as it used the new one.  This Job sets both users'
# passwords from their Secrets with `mc admin user add`, which creates a user
# or replaces its password; the old password stops working at that moment.
#
# Its name carries a digest of the passwords, so it runs on the first apply
# and again after each rotation (terraform apply -replace=random_password.
# reader, say), and at no other time.  Order:
#
#   helm_release.minio -> this Job -> kubernetes_job_v1.seed -> helm_release.s3wwwd
#
# s3wwwd's pods carry the reader password's digest too (s3wwwd.tf), so they
# restart with the new Secret right after this Job.  Found on the real
# cluster of tests/e2e/run.sh: with the chart alone, a rotation left MinIO
# with the old password and the s3wwwd rollout never became ready.

locals {
  # The chart's own mc image (MinIO chart 5.4.0's values.yaml) unless one
  # is given; tests/terraform/check_render.py checks that the two agree.
  chart_mc_image = "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z"
  mc_image       = var.mc_image == null ? local.chart_mc_image : "${var.mc_image.repository}:${var.mc_image.tag}"

  # nonsensitive: a SHA-256 of 238-bit random passwords tells nothing about
  # them, and left sensitive it would hide the Job's name from every plan.
  user_credentials_digest = nonsensitive(sha256(join("\n", [
    random_password.reader.result,
    random_password.writer.result,
  ])))

  # The Secrets the Job reads, by the name of their mount under /creds.
  credentials_secrets = {
    root   = kubernetes_secret_v1.minio_root.metadata[0].name
    reader = kubernetes_secret_v1.reader.metadata[0].name
    writer = kubernetes_secret_v1.writer.metadata[0].name
  }

  credentials_labels = merge(local.labels, {
    "app.kubernetes.io/name"      = "s3wwwd-credentials"
    "app.kubernetes.io/instance"  = var.s3wwwd_release_name
    "app.kubernetes.io/component" = "credentials"
  })

  # Root credentials travel in MC_HOST_minio (mc's own variable), not on a
  # command line where `ps` would show them; each user's keys go to mc on
  # its standard input, as the chart's own script does.
  credentials_script = <<-EOT
    set -eu
    MC_HOST_minio="http://$(cat /creds/root/rootUser):$(cat /creds/root/rootPassword)@${local.minio_service}:9000"
    export MC_HOST_minio
    tries=0
    until /usr/bin/mc --config-dir /tmp/mc admin info minio >/dev/null 2>&1; do
      tries=$((tries + 1))
      [ "$tries" -lt 60 ] || { echo "MinIO does not answer"; exit 1; }
      sleep 2
    done
    for user in reader writer; do
      { cat "/creds/$user/${local.access_key_key}"; echo; cat "/creds/$user/${local.secret_key_key}"; echo; } |
        /usr/bin/mc --config-dir /tmp/mc admin user add minio >/dev/null
      echo "password of $(cat "/creds/$user/${local.access_key_key}") set"
    done
  EOT
}

resource "kubernetes_job_v1" "credentials" {
  metadata {
    name      = "${var.s3wwwd_release_name}-credentials-${substr(local.user_credentials_digest, 0, 10)}"
    namespace = local.namespace
    labels    = local.credentials_labels
  }

  spec {
    backoff_limit           = 3
    active_deadline_seconds = 300

    template {
      metadata {
        labels = local.credentials_labels
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

        # The MinIO chart's jobs run as this user (minio.tf).
        security_context {
          run_as_non_root = true
          run_as_user     = 1000
          run_as_group    = 1000
          fs_group        = 1000
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "credentials"
          image             = local.mc_image
          image_pull_policy = "IfNotPresent"
          command           = ["/bin/sh", "-c", local.credentials_script]

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            # As in seed.tf: the provider sends an unset value as false.
            run_as_non_root = true
            capabilities {
              drop = ["ALL"]
            }
          }

          resources {
            requests = {
              cpu    = "10m"
              memory = "32Mi"
            }
            limits = {
              memory = "128Mi"
            }
          }

          dynamic "volume_mount" {
            for_each = local.credentials_secrets
            content {
              name       = volume_mount.key
              mount_path = "/creds/${volume_mount.key}"
              read_only  = true
            }
          }
          # mc's configuration directory (the root is read-only).
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        dynamic "volume" {
          for_each = local.credentials_secrets
          content {
            name = volume.key
            secret {
              secret_name  = volume.value
              default_mode = "0440"
            }
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "16Mi"
          }
        }
      }
    }
  }

  wait_for_completion = true
  timeouts {
    create = "8m"
    update = "8m"
  }

  # MinIO must run (its chart has created the users and their policies).
  depends_on = [helm_release.minio]
}
