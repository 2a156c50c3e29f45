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

  # The chart's site settings (camelCase) of each `website` object: the
  # top-level one first, then each site's.  Only the attributes that are
  # set, so that a site inherits the others and the defaults hand the chart
  # what they always did.  (merge() of conditional objects: a `for` over the
  # attributes would need them all of one type.)
  website_values = [
    for w in concat([var.website], var.sites[*].website) : merge(
      w.index == null ? {} : { index = w.index },
      w.spa_file == null ? {} : { spaFile = w.spa_file },
      w.error_document == null ? {} : { errorDocument = w.error_document },
      w.cors_origins == null ? {} : { corsOrigins = w.cors_origins },
      w.directory_redirect == null ? {} : { directoryRedirect = w.directory_redirect },
      w.routing_rules == null ? {} : {
        routingRules = [for r in w.routing_rules : merge(
          r.key_prefix == null ? {} : { keyPrefix = r.key_prefix },
          r.error_code == null ? {} : { errorCode = r.error_code },
          r.protocol == null ? {} : { protocol = r.protocol },
          r.host == null ? {} : { host = r.host },
          r.replace_key_prefix == null ? {} : { replaceKeyPrefix = r.replace_key_prefix },
          r.replace_key == null ? {} : { replaceKey = r.replace_key },
          r.code == null ? {} : { code = r.code },
        )]
      },
      w.redirect_all == null ? {} : {
        redirectAll = merge({ host = w.redirect_all.host }, w.redirect_all.protocol == null ? {} : { protocol = w.redirect_all.protocol })
      },
      w.headers == null ? {} : {
        headers = [for h in w.headers : merge(
          h.prefix == null ? {} : { prefix = h.prefix },
          { name = h.name, value = h.value },
          h.override == null ? {} : { override = h.override },
        )]
      },
      w.try_suffixes == null ? {} : { trySuffixes = w.try_suffixes },
      w.redirect_suffixes == null ? {} : { redirectSuffixes = w.redirect_suffixes },
      w.fallbacks == null ? {} : {
        fallbacks = [for f in w.fallbacks : merge(
          f.prefix == null ? {} : { prefix = f.prefix },
          f.spa_file == null ? {} : { spaFile = f.spa_file },
          f.error_document == null ? {} : { errorDocument = f.error_document },
        )]
      },
      w.website_document_key == null ? {} : { websiteDocument = w.website_document_key },
      w.website_ttl == null ? {} : { websiteTtl = w.website_ttl },
    )
  ]

  # The top-level site: the website settings, and the key of the website
  # document the seeding Job uploads (seed.tf) when one is given.
  s3wwwd_site_values = merge(
    local.website_values[0],
    var.website_document == null ? {} : { websiteDocument = local.website_document_key },
  )

  # The chart's `sites`: each site's hosts, bucket and cache, and its
  # website settings.
  s3wwwd_sites_values = [
    for i, s in var.sites : merge(
      s.name == null ? {} : { name = s.name },
      length(s.hosts) == 0 ? {} : { hosts = s.hosts },
      s.default ? { default = true } : {},
      s.bucket == null ? {} : { bucket = s.bucket },
      s.bucket_path == null ? {} : { bucketPath = s.bucket_path },
      local.website_values[i + 1],
      s.cache == null ? {} : {
        cache = merge(
          s.cache.enabled == null ? {} : { enabled = s.cache.enabled },
          s.cache.ttl == null ? {} : { ttl = s.cache.ttl },
        )
      },
    )
  ]

  # Like the high-availability settings: in the values only when set.
  s3wwwd_website_values = merge(
    length(local.s3wwwd_site_values) == 0 ? {} : { site = local.s3wwwd_site_values },
    length(var.sites) == 0 ? {} : { sites = local.s3wwwd_sites_values },
  )

  s3wwwd_values = merge(local.s3wwwd_ha_values, local.s3wwwd_website_values, {
    # The Service is then called like the release, so outputs.tf can name it.
    fullnameOverride = var.s3wwwd_release_name
    replicaCount     = var.s3wwwd_replicas
    # The pruning Job (credentials.tf) waits this long for the old pods.
    terminationGracePeriodSeconds = var.s3wwwd_termination_grace_period_seconds

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

    # s3wwwd's key (a service account of the read-only user), by the name
    # of its Secret; the chart mounts it as files.
    credentials = {
      existingSecret = local.reader_key_secret
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
  # once MinIO has the new key (next to the old one, which the running pods
  # keep using until they go): the release comes after the credentials Job
  # (credentials.tf) through the seeding Job's depends_on and the key's
  # Secret.
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
    kubernetes_secret_v1.reader_key,
  ]
}
