#!/usr/bin/env python3
"""The results of scripts/test.sh: every outcome of every runner, counted.

  tally.py check TALLY AREA LOG...      Check's "Checks: N, Failures: F,
                                        Errors: E" lines of unit test logs
  tally.py junit TALLY AREA FILE.xml    a pytest JUnit report: passed, failed
                                        (errors count as failed), skipped with
                                        their reasons; test_harness.py goes to
                                        an area of its own ("harness:...")
  tally.py area TALLY AREA OUT RC       an area runner's output OUT and exit
                                        status RC: its last "N passed, N
                                        failed[, N skipped]" line and its
                                        "skip - ID: REASON" lines; a runner
                                        that fails, or ends without that
                                        line, counts one failure more
  tally.py summary TALLY ALLOWLIST      one line per area, the skips with
                                        their reasons, then "N passed, N
                                        failed, N skipped"; exit status 1 if
                                        anything failed, or if CI=true and a
                                        skip is not in ALLOWLIST

TALLY is a file of JSON lines this script appends to.  ALLOWLIST lists the
skips CI accepts, one per line: "AREA TEST-ID -- why no machine of this
kind can run it" (AREA without its build directory, e.g. "integration").
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def add(tally, area, passed, failed, skipped=(), note=""):
    with open(tally, "a", encoding="utf-8") as f:
        f.write(json.dumps({"area": area, "passed": passed, "failed": failed,
                            "skipped": list(skipped), "note": note}) + "\n")


def cmd_check(tally, area, *logs):
    n = 0
    for path in logs:
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        for m in re.finditer(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", text):
            checks, fails, errors = map(int, m.groups())
            add(tally, area, checks - fails - errors, fails + errors,
                note=os.path.basename(path).replace(".log", ""))
            n += 1
    if n == 0:
        add(tally, area, 0, 1, note="no Check results in the logs")


def cmd_junit(tally, area, path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        add(tally, area, 0, 1, note="no readable JUnit report: %s" % e)
        return
    # area -> [passed, failed, skips]
    split = {}
    for case in root.iter("testcase"):
        cls = case.get("classname", "")
        name = "%s::%s" % (cls.rsplit(".", 1)[-1], case.get("name", ""))
        own = ("harness:" + area.split(":", 1)[-1]) if cls.endswith("test_harness") else area
        acc = split.setdefault(own, [0, 0, []])
        if case.find("failure") is not None or case.find("error") is not None:
            acc[1] += 1
        elif case.find("skipped") is not None:
            s = case.find("skipped")
            acc[2].append({"id": name, "reason": s.get("message", "")})
        else:
            acc[0] += 1
    if not split:
        add(tally, area, 0, 1, note="the JUnit report holds no test")
    for a, (p, f, sk) in sorted(split.items()):
        add(tally, a, p, f, sk)


def cmd_area(tally, area, out, rc):
    rc = int(rc)
    text = open(out, encoding="utf-8", errors="replace").read()
    counts = re.findall(r"^(?:.*: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?", text, re.M)
    skips = [{"id": m.group(1), "reason": m.group(2)}
             for m in re.finditer(r"^skip - ([^:]+): (.*)$", text, re.M)]
    if not counts:
        add(tally, area, 0, 1, skips, note="the runner printed no 'N passed, N failed' line"
            + (" (exit status %d)" % rc if rc else ""))
        return
    p, f, s = counts[-1]
    p, f = int(p), int(f)
    if s and int(s) != len(skips):
        f += 1
        note = "it says %s skipped but gives %d reasons" % (s, len(skips))
    else:
        note = ""
    if rc != 0 and f == 0:
        f, note = 1, "exit status %d without a failed check" % rc
    add(tally, area, p, f, skips, note)


def allowed(path):
    ok = set()
    try:
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if " -- " not in line:
                sys.exit("%s: no ' -- reason' in: %s" % (path, line))
            area, _, test = line.split(" -- ")[0].partition(" ")
            ok.add((area, test.strip()))
    except FileNotFoundError:
        pass
    return ok


def cmd_summary(tally, allowlist):
    rows = [json.loads(l) for l in open(tally, encoding="utf-8") if l.strip()]
    ok = allowed(allowlist)
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    print("\n==> results")
    tp = tf = ts = 0
    not_allowed = []
    for r in rows:
        sk = r["skipped"]
        label = r["area"] + (" (%s)" % r["note"] if r["note"] else "")
        print("    %-44s %6d passed, %d failed, %d skipped" % (label, r["passed"], r["failed"], len(sk)))
        for s in sk:
            base = r["area"].split(":", 1)[0]
            listed = (base, s["id"]) in ok
            print("        skipped %s: %s%s" % (s["id"], s["reason"], " (allowed)" if listed else ""))
            if not listed:
                not_allowed.append("%s %s" % (base, s["id"]))
        tp, tf, ts = tp + r["passed"], tf + r["failed"], ts + len(sk)
    print("%d passed, %d failed, %d skipped" % (tp, tf, ts))
    if ci and not_allowed:
        print("CI: %d skip(s) not in %s:" % (len(not_allowed), os.path.relpath(allowlist)))
        for s in not_allowed:
            print("    " + s)
        return 1
    return 1 if tf else 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"check": cmd_check, "junit": cmd_junit, "area": cmd_area, "summary": cmd_summary}.get(cmd)
    if fn is None:
        sys.exit(__doc__)
    sys.exit(fn(*args) or 0)


if __name__ == "__main__":
    main()
