# The module configures no provider: the caller passes its helm, kubernetes
# and random providers (the root configuration in ../../ pins them exactly).
# The ranges below are the major versions whose schemas the module is
# written for (helm 3's attribute syntax, kubernetes_*_v1 resources).
terraform {
  # moved blocks and `terraform test` with mock_provider (1.7) in the
  # caller's tests; the root's S3 backend example needs 1.10.
  required_version = ">= 1.7.0"

  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = ">= 3.0.0, < 4.0.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 3.0.0, < 4.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6.0, < 4.0.0"
    }
  }
}
