# The root's inputs: the cluster the providers talk to, and every input of
# the module (modules/s3wwwd-site), with the same type, default and
# description, passed through unchanged in main.tf.  The module validates
# them (its error names the rule); tests/terraform/run.sh checks that the
# two lists stay the same (tfdocs.py --check-root).

# ---- cluster -------------------------------------------------------------------

variable "kubeconfig_path" {
  description = "Path of the kubeconfig file both providers use (`~` is expanded)."
  type        = string
  default     = "~/.kube/config"
  nullable    = false

  validation {
    condition     = length(trimspace(var.kubeconfig_path)) > 0
    error_message = "kubeconfig_path must not be empty."
  }
}

variable "kube_context" {
  description = "Context in the kubeconfig to use; null uses the file's current-context."
  type        = string
  default     = null
}

# ---- passed to the module ------------------------------------------------------

variable "namespace" {
  description = "Namespace for MinIO, the seeding Job and s3wwwd."
  type        = string
  default     = "s3wwwd"
  nullable    = false
}

variable "create_namespace" {
  description = "Create the namespace (and delete it on destroy). Set to false to use one that exists."
  type        = bool
  default     = true
  nullable    = false
}

# ---- the site ------------------------------------------------------------------

variable "bucket" {
  description = "Name of the MinIO bucket the site lives in."
  type        = string
  default     = "s3wwwd-site"
  nullable    = false
}

variable "site_dir" {
  description = "Directory holding the site files; null means the project's demo site (site/ at the top of the repository)."
  type        = string
  default     = null
}

variable "site_files" {
  description = "Files of site_dir to publish, by name. They go into a ConfigMap (so: flat names, about 1 MB in total), text files as data and the rest as binaryData."
  type        = list(string)
  default     = ["index.html", "s3wwwd.gif"]
  nullable    = false
}

