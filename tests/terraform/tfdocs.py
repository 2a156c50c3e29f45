#!/usr/bin/env python3
"""Generate the inputs/outputs documentation of a Terraform module.

usage: tfdocs.py write MODULE_DIR        rewrite the block between
                                         <!-- BEGIN_TF_DOCS --> and
                                         <!-- END_TF_DOCS --> in MODULE_DIR/README.md
       tfdocs.py check MODULE_DIR        "ok"/"not ok" line: the README's block
                                         is what `write` would put there
       tfdocs.py check-root ROOT MODULE  "ok"/"not ok" lines: the root
                                         declares every input of the module
                                         with the same type, default and
                                         description, passes each one on
                                         (var.NAME), and has a moved block for
                                         every resource of the module

Reads the variable, output and resource blocks of *.tf (not *.tftest.hcl):
name, type, default, description, sensitive, as written in the source.
Standard library only; a small HCL reader that knows strings, heredocs and
comments well enough to find where each block ends.
"""

import difflib
import glob
import json
import os
import re
import sys

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def block_end(text, i):
    """Index just past the '}' closing the '{' at text[i]."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return n
        elif text.startswith("/*", i):
            i = text.find("*/", i) + 1
        elif text.startswith("<<", i):
            m = re.match(r"<<-?([A-Za-z_]+)\n", text[i:])
            if m:
                e = re.compile(r"^\s*%s\s*$" % m.group(1), re.M).search(text, i + m.end())
                i = e.end() - 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces")


def blocks(directory, kind):
    """[(name, body, file)] of every KIND "NAME" { ... } block, in file order."""
    out = []
    for path in sorted(glob.glob(os.path.join(directory, "*.tf"))):
        text = open(path, encoding="utf-8").read()
        pat = r'^%s "([^"]+)"(?: "([^"]+)")? \{' % kind
        for m in re.finditer(pat, text, re.M):
            end = block_end(text, m.end() - 1)
            name = m.group(1) if m.group(2) is None else m.group(1) + "." + m.group(2)
            out.append((name, text[m.end():end - 1], os.path.basename(path)))
    return out


def top_level_attr(body, key):
    """The raw expression of KEY = ... at the block's top level, or None."""
    i, n = 0, len(body)
    while i < n:
        m = re.compile(r"^  ([A-Za-z_]+)\s*=\s*", re.M).search(body, i)
        if not m:
            return None
        start = m.end()
        # Find the end of the expression: the end of the line, unless a
        # bracket is open.
        j, depth = start, 0
        while j < n:
            c = body[j]
            if c == '"':
                j += 1
                while j < n and body[j] != '"':
                    j += 2 if body[j] == "\\" else 1
            elif c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
            elif c == "\n" and depth == 0:
                break
            j += 1
        if m.group(1) == key:
            return body[start:j].strip()
        # Skip nested blocks (validation { ... }) as a whole.
        i = j
        b = re.compile(r"^  [a-z_]+ \{", re.M).match(body, i + 1)
        if b:
            i = block_end(body, b.end() - 1)
    return None


def string_value(expr):
    if expr is None:
        return ""
    return json.loads(expr.replace("${", "$${").replace("$${", "${")) if expr.startswith('"') else expr


def normalise(expr):
    """One line: the table cell of a type or default.  Attributes written
    one per line are joined with ", "."""
    if expr is None:
        return None
    parts = [p.strip() for p in expr.strip().split("\n") if p.strip()]
    out = parts[0] if parts else ""
    for p in parts[1:]:
        sep = " " if out.endswith(("{", "(", "[", ",")) or p.startswith(("}", ")", "]")) else ", "
        out += sep + p
    return re.sub(r"\s+", " ", out)


def variables(directory):
    out = []
    for name, body, _ in blocks(directory, "variable"):
        # The body without nested blocks (validation) for the attributes.
        flat = re.sub(r"^  validation \{.*?^  \}\n", "", body, flags=re.M | re.S)
        out.append({
            "name": name,
            "description": string_value(top_level_attr(flat, "description")),
            "type": normalise(top_level_attr(flat, "type")) or "any",
            "default": normalise(top_level_attr(flat, "default")),
            "nullable": normalise(top_level_attr(flat, "nullable")),
            "sensitive": normalise(top_level_attr(flat, "sensitive")) == "true",
        })
    return out


def outputs(directory):
    return [{
        "name": name,
        "description": string_value(top_level_attr(body, "description")),
        "sensitive": normalise(top_level_attr(body, "sensitive")) == "true",
    } for name, body, _ in blocks(directory, "output")]


