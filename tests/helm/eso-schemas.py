#!/usr/bin/env python3
"""Write kubeconform schemas for the External Secrets Operator's kinds, offline.

The chart can render an ExternalSecret (externalSecret.enabled).  kubeconform
checks it against a JSON schema that this script makes from the operator's
own CustomResourceDefinition, as shipped in the pinned
github.com/external-secrets/external-secrets Go module
(config/crds/bases/external-secrets.io_externalsecrets.yaml; fetched by
scripts/tools.sh esoschemas).  For each requested version of each CRD, the
version's openAPIV3Schema becomes one self-contained JSON schema (draft 4,
kubeconform's default):

  * strict: an object that declares properties accepts no other property
    (kubeconform's -strict mode expects that of its schemas), unless the CRD
    keeps it open (x-kubernetes-preserve-unknown-fields);
  * "x-kubernetes-int-or-string" becomes the anyOf it stands for, "nullable"
    allows null, the other Kubernetes extensions and the descriptions go;
  * apiVersion and kind must be the kind's own, and present;
  * metadata, which a CRD leaves open ({type: object}), is checked as the
    ObjectMeta of every other kind: its definition (and what it refers to) is
    copied from one of the Kubernetes schemas that tests/helm/k8s-schemas.py
    wrote (--meta-from, e.g. configmap-v1.json).

Files are laid out as the kubeconform schema-location template
'DIR/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json' expects:
external-secrets.io/externalsecret_v1.json.  Core and built-in kinds resolve
to files that do not exist there, so kubeconform falls through to the next
-schema-location.

Usage: eso-schemas.py --out DIR --meta-from K8S-SCHEMA.json
                      [--version V]... --crd CRD.yaml...
Needs PyYAML (Debian: python3-yaml); otherwise only the standard library.
"""

import argparse
import json
import os
import sys

REF_PREFIX = "#/definitions/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def die(msg):
    raise SystemExit("eso-schemas: %s" % msg)


def strict(node):
    """Copy an openAPIV3Schema node as strict draft-4 JSON schema."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "description"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: strict(sub) for name, sub in value.items()}
        else:
            out[key] = strict(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.pop("anyOf", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if ("properties" in out and "additionalProperties" not in out
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def refs(node, found):
    """Collect the definition names that node refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX):])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def meta_definitions(path):
    """ObjectMeta and every definition it reaches, from a k8s-schemas file."""
    with open(path, encoding="utf-8") as f:
        defs = json.load(f).get("definitions", {})
    seen, todo = set(), [OBJECT_META]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in defs:
            die("%s has no definition %s" % (path, name))
        seen.add(name)
        found = set()
        refs(defs[name], found)
        todo.extend(found - seen)
    return {name: defs[name] for name in sorted(seen)}


def load_crd(path):
    import yaml  # only here: --help works without PyYAML

    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    crds = [d for d in docs if d.get("kind") == "CustomResourceDefinition"]
    if not crds:
        die("%s holds no CustomResourceDefinition" % path)
    return crds


def schema_for(crd, version, meta_defs):
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    root = strict(version["schema"]["openAPIV3Schema"])
    props = root.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": ["%s/%s" % (group, version["name"])]}
    props["kind"] = {"type": "string", "enum": [kind]}
    props["metadata"] = {"$ref": REF_PREFIX + OBJECT_META}
    root["required"] = sorted(set(root.get("required", [])) | {"apiVersion", "kind", "metadata"})
    root["additionalProperties"] = False
    root["definitions"] = meta_defs
    root["$schema"] = "http://json-schema.org/draft-04/schema#"
    root["title"] = "%s %s/%s (from its CRD)" % (kind, group, version["name"])
    return group, kind, root


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the schema directory to write into")
    ap.add_argument("--meta-from", required=True,
                    help="a schema written by k8s-schemas.py, for ObjectMeta")
    ap.add_argument("--version", action="append", default=[],
                    help="only this CRD version (repeatable; default: every served one)")
    ap.add_argument("--crd", action="append", required=True,
                    help="a YAML file of CRDs (repeatable)")
    args = ap.parse_args()

    meta_defs = meta_definitions(args.meta_from)
    wanted = set(args.version)
    written = set()
    for path in args.crd:
        for crd in load_crd(path):
            for ver in crd["spec"]["versions"]:
                name = ver["name"]
                if wanted and name not in wanted:
                    continue
                if not wanted and not ver.get("served", True):
                    continue
                if not ver.get("served", True):
                    die("%s %s is not served by the CRD" % (crd["spec"]["names"]["kind"], name))
                group, kind, schema = schema_for(crd, ver, meta_defs)
                d = os.path.join(args.out, group)
                os.makedirs(d, exist_ok=True)
                out = os.path.join(d, "%s_%s.json" % (kind.lower(), name))
                with open(out, "w", encoding="utf-8") as f:
                    json.dump(schema, f, sort_keys=True, separators=(",", ":"))
                print("eso-schemas: wrote %s" % out, file=sys.stderr)
                written.add(name)
    missing = wanted - written
    if missing:
        die("no CRD has version(s) %s" % ", ".join(sorted(missing)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
