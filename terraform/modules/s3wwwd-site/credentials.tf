# Two Jobs that keep MinIO's users and s3wwwd's key in step with the
# passwords in the Secrets.
#
# The MinIO chart creates the users from their Secrets, but only once: its
# provisioning script skips a user that exists ("User ... already exists"),
# so a password rotated in the Secret would never reach MinIO.  The first
# Job (credentials) sets both users' passwords from their Secrets with `mc
# admin user add`, which creates a user or replaces its password.
#
# s3wwwd does not use the reader user's password itself but a key of its
# own: a MinIO service account of the reader, whose access key is named
# after a digest of the password (local.reader_key_id) and which inherits
# the reader's read-only policy.  The credentials Job adds the new key next
# to the one the running pods use, so that both work while the chart rolls
# the pods; the second Job (credentials-prune), which runs once the s3wwwd
# release is ready and the old pods have had time to stop, removes the
# reader's other s3wwwd-... keys.  A rotation
# (terraform apply -replace=random_password.reader) thus has no moment
# when a pod holds a key MinIO refuses; tests/e2e/run.sh polls the site
# through one and counts no failed request.  Before this, MinIO took the
# new password at once and the old pods were refused for about 8 seconds.
#
# Both Jobs' names carry a digest of the passwords, so they run on the
# first apply and again after each rotation, and at no other time.  Order:
#
#   helm_release.minio -> credentials -> kubernetes_secret_v1.reader_key
#     -> kubernetes_job_v1.seed -> helm_release.s3wwwd -> credentials-prune
#
# The pods' Secret (reader_key, main.tf) is written only after the new key
# exists, so that a pod that restarts in between reads a key MinIO has.

