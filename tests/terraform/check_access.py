#!/usr/bin/env python3
"""What the users Terraform asks the MinIO chart for may really do.

usage: check_access.py SETUP.json

SETUP.json: {"endpoint": URL, "bucket": NAME, "other_bucket": NAME,
             "site_dir": DIR, "site_files": [NAME...],
             "root": [KEY, SECRET], "reader": [KEY, SECRET],
             "writer": [KEY, SECRET], "getonly": [KEY, SECRET]}

Runs against a real MinIO on which the chart's rendered provisioning scripts
have created the policies, users and bucket, and s3wwwd-seed has uploaded the
site with the writer's keys.  "getonly" is a control user whose policy has
s3:GetObject without s3:ListBucket (it shows that the checks can tell the
two apart).  Prints "ok - ..." / "not ok - ..." lines
and exits 1 if any check failed.
"""

import json
import os
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

RESULTS = []


def check(cond, what, detail=""):
    RESULTS.append(bool(cond))
    line = ("ok - " if cond else "not ok - ") + what
    if not cond and detail:
        line += "  [" + str(detail)[:300] + "]"
    print(line)


def client(setup, creds=None):
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                 signature_version=UNSIGNED if creds is None else "s3v4")
    kw = {}
    if creds is not None:
        kw = {"aws_access_key_id": creds[0], "aws_secret_access_key": creds[1]}
    return boto3.client("s3", endpoint_url=setup["endpoint"], region_name="us-east-1",
                        config=cfg, **kw)


def error_of(fn):
    """Run fn; return (HTTP status, S3 error code), (200, None) on success."""
    try:
        fn()
        return 200, None
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        setup = json.load(f)
    b, other = setup["bucket"], setup["other_bucket"]
    root = client(setup, setup["root"])
    reader = client(setup, setup["reader"])
    writer = client(setup, setup["writer"])
    getonly = client(setup, setup["getonly"])
    anon = client(setup)

    # The reader: reads the site, and nothing else.
    for name in setup["site_files"]:
        with open(os.path.join(setup["site_dir"], name), "rb") as f:
            want = f.read()
        try:
            got = reader.get_object(Bucket=b, Key=name)["Body"].read()
        except ClientError as e:
            got = e
        check(got == want, f"reader reads {name}, as seeded", type(got).__name__)
    st = error_of(lambda: reader.get_object(Bucket=b, Key="no-such-page.html"))
    check(st == (404, "NoSuchKey"), "reader gets 404 NoSuchKey for a missing key", st)
    st = error_of(lambda: reader.put_object(Bucket=b, Key="index.html", Body=b"defaced"))
    check(st == (403, "AccessDenied"), "reader cannot overwrite an object", st)
    st = error_of(lambda: reader.delete_object(Bucket=b, Key="index.html"))
    check(st == (403, "AccessDenied"), "reader cannot delete an object", st)
    st = error_of(lambda: reader.get_object(Bucket=other, Key="secret.txt"))
    check(st[0] == 403, "reader cannot read another bucket", st)
    try:
        seen = sorted(x["Name"] for x in reader.list_buckets()["Buckets"])
    except ClientError as e:
        seen = e.response["Error"].get("Code")
    # MinIO answers ListBuckets with the buckets the user may use at all.
    check(seen in ([b], "AccessDenied"), "reader sees no bucket but the site's", seen)
    st = error_of(lambda: reader.head_object(Bucket=b, Key="no-such-page.html"))
    check(st[0] == 404, "reader gets 404 for HEAD of a missing key", st)
    try:
        keys = sorted(o["Key"] for o in reader.list_objects_v2(Bucket=b).get("Contents", []))
    except ClientError as e:
        keys = e.response["Error"].get("Code")
    # Also: s3wwwd-seed skipped the ConfigMap volume's "..data" entries.
    check(keys == sorted(setup["site_files"]),
          "reader may list the site bucket (s3:ListBucket): it holds exactly the site files", keys)
    st = error_of(lambda: reader.create_bucket(Bucket="reader-made"))
    check(st[0] == 403, "reader cannot create a bucket", st)

    # The writer: writes in the site bucket only.
    st = error_of(lambda: writer.put_object(Bucket=b, Key="probe.txt", Body=b"probe"))
    check(st == (200, None), "writer can upload into the site bucket", st)
    st = error_of(lambda: writer.delete_object(Bucket=b, Key="probe.txt"))
    check(st[0] in (200, 204), "writer can delete in the site bucket (--sync)", st)
    st = error_of(lambda: writer.put_object(Bucket=other, Key="x.txt", Body=b"x"))
    check(st[0] == 403, "writer cannot write to another bucket", st)
    st = error_of(lambda: writer.get_object(Bucket=other, Key="secret.txt"))
    check(st[0] == 403, "writer cannot read another bucket", st)
    st = error_of(lambda: writer.create_bucket(Bucket="writer-made"))
    check(st[0] == 403, "writer cannot create other buckets", st)

    # Nobody else gets in.
    console = client(setup, ["console", "console123"])
    st = error_of(lambda: console.list_buckets())
    check(st[0] == 403 and st[1] == "InvalidAccessKeyId", "the chart's default console/console123 user does not exist", st)
    st = error_of(lambda: anon.get_object(Bucket=b, Key="index.html"))
    check(st[0] == 403, "the bucket is private (anonymous GET refused)", st)

    # The control user shows what s3:ListBucket adds: listing.  (AWS S3
    # also answers a missing key with 403 instead of 404 without it; this
    # MinIO answers signed requests with 404 either way, which is why no
    # check here depends on that.)
    st = error_of(lambda: getonly.get_object(Bucket=b, Key="index.html"))
    check(st == (200, None), "control user with GetObject only reads index.html", st)
    st = error_of(lambda: getonly.list_objects_v2(Bucket=b))
    check(st == (403, "AccessDenied"), "control user without s3:ListBucket cannot list the bucket", st)

    # The root user still sees everything (sanity of the setup itself).
    st = error_of(lambda: root.head_bucket(Bucket=b))
    check(st == (200, None), "root sees the site bucket", st)
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
