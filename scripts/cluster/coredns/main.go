// Command coredns is CoreDNS v1.15.0 with only the plugins the test
// cluster's Corefile uses (scripts/cluster/manifests/coredns.yaml): the
// stock build links about fifty plugins, with cloud SDKs among them, and
// takes several times as long to compile for nothing the cluster needs.
//
// CoreDNS registers a plugin when its package is imported; the order in
// which plugins run is fixed by CoreDNS itself (core/dnsserver), not here.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
