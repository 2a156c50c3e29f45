# ---- namespace -----------------------------------------------------------------

variable "namespace" {
  description = "Namespace for MinIO, the seeding Job and s3wwwd."
  type        = string
  default     = "s3wwwd"
  nullable    = false

  validation {
    condition     = length(var.namespace) <= 63 && can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit."
  }
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

  validation {
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket)) &&
      !strcontains(var.bucket, "..") &&
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.bucket))
    )
    error_message = "bucket must be a valid S3 bucket name: 3-63 characters of lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address."
  }
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

  validation {
    # ConfigMap keys; names starting with ".." are the kubelet's own entries.
    condition     = alltrue([for f in var.site_files : can(regex("^[-._a-zA-Z0-9]+$", f)) && !startswith(f, "..")])
    error_message = "site_files entries must be plain file names (letters, digits, '-', '_', '.'; no '/', not starting with '..')."
  }
  validation {
    condition     = length(distinct(var.site_files)) == length(var.site_files)
    error_message = "site_files must not list a file twice."
  }
}

variable "site_urls" {
  description = "Extra objects the seeding Job downloads at run time: a map from object key to http(s) URL."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for u in values(var.site_urls) : can(regex("^https?://[^\\s]+$", u))])
    error_message = "site_urls values must be http:// or https:// URLs."
  }
  validation {
    condition     = alltrue([for k in keys(var.site_urls) : can(regex("^[^/\\s=][^\\s=]*$", k)) && length(k) <= 1024])
    error_message = "site_urls keys are object keys: no leading '/', no spaces, no '=', at most 1024 characters."
  }
}

