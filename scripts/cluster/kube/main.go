// Command kube is one binary that is every Kubernetes program the project's
// single-node test cluster needs (scripts/cluster.sh): kube-apiserver,
// kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl.
//
// It is linked once instead of six times, which saves most of the build:
// the programs share nearly all of their 2,600 packages.  It picks the
// program from the name it is called by (a symbolic link such as
// kube-apiserver -> kube) or, failing that, from its first argument
// ("kube kubelet --config=...").
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json, as upstream's mains
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream's mains
	_ "k8s.io/component-base/metrics/prometheus/version"  // the version metric, as upstream's mains
	kubectl "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"

	_ "time/tzdata" // CronJob time zones, as upstream's apiserver and controller-manager
)

// The server programs, each built the way its upstream main builds it.
// scheduler.NewSchedulerCommand takes optional plugin registries, so it is
// wrapped to fit the table.
var servers = map[string]func() *cobra.Command{
	"kube-apiserver":          apiserver.NewAPIServerCommand,
	"kube-controller-manager": controllermanager.NewControllerManagerCommand,
	"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
	"kubelet":                 func() *cobra.Command { return kubelet.NewKubeletCommand(context.Background()) },
	"kube-proxy":              proxy.NewProxyCommand,
}

func main() {
	name := filepath.Base(os.Args[0])
	if _, ok := servers[name]; !ok && name != "kubectl" && len(os.Args) > 1 {
		// "kube PROGRAM ARGS...": drop our own name so that the program
		// parses its arguments as if it had been called directly.
		name = os.Args[1]
		os.Args = os.Args[1:]
	}
	if name == "kubectl" {
		// As upstream's kubectl main: verbosity is needed before the
		// command is built, and errors are printed kubectl's way.
		logs.GlogSetter(kubectl.GetLogVerbosity(os.Args)) // nolint:errcheck
		if err := cli.RunNoErrOutput(kubectl.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
		return
	}
	newCommand, ok := servers[name]
	if !ok {
		names := []string{"kubectl"}
		for n := range servers {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: kube {%s} [ARGS...]\n", strings.Join(names, "|"))
		os.Exit(2)
	}
	os.Exit(cli.Run(newCommand()))
}