locals {
  # The chart's own mc image (MinIO chart 5.4.0's values.yaml) unless one
  # is given; tests/terraform/check_render.py checks that the two agree.
  chart_mc_image = "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z"
  mc_image       = var.mc_image == null ? local.chart_mc_image : "${var.mc_image.repository}:${var.mc_image.tag}"

  # nonsensitive: a SHA-256 of 238-bit random passwords tells nothing about
  # them, and left sensitive it would hide the Jobs' names from every plan.
  # The "key" line makes the Jobs of the service-account scheme run once on
  # an install that had only the reader's password before.
  user_credentials_digest = nonsensitive(sha256(join("\n", [
    "key",
    random_password.reader.result,
    random_password.writer.result,
  ])))

  # s3wwwd's access key: at most 20 characters (MinIO's limit for a service
  # account), unique per password.  Not a secret, like any access key.
  reader_key_id = "s3wwwd-${substr(nonsensitive(sha256(random_password.reader.result)), 0, 12)}"

  # The Secrets the Jobs read, by the name of their mount under /creds.
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
  credentials_prune_labels = merge(local.credentials_labels, {
    "app.kubernetes.io/component" = "credentials-prune"
  })

  # Root credentials travel in MC_HOST_minio (mc's own variable), not on a
  # command line where `ps` would show them.  Only mc, cat and a POSIX
  # shell's built-ins are used: the chart's mc image has little else.  The
  # key's name comes in READER_KEY, so that the scripts are known at plan
  # time (the module's credentials_scripts output; tests/terraform/run.sh
  # runs them against a real MinIO).
  credentials_preamble = <<-EOT
    set -eu
    MC_HOST_minio="http://$(cat /creds/root/rootUser):$(cat /creds/root/rootPassword)@${local.minio_service}:9000"
    export MC_HOST_minio
    mc() { /usr/bin/mc --config-dir /tmp/mc "$@"; }
    tries=0
    until mc admin info minio >/dev/null 2>&1; do
      tries=$((tries + 1))
      [ "$tries" -lt 60 ] || { echo "MinIO does not answer"; exit 1; }
      sleep 2
    done
    reader=$(cat /creds/reader/${local.access_key_key})
    key=$READER_KEY
  EOT

  # Each user's keys go to mc on its standard input, as the chart's own
  # script does.  `svcacct add` takes the secret key only as an argument:
  # it is seen by this container's own processes and by the node's root,
  # who can read the mounted Secret anyway.  A key that exists already is
  # this password's (a Job retried after a failure): it is left alone.
  credentials_script = <<-EOT
    ${local.credentials_preamble}
    for user in reader writer; do
      { cat "/creds/$user/${local.access_key_key}"; echo; cat "/creds/$user/${local.secret_key_key}"; echo; } |
        mc admin user add minio >/dev/null
      echo "password of $(cat "/creds/$user/${local.access_key_key}") set"
    done
    if mc admin user svcacct info minio "$key" >/dev/null 2>&1; then
      echo "key $key of $reader exists"
    else
      mc admin user svcacct add minio "$reader" --access-key "$key" \
        --secret-key "$(cat /creds/reader/${local.secret_key_key})" >/dev/null
      echo "key $key of $reader added"
    fi
  EOT

  # The reader's keys other than this password's go, once no pod uses
  # them; only those this module makes (s3wwwd-...), so that a key an
  # operator gave the reader for another purpose stays.  The current one
  # must be there (the pods that just became ready read the bucket with
  # it); if it is not, nothing is removed.
  #
  # Helm reports the release ready once the new pods are, while the old
  # ones are still stopping: for preStopSleepSeconds they take requests
  # that were routed to them before they left the Service, and serve them
  # with the old key.  On the test cluster removing the key at once failed
  # one request in 981.  So when there is an old key, the Job first waits
  # the pods' termination grace period (GRACE_SECONDS), after which
  # Kubernetes has stopped every old pod.  On a first install there is
  # none, and no wait.
  credentials_prune_script = <<-EOT
    ${local.credentials_preamble}
    mc admin user svcacct ls minio "$reader" --json >/tmp/ls
    found=0
    : >/tmp/old
    while IFS= read -r line; do
      k=$${line#*'"accessKey":"'}
      [ "$k" != "$line" ] || continue
      k=$${k%%'"'*}
      case $k in "$key") found=1 ;; *[!a-z0-9-]*) ;; s3wwwd-*) echo "$k" >>/tmp/old ;; esac
    done </tmp/ls
    [ "$found" = 1 ] || { echo "key $key of $reader is missing: nothing removed"; exit 1; }
    if [ -s /tmp/old ]; then
      echo "old key(s): waiting $${GRACE_SECONDS}s, the longest an old pod may still serve"
      sleep "$GRACE_SECONDS"
    fi
    while read -r k; do
      mc admin user svcacct rm minio "$k" >/dev/null
      echo "key $k of $reader removed"
    done </tmp/old
    echo "key $key is the only s3wwwd key of $reader"
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
          env {
            name  = "READER_KEY"
            value = local.reader_key_id
          }

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            # As in seed.tf: the provider sends an unset value as false.
            run_as_non_root = true
            capabilities {
              drop = ["ALL"]
            }
          }

          # mc's admin requests are encrypted with a key derived by
          # Argon2id (64 MiB of memory): measured, `user add` peaks at
          # 96 MB and `svcacct add` at 162 MB.  At 128Mi the kernel killed
          # the credentials Job's first pod on the test cluster.
          resources {
            requests = {
              cpu    = "10m"
              memory = "192Mi"
            }
            limits = {
              memory = "256Mi"
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

# The same pod as the credentials Job's, with the pruning script.  Written
# out twice: Terraform cannot share a block between two resources, and a
# child module would hide both Jobs from terraform test's assertions
# (tests/hardening.tftest.hcl checks each), which see only a module's
# outputs.
resource "kubernetes_job_v1" "credentials_prune" {
  metadata {
    name      = "${var.s3wwwd_release_name}-credentials-prune-${substr(local.user_credentials_digest, 0, 10)}"
    namespace = local.namespace
    labels    = local.credentials_prune_labels
  }

  spec {
    backoff_limit = 3
    # Its wait for the old pods, and as long again for the rest.
    active_deadline_seconds = 300 + var.s3wwwd_termination_grace_period_seconds

    template {
      metadata {
        labels = local.credentials_prune_labels
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
          command           = ["/bin/sh", "-c", local.credentials_prune_script]
          env {
            name  = "READER_KEY"
            value = local.reader_key_id
          }
          env {
            name  = "GRACE_SECONDS"
            value = tostring(var.s3wwwd_termination_grace_period_seconds)
          }

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
              memory = "192Mi"
            }
            limits = {
              memory = "256Mi"
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
    create = "${480 + var.s3wwwd_termination_grace_period_seconds}s"
    update = "${480 + var.s3wwwd_termination_grace_period_seconds}s"
  }

  # Only once the pods with the new key are ready: helm_release.s3wwwd
  # waits for its rollout.
  depends_on = [helm_release.s3wwwd]
}