variable "seed_cache_control" {
  description = "Cache-Control stored with every uploaded object (s3wwwd passes it on); null stores none."
  type        = string
  default     = null

  validation {
    condition     = var.seed_cache_control == null || can(regex("^[ -~]{1,256}$", coalesce(var.seed_cache_control, "x")))
    error_message = "seed_cache_control must be 1-256 printable ASCII characters."
  }
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

  validation {
    condition = alltrue([for w in [var.website] : try(w.routing_rules == null ? true : length(w.routing_rules) <= 50 && alltrue([
      for r in w.routing_rules :
      contains(["http", "https"], coalesce(r.protocol, "http")) &&
      can(regex("^[-A-Za-z0-9.:\\[\\]]{0,255}$", coalesce(r.host, "x"))) &&
      (r.code == null ? true : r.code >= 300 && r.code <= 399 && r.code != 304 && floor(r.code) == r.code) &&
      (r.error_code == null ? true : r.error_code >= 400 && r.error_code <= 599 && floor(r.error_code) == r.error_code) &&
      (r.replace_key == null || r.replace_key_prefix == null) &&
      (r.protocol != null || r.host != null || r.replace_key != null || r.replace_key_prefix != null || r.code != null)
    ]), false)])
    error_message = "website.routing_rules: at most 50, each a redirect (a protocol, a host, replace_key or replace_key_prefix, or a code) with protocol http or https, a plain host name, code 300-399 but not 304, error_code 400-599, and not both replace_key and replace_key_prefix."
  }

  validation {
    condition = alltrue([for w in [var.website] : try(w.redirect_all == null ? true : (
      can(regex("^[-A-Za-z0-9.:\\[\\]]{1,255}$", w.redirect_all.host)) &&
      contains(["http", "https"], coalesce(w.redirect_all.protocol, "http")) &&
      length(w.routing_rules == null ? [] : w.routing_rules) == 0
    ), false)])
    error_message = "website.redirect_all needs a plain host name and protocol http or https, and excludes routing_rules."
  }

  validation {
    condition = alltrue([for w in [var.website] : try(w.headers == null ? true : length(w.headers) <= 16 && alltrue([
      for h in w.headers :
      can(regex("^[-!#$%&'*+.^_`|~0-9A-Za-z]+$", h.name)) && can(regex("^[^[:cntrl:]]*$", h.value))
    ]), false)])
    error_message = "website.headers: at most 16, each with a header name (a token such as Cache-Control) and a value without control characters."
  }

  validation {
    condition = alltrue([for w in [var.website] : try((w.try_suffixes == null ? true : length(w.try_suffixes) <= 4 && length(distinct(w.try_suffixes)) == length(w.try_suffixes) && alltrue([
      for x in w.try_suffixes : can(regex("^\\.[^/[:cntrl:]]{1,14}$", x))
      ])) && (w.fallbacks == null ? true : length(w.fallbacks) <= 16 && alltrue([
      for f in w.fallbacks : try(length(f.spa_file), 0) + try(length(f.error_document), 0) > 0
    ])), false)])
    error_message = "website.try_suffixes: at most 4 different suffixes such as \".html\" (a dot, no '/'); fallbacks: at most 16, each with a spa_file or an error_document."
  }

  validation {
    condition = alltrue([for w in [var.website] : try(contains(["auto", "always", "off"], coalesce(w.directory_redirect, "auto")) &&
      (w.website_ttl == null ? true : can(regex("^[0-9]+(ms|s|m|h)$", w.website_ttl))) &&
      alltrue([for o in coalesce(w.cors_origins, ["*"]) : can(regex("^(\\*|https?://[^\\s,/]+)$", o))]) &&
      (w.website_document_key == null ? true : length(w.website_document_key) <= 1024 && can(regex("^[^/[:cntrl:]][^[:cntrl:]]*$", w.website_document_key)) &&
      length(setintersection(toset(split("/", w.website_document_key)), toset(["", ".", ".."]))) == 0) &&
      alltrue([for s in compact(flatten([
        w.index, w.spa_file, w.error_document,
        [for r in coalesce(w.routing_rules, []) : [r.key_prefix, r.replace_key_prefix, r.replace_key]],
        [for h in coalesce(w.headers, []) : h.prefix],
        [for f in coalesce(w.fallbacks, []) : [f.prefix, f.spa_file, f.error_document]],
    ])) : can(regex("^[^[:cntrl:]]*$", s))]), false)])
    error_message = "website.directory_redirect must be auto, always or off; website_ttl a duration such as 60s or 5m; cors_origins \"*\" or http(s)://host origins; website_document_key an object key (no leading '/', no empty, '.' or '..' segment); and no value may hold a control character."
  }
}

