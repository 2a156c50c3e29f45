#!/usr/bin/env python3
"""Write kubeconform schemas for a few Kubernetes kinds, offline.

kubeconform validates a manifest against a JSON schema per kind, normally
downloaded from a public repository that these machines cannot reach.  The
same information is in Kubernetes' own OpenAPI (v2) document,
api/openapi-spec/swagger.json in the k8s.io/kubernetes module, and, for the
Prometheus Operator's ServiceMonitor, in the CRD that prometheus-operator's
module ships.  This script turns those into one self-contained JSON schema
(draft 4, kubeconform's default) per requested kind:

  * the kind's definition at the top, every definition it reaches (directly
    or not) under "definitions", with "$ref"s pointing there;
  * strict: an object with declared properties accepts no other property,
    which is what kubeconform's -strict mode expects of its schemas, and
    apiVersion and kind must be the kind's own;
  * the two types whose JSON form the OpenAPI document does not express:
    IntOrString (a string or an integer) and Quantity (a string or a number).

Files are named as kubeconform's schema-location template
'{{ .ResourceKind }}{{ .KindSuffix }}.json' expects: deployment-apps-v1.json,
service-v1.json, servicemonitor-monitoring-v1.json.

Usage: k8s-schemas.py --out DIR --swagger swagger.json [--crd CRD.json]...
                      GROUP/VERSION/KIND...   (core kinds: /v1/Pod)
Only the Python standard library is used.
"""

import argparse
import copy
import json
import os
import sys

REF_PREFIX = "#/definitions/"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def file_name(group, version, kind):
    """kubeconform's ResourceKind + KindSuffix (see its registry.schemaPath)."""
    suffix = "-" + group.split(".")[0].lower() if group else ""
    return "%s%s-%s.json" % (kind.lower(), suffix, version.lower())


def strict(node):
    """Copy a schema node, closing every object that declares properties.

    Keys of Kubernetes' vendor extensions are dropped (a draft-4 validator
    ignores them anyway); "x-kubernetes-int-or-string" becomes the anyOf it
    stands for, and "nullable" (OpenAPI v3) allows null.
    """
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: strict(sub) for name, sub in value.items()}
        elif key == "description":
            continue  # keeps the files small; the error paths say enough
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


def reachable(defs, start):
    """The definitions reachable from the definition names in start."""
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in defs:
            raise SystemExit("k8s-schemas: definition %s is referenced but missing" % name)
        seen.add(name)
        found = set()
        refs(defs[name], found)
        todo.extend(found - seen)
    return seen


def special(name, schema):
    """Replace the definitions whose OpenAPI form is not their JSON form."""
    if name == INT_OR_STRING:
        return {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    if name == QUANTITY:
        return {"anyOf": [{"type": "number"}, {"type": "string"}]}
    return schema


def pin_gvk(schema, group, version, kind):
    """apiVersion and kind must be exactly the kind's own, and present."""
    api_version = "%s/%s" % (group, version) if group else version
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [api_version]}
    props["kind"] = {"type": "string", "enum": [kind]}
    required = set(schema.get("required", []))
    required.update(("apiVersion", "kind"))
    schema["required"] = sorted(required)


def standalone(defs, root_name, root, group, version, kind):
    """A self-contained schema: root at the top, what it needs in definitions."""
    found = set()
    refs(root, found)
    names = reachable(defs, found)
    schema = strict(root)
    pin_gvk(schema, group, version, kind)
    schema["definitions"] = {n: special(n, strict(defs[n])) for n in sorted(names)}
    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
    schema["title"] = "%s (%s)" % (kind, root_name)
    return schema


def kinds_in_swagger(defs):
    """(group, version, kind) -> definition name, from x-kubernetes-group-version-kind."""
    table = {}
    for name, schema in defs.items():
        gvks = schema.get("x-kubernetes-group-version-kind", [])
        # Definitions shared by many kinds (DeleteOptions, WatchEvent) are
        # not resources of their own.
        if len(gvks) != 1:
            continue
        gvk = gvks[0]
        table[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return table


def crd_schemas(path):
    """(group, version, kind) -> openAPIV3Schema, for each served version."""
    with open(path, encoding="utf-8") as f:
        crd = json.load(f)
    if crd.get("kind") != "CustomResourceDefinition":
        raise SystemExit("k8s-schemas: %s is not a CustomResourceDefinition" % path)
    spec = crd["spec"]
    out = {}
    for ver in spec["versions"]:
        if ver.get("served", True):
            out[(spec["group"], ver["name"], spec["names"]["kind"])] = ver["schema"]["openAPIV3Schema"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--swagger", required=True, help="Kubernetes' OpenAPI v2 document")
    ap.add_argument("--crd", action="append", default=[], help="a CRD in JSON form (repeatable)")
    ap.add_argument("kinds", nargs="+", help="GROUP/VERSION/KIND, '' group for core")
    args = ap.parse_args()

    with open(args.swagger, encoding="utf-8") as f:
        defs = json.load(f)["definitions"]
    table = kinds_in_swagger(defs)
    os.makedirs(args.out, exist_ok=True)

    def write(group, version, kind, schema):
        path = os.path.join(args.out, file_name(group, version, kind))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(schema, f, sort_keys=True, separators=(",", ":"))
        print("k8s-schemas: wrote %s" % path, file=sys.stderr)

    for spec in args.kinds:
        try:
            group, version, kind = spec.split("/")
        except ValueError:
            raise SystemExit("k8s-schemas: %r is not GROUP/VERSION/KIND" % spec)
        name = table.get((group, version, kind))
        if name is None:
            raise SystemExit("k8s-schemas: %s is not in %s" % (spec, args.swagger))
        write(group, version, kind, standalone(defs, name, defs[name], group, version, kind))

    for path in args.crd:
        for (group, version, kind), root in crd_schemas(path).items():
            root = copy.deepcopy(root)
            # A CRD's own schema leaves metadata open; the API server
            # validates it as the ObjectMeta of every other kind.
            root.setdefault("properties", {})["metadata"] = {"$ref": REF_PREFIX + OBJECT_META}
            write(group, version, kind, standalone(defs, kind, root, group, version, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