def cell(s):
    return s.replace("|", "\\|").replace("\n", " ")


def markdown(directory):
    lines = [BEGIN, "<!-- Generated by tests/terraform/tfdocs.py from the *.tf files; do not edit by hand. -->", "",
             "## Inputs", "",
             "| Name | Description | Type | Default | Required |",
             "|------|-------------|------|---------|:--------:|"]
    for v in variables(directory):
        default = "n/a" if v["default"] is None else "`%s`" % cell(v["default"])
        desc = v["description"] + (" (sensitive)" if v["sensitive"] else "")
        lines.append("| `%s` | %s | `%s` | %s | %s |" % (
            v["name"], cell(desc), cell(v["type"]), default, "yes" if v["default"] is None else "no"))
    lines += ["", "## Outputs", "", "| Name | Description | Sensitive |", "|------|-------------|:---------:|"]
    for o in outputs(directory):
        lines.append("| `%s` | %s | %s |" % (o["name"], cell(o["description"]), "yes" if o["sensitive"] else "no"))
    lines.append(END)
    return "\n".join(lines)


def rewrite(readme_text, block):
    if BEGIN not in readme_text or END not in readme_text:
        raise SystemExit("README.md has no %s ... %s block" % (BEGIN, END))
    a = readme_text.index(BEGIN)
    b = readme_text.index(END) + len(END)
    return readme_text[:a] + block + readme_text[b:]


def main(argv):
    if len(argv) == 3 and argv[1] in ("write", "check"):
        d = argv[2]
        readme = os.path.join(d, "README.md")
        text = open(readme, encoding="utf-8").read()
        want = rewrite(text, markdown(d))
        if argv[1] == "write":
            if want != text:
                open(readme, "w", encoding="utf-8").write(want)
            return 0
        if want == text:
            print("ok - %s matches the module's variables and outputs (tfdocs.py)" % readme)
            return 0
        print("not ok - %s differs from what tfdocs.py writes; run: python3 tests/terraform/tfdocs.py write %s" % (readme, d))
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), want.splitlines(True), "README.md", "generated", n=1))
        return 1
    if len(argv) == 4 and argv[1] == "check-root":
        root, mod = argv[2], argv[3]
        fails = 0
        rv = {v["name"]: v for v in variables(root)}
        mv = variables(mod)
        diff = [(v["name"], k) for v in mv for k in ("type", "default", "description", "nullable")
                if v["name"] not in rv or rv[v["name"]][k] != v[k]]
        missing = sorted({n for n, _ in diff if n not in rv})
        ok = not diff
        print(("ok - " if ok else "not ok - ") + "the root declares every module input with the same type, default, nullable and description")
        if not ok:
            print("    missing: %s; differing: %s" % (missing, sorted({"%s.%s" % d for d in diff if d[0] not in missing})))
        fails += not ok
        calls = {n: b for n, b, _ in blocks(root, "module")}
        body = calls.get("site", "")
        passed = [v["name"] for v in mv if re.search(r"^\s*%s\s*=\s*var\.%s\s*$" % (v["name"], v["name"]), body, re.M)]
        ok = len(passed) == len(mv)
        print(("ok - " if ok else "not ok - ") + "module \"site\" gets every input as var.NAME (%d of %d)" % (len(passed), len(mv)))
        fails += not ok
        resources = [n for n, _, _ in blocks(mod, "resource")]
        moved = set()
        for path in sorted(glob.glob(os.path.join(root, "*.tf"))):
            for m in re.finditer(r"moved \{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}", open(path).read()):
                moved.add((m.group(1), m.group(2)))
        # Resources made after the module existed have no state at the root
        # to move; moved.tf names them on one line.
        newer = set()
        for path in sorted(glob.glob(os.path.join(root, "*.tf"))):
            for m in re.finditer(r"^# Added after the module, never at the root \(no block\): (.*)\.$", open(path).read(), re.M):
                newer |= {n.strip() for n in m.group(1).split(",")}
        old = [r for r in resources if r not in newer]
        lacking = [r for r in old if (r, "module.site." + r) not in moved]
        unknown = sorted(newer - set(resources)) + sorted(r for r in newer if (r, "module.site." + r) in moved)
        ok = bool(old) and not lacking and not unknown
        print(("ok - " if ok else "not ok - ") + "a moved block takes each of the module's %d resources from the root into module.site (%d newer)" % (len(old), len(newer)))
        if lacking:
            print("    no moved block for: %s" % lacking)
        if unknown:
            print("    named as newer but not a resource of the module, or with a block: %s" % unknown)
        fails += not ok
        return 1 if fails else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