variable "website_document" {
  description = "An AWS WebsiteConfiguration XML document (what S3's GetBucketWebsite answers and PutBucketWebsite takes): the seeding Job checks it with the server's rules and uploads it under website.website_document_key (default website.xml), which s3wwwd then reads and applies (its routing rules, redirect, index and error document). Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.website_document == null || try(strcontains(var.website_document, "<WebsiteConfiguration") && length(var.website_document) <= 262144, false)
    error_message = "website_document must be the XML of a WebsiteConfiguration (it holds no <WebsiteConfiguration element), of at most 256 KiB; the seeding Job checks it in full."
  }
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

  validation {
    condition = length(var.sites) <= 32 && alltrue([
      for s in var.sites :
      (length(s.hosts) > 0 || s.default) && length(s.hosts) <= 16 &&
      alltrue([for h in s.hosts : length(h) <= 253 && can(regex("^(\\*\\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$", h))]) &&
      can(regex("^[A-Za-z0-9_.-]{1,63}$", coalesce(s.name, "x")))
    ])
    error_message = "sites: at most 32 (as s3wwwd allows), each with at most 16 hosts (and some unless it is the default site) that are lower-case host names or *.suffix wildcards without a port, and a name of at most 63 letters, digits, '_', '.' or '-'."
  }
  validation {
    condition = (
      length(flatten(var.sites[*].hosts)) == length(distinct(flatten(var.sites[*].hosts))) &&
      length([for s in var.sites : s if s.default]) <= 1 &&
      length([for s in var.sites : coalesce(s.name, try(s.hosts[0], ""), "-")]) == length(distinct([for s in var.sites : coalesce(s.name, try(s.hosts[0], ""), "-")]))
    )
    error_message = "sites: a host name belongs to one site, at most one site is the default, and each site needs its own name (a site without one is named by its first host name)."
  }
  validation {
    condition = alltrue([
      for s in var.sites :
      (s.bucket == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", s.bucket)) && !strcontains(s.bucket, "..")) &&
      can(regex("^[^[:cntrl:]]*$", coalesce(s.bucket_path, "x"))) &&
      (s.cache == null ? true : s.cache.ttl == null ? true : can(regex("^[0-9]+(ms|s|m|h)$", s.cache.ttl)))
    ])
    error_message = "sites: a bucket must be a valid S3 bucket name, a bucket_path must hold no control character, and cache.ttl must be a duration such as 10s."
  }

  validation {
    condition = alltrue([for w in var.sites[*].website : try(w.routing_rules == null ? true : length(w.routing_rules) <= 50 && alltrue([
      for r in w.routing_rules :
      contains(["http", "https"], coalesce(r.protocol, "http")) &&
      can(regex("^[-A-Za-z0-9.:\\[\\]]{0,255}$", coalesce(r.host, "x"))) &&
      (r.code == null ? true : r.code >= 300 && r.code <= 399 && r.code != 304 && floor(r.code) == r.code) &&
      (r.error_code == null ? true : r.error_code >= 400 && r.error_code <= 599 && floor(r.error_code) == r.error_code) &&
      (r.replace_key == null || r.replace_key_prefix == null) &&
      (r.protocol != null || r.host != null || r.replace_key != null || r.replace_key_prefix != null || r.code != null)
    ]), false)])
    error_message = "sites[*].website.routing_rules: at most 50, each a redirect (a protocol, a host, replace_key or replace_key_prefix, or a code) with protocol http or https, a plain host name, code 300-399 but not 304, error_code 400-599, and not both replace_key and replace_key_prefix."
  }

  validation {
    condition = alltrue([for w in var.sites[*].website : try(w.redirect_all == null ? true : (
      can(regex("^[-A-Za-z0-9.:\\[\\]]{1,255}$", w.redirect_all.host)) &&
      contains(["http", "https"], coalesce(w.redirect_all.protocol, "http")) &&
      length(w.routing_rules == null ? [] : w.routing_rules) == 0
    ), false)])
    error_message = "sites[*].website.redirect_all needs a plain host name and protocol http or https, and excludes routing_rules."
  }

  validation {
    condition = alltrue([for w in var.sites[*].website : try(w.headers == null ? true : length(w.headers) <= 16 && alltrue([
      for h in w.headers :
      can(regex("^[-!#$%&'*+.^_`|~0-9A-Za-z]+$", h.name)) && can(regex("^[^[:cntrl:]]*$", h.value))
    ]), false)])
    error_message = "sites[*].website.headers: at most 16, each with a header name (a token such as Cache-Control) and a value without control characters."
  }

  validation {
    condition = alltrue([for w in var.sites[*].website : try((w.try_suffixes == null ? true : length(w.try_suffixes) <= 4 && length(distinct(w.try_suffixes)) == length(w.try_suffixes) && alltrue([
      for x in w.try_suffixes : can(regex("^\\.[^/[:cntrl:]]{1,14}$", x))
      ])) && (w.fallbacks == null ? true : length(w.fallbacks) <= 16 && alltrue([
      for f in w.fallbacks : try(length(f.spa_file), 0) + try(length(f.error_document), 0) > 0
    ])), false)])
    error_message = "sites[*].website.try_suffixes: at most 4 different suffixes such as \".html\" (a dot, no '/'); fallbacks: at most 16, each with a spa_file or an error_document."
  }

  validation {
    condition = alltrue([for w in var.sites[*].website : try(contains(["auto", "always", "off"], coalesce(w.directory_redirect, "auto")) &&
      (w.website_ttl == null ? true : can(regex("^[0-9]+(ms|s|m|h)$", w.website_ttl))) &&
      alltrue([for o in coalesce(w.cors_origins, ["*"]) : can(regex("^(\\*|https?://[^\\s,/]+)$", o))]) &&
      (w.website_document_key == null ? true : length(w.website_document_key) <= 1024 && can(regex("^[^/[:cntrl:]][^[:cntrl:]]*$", w.website_document_key)) &&
      length(setintersection(toset(split("/", w.website_document_key)), toset(["", ".", ".."]))) == 0) &&
      alltrue([for s in compact(flatten([
        w.index, w.spa_file, w.error_document,
        [for r in coalesce(w.routing_rules, []) : [r.key_prefix, r.replace_key_prefix, r.replace_key]],
        [for h in coalesce(w.headers, []) : h.prefix],
        [for f in coalesce(w.fallbacks, []) : [f.prefix, f.spa_file, f.error_document]],
    ])) : can(regex("^[^[:cntrl:]]*$", s))]), false)])
    error_message = "sites[*].website.directory_redirect must be auto, always or off; website_ttl a duration such as 60s or 5m; cors_origins \"*\" or http(s)://host origins; website_document_key an object key (no leading '/', no empty, '.' or '..' segment); and no value may hold a control character."
  }
}

