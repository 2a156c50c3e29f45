# The project's s3wwwd chart, installed once the site is in the bucket.

locals {
  s3wwwd_chart_path = var.s3wwwd_chart_path == null ? "${path.module}/../../../helm/s3wwwd" : var.s3wwwd_chart_path

  # The chart's selector labels (helm/s3wwwd/templates/_helpers.tpl).
  s3wwwd_selector = {
    "app.kubernetes.io/name"     = "s3wwwd"
    "app.kubernetes.io/instance" = var.s3wwwd_release_name
  }
  s3wwwd_anti_affinity_term = {
    topologyKey   = "kubernetes.io/hostname"
    labelSelector = { matchLabels = local.s3wwwd_selector }
  }

  # The high-availability settings go into the values only when they are
  # set, so that the defaults hand the chart exactly what they always did
  # (no release upgrade for a configuration that does not use them).
  s3wwwd_ha_values = merge(
    var.s3wwwd_pod_anti_affinity == "none" ? {} : {
      affinity = {
        # An object indexed by the setting: the two shapes differ.
        podAntiAffinity = {
          required = {
            requiredDuringSchedulingIgnoredDuringExecution = [local.s3wwwd_anti_affinity_term]
          }
          preferred = {
            preferredDuringSchedulingIgnoredDuringExecution = [{ weight = 100, podAffinityTerm = local.s3wwwd_anti_affinity_term }]
          }
        }[var.s3wwwd_pod_anti_affinity]
      }
    },
    var.s3wwwd_pod_disruption_budget == null ? {} : {
      podDisruptionBudget = {
        enabled = var.s3wwwd_pod_disruption_budget.enabled
        # The chart wants an integer or a percentage string, and "" for the
        # one that is not set; going through JSON keeps "2" a number.
        minAvailable   = jsondecode(var.s3wwwd_pod_disruption_budget.min_available == null ? "\"\"" : can(tonumber(var.s3wwwd_pod_disruption_budget.min_available)) ? var.s3wwwd_pod_disruption_budget.min_available : jsonencode(var.s3wwwd_pod_disruption_budget.min_available))
        maxUnavailable = jsondecode(var.s3wwwd_pod_disruption_budget.max_unavailable == null ? "\"\"" : can(tonumber(var.s3wwwd_pod_disruption_budget.max_unavailable)) ? var.s3wwwd_pod_disruption_budget.max_unavailable : jsonencode(var.s3wwwd_pod_disruption_budget.max_unavailable))
      }
    },
    var.s3wwwd_autoscaling == null ? {} : {
      autoscaling = {
        enabled                           = true
        minReplicas                       = var.s3wwwd_autoscaling.min_replicas
        maxReplicas                       = var.s3wwwd_autoscaling.max_replicas
        targetCPUUtilizationPercentage    = var.s3wwwd_autoscaling.target_cpu_utilization_percentage
        targetMemoryUtilizationPercentage = var.s3wwwd_autoscaling.target_memory_utilization_percentage
      }
    },
  )

  s3wwwd_values = merge(local.s3wwwd_ha_values, {
    # The Service is then called like the release, so outputs.tf can name it.
    fullnameOverride = var.s3wwwd_release_name
    replicaCount     = var.s3wwwd_replicas

    image = {
      repository = var.s3wwwd_image.repository
      tag        = var.s3wwwd_image.tag
      pullPolicy = var.s3wwwd_image.pull_policy
    }
    imagePullSecrets = [for s in var.image_pull_secrets : { name = s }]

    s3 = {
      endpoint = local.minio_endpoint
      bucket   = var.bucket
    }

    # The read-only user's Secret, by name; the chart mounts it as files.
    credentials = {
      existingSecret = local.reader_secret
      accessKeyKey   = local.access_key_key
      secretKeyKey   = local.secret_key_key
      create         = false
    }

    # s3wwwd may only reach the MinIO pods (labels set by the MinIO chart).
    networkPolicy = {
      s3To = [{
        podSelector = {
          matchLabels = { app = "minio", release = var.minio_release_name }
        }
      }]
      s3Ports = [9000]
    }
  })
}

resource "helm_release" "s3wwwd" {
  name      = var.s3wwwd_release_name
  namespace = local.namespace
  chart     = local.s3wwwd_chart_path

  # The chart does not read an existing Secret, so it cannot roll the pods
  # when the keys change; this digest of the keys does.  The pods restart
  # once MinIO has the new password: the release comes after the
  # credentials Job (credentials.tf) through the seeding Job's depends_on.
  # (nonsensitive as in credentials.tf: a digest, not the password.)  Kept
  # out of local.s3wwwd_values, which the tests render offline and which
  # must be known before anything is applied.
  values = concat([
    yamlencode(local.s3wwwd_values),
    yamlencode({ podAnnotations = { "s3wwwd.io/credentials-sha256" = nonsensitive(sha256(random_password.reader.result)) } }),
  ], var.s3wwwd_extra_values)

  # Waits for the pods to be ready, and /readyz is ready only once the
  # bucket answers with the reader's credentials.
  wait            = true
  timeout         = var.helm_timeout_seconds
  cleanup_on_fail = true
  max_history     = 10

  # The site must be in the bucket before s3wwwd serves it.  Only ordering:
  # nothing here refers to the Job, so a new Job (new content) leaves this
  # release alone.  The Secret is also named only inside the values.
  depends_on = [
    kubernetes_job_v1.seed,
    kubernetes_secret_v1.reader,
  ]
}
