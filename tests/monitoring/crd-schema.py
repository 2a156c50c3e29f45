#!/usr/bin/env python3
"""Write the kubeconform schema of a CRD's kinds, offline (PrometheusRule).

The conversion is tests/helm/k8s-schemas.py's (strict objects, apiVersion and
kind pinned, the file named as kubeconform's '{{ .ResourceKind }}{{
.KindSuffix }}.json' expects: prometheusrule-monitoring-v1.json); only the
source of ObjectMeta differs.  k8s-schemas.py takes it from Kubernetes'
OpenAPI document, a 200 MB module download; here it comes from a schema that
k8s-schemas.py already wrote (configmap-v1.json, scripts/tools.sh
k8sschemas), whose "definitions" hold ObjectMeta and everything it refers to.

Usage: crd-schema.py --out DIR --meta-from configmap-v1.json --crd CRD.json...
Only the Python standard library is used.
"""

import argparse
import copy
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_k8s_schemas():
    path = os.path.join(HERE, "..", "helm", "k8s-schemas.py")
    spec = importlib.util.spec_from_file_location("k8s_schemas", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--meta-from", required=True,
                    help="a schema written by k8s-schemas.py whose definitions hold ObjectMeta")
    ap.add_argument("--crd", action="append", required=True, help="a CRD in JSON form (repeatable)")
    args = ap.parse_args()
    ks = load_k8s_schemas()

    with open(args.meta_from, encoding="utf-8") as f:
        defs = json.load(f)["definitions"]
    if ks.OBJECT_META not in defs:
        raise SystemExit("crd-schema: %s has no %s" % (args.meta_from, ks.OBJECT_META))
    os.makedirs(args.out, exist_ok=True)
    n = 0
    for path in args.crd:
        for (group, version, kind), root in ks.crd_schemas(path).items():
            root = copy.deepcopy(root)
            # As k8s-schemas.py does: the API server checks a custom
            # resource's metadata as the ObjectMeta of every other kind.
            root.setdefault("properties", {})["metadata"] = {"$ref": ks.REF_PREFIX + ks.OBJECT_META}
            schema = ks.standalone(defs, kind, root, group, version, kind)
            out = os.path.join(args.out, ks.file_name(group, version, kind))
            with open(out, "w", encoding="utf-8") as f:
                json.dump(schema, f, sort_keys=True, separators=(",", ":"))
            print("crd-schema: wrote %s" % out, file=sys.stderr)
            n += 1
    if n == 0:
        raise SystemExit("crd-schema: no served version in %s" % ", ".join(args.crd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
