# The official MinIO chart (https://charts.min.io/, version pinned by
# var.minio_chart_version).  Its post-install hook job creates the policies,
# users and bucket listed here before `helm install` returns, so once this
# release exists the seeding Job's user can log in.

locals {
  # The site's bucket and the buckets of the sites that name their own
  # (var.sites): MinIO creates each, s3wwwd reads them all, the seeding
  # user may write them all (the Job fills var.bucket; the others are
  # filled from elsewhere with the same user's keys).
  buckets     = distinct(concat([var.bucket], compact(var.sites[*].bucket)))
  bucket_arns = [for b in local.buckets : "arn:aws:s3:::${b}"]
  object_arns = [for b in local.buckets : "arn:aws:s3:::${b}/*"]

  minio_container_security = {
    allowPrivilegeEscalation = false
    capabilities             = { drop = ["ALL"] }
    readOnlyRootFilesystem   = false
  }

  # Images of a registry mirror, or built locally (scripts/cluster.sh);
  # null leaves the chart's own.
  minio_images = merge(
    var.minio_image == null ? {} : {
      image = { repository = var.minio_image.repository, tag = var.minio_image.tag, pullPolicy = "IfNotPresent" }
    },
    var.mc_image == null ? {} : {
      mcImage = { repository = var.mc_image.repository, tag = var.mc_image.tag, pullPolicy = "IfNotPresent" }
    },
  )

  minio_values = {
    fullnameOverride = var.minio_release_name

    mode          = var.minio_mode
    replicas      = var.minio_mode == "standalone" ? 1 : var.minio_replicas
    drivesPerNode = var.minio_mode == "standalone" ? 1 : var.minio_drives_per_node
    # Standalone is a Deployment over one ReadWriteOnce volume: a rolling
    # update would start a second MinIO on the same data (or wait forever for
    # the volume), so replace the pod instead.
    deploymentUpdate = { type = "Recreate" }

    # Root credentials come from the Secret made in main.tf; with
    # existingSecret set the chart renders no Secret of its own.
    existingSecret = local.minio_root_secret

    # Pod Security "restricted" for the server and the provisioning job, so
    # that the namespace can enforce it (main.tf).  The chart renders the
    # server's security contexts only when persistence is on; without it
    # MinIO runs as the image's user and the namespace enforces "baseline".
    securityContext = {
      enabled             = true
      runAsUser           = 1000
      runAsGroup          = 1000
      fsGroup             = 1000
      fsGroupChangePolicy = "OnRootMismatch"
      runAsNonRoot        = true
      seccompProfile      = { type = "RuntimeDefault" }
    }
    containerSecurityContext = local.minio_container_security
    postJob = {
      securityContext = {
        enabled        = true
        runAsUser      = 1000
        runAsGroup     = 1000
        fsGroup        = 1000
        runAsNonRoot   = true
        seccompProfile = { type = "RuntimeDefault" }
      }
    }
    makePolicyJob = { securityContext = { enabled = true }, containerSecurityContext = local.minio_container_security }
    makeUserJob   = { securityContext = { enabled = true }, containerSecurityContext = local.minio_container_security }
    makeBucketJob = { securityContext = { enabled = true }, containerSecurityContext = local.minio_container_security }

    persistence = {
      enabled      = var.minio_persistence.enabled
      size         = var.minio_persistence.size
      storageClass = var.minio_persistence.storage_class
    }
    resources = var.minio_resources

    # The chart's default account name is fixed ("minio-sa"): two releases in
    # one namespace would fight over it.
    serviceAccount = { create = true, name = "${var.minio_release_name}-sa" }

    policies = [
      {
        # s3:ListBucket is granted on purpose.  Without it AWS S3 (and the
        # S3 servers that follow it) answer a GET or HEAD of a missing key
        # with 403 AccessDenied instead of 404 NoSuchKey, and s3wwwd, which
        # passes S3's status on honestly, would answer 403 for every page
        # that does not exist.  MinIO today answers signed requests with 404
        # either way, but the policy should not rest on that; ListBucket
        # also serves s3wwwd's optional directory listing.  It lets the
        # reader list this bucket's keys, nothing more.
        name = local.reader_policy
        statements = [
          { resources = local.object_arns, actions = ["s3:GetObject"] },
          { resources = local.bucket_arns, actions = ["s3:ListBucket", "s3:GetBucketLocation"] },
        ]
      },
      {
        # What s3wwwd-seed does: create the bucket if needed, compare
        # (HEAD/list), upload (also multipart), delete what --sync removes.
        name = local.writer_policy
        statements = [
          {
            resources = local.object_arns
            actions = [
              "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
              "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
            ]
          },
          {
            resources = local.bucket_arns
            actions = [
              "s3:CreateBucket", "s3:ListBucket", "s3:GetBucketLocation",
              "s3:ListBucketMultipartUploads",
            ]
          },
        ]
      },
    ]

    # Replacing the chart's default list also removes its built-in
    # console/console123 user with the consoleAdmin policy.  The secret keys
    # are read from the Secrets by the chart's job, never put into values.
    users = [
      {
        accessKey         = local.reader_user
        existingSecret    = local.reader_secret
        existingSecretKey = local.secret_key_key
        policy            = local.reader_policy
      },
      {
        accessKey         = local.writer_user
        existingSecret    = local.writer_secret
        existingSecretKey = local.secret_key_key
        policy            = local.writer_policy
      },
    ]

    # Created empty and private; the seeding Job fills the site's.
    buckets = [for b in local.buckets : { name = b, policy = "none", purge = false }]
  }
}

resource "helm_release" "minio" {
  name      = var.minio_release_name
  namespace = local.namespace

  # A local chart directory wins; otherwise the repository at a pinned version.
  repository = var.minio_chart_path == null ? var.minio_chart_repository : null
  chart      = var.minio_chart_path == null ? "minio" : var.minio_chart_path
  version    = var.minio_chart_path == null ? var.minio_chart_version : null

  values = concat([yamlencode(merge(local.minio_values, local.minio_images))], var.minio_extra_values)

  wait            = true
  timeout         = var.helm_timeout_seconds
  cleanup_on_fail = true
  max_history     = 10

  # The chart refers to the Secrets by name only, so Terraform cannot see
  # that it needs them; without these the pods and the provisioning job
  # could start before the Secrets exist.
  depends_on = [
    kubernetes_secret_v1.minio_root,
    kubernetes_secret_v1.reader,
    kubernetes_secret_v1.writer,
  ]

  lifecycle {
    precondition {
      condition     = var.minio_mode != "standalone" || var.minio_replicas == 1
      error_message = "minio_replicas must be 1 when minio_mode is \"standalone\"; use minio_mode = \"distributed\" for more pods."
    }
    precondition {
      # MinIO's erasure coding needs at least 4 drives in all, on 2+ pods.
      condition     = var.minio_mode != "distributed" || (var.minio_replicas >= 2 && var.minio_replicas * var.minio_drives_per_node >= 4)
      error_message = "distributed mode needs minio_replicas >= 2 and minio_replicas * minio_drives_per_node >= 4."
    }
  }
}
