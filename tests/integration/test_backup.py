"""Integration tests of s3wwwd-seed --export and --restore (backup and
recovery of a bucket) against the real MinIO of the session.

A bucket is filled with boto3, exported to a directory, emptied and
deleted, restored, and every object's bytes and metadata compared with
what was there before.  Then the ways a backup or its directory can be
wrong: a tampered file, a missing or damaged manifest, a directory that
cannot be written, keys that would lead outside the directory.
"""

import hashlib
import http.server
import os
import subprocess
import threading
import urllib.parse
from xml.sax.saxutils import escape

import pytest

import harness

MIB = 1024 * 1024
MANIFEST = ".s3wwwd-backup.tsv"


def _env(minio, extra=None):
    """Root credentials of the session MinIO and nothing else from the host."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "S3WWW", "MINIO_")) and k != "S3_ENDPOINT"}
    env["AWS_ACCESS_KEY_ID"] = minio.access_key
    env["AWS_SECRET_ACCESS_KEY"] = minio.secret_key
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


def seed(minio, *args, env=None, endpoint=None, timeout=120):
    cmd = [harness.bin("s3wwwd-seed"), "--endpoint", endpoint or minio.endpoint]
    cmd += [str(a) for a in args]
    return subprocess.run(cmd, env=_env(minio, env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def ok(p):
    assert p.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (
        p.returncode, p.stdout, p.stderr)
    return p


def keys(s3, bucket):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def bucket_exists(s3, bucket):
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except s3.exceptions.ClientError:
        return False


def snapshot(s3, bucket, etags=True):
    """{key: (bytes, metadata)} of every object in the bucket."""
    out = {}
    for k in keys(s3, bucket):
        r = s3.get_object(Bucket=bucket, Key=k)
        meta = {f: r.get(f) for f in ("ContentType", "CacheControl", "ContentEncoding",
                                      "ContentDisposition", "ContentLanguage", "Metadata",
                                      "ContentLength")}
        if etags:
            meta["ETag"] = r["ETag"]
        out[k] = (r["Body"].read(), meta)
    return out


BIG = hashlib.sha256(b"seed").digest() * (3 * MIB // 32) + b"tail"

OBJECTS = {
    # key: (body, put_object extras)
    "index.html": (b"<!DOCTYPE html><h1>home</h1>\n",
                   {"ContentType": "text/html; charset=utf-8",
                    "CacheControl": "public, max-age=300"}),
    "css/site.css": (b"body{color:#123}\n", {"ContentType": "text/css; charset=utf-8"}),
    "docs/deep/er/page.html": (b"<p>deep</p>", {"ContentType": "text/html"}),
    "dir with space/na\u00efve caf\u00e9 \u00fc.txt": (
        "gr\u00fc\u00dfe".encode(), {"ContentType": "text/plain; charset=utf-8"}),
    "empty.bin": (b"", {}),
    "big.bin": (BIG, {"ContentType": "application/octet-stream",
                      "CacheControl": "no-store"}),
    "old/page.html": (b"", {"ContentType": "text/html",
                            "Metadata": {"website-redirect-location": "/index.html"}}),
    "data.json.gz": (b"\x1f\x8b\x08\x00 not really gzip",
                     {"ContentType": "application/json", "ContentEncoding": "gzip",
                      "ContentDisposition": 'attachment; filename="data.json"',
                      "Metadata": {"owner": "team-a", "note": "two words"}}),
}


def fill(s3, bucket, objects=OBJECTS):
    for k, (body, extra) in objects.items():
        s3.put_object(Bucket=bucket, Key=k, Body=body, **extra)


# ---------------------------------------------------------------------------
# the round trip

def test_export_delete_restore_round_trip(minio, s3, bucket, tmp_path):
    fill(s3, bucket)
    before = snapshot(s3, bucket)
    assert len(before) == len(OBJECTS)
    out = tmp_path / "backup"
    p = ok(seed(minio, "--bucket", bucket, "--export", out))
    assert "exported %d objects" % len(OBJECTS) in p.stderr

    # The files mirror the keys, with the manifest next to them.
    assert (out / MANIFEST).is_file()
    for k, (body, _) in OBJECTS.items():
        assert (out / k).read_bytes() == body, k
    manifest = (out / MANIFEST).read_text(encoding="utf-8")
    assert manifest.startswith("# s3wwwd-backup 1\n")
    assert manifest.endswith("# end\t%d\n" % len(OBJECTS))
    assert hashlib.sha256(BIG).hexdigest() in manifest
    assert "x-amz-meta-website-redirect-location: /index.html" in manifest
    assert not [f for f in out.rglob("*") if ".s3wwwd-tmp" in f.name]

    harness.delete_bucket(s3, bucket)
    assert not bucket_exists(s3, bucket)
    p = ok(seed(minio, "--bucket", bucket, "--restore", out))
    assert "verified %d files" % len(OBJECTS) in p.stderr
    assert "created bucket" in p.stderr
    assert "restored %d objects" % len(OBJECTS) in p.stderr
    after = snapshot(s3, bucket)
    assert sorted(after) == sorted(before)
    for k in before:
        assert after[k] == before[k], k

    # Restoring again over the objects changes nothing either.
    ok(seed(minio, "--bucket", bucket, "--restore", out))
    assert snapshot(s3, bucket) == before


def test_copy_to_another_bucket_multipart_and_prefix(minio, s3, bucket, tmp_path):
    """Export then restore into a second bucket is a bucket-to-bucket copy;
    a small --multipart-threshold sends the large object in parts, with its
    metadata; --prefix limits the export to part of the bucket."""
    fill(s3, bucket)
    before = snapshot(s3, bucket, etags=False)
    out = tmp_path / "b"
    ok(seed(minio, "--bucket", bucket, "--export", out))
    other = harness.unique_bucket_name("copy")
    try:
        p = ok(seed(minio, "--bucket", other, "--restore", out,
                    "--multipart-threshold", "1M", "--part-size", "5M"))
        assert "multipart" in p.stderr
        assert snapshot(s3, other, etags=False) == before
    finally:
        if bucket_exists(s3, other):
            harness.delete_bucket(s3, other)

    docs = tmp_path / "docs"
    ok(seed(minio, "--bucket", bucket, "--prefix", "docs", "--export", docs))
    assert (docs / "docs/deep/er/page.html").read_bytes() == b"<p>deep</p>"
    assert not (docs / "index.html").exists()
    assert "# prefix\tdocs/" in (docs / MANIFEST).read_text()


# ---------------------------------------------------------------------------
# damaged backups

@pytest.fixture
def backup(minio, s3, bucket, tmp_path):
    fill(s3, bucket)
    out = tmp_path / "backup"
    ok(seed(minio, "--bucket", bucket, "--export", out))
    return out


def restore_fails(minio, s3, out, code=2):
    target = harness.unique_bucket_name("restore")
    p = seed(minio, "--bucket", target, "--restore", out)
    try:
        assert p.returncode == code, p.stderr
        # Nothing changed: the bucket was not even created.
        assert not bucket_exists(s3, target)
    finally:
        if bucket_exists(s3, target):
            harness.delete_bucket(s3, target)
    return p


def test_tampered_file_is_refused(minio, s3, backup):
    f = backup / "css" / "site.css"
    data = bytearray(f.read_bytes())
    data[0] ^= 0x20                          # same size, other bytes
    f.write_bytes(bytes(data))
    p = restore_fails(minio, s3, backup)
    assert "css/site.css" in p.stderr
    assert "does not match its SHA-256" in p.stderr
    assert "nothing was restored" in p.stderr

    (backup / "big.bin").write_bytes(BIG[:-1])   # cut short
    p = restore_fails(minio, s3, backup)
    assert "the manifest says %d" % len(BIG) in p.stderr
    (backup / "empty.bin").unlink()
    p = restore_fails(minio, s3, backup)
    assert "empty.bin" in p.stderr and "No such file" in p.stderr
    assert "3 of %d files" % len(OBJECTS) in p.stderr


def test_missing_or_damaged_manifest_is_refused(minio, s3, backup, tmp_path):
    text = (backup / MANIFEST).read_text(encoding="utf-8")
    (backup / MANIFEST).unlink()
    p = restore_fails(minio, s3, backup)
    assert "no manifest" in p.stderr

    # Cut short: the last object line and the end line are gone.
    lines = text.splitlines(keepends=True)
    (backup / MANIFEST).write_text("".join(lines[:-2]), encoding="utf-8")
    p = restore_fails(minio, s3, backup)
    assert "cut short" in p.stderr

    # A file name that leads out of the backup.
    bad = text.replace("\tcss/site.css\t", "\t../../etc/passwd\t")
    assert bad != text
    (backup / MANIFEST).write_text(bad, encoding="utf-8")
    p = restore_fails(minio, s3, backup)
    assert "not a relative path inside the backup" in p.stderr

    (backup / MANIFEST).write_text("hello\n", encoding="utf-8")
    p = restore_fails(minio, s3, backup)
    assert "damaged" in p.stderr

    p = restore_fails(minio, s3, tmp_path / "no-such-dir")
    assert "no-such-dir" in p.stderr


# ---------------------------------------------------------------------------
# the export directory

def test_export_to_unwritable_dir_fails_clearly(minio, s3, bucket, tmp_path):
    fill(s3, bucket, {"a.txt": (b"a", {})})
    (tmp_path / "file").write_text("x")
    p = seed(minio, "--bucket", bucket, "--export", tmp_path / "file" / "sub")
    assert p.returncode == 2, p.stderr
    assert "cannot create the export directory" in p.stderr
    assert "Not a directory" in p.stderr

    p = seed(minio, "--bucket", bucket, "--export", tmp_path / "missing" / "sub")
    assert p.returncode == 2, p.stderr
    assert "No such file or directory" in p.stderr

    # A directory holding other things is not taken over.
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    p = seed(minio, "--bucket", bucket, "--export", tmp_path / "home")
    assert p.returncode == 2, p.stderr
    assert "not empty" in p.stderr
    assert sorted(os.listdir(tmp_path / "home")) == ["notes.txt"]

    if os.geteuid() != 0:       # root writes into a read-only directory anyway
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            p = seed(minio, "--bucket", bucket, "--export", ro)
            assert p.returncode == 2, p.stderr
            assert "cannot write" in p.stderr and "Permission denied" in p.stderr
        finally:
            ro.chmod(0o755)


def test_export_errors(minio, s3, bucket, tmp_path):
    p = seed(minio, "--bucket", "no-such-bucket-x1", "--export", tmp_path / "a")
    assert p.returncode == 3, p.stderr
    assert "does not exist" in p.stderr
    assert not (tmp_path / "a").exists()

    p = seed(minio, "--bucket", bucket, "--export", tmp_path / "b",
             env={"AWS_SECRET_ACCESS_KEY": "wrong-secret-qqqqqqqqqqqqqqqq"})
    assert p.returncode == 3, p.stderr
    assert "SignatureDoesNotMatch" in p.stderr

    p = seed(minio, "--bucket", bucket, "--export", tmp_path / "c", "--wait", "0",
             endpoint="http://127.0.0.1:%d" % harness.free_port())
    assert p.returncode == 4, p.stderr
    assert "unreachable" in p.stderr

    p = seed(minio, "--bucket", bucket, "--restore", tmp_path / "c", "--wait", "0",
             endpoint="http://127.0.0.1:%d" % harness.free_port())
    assert p.returncode == 2, p.stderr      # no backup there: found before S3

    for bad in (["--export", tmp_path / "d", "--dir", tmp_path],
                ["--export", tmp_path / "d", "--restore", tmp_path / "d"],
                ["--restore", tmp_path / "d", "--sync"]):
        p = seed(minio, "--bucket", bucket, *bad)
        assert p.returncode == 1, p.stderr


HOSTILE = ["../evil", "a/../../evil2", "/abs/evil", "./dot", "x//y", "trail/",
           "ctrl\x01key", "tab\tkey", "clash", "clash/inner", MANIFEST,
           ".s3wwwd-keys/x", "back\\slash"]


def tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def delete_each(s3, bucket):
    """DeleteObjects cannot name a key with a control byte (XML): one by one."""
    if bucket_exists(s3, bucket):
        for k in keys(s3, bucket):
            s3.delete_object(Bucket=bucket, Key=k)


def test_hostile_keys_cannot_escape(minio, s3, bucket, tmp_path):
    try:
        hostile_keys(minio, s3, bucket, tmp_path)
    finally:
        delete_each(s3, bucket)


def hostile_keys(minio, s3, bucket, tmp_path):
    for i, k in enumerate(HOSTILE):
        try:
            s3.put_object(Bucket=bucket, Key=k, Body=b"body %d" % i)
        except s3.exceptions.ClientError:
            pass                # MinIO refuses some of these names itself
    stored = {k: b for k, (b, _) in snapshot(s3, bucket).items()}
    # What must be in the test for it to mean anything.  MinIO refuses
    # "../evil" itself; test_dot_dot_keys_from_a_fake_s3 covers that.
    for k in ("ctrl\x01key", "tab\tkey", "trail/", MANIFEST, ".s3wwwd-keys/x"):
        assert k in stored, (k, sorted(stored))
    outer = tmp_path / "outer"
    out = outer / "in" / "backup"
    out.parent.mkdir(parents=True)
    p = ok(seed(minio, "--bucket", bucket, "--export", out))
    assert "exported %d objects" % len(stored) in p.stderr
    # Nothing was written beside the backup directory.
    assert tree(outer) == sorted(["in", "in/backup"] + ["in/backup/" + t for t in tree(out)])
    assert tree(tmp_path) == sorted(["outer"] + ["outer/" + t for t in tree(outer)])
    for f in out.rglob("*"):
        assert not f.is_symlink()
        assert f.resolve().is_relative_to(out.resolve())
    # The manifest is the tool's, not the object of the same name.
    assert (out / MANIFEST).read_text().startswith("# s3wwwd-backup 1\n")

    # And every one of them comes back.
    delete_each(s3, bucket)
    ok(seed(minio, "--bucket", bucket, "--restore", out))
    after = {k: b for k, (b, _) in snapshot(s3, bucket).items()}
    assert after == stored


def test_symlink_in_export_dir_is_not_followed(minio, s3, bucket, tmp_path):
    fill(s3, bucket, {"docs/x.txt": (b"x", {}), "a.txt": (b"a", {})})
    out = tmp_path / "backup"
    ok(seed(minio, "--bucket", bucket, "--export", out))
    victim = tmp_path / "victim"
    victim.mkdir()
    for f in (out / "docs").iterdir():
        f.unlink()
    (out / "docs").rmdir()
    (out / "docs").symlink_to(victim)
    p = seed(minio, "--bucket", bucket, "--export", out)
    assert p.returncode == 2, p.stderr
    assert "not a directory" in p.stderr
    assert list(victim.iterdir()) == []
    assert not (out / MANIFEST).exists()


class FakeS3(http.server.BaseHTTPRequestHandler):
    """Just enough of S3 for an export: the bucket, one listing page and
    GET by key, with keys that MinIO would refuse but AWS S3 stores."""
    objects = {}

    def log_message(self, *a):
        pass

    def _send(self, status, body, ctype="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self._send(200, b"")

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/fake/" and "list-type=2" in query:
            contents = "".join("<Contents><Key>%s</Key></Contents>"
                               % escape(urllib.parse.quote(k, safe="/"))
                               for k in sorted(self.objects))
            self._send(200, ("<ListBucketResult><IsTruncated>false</IsTruncated>%s"
                             "</ListBucketResult>" % contents).encode())
            return
        key = urllib.parse.unquote(path[len("/fake/"):])
        if key in self.objects:
            self._send(200, self.objects[key], "text/plain")
        else:
            self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")


def test_dot_dot_keys_from_a_fake_s3(minio, tmp_path):
    FakeS3.objects = {"../evil": b"1", "a/../../evil2": b"2", "/abs/evil": b"3",
                      "..": b"4", "ok/file.txt": b"5"}
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        outer = tmp_path / "outer"
        out = outer / "backup"
        outer.mkdir()
        p = ok(seed(minio, "--bucket", "fake", "--export", out,
                    endpoint="http://127.0.0.1:%d" % srv.server_address[1]))
    finally:
        srv.shutdown()
    assert "exported 5 objects" in p.stderr
    assert tree(outer) == sorted(["backup"] + ["backup/" + t for t in tree(out)])
    assert not (tmp_path / "evil").exists() and not (tmp_path / "evil2").exists()
    assert (out / "ok" / "file.txt").read_bytes() == b"5"
    escaped = sorted(f.read_bytes() for f in (out / ".s3wwwd-keys").iterdir())
    assert escaped == [b"1", b"2", b"3", b"4"]
    manifest = (out / MANIFEST).read_text()
    for k in FakeS3.objects:
        assert "\n%s\t" % k in manifest
