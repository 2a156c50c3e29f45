#!/usr/bin/env python3
"""Check what `helm template` rendered from the values Terraform computes.

usage: check_render.py CASE RENDERED.yaml VALUES.json

CASE says what the values were made from (see CASES); RENDERED.yaml is the
output of `helm template`, VALUES.json the values Terraform handed to the
chart.  Prints one "ok - ..." or "not ok - ..." line per check, like TAP, and
exits 1 if any check failed.
"""

import json
import re
import sys

import yaml

RESULTS = []


def check(cond, what, detail=""):
    RESULTS.append(bool(cond))
    line = ("ok - " if cond else "not ok - ") + what
    if not cond and detail:
        line += "  [" + str(detail)[:300] + "]"
    print(line)


def load(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    return docs


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind, name=None):
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    return found[0] if len(found) == 1 else None


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


# ---- MinIO (the official chart) ---------------------------------------------


def minio_common(docs, values, raw):
    rel = values["fullnameOverride"]
    root_secret = values["existingSecret"]

    # The chart's default user and its password must be gone entirely.
    check("console123" not in raw, "no console123 anywhere in the rendered chart")
    check(not by_kind(docs, "Secret"),
          "the chart renders no Secret of its own (root credentials come from existingSecret)",
          [d["metadata"]["name"] for d in by_kind(docs, "Secret")])

    cm = one(docs, "ConfigMap", rel)
    check(cm is not None, f"ConfigMap {rel} with the provisioning scripts is rendered")
    if cm is None:
        return
    data = cm["data"]

    # Users: exactly ours, each reading its key from its own Secret.
    add_user = data.get("add-user", "")
    users = re.findall(r"^echo (\S+) > \$MINIO_ACCESSKEY_SECRETKEY_TMP$", add_user, re.M)
    want_users = [u["accessKey"] for u in values["users"]]
    check(users == want_users, f"add-user creates exactly {want_users}", users)
    check("console" not in users, "the default console user is not created", users)
    for u in values["users"]:
        sec, key = u["existingSecret"], u["existingSecretKey"]
        pat = (rf"^echo {re.escape(u['accessKey'])} > \$MINIO_ACCESSKEY_SECRETKEY_TMP\n"
               rf"cat /config/secrets/{re.escape(sec)}/{re.escape(key)} >> \$MINIO_ACCESSKEY_SECRETKEY_TMP\n"
               rf"(?:#.*\n)?echo >> \$MINIO_ACCESSKEY_SECRETKEY_TMP\n"
               rf"createUser {re.escape(u['policy'])}$")
        check(re.search(pat, add_user, re.M),
              f"user {u['accessKey']} gets its key from Secret {sec} and policy {u['policy']}")
    check(not re.search(r"^echo \S+ >> \$MINIO_ACCESSKEY_SECRETKEY_TMP$", add_user, re.M),
          "no user's secret key is written into the script")

    # Policies: rendered as valid JSON, matching the values, on our bucket only.
    add_policy = data.get("add-policy", "")
    bucket_arns = {f"arn:aws:s3:::{b['name']}" for b in values["buckets"]}
    bucket_arns |= {a + "/*" for a in bucket_arns}
    for i, p in enumerate(values["policies"]):
        check(re.search(rf"^createPolicy {re.escape(p['name'])} policy_{i}$", add_policy, re.M),
              f"add-policy creates {p['name']} from policy_{i}.json")
        try:
            doc = json.loads(data.get(f"policy_{i}.json", ""))
        except ValueError as e:
            check(False, f"policy_{i}.json is valid JSON", e)
            continue
        got = [(s["Effect"], sorted(s["Action"]), sorted(s.get("Resource", []))) for s in doc["Statement"]]
        want = [("Allow", sorted(s["actions"]), sorted(s["resources"])) for s in p["statements"]]
        check(got == want, f"policy {p['name']} renders as given", got)
        res = {r for s in doc["Statement"] for r in s.get("Resource", [])}
        check(res and res <= bucket_arns, f"policy {p['name']} only names the site bucket", res)
        if p["name"].endswith("-read"):
            acts = {a for s in doc["Statement"] for a in s["Action"]}
            check(acts == {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"},
                  f"policy {p['name']} is read-only (GetObject, ListBucket, GetBucketLocation)", acts)

    # Bucket: created private, not purged.
    init = data.get("initialize", "")
    for b in values["buckets"]:
        check(re.search(rf'^createBucket {re.escape(b["name"])} "none" false', init, re.M),
              f"initialize creates bucket {b['name']} (private, no purge)")

    # The provisioning job mounts the root Secret and each user's Secret.
    jobs = [j for j in by_kind(docs, "Job") if j["metadata"]["name"] == f"{rel}-post-job"]
    check(len(jobs) == 1, "the post-install provisioning Job is rendered")
    if jobs:
        job = jobs[0]
        hook = job["metadata"].get("annotations", {}).get("helm.sh/hook", "")
        check("post-install" in hook, "provisioning runs as a post-install hook (helm waits for it)")
        sources = [s for v in job["spec"]["template"]["spec"]["volumes"]
                   for s in v.get("projected", {}).get("sources", [])]
        secrets = [s["secret"] for s in sources if "secret" in s]
        names = [s["name"] for s in secrets]
        check(root_secret in names, f"provisioning reads the root credentials from {root_secret}", names)
        for u in values["users"]:
            sec, key = u["existingSecret"], u["existingSecretKey"]
            items = [s.get("items") for s in secrets if s["name"] == sec]
            check(items == [[{"key": key, "path": f"secrets/{sec}/{key}"}]],
                  f"provisioning mounts {sec}/{key} for {u['accessKey']}", items)

    # The server's root credentials come from the Secret, never as values.
    pods = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
    for w in pods:
        c = w["spec"]["template"]["spec"]["containers"][0]
        env = env_of(c)
        for var, key in (("MINIO_ROOT_USER", "rootUser"), ("MINIO_ROOT_PASSWORD", "rootPassword")):
            ref = env.get(var, {}).get("valueFrom", {}).get("secretKeyRef", {})
            check(ref == {"name": root_secret, "key": key} and "value" not in env.get(var, {}),
                  f"{w['kind']} takes {var} from Secret {root_secret}", env.get(var))
        check(c.get("resources") == values["resources"],
              f"{w['kind']} has the configured resources", c.get("resources"))
        labels = w["spec"]["template"]["metadata"].get("labels", {})
        # terraform/s3wwwd.tf lets s3wwwd's NetworkPolicy reach these pods.
        check(labels.get("app") == "minio" and labels.get("release") == rel,
              f"{w['kind']} pods are labelled app=minio, release={rel}", labels)
        sa = w["spec"]["template"]["spec"].get("serviceAccountName")
        check(sa == values["serviceAccount"]["name"], f"{w['kind']} runs as service account {sa}")


def minio_standalone(docs, values, raw):
    rel = values["fullnameOverride"]
    dep = one(docs, "Deployment", rel)
    check(dep is not None and not by_kind(docs, "StatefulSet"),
          "standalone: one Deployment, no StatefulSet")
    if dep:
        check(dep["spec"]["replicas"] == 1, "standalone: 1 replica")
        check(dep["spec"]["strategy"] == {"type": "Recreate"},
              "standalone: Recreate strategy (one MinIO per volume)", dep["spec"]["strategy"])
    svc = one(docs, "Service", rel)
    check(svc is not None and any(p["port"] == 9000 for p in svc["spec"]["ports"]),
          f"Service {rel} listens on 9000 (the endpoint the Job and s3wwwd use)")


def minio_persistent(docs, values, raw):
    rel = values["fullnameOverride"]
    pvc = one(docs, "PersistentVolumeClaim", rel)
    size = values["persistence"]["size"]
    check(pvc is not None and pvc["spec"]["resources"]["requests"]["storage"] == size,
          f"standalone persistence: PVC {rel} of {size}")


def minio_ephemeral(docs, values, raw):
    rel = values["fullnameOverride"]
    check(not by_kind(docs, "PersistentVolumeClaim"), "persistence off: no PVC")
    dep = one(docs, "Deployment", rel)
    vols = dep["spec"]["template"]["spec"]["volumes"] if dep else []
    export = [v for v in vols if v["name"] == "export"]
    check(export and "emptyDir" in export[0], "persistence off: data on an emptyDir", export)


def minio_distributed(docs, values, raw):
    rel = values["fullnameOverride"]
    sts = one(docs, "StatefulSet", rel)
    check(sts is not None and not by_kind(docs, "Deployment"), "distributed: a StatefulSet, no Deployment")
    if not sts:
        return
    check(sts["spec"]["replicas"] == values["replicas"], f"distributed: {values['replicas']} replicas")
    claims = sts["spec"].get("volumeClaimTemplates", [])
    want = values["drivesPerNode"]
    check(len(claims) == want, f"distributed: {want} volume claims per pod", len(claims))
    sc = values["persistence"]["storageClass"]
    check(all(c["spec"].get("storageClassName", "") == sc and
              c["spec"]["resources"]["requests"]["storage"] == values["persistence"]["size"] for c in claims),
          f"distributed: claims use class {sc} and size {values['persistence']['size']}")


# ---- s3wwwd (the project's chart) --------------------------------------------


def s3wwwd(docs, values, raw):
    rel = values["fullnameOverride"]
    dep = one(docs, "Deployment", rel)
    check(dep is not None, f"Deployment {rel} is rendered")
    if not dep:
        return
    spec = dep["spec"]["template"]["spec"]
    c = [c for c in spec["containers"] if c["name"] in ("s3wwwd", rel)] or spec["containers"]
    c = c[0]
    img = values["image"]
    check(c["image"] == f"{img['repository']}:{img['tag']}", f"image {img['repository']}:{img['tag']}", c["image"])
    if values.get("autoscaling", {}).get("enabled"):
        check("replicas" not in dep["spec"], "with an autoscaler the Deployment leaves replicas to it")
    else:
        check(dep["spec"].get("replicas") == values["replicaCount"], f"{values['replicaCount']} replicas")
    cred = values["credentials"]["existingSecret"]
    vol_secrets = [v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v]
    vol_secrets += [s["secret"]["name"] for v in spec.get("volumes", [])
                    for s in v.get("projected", {}).get("sources", []) if "secret" in s]
    check(cred in vol_secrets, f"s3wwwd mounts the reader Secret {cred}", vol_secrets)
    check(not by_kind(docs, "Secret"), "the chart creates no Secret (credentials.create is false)")
    env = env_of(c)
    check(not any("KEY" in k.upper() and "value" in e and "FILE" not in k.upper() for k, e in env.items()),
          "no key passed as a plain environment value", list(env))
    check(values["s3"]["endpoint"] in raw and values["s3"]["bucket"] in raw,
          "the rendered configuration names the MinIO endpoint and the bucket")
    nps = by_kind(docs, "NetworkPolicy")
    sel = values["networkPolicy"]["s3To"][0]["podSelector"]["matchLabels"]
    egress = [r for np in nps for r in np["spec"].get("egress", [])]
    check(any(any(t.get("podSelector", {}).get("matchLabels") == sel for t in r.get("to", [])) and
              any(p.get("port") == 9000 for p in r.get("ports", [])) for r in egress),
          f"NetworkPolicy lets s3wwwd reach only the MinIO pods {sel} on 9000", egress)


def s3wwwd_ha(docs, values, raw):
    """prod and staging: anti-affinity, a PodDisruptionBudget, and an
    autoscaler where the values ask for one (prod), none where not."""
    rel = values["fullnameOverride"]
    dep = one(docs, "Deployment", rel)
    sel = dep["spec"]["selector"]["matchLabels"]
    aff = dep["spec"]["template"]["spec"].get("affinity", {}).get("podAntiAffinity", {})
    terms = [t["podAffinityTerm"] for t in aff.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
    terms += aff.get("requiredDuringSchedulingIgnoredDuringExecution", [])
    check(any(t["topologyKey"] == "kubernetes.io/hostname" and t["labelSelector"]["matchLabels"] == sel for t in terms),
          "pod anti-affinity over kubernetes.io/hostname selects the Deployment's own pods", aff)
    pdb = one(docs, "PodDisruptionBudget", rel)
    want = values["podDisruptionBudget"]
    check(pdb is not None and pdb["spec"]["selector"]["matchLabels"] == sel and
          pdb["spec"].get("minAvailable", "") == want["minAvailable"] and
          pdb["spec"].get("maxUnavailable", "") == want["maxUnavailable"],
          f"PodDisruptionBudget {rel} (minAvailable {want['minAvailable']!r}, maxUnavailable {want['maxUnavailable']!r})",
          pdb and pdb["spec"])
    hpa = one(docs, "HorizontalPodAutoscaler", rel)
    if not values.get("autoscaling", {}).get("enabled"):
        check(hpa is None, "no HorizontalPodAutoscaler without autoscaling", hpa and hpa["spec"])
        return
    a = values["autoscaling"]
    check(hpa is not None and hpa["spec"]["scaleTargetRef"]["name"] == rel and
          hpa["spec"]["minReplicas"] == a["minReplicas"] and hpa["spec"]["maxReplicas"] == a["maxReplicas"],
          f"HorizontalPodAutoscaler {rel} scales the Deployment from {a['minReplicas']} to {a['maxReplicas']}",
          hpa and hpa["spec"])


def s3wwwd_sites(docs, values, raw):
    """fixtures/sites.tfvars: the website settings and the sites reach
    s3wwwd.conf, each setting as the chart writes it."""
    cm = one(docs, "ConfigMap", values["fullnameOverride"])
    conf = cm["data"]["s3wwwd.conf"] if cm else ""
    site = values.get("site", {})
    check(site.get("websiteDocument") and
          re.search(r'^  website_document = "%s";$' % re.escape(site["websiteDocument"]), conf, re.M),
          "s3wwwd.conf reads the website document from the key the Job uploads it to",
          site.get("websiteDocument"))
    rules = site.get("routingRules", [])
    got = re.search(r"^  routing_rules = \(\n((?:    \{.*\n)+)  \);$", conf, re.M)
    check(rules and got and len(got.group(1).splitlines()) == len(rules),
          "the top-level site has its %d routing rules" % len(rules), got and got.group(0))
    for h in site.get("headers", []):
        check('name = "%s"; value = "%s";' % (h["name"], h["value"]) in conf,
              "the header %s is in s3wwwd.conf" % h["name"])
    block = re.search(r"^sites = \(\n(.*?)^\);$", conf, re.M | re.S)
    check(block is not None, "s3wwwd.conf has a sites list")
    body = block.group(1) if block else ""
    entries = re.split(r"^  \},?\n", body, flags=re.M)
    entries = [e for e in entries if e.strip()]
    check(len(entries) == len(values["sites"]), "one entry per site (%d)" % len(values["sites"]),
          len(entries))
    for s, e in zip(values["sites"], entries):
        label = s.get("name") or s["hosts"][0]
        if "name" in s:
            check('    name = "%s";' % s["name"] in e, "site %s: its name" % label)
        if s.get("hosts"):
            check('    hosts = [ %s ];' % ", ".join('"%s"' % h for h in s["hosts"]) in e,
                  "site %s: its hosts %s" % (label, s["hosts"]))
        check(("    default = true;" in e) == bool(s.get("default")),
              "site %s: default = %s" % (label, bool(s.get("default"))))
        if "bucket" in s:
            check('bucket = "%s";' % s["bucket"] in e, "site %s: its bucket %s" % (label, s["bucket"]))
        if "redirectAll" in s:
            check('      redirect_all = { host = "%s";' % s["redirectAll"]["host"] in e,
                  "site %s: redirects every request to %s" % (label, s["redirectAll"]["host"]))
        if "routingRules" in s:
            check(e.count("      routing_rules = (") == 1 and
                  len(re.findall(r"^        \{ .* \}", e, re.M)) >= len(s["routingRules"]),
                  "site %s: its %d routing rules" % (label, len(s["routingRules"])))
        if "headers" in s and not s["headers"]:
            check("      headers = ( );" in e, "site %s: none of the top-level headers" % label)
        if "cache" in s:
            check("    cache = { " in e, "site %s: its cache group" % label)


CASES = {
    "minio-standalone": [minio_common, minio_standalone, minio_persistent],
    "minio-ephemeral": [minio_common, minio_standalone, minio_ephemeral],
    "minio-distributed": [minio_common, minio_distributed],
    "s3wwwd": [s3wwwd],
    "minio-dev": [minio_common, minio_standalone, minio_ephemeral],
    "minio-staging": [minio_common, minio_standalone, minio_persistent],
    "minio-prod": [minio_common, minio_distributed],
    "s3wwwd-dev": [s3wwwd],
    "s3wwwd-staging": [s3wwwd, s3wwwd_ha],
    "s3wwwd-prod": [s3wwwd, s3wwwd_ha],
    "s3wwwd-sites": [s3wwwd, s3wwwd_sites],
    "minio-sites": [minio_common, minio_standalone, minio_persistent],
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        print(__doc__, file=sys.stderr)
        return 2
    case, rendered, values_path = sys.argv[1:]
    with open(rendered, encoding="utf-8") as f:
        raw = f.read()
    docs = load(rendered)
    with open(values_path, encoding="utf-8") as f:
        values = json.load(f)
    for fn in CASES[case]:
        try:
            fn(docs, values, raw)
        except (KeyError, IndexError, TypeError) as e:
            check(False, f"{case}: {fn.__name__} could not read the rendered objects", repr(e))
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