# ---- the seeding Job -----------------------------------------------------------

variable "seed_wait_seconds" {
  description = "How long s3wwwd-seed waits (with backoff) for MinIO to answer before failing."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.seed_wait_seconds >= 1 && var.seed_wait_seconds <= 3600 && floor(var.seed_wait_seconds) == var.seed_wait_seconds
    error_message = "seed_wait_seconds must be a whole number from 1 to 3600."
  }
}

variable "seed_backoff_limit" {
  description = "Retries of the seeding Job's pod before the Job counts as failed."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.seed_backoff_limit >= 0 && var.seed_backoff_limit <= 10 && floor(var.seed_backoff_limit) == var.seed_backoff_limit
    error_message = "seed_backoff_limit must be a whole number from 0 to 10."
  }
}

variable "seed_active_deadline_seconds" {
  description = "Hard limit on the seeding Job's total run time, retries included; must exceed seed_wait_seconds."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.seed_active_deadline_seconds >= 60 && var.seed_active_deadline_seconds <= 86400 && floor(var.seed_active_deadline_seconds) == var.seed_active_deadline_seconds
    error_message = "seed_active_deadline_seconds must be a whole number from 60 to 86400."
  }
}

variable "seed_ttl_seconds_after_finished" {
  description = "Let Kubernetes delete the finished seeding Job after this many seconds. Null (the default) keeps it: a Job deleted behind Terraform's back is re-created, so re-run, by the next apply."
  type        = number
  default     = null

  validation {
    condition     = var.seed_ttl_seconds_after_finished == null || try(var.seed_ttl_seconds_after_finished >= 0 && floor(var.seed_ttl_seconds_after_finished) == var.seed_ttl_seconds_after_finished, false)
    error_message = "seed_ttl_seconds_after_finished must be null or a whole number >= 0."
  }
}

# ---- MinIO (the official chart) -----------------------------------------------

variable "minio_release_name" {
  description = "Helm release name of MinIO; also the name of its Service."
  type        = string
  default     = "minio"
  nullable    = false

  validation {
    condition     = length(var.minio_release_name) <= 40 && can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.minio_release_name))
    error_message = "minio_release_name must be a DNS-1123 label starting with a letter, at most 40 characters (names are derived from it)."
  }
}

variable "minio_chart_repository" {
  description = "Helm repository of the official MinIO chart."
  type        = string
  default     = "https://charts.min.io/"
  nullable    = false

  validation {
    condition     = can(regex("^(https?|oci)://", var.minio_chart_repository))
    error_message = "minio_chart_repository must be an http(s):// or oci:// URL."
  }
}

