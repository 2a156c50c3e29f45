# Both providers talk to the same cluster through the same kubeconfig.
# Nothing is read from the cluster at plan time, so `terraform plan` on a
# fresh state only needs the kubeconfig to exist.
provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kube_context
}

provider "helm" {
  kubernetes = {
    config_path    = var.kubeconfig_path
    config_context = var.kube_context
  }
}
