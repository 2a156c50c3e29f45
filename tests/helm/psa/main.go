// Command psa-check evaluates the pods in Kubernetes manifests against a Pod
// Security Standard level with the checks of Kubernetes' own PodSecurity
// admission controller (k8s.io/pod-security-admission/policy), the code an
// API server runs for a namespace labelled
// pod-security.kubernetes.io/enforce=<level>.
//
// Usage: psa-check [-level restricted] [-version latest] FILE...   ("-" is stdin)
//
// Every Pod, and the pod template of every Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job and CronJob, is evaluated; other kinds are
// skipped.  Exit status: 0 all pods pass, 1 a pod violates the level,
// 2 usage or input errors, or no pod at all was found.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

type pod struct {
	what string
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
}

// podsOf returns the pods a manifest document defines (none for other kinds).
func podsOf(doc []byte) ([]pod, error) {
	var head metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return nil, err
	}
	decode := func(into interface{}) error { return yaml.UnmarshalStrict(doc, into) }
	switch head.Kind {
	case "Pod":
		var o corev1.Pod
		if err := decode(&o); err != nil {
			return nil, err
		}
		return []pod{{"Pod/" + o.Name, &o.ObjectMeta, &o.Spec}}, nil
	case "Deployment":
		var o appsv1.Deployment
		if err := decode(&o); err != nil {
			return nil, err
		}
		return []pod{{"Deployment/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}}, nil
	case "StatefulSet":
		var o appsv1.StatefulSet
		if err := decode(&o); err != nil {
			return nil, err
		}
		return []pod{{"StatefulSet/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}}, nil
	case "DaemonSet":
		var o appsv1.DaemonSet
		if err := decode(&o); err != nil {
			return nil, err
		}
		return []pod{{"DaemonSet/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}}, nil
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		if err := decode(&o); err != nil {
			return nil, err
		}
		return []pod{{"ReplicaSet/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}}, nil
	case "Job":
		var o batchv1.Job
		if err := decode(&o); err != nil {
			return nil, err
		}
		return []pod{{"Job/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec}}, nil
	case "CronJob":
		var o batchv1.CronJob
		if err := decode(&o); err != nil {
			return nil, err
		}
		t := &o.Spec.JobTemplate.Spec.Template
		return []pod{{"CronJob/" + o.Name, &t.ObjectMeta, &t.Spec}}, nil
	}
	return nil, nil
}

func run() (int, error) {
	level := flag.String("level", "restricted", "Pod Security Standard level: baseline or restricted")
	version := flag.String("version", "latest", "policy version, e.g. v1.34 or latest")
	flag.Parse()
	if flag.NArg() == 0 {
		return 2, errors.New("usage: psa-check [-level L] [-version V] FILE...")
	}
	lvl, err := api.ParseLevel(*level)
	if err != nil {
		return 2, fmt.Errorf("-level: %w", err)
	}
	ver, err := api.ParseVersion(*version)
	if err != nil {
		return 2, fmt.Errorf("-version: %w", err)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		return 2, err
	}
	lv := api.LevelVersion{Level: lvl, Version: ver}

	status, seen := 0, 0
	for _, name := range flag.Args() {
		var in io.Reader = os.Stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return 2, err
			}
			defer f.Close()
			in = f
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
		for {
			doc, err := reader.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return 2, fmt.Errorf("%s: %w", name, err)
			}
			pods, err := podsOf(doc)
			if err != nil {
				return 2, fmt.Errorf("%s: %w", name, err)
			}
			for _, p := range pods {
				seen++
				failed := false
				for _, r := range evaluator.EvaluatePod(lv, p.meta, p.spec) {
					if !r.Allowed {
						failed = true
						fmt.Printf("FAIL %s: %s: %s\n", p.what, r.ForbiddenReason, r.ForbiddenDetail)
					}
				}
				if failed {
					status = 1
				} else {
					fmt.Printf("ok   %s passes %s:%s\n", p.what, lvl, ver.String())
				}
			}
		}
	}
	if seen == 0 {
		return 2, errors.New("no pod or pod template found")
	}
	return status, nil
}

func main() {
	status, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa-check:", err)
	}
	os.Exit(status)
}