variable "site_urls" {
  description = "Extra objects the seeding Job downloads at run time: a map from object key to http(s) URL."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "seed_cache_control" {
  description = "Cache-Control stored with every uploaded object (s3wwwd passes it on); null stores none."
  type        = string
  default     = null
}

variable "seed_sync" {
  description = "Delete objects in the bucket that the site no longer has, so the bucket mirrors the content."
  type        = bool
  default     = true
  nullable    = false
}

# ---- how the site is served ---------------------------------------------------

variable "website" {
  description = "How s3wwwd serves the site (the chart's `site` value; s3wwwd.conf(5)): index, spa_file, error_document, cors_origins, directory_redirect (auto, always, off), AWS-style routing_rules (key_prefix, error_code, protocol, host, replace_key_prefix, replace_key, code) or redirect_all (host, protocol), headers per key prefix, clean URLs (try_suffixes, redirect_suffixes), fallbacks per key prefix, website_document_key (the key of a WebsiteConfiguration document in the bucket, see website_document) and website_ttl. Null attributes keep the chart's defaults."
  type = object({
    index              = optional(string)
    spa_file           = optional(string)
    error_document     = optional(string)
    cors_origins       = optional(list(string))
    directory_redirect = optional(string)
    routing_rules = optional(list(object({
      key_prefix         = optional(string)
      error_code         = optional(number)
      protocol           = optional(string)
      host               = optional(string)
      replace_key_prefix = optional(string)
      replace_key        = optional(string)
      code               = optional(number)
    })))
    redirect_all = optional(object({
      host     = string
      protocol = optional(string)
    }))
    headers = optional(list(object({
      prefix   = optional(string)
      name     = string
      value    = string
      override = optional(bool)
    })))
    try_suffixes      = optional(list(string))
    redirect_suffixes = optional(bool)
    fallbacks = optional(list(object({
      prefix         = optional(string)
      spa_file       = optional(string)
      error_document = optional(string)
    })))
    website_document_key = optional(string)
    website_ttl          = optional(string)
  })
  default  = {}
  nullable = false
}

variable "website_document" {
  description = "An AWS WebsiteConfiguration XML document (what S3's GetBucketWebsite answers and PutBucketWebsite takes): the seeding Job checks it with the server's rules and uploads it under website.website_document_key (default website.xml), which s3wwwd then reads and applies (its routing rules, redirect, index and error document). Null: none."
  type        = string
  default     = null
}

variable "sites" {
  description = "More sites on the same s3wwwd, chosen by the request's host name (the chart's `sites` value): each with its hosts (exact names and *.suffix wildcards, lower case), an optional name (default: its first host name), default = true for the one site that answers hosts no site names, an optional bucket (created in MinIO, readable by s3wwwd and writable by the seeding user; default: bucket) and bucket_path, website settings as in `website`, and cache { enabled, ttl }. What a site does not set it inherits from the top level, except routing_rules, redirect_all and website_document_key. The seeding Job fills only `bucket`."
  type = list(object({
    name        = optional(string)
    hosts       = optional(list(string), [])
    default     = optional(bool, false)
    bucket      = optional(string)
    bucket_path = optional(string)
    website = optional(object({
      index              = optional(string)
      spa_file           = optional(string)
      error_document     = optional(string)
      cors_origins       = optional(list(string))
      directory_redirect = optional(string)
      routing_rules = optional(list(object({
        key_prefix         = optional(string)
        error_code         = optional(number)
        protocol           = optional(string)
        host               = optional(string)
        replace_key_prefix = optional(string)
        replace_key        = optional(string)
        code               = optional(number)
      })))
      redirect_all = optional(object({
        host     = string
        protocol = optional(string)
      }))
      headers = optional(list(object({
        prefix   = optional(string)
        name     = string
        value    = string
        override = optional(bool)
      })))
      try_suffixes      = optional(list(string))
      redirect_suffixes = optional(bool)
      fallbacks = optional(list(object({
        prefix         = optional(string)
        spa_file       = optional(string)
        error_document = optional(string)
      })))
      website_document_key = optional(string)
      website_ttl          = optional(string)
    }), {})
    cache = optional(object({
      enabled = optional(bool)
      ttl     = optional(string)
    }))
  }))
  default  = []
  nullable = false
}

# ---- the seeding Job -----------------------------------------------------------

variable "seed_wait_seconds" {
  description = "How long s3wwwd-seed waits (with backoff) for MinIO to answer before failing."
  type        = number
  default     = 300
  nullable    = false
}

variable "seed_backoff_limit" {
  description = "Retries of the seeding Job's pod before the Job counts as failed."
  type        = number
  default     = 3
  nullable    = false
}

variable "seed_active_deadline_seconds" {
  description = "Hard limit on the seeding Job's total run time, retries included; must exceed seed_wait_seconds."
  type        = number
  default     = 900
  nullable    = false
}

variable "seed_ttl_seconds_after_finished" {
  description = "Let Kubernetes delete the finished seeding Job after this many seconds. Null (the default) keeps it: a Job deleted behind Terraform's back is re-created, so re-run, by the next apply."
  type        = number
  default     = null
}

# ---- MinIO (the official chart) -----------------------------------------------

variable "minio_release_name" {
  description = "Helm release name of MinIO; also the name of its Service."
  type        = string
  default     = "minio"
  nullable    = false
}

variable "minio_chart_repository" {
  description = "Helm repository of the official MinIO chart."
  type        = string
  default     = "https://charts.min.io/"
  nullable    = false
}

variable "minio_chart_version" {
  description = "Exact version of the MinIO chart (5.4.0 is the one the offline test renders)."
  type        = string
  default     = "5.4.0"
  nullable    = false
}

variable "minio_chart_path" {
  description = "Local directory of the MinIO chart to install instead of the repository's (air-gapped clusters). Null uses minio_chart_repository and minio_chart_version."
  type        = string
  default     = null
}

variable "minio_image" {
  description = "MinIO server image (repository and tag) instead of the chart's quay.io/minio/minio: a registry mirror, or an image loaded into the nodes (scripts/cluster.sh). Null keeps the chart's."
  type = object({
    repository = string
    tag        = string
  })
  default = null
}

variable "mc_image" {
  description = "MinIO client image the chart's provisioning job runs (it calls /usr/bin/mc from /bin/sh), instead of the chart's quay.io/minio/mc. Null keeps the chart's."
  type = object({
    repository = string
    tag        = string
  })
  default = null
}

variable "minio_mode" {
  description = "MinIO topology: \"standalone\" (one pod) or \"distributed\" (erasure-coded over minio_replicas pods)."
  type        = string
  default     = "standalone"
  nullable    = false
}

variable "minio_replicas" {
  description = "MinIO pods in distributed mode (must be 1 in standalone mode)."
  type        = number
  default     = 1
  nullable    = false
}

variable "minio_drives_per_node" {
  description = "Volumes per MinIO pod in distributed mode."
  type        = number
  default     = 1
  nullable    = false
}

variable "minio_persistence" {
  description = "MinIO storage: a PersistentVolumeClaim per drive when enabled (storage_class \"\" uses the cluster's default class). Disabled means an emptyDir: the site is lost when the pod goes and must be seeded again."
  type = object({
    enabled       = optional(bool, true)
    size          = optional(string, "10Gi")
    storage_class = optional(string, "")
  })
  default  = {}
  nullable = false
}

variable "minio_resources" {
  description = "Resource requests and limits of the MinIO container (the chart's own default requests 16Gi of memory)."
  type = object({
    requests = optional(map(string), { cpu = "100m", memory = "512Mi" })
    limits   = optional(map(string), { memory = "2Gi" })
  })
  default  = {}
  nullable = false
}

variable "minio_extra_values" {
  description = "Further YAML values for the MinIO chart, applied after this configuration's (e.g. an image mirror). Never put credentials here: they would land in the state and the release in plain text."
  type        = list(string)
  default     = []
  nullable    = false
}

# ---- s3wwwd ----------------------------------------------------------------------

variable "s3wwwd_release_name" {
  description = "Helm release name of s3wwwd."
  type        = string
  default     = "s3wwwd"
  nullable    = false
}

variable "s3wwwd_chart_path" {
  description = "Path of the s3wwwd Helm chart; null means the project's chart (helm/s3wwwd at the top of the repository)."
  type        = string
  default     = null
}

variable "s3wwwd_image" {
  description = "The s3wwwd container image, used by s3wwwd and by the seeding Job (it holds s3wwwd-seed). It must be in a registry the cluster can pull from; a pinned tag, never \"latest\"."
  type = object({
    repository  = string
    tag         = string
    pull_policy = optional(string, "IfNotPresent")
  })
  default = {
    repository = "localhost/s3wwwd"
    tag        = "0.1.0"
  }
  nullable = false
}

variable "image_pull_secrets" {
  description = "Names of existing docker-registry Secrets in the namespace for pulling the s3wwwd image."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "s3wwwd_replicas" {
  description = "Number of s3wwwd pods."
  type        = number
  default     = 2
  nullable    = false
}

variable "s3wwwd_termination_grace_period_seconds" {
  description = "How long an s3wwwd pod may take to stop (the chart's terminationGracePeriodSeconds: its preStop pause, then the drain of responses in flight). After a credentials rotation the pruning Job waits this long before it removes the old key, since an old pod may serve with it until then."
  type        = number
  default     = 45
  nullable    = false

  validation {
    condition     = var.s3wwwd_termination_grace_period_seconds >= 10 && var.s3wwwd_termination_grace_period_seconds <= 600 && floor(var.s3wwwd_termination_grace_period_seconds) == var.s3wwwd_termination_grace_period_seconds
    error_message = "s3wwwd_termination_grace_period_seconds must be a whole number from 10 to 600."
  }
}

variable "s3wwwd_pod_anti_affinity" {
  description = "Pod anti-affinity of the s3wwwd pods over nodes (kubernetes.io/hostname): \"none\" (the chart's topology spread only), \"preferred\" (the scheduler avoids two pods on one node when it can) or \"required\" (never two on one node: needs as many schedulable nodes as pods, autoscaled ones included)."
  type        = string
  default     = "none"
  nullable    = false
}

variable "s3wwwd_pod_disruption_budget" {
  description = "The s3wwwd PodDisruptionBudget: exactly one of min_available and max_unavailable, each a number (\"1\") or a percentage (\"50%\"). Null keeps the chart's default (a budget with maxUnavailable 1); enabled = false renders none."
  type = object({
    enabled         = optional(bool, true)
    min_available   = optional(string)
    max_unavailable = optional(string)
  })
  default = null
}

variable "s3wwwd_autoscaling" {
  description = "A HorizontalPodAutoscaler for s3wwwd between min_replicas and max_replicas (s3wwwd_replicas is then ignored by the chart). Needs the cluster's metrics API (metrics-server). A target of 0 leaves that metric out; at least one must be set. Null: no autoscaler."
  type = object({
    min_replicas                         = number
    max_replicas                         = number
    target_cpu_utilization_percentage    = optional(number, 70)
    target_memory_utilization_percentage = optional(number, 0)
  })
  default = null
}

variable "s3wwwd_extra_values" {
  description = "Further YAML values for the s3wwwd chart, applied after this configuration's. Never put credentials here."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "helm_timeout_seconds" {
  description = "How long each Helm install/upgrade may take, hooks included (MinIO's user/policy/bucket job runs as a hook)."
  type        = number
  default     = 600
  nullable    = false
}
