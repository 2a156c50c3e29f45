#!/usr/bin/env python3
"""Print the README's settings table from man/s3wwwd.conf.5.in, so that the
README and the man page describe the same settings with the same words."""
import re
import sys

src = open(sys.argv[1] if len(sys.argv) > 1 else "man/s3wwwd.conf.5.in").read()
rows = re.findall(r'\.TP\n\.BR (\S+) " \((\w+), default (.*?)\)"\n(.*?)\n\.br\n'
                  r'Flag: (.*?)\.  Environment: (.*?)\.\n', src, re.S)


def un(s):
    return s.replace("\\-", "-").replace("\\\\", "\\").replace("\n", " ")


def codes(s):
    return ", ".join("`%s`" % x.strip() for x in un(s).split(","))


print("| setting | type | default | flag | environment | meaning |")
print("|---|---|---|---|---|---|")
for key, typ, default, meaning, flags, envs in rows:
    d = '""' if default == '""' else ("`%s`" % un(default) if default != "(required)" else "required")
    print("| `%s` | %s | %s | %s | %s | %s |" % (un(key), typ, d, codes(flags), codes(envs),
                                                un(meaning).replace("|", "\\|")))