variable "minio_chart_version" {
  description = "Exact version of the MinIO chart (5.4.0 is the one the offline test renders)."
  type        = string
  default     = "5.4.0"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.minio_chart_version))
    error_message = "minio_chart_version must be an exact version such as 5.4.0, not a range."
  }
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

  validation {
    condition     = var.minio_image == null || try(length(var.minio_image.repository) > 0 && length(var.minio_image.tag) > 0 && var.minio_image.tag != "latest", false)
    error_message = "minio_image needs a repository and a pinned tag (not \"latest\")."
  }
}

variable "mc_image" {
  description = "MinIO client image the chart's provisioning job runs (it calls /usr/bin/mc from /bin/sh), instead of the chart's quay.io/minio/mc. Null keeps the chart's."
  type = object({
    repository = string
    tag        = string
  })
  default = null

  validation {
    condition     = var.mc_image == null || try(length(var.mc_image.repository) > 0 && length(var.mc_image.tag) > 0 && var.mc_image.tag != "latest", false)
    error_message = "mc_image needs a repository and a pinned tag (not \"latest\")."
  }
}

variable "minio_mode" {
  description = "MinIO topology: \"standalone\" (one pod) or \"distributed\" (erasure-coded over minio_replicas pods)."
  type        = string
  default     = "standalone"
  nullable    = false

  validation {
    condition     = contains(["standalone", "distributed"], var.minio_mode)
    error_message = "minio_mode must be \"standalone\" or \"distributed\"."
  }
}

variable "minio_replicas" {
  description = "MinIO pods in distributed mode (must be 1 in standalone mode)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.minio_replicas >= 1 && var.minio_replicas <= 32 && floor(var.minio_replicas) == var.minio_replicas
    error_message = "minio_replicas must be a whole number from 1 to 32."
  }
}

variable "minio_drives_per_node" {
  description = "Volumes per MinIO pod in distributed mode."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.minio_drives_per_node >= 1 && var.minio_drives_per_node <= 16 && floor(var.minio_drives_per_node) == var.minio_drives_per_node
    error_message = "minio_drives_per_node must be a whole number from 1 to 16."
  }
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

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$", var.minio_persistence.size))
    error_message = "minio_persistence.size must be a Kubernetes quantity such as 10Gi."
  }
}

variable "minio_resources" {
  description = "Resource requests and limits of the MinIO container (the chart's own default requests 16Gi of memory)."
  type = object({
    requests = optional(map(string), { cpu = "100m", memory = "512Mi" })
    limits   = optional(map(string), { memory = "2Gi" })
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for k in concat(keys(var.minio_resources.requests), keys(var.minio_resources.limits)) :
      contains(["cpu", "memory", "ephemeral-storage"], k)
    ])
    error_message = "minio_resources may only name cpu, memory and ephemeral-storage."
  }
}

variable "minio_extra_values" {
  description = "Further YAML values for the MinIO chart, applied after this configuration's (e.g. an image mirror). Never put credentials here: they would land in the state and the release in plain text."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for v in var.minio_extra_values : can(keys(yamldecode(v)))])
    error_message = "Each minio_extra_values entry must be a YAML mapping."
  }
}

# ---- s3wwwd ----------------------------------------------------------------------

variable "s3wwwd_release_name" {
  description = "Helm release name of s3wwwd."
  type        = string
  default     = "s3wwwd"
  nullable    = false

  validation {
    condition     = length(var.s3wwwd_release_name) <= 40 && can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.s3wwwd_release_name))
    error_message = "s3wwwd_release_name must be a DNS-1123 label starting with a letter, at most 40 characters (names are derived from it)."
  }
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

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.s3wwwd_image.repository))
    error_message = "s3wwwd_image.repository must be an image reference without tag, e.g. registry.example.com/s3wwwd."
  }
  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.s3wwwd_image.tag)) && lower(var.s3wwwd_image.tag) != "latest"
    error_message = "s3wwwd_image.tag must be a pinned image tag; \"latest\" is not allowed."
  }
  validation {
    condition     = contains(["IfNotPresent", "Always", "Never"], var.s3wwwd_image.pull_policy)
    error_message = "s3wwwd_image.pull_policy must be IfNotPresent, Always or Never."
  }
}

