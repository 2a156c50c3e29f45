terraform {
  # The tests (tests/*.tftest.hcl) need `terraform test` with mock_provider,
  # new in 1.7; they run with 1.8.5 (scripts/tools.d/terraform.sh).
  required_version = ">= 1.7.0"

  # Exact pins: the offline test mirror (scripts/tools.d/terraform.sh) holds
  # exactly these versions, and a real-cluster `terraform init` fetches the
  # same ones from the registry.
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "= 3.2.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "= 3.2.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "= 3.9.0"
    }
  }
}
