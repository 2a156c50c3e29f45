#!/usr/bin/env python3
"""Helpers of the end-to-end test (tests/e2e/run.sh); standard library only.

  e2e.py poll URL OUT.json     GET URL over a new connection again and again
                               until SIGTERM; write what happened to OUT.json
  e2e.py report OUT.json MAX   print what a poll saw; exit 1 if more than MAX
                               requests failed or fewer than 50 were made
  e2e.py requests URL...       the sum over the given /metrics URLs of
                               s3wwwd_http_requests_total, by status code,
                               as JSON
  e2e.py plan PLAN.json        the addresses a `terraform show -json` plan
                               changes, one per line, with their actions
  e2e.py order MINIO.json JOBS.json DEPLOY.json
                               check that MinIO was ready before the
                               credentials Job, which ran before the seeding
                               Job, which ended before s3wwwd's Deployment was
                               created (kubectl -o json)
"""

import http.client
import json
import re
import signal
import sys
import time
import urllib.parse
from datetime import datetime


def poll(url, out):
    """Count answers: a new TCP connection per request, as a client that
    does not keep connections would see a rollout.  Stops on SIGTERM."""
    u = urllib.parse.urlsplit(url)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    res = {"url": url, "total": 0, "ok": 0, "failed": 0, "failures": []}
    t0 = time.monotonic()
    while not stop:
        t = time.monotonic()
        what = None
        try:
            c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=5)
            c.request("GET", u.path or "/", headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status != 200 or not body:
                what = f"HTTP {r.status}, {len(body)} bytes"
        except (OSError, http.client.HTTPException) as e:
            what = f"{type(e).__name__}: {e}"
        res["total"] += 1
        if what is None:
            res["ok"] += 1
        else:
            res["failed"] += 1
            if len(res["failures"]) < 20:
                res["failures"].append(f"{t - t0:.2f}s {what}")
        # About 40 requests a second: enough to see any gap a rollout
        # leaves, little enough to leave the two cores to the cluster.
        time.sleep(max(0.0, 0.025 - (time.monotonic() - t)))
    res["seconds"] = round(time.monotonic() - t0, 2)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(res, f)


def report(path, most):
    with open(path, encoding="utf-8") as f:
        r = json.load(f)
    print(f'{r["total"]} requests in {r["seconds"]}s: {r["ok"]} ok, {r["failed"]} failed')
    for line in r["failures"]:
        print("  " + line)
    sys.exit(0 if r["failed"] <= int(most) and r["total"] >= 50 else 1)


def requests(urls):
    pat = re.compile(r'^s3wwwd_http_requests_total\{method="([A-Z]+)",code="(\d+)"\} (\d+)$')
    total = {}
    for url in urls:
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        c.request("GET", u.path)
        r = c.getresponse()
        text = r.read().decode()
        if r.status != 200:
            sys.exit(f"{url}: HTTP {r.status}")
        for line in text.splitlines():
            m = pat.match(line)
            if m:
                key = m.group(1) + " " + m.group(2)
                total[key] = total.get(key, 0) + int(m.group(3))
    json.dump(total, sys.stdout)
    print()


def plan(path):
    with open(path, encoding="utf-8") as f:
        p = json.load(f)
    for rc in p.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions not in (["no-op"], ["read"]):
            print(rc["address"], "/".join(actions))


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


def order(minio_pod, jobs, deploy):
    """MinIO ready, then the credentials Job, then the seeding Job, then
    s3wwwd, available before the pruning Job starts.  Kubernetes keeps
    times to the second, so equal times pass."""
    with open(minio_pod, encoding="utf-8") as f:
        pods = json.load(f)["items"]
    with open(jobs, encoding="utf-8") as f:
        by_component = {}
        for j in json.load(f)["items"]:
            by_component.setdefault(j["metadata"]["labels"]["app.kubernetes.io/component"], []).append(j)
    with open(deploy, encoding="utf-8") as f:
        d = json.load(f)
    ready = [c["lastTransitionTime"] for p in pods for c in p["status"].get("conditions", [])
             if c["type"] == "Ready" and c["status"] == "True"]
    creds, seed = by_component.get("credentials", []), by_component.get("seed", [])
    prune = by_component.get("credentials-prune", [])
    available = [c["lastTransitionTime"] for c in d["status"].get("conditions", [])
                 if c["type"] == "Available" and c["status"] == "True"]
    if (len(pods) != 1 or len(ready) != 1 or len(creds) != 1 or len(seed) != 1 or len(prune) != 1
            or len(available) != 1):
        sys.exit(f"want one MinIO pod, Ready, one credentials, seeding and pruning Job each, "
                 f"s3wwwd available: {len(pods)} pods, {len(ready)} ready, {len(creds)}, "
                 f"{len(seed)} and {len(prune)} jobs, {len(available)} available")
    times = [("MinIO ready", ts(ready[0]))]
    for name, j in (("credentials Job", creds[0]), ("seeding Job", seed[0])):
        times.append((name + " started", ts(j["status"]["startTime"])))
        times.append((name + " done", ts(j["status"]["completionTime"])))
    times.append(("s3wwwd created", ts(d["metadata"]["creationTimestamp"])))
    times.append(("s3wwwd available", ts(available[0])))
    times.append(("pruning Job started", ts(prune[0]["status"]["startTime"])))
    times.append(("pruning Job done", ts(prune[0]["status"]["completionTime"])))
    print(", ".join(f"{n} {t:%H:%M:%S}" for n, t in times))
    if [t for _, t in times] != sorted(t for _, t in times):
        sys.exit("out of order")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "poll":
        poll(*args)
    elif cmd == "report":
        report(*args)
    elif cmd == "requests":
        requests(args)
    elif cmd == "plan":
        plan(*args)
    elif cmd == "order":
        order(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