variable "image_pull_secrets" {
  description = "Names of existing docker-registry Secrets in the namespace for pulling the s3wwwd image."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.image_pull_secrets : can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", s))])
    error_message = "image_pull_secrets must be Secret names."
  }
}

variable "s3wwwd_replicas" {
  description = "Number of s3wwwd pods."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.s3wwwd_replicas >= 1 && var.s3wwwd_replicas <= 50 && floor(var.s3wwwd_replicas) == var.s3wwwd_replicas
    error_message = "s3wwwd_replicas must be a whole number from 1 to 50."
  }
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

  validation {
    condition     = contains(["none", "preferred", "required"], var.s3wwwd_pod_anti_affinity)
    error_message = "s3wwwd_pod_anti_affinity must be \"none\", \"preferred\" or \"required\"."
  }
}

variable "s3wwwd_pod_disruption_budget" {
  description = "The s3wwwd PodDisruptionBudget: exactly one of min_available and max_unavailable, each a number (\"1\") or a percentage (\"50%\"). Null keeps the chart's default (a budget with maxUnavailable 1); enabled = false renders none."
  type = object({
    enabled         = optional(bool, true)
    min_available   = optional(string)
    max_unavailable = optional(string)
  })
  default = null

  validation {
    condition = var.s3wwwd_pod_disruption_budget == null || try(
      !var.s3wwwd_pod_disruption_budget.enabled || (
        (var.s3wwwd_pod_disruption_budget.min_available == null) != (var.s3wwwd_pod_disruption_budget.max_unavailable == null) &&
        can(regex("^[0-9]+%?$", coalesce(var.s3wwwd_pod_disruption_budget.min_available, var.s3wwwd_pod_disruption_budget.max_unavailable)))
    ), false)
    error_message = "s3wwwd_pod_disruption_budget needs exactly one of min_available and max_unavailable, as a whole number or a percentage such as \"50%\"."
  }
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

  validation {
    condition = var.s3wwwd_autoscaling == null || try(
      var.s3wwwd_autoscaling.min_replicas >= 1 &&
      var.s3wwwd_autoscaling.max_replicas >= var.s3wwwd_autoscaling.min_replicas &&
      var.s3wwwd_autoscaling.max_replicas <= 100 &&
      floor(var.s3wwwd_autoscaling.min_replicas) == var.s3wwwd_autoscaling.min_replicas &&
      floor(var.s3wwwd_autoscaling.max_replicas) == var.s3wwwd_autoscaling.max_replicas &&
      var.s3wwwd_autoscaling.target_cpu_utilization_percentage + var.s3wwwd_autoscaling.target_memory_utilization_percentage > 0,
    false)
    error_message = "s3wwwd_autoscaling needs whole numbers 1 <= min_replicas <= max_replicas <= 100 and a CPU or memory target above 0."
  }
}

variable "s3wwwd_extra_values" {
  description = "Further YAML values for the s3wwwd chart, applied after this configuration's. Never put credentials here."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for v in var.s3wwwd_extra_values : can(keys(yamldecode(v)))])
    error_message = "Each s3wwwd_extra_values entry must be a YAML mapping."
  }
}

variable "helm_timeout_seconds" {
  description = "How long each Helm install/upgrade may take, hooks included (MinIO's user/policy/bucket job runs as a hook)."
  type        = number
  default     = 600
  nullable    = false

  validation {
    condition     = var.helm_timeout_seconds >= 60 && var.helm_timeout_seconds <= 3600
    error_message = "helm_timeout_seconds must be from 60 to 3600."
  }
}
