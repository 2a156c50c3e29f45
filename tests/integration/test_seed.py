"""Integration tests of s3wwwd-seed against the real MinIO of the session.

Every test runs the built tool as a subprocess and checks what it did with
boto3: object bodies, Content-Type, Cache-Control, metadata, ETags, pending
multipart uploads.  Sources are made in pytest's tmp_path; URL sources come
from an http.server thread on 127.0.0.1, and failures in the middle of a
multipart upload from a small fault-injecting proxy in front of MinIO.
"""

import hashlib
import http.client
import http.server
import os
import re
import shutil
import ssl
import subprocess
import threading
import time

import pytest

import harness

SITE_DIR = harness.SRCDIR / "site"
MIB = 1024 * 1024


def _env(minio, extra=None):
    """The environment for the tool: root credentials of the session MinIO,
    and nothing from the host that would change what it reads."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "S3WWW", "MINIO_")) and k != "S3_ENDPOINT"}
    env["AWS_ACCESS_KEY_ID"] = minio.access_key
    env["AWS_SECRET_ACCESS_KEY"] = minio.secret_key
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def seed(minio, *args, env=None, endpoint=None, timeout=120):
    """Run s3wwwd-seed with --endpoint (the session MinIO unless given) and
    args; returns the CompletedProcess (text output)."""
    cmd = [harness.bin("s3wwwd-seed"), "--endpoint", endpoint or minio.endpoint]
    cmd += [str(a) for a in args]
    return subprocess.run(cmd, env=_env(minio, env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def ok(p):
    assert p.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (
        p.returncode, p.stdout, p.stderr)
    return p


def md5(data):
    return hashlib.md5(data).hexdigest()


def keys(s3, bucket, prefix=""):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def pending_uploads(s3, bucket):
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.fixture
def site(tmp_path):
    """A small website: {key: bytes}, written below tmp_path/site."""
    files = {
        "index.html": b"<!DOCTYPE html><title>t</title><h1>hello</h1>\n",
        "css/site.css": b"body { color: #123; }\n",
        "js/app.js": b"console.log('hi');\n",
        "img/dot.png": bytes(range(256)) * 3,
        "docs/deep/er/page.htm": b"<p>deep</p>",
        "data.json": b'{"a": 1}',
        "notes.unknownext": b"\x00\x01binary",
        "empty.txt": b"",
        "with space & plus+.txt": b"odd key",
    }
    root = tmp_path / "site"
    for k, v in files.items():
        write(root / k, v)
    return root, files


TYPES = {
    "index.html": "text/html; charset=utf-8",
    "css/site.css": "text/css; charset=utf-8",
    "js/app.js": "text/javascript; charset=utf-8",
    "img/dot.png": "image/png",
    "docs/deep/er/page.htm": "text/html; charset=utf-8",
    "data.json": "application/json",
    "notes.unknownext": "application/octet-stream",
    "empty.txt": "text/plain; charset=utf-8",
    "with space & plus+.txt": "text/plain; charset=utf-8",
}


# ---------------------------------------------------------------------------
# uploads

def test_upload_dir(minio, s3, bucket, site):
    root, files = site
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--cache-control", "max-age=300"))
    assert keys(s3, bucket) == sorted(files)
    for k, body in files.items():
        got = s3.get_object(Bucket=bucket, Key=k)
        assert got["Body"].read() == body, k
        assert got["ContentType"] == TYPES[k], k
        assert got["CacheControl"] == "max-age=300", k
        assert got["Metadata"] == {"s3wwwd-md5": md5(body)}, k
        assert got["ETag"] == '"%s"' % md5(body), k
    # not a terminal: one plain line per object, then the summary
    assert "uploaded index.html (%d bytes, text/html; charset=utf-8)" % len(
        files["index.html"]) in p.stderr
    assert "uploaded %d, unchanged 0, deleted 0" % len(files) in p.stderr
    # pages go last, after the assets they refer to
    order = re.findall(r" uploaded (.*) \(\d+ bytes, ", p.stderr)
    assert sorted(order) == sorted(files)
    assert sorted(order[-2:]) == ["docs/deep/er/page.htm", "index.html"]


def test_upload_demo_site(minio, s3, bucket):
    """The project's own demo site goes up with the right types."""
    ok(seed(minio, "--bucket", bucket, "--dir", SITE_DIR))
    html = s3.get_object(Bucket=bucket, Key="index.html")
    assert html["ContentType"] == "text/html; charset=utf-8"
    assert b'src="s3wwwd.gif"' in html["Body"].read()
    gif = s3.get_object(Bucket=bucket, Key="s3wwwd.gif")
    assert gif["ContentType"] == "image/gif"
    assert gif["Body"].read() == (SITE_DIR / "s3wwwd.gif").read_bytes()


def test_prefix(minio, s3, bucket, site):
    root, files = site
    ok(seed(minio, "--bucket", bucket, "--dir", root, "--prefix", "/www"))
    assert keys(s3, bucket) == sorted("www/" + k for k in files)


def test_creates_missing_bucket(minio, s3, tmp_path):
    name = harness.unique_bucket_name("seed-new")
    write(tmp_path / "d" / "index.html", "<p>new</p>")
    try:
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_bucket(Bucket=name)
        p = ok(seed(minio, "--bucket", name, "--dir", tmp_path / "d"))
        assert "created bucket %s" % name in p.stderr
        assert s3.get_object(Bucket=name, Key="index.html")["Body"].read() == b"<p>new</p>"
        # and again: the bucket exists now, which is fine
        p = ok(seed(minio, "--bucket", name, "--dir", tmp_path / "d"))
        assert "created bucket" not in p.stderr
    finally:
        try:
            harness.delete_bucket(s3, name)
        except s3.exceptions.ClientError:
            pass


def test_bucket_only(minio, s3):
    """Without sources the tool just makes sure the bucket exists."""
    name = harness.unique_bucket_name("seed-empty")
    try:
        ok(seed(minio, "--bucket", name))
        s3.head_bucket(Bucket=name)
        assert keys(s3, name) == []
    finally:
        harness.delete_bucket(s3, name)


def test_idempotent_only_changed(minio, s3, bucket, site):
    root, files = site
    ok(seed(minio, "--bucket", bucket, "--dir", root))
    before = {k: s3.head_object(Bucket=bucket, Key=k)["LastModified"] for k in files}
    # LastModified has one-second resolution: make a rewrite visible.
    time.sleep(1.1)
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--only-changed"))
    for k in files:
        assert "unchanged %s" % k in p.stderr
    assert "uploaded 0, unchanged %d, deleted 0" % len(files) in p.stderr
    after = {k: s3.head_object(Bucket=bucket, Key=k)["LastModified"] for k in files}
    assert after == before

    # one file changed: only that one goes up
    write(root / "css/site.css", b"body { color: red; }\n")
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--only-changed"))
    assert "uploaded 1, unchanged %d" % (len(files) - 1) in p.stderr
    assert s3.get_object(Bucket=bucket, Key="css/site.css")["Body"].read() == \
        b"body { color: red; }\n"
    assert s3.head_object(Bucket=bucket, Key="index.html")["LastModified"] == \
        before["index.html"]

    # a new Cache-Control is a change too, so that it reaches every object
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--only-changed",
                "--cache-control", "no-cache"))
    assert "uploaded %d, unchanged 0" % len(files) in p.stderr
    assert s3.head_object(Bucket=bucket, Key="index.html")["CacheControl"] == "no-cache"


def test_without_only_changed_uploads_again(minio, s3, bucket, tmp_path):
    write(tmp_path / "d" / "a.txt", "a")
    ok(seed(minio, "--bucket", bucket, "--dir", tmp_path / "d"))
    p = ok(seed(minio, "--bucket", bucket, "--dir", tmp_path / "d"))
    assert "uploaded 1, unchanged 0" in p.stderr


def test_dry_run_changes_nothing(minio, s3, bucket, site):
    root, files = site
    s3.put_object(Bucket=bucket, Key="stale.txt", Body=b"old")
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--sync", "--dry-run"))
    assert "would upload index.html" in p.stderr
    assert "would delete stale.txt" in p.stderr
    assert keys(s3, bucket) == ["stale.txt"]

    name = harness.unique_bucket_name("seed-dry")
    p = ok(seed(minio, "--bucket", name, "--dir", root, "--dry-run"))
    assert "would create bucket %s" % name in p.stderr
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_bucket(Bucket=name)


# ---------------------------------------------------------------------------
# --sync

def test_sync_deletes_stale_and_keeps_others(minio, s3, bucket, tmp_path):
    src = tmp_path / "d"
    write(src / "index.html", "<p>v2</p>")
    write(src / "sub/keep.txt", "keep")
    for k in ("site/index.html", "site/stale.txt", "site/sub/gone.css",
              "site2/other.txt", "siteX", "other/keep.txt", "top.txt"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"old")
    p = ok(seed(minio, "--bucket", bucket, "--dir", src, "--prefix", "site", "--sync"))
    assert keys(s3, bucket) == sorted([
        "site/index.html", "site/sub/keep.txt",          # from the source
        "site2/other.txt", "siteX", "other/keep.txt", "top.txt",   # outside the prefix
    ])
    assert "deleted site/stale.txt" in p.stderr
    assert "deleted site/sub/gone.css" in p.stderr
    assert "deleted 2" in p.stderr
    assert s3.get_object(Bucket=bucket, Key="site/index.html")["Body"].read() == b"<p>v2</p>"

    # without a prefix the whole bucket is the site
    p = ok(seed(minio, "--bucket", bucket, "--dir", src, "--sync", "--only-changed"))
    assert keys(s3, bucket) == ["index.html", "sub/keep.txt"]
    assert "deleted other/keep.txt" in p.stderr


def test_sync_pages_through_long_listings(minio, s3, bucket, tmp_path):
    """More stale objects than one ListObjectsV2 page (1000) holds."""
    import concurrent.futures

    write(tmp_path / "d" / "index.html", "x")
    stale = ["old/%04d & <odd> 'key'.txt" % i for i in range(1010)]
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"."), stale))
    p = ok(seed(minio, "--bucket", bucket, "--dir", tmp_path / "d", "--sync"))
    assert keys(s3, bucket) == ["index.html"]
    assert "deleted 1010" in p.stderr


def test_sync_needs_a_source(minio, bucket):
    p = seed(minio, "--bucket", bucket, "--sync")
    assert p.returncode == 1
    assert "--sync" in p.stderr


# ---------------------------------------------------------------------------
# URL sources

class _Handler(http.server.BaseHTTPRequestHandler):
    routes = {
        "/files/page.html": ("text/plain", b"<h1>from a URL</h1>"),   # extension wins
        "/api/feed": ("application/rss+xml", b"<rss/>"),
        "/dl/blob": (None, b"\x00" * 10),
        "/files/caf%C3%A9.txt": ("text/plain", b"coffee"),
    }

    def do_GET(self):  # noqa: N802 - http.server's name
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        ctype, body = route
        self.send_response(200)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_url_sources(minio, s3, bucket, web):
    ok(seed(minio, "--bucket", bucket,
            "--url", web + "/files/page.html",
            "--url", web + "/api/feed=feeds/news",
            "--url", web + "/dl/blob",
            "--url", web + "/files/caf%C3%A9.txt",
            "--prefix", "u"))
    assert keys(s3, bucket) == sorted(["u/page.html", "u/feeds/news", "u/blob", "u/café.txt"])
    page = s3.get_object(Bucket=bucket, Key="u/page.html")
    assert page["Body"].read() == b"<h1>from a URL</h1>"
    assert page["ContentType"] == "text/html; charset=utf-8"
    feed = s3.get_object(Bucket=bucket, Key="u/feeds/news")
    assert feed["Body"].read() == b"<rss/>"
    assert feed["ContentType"] == "application/rss+xml"
    blob = s3.get_object(Bucket=bucket, Key="u/blob")
    assert blob["Body"].read() == b"\x00" * 10
    assert blob["ContentType"] == "application/octet-stream"
    assert s3.get_object(Bucket=bucket, Key="u/café.txt")["Body"].read() == b"coffee"


def test_url_404_uploads_nothing(minio, s3, bucket, web, site):
    root, _ = site
    p = seed(minio, "--bucket", bucket, "--dir", root, "--url", web + "/files/page.html",
             "--url", web + "/nope.html")
    assert p.returncode == 2, p.stderr
    assert "404" in p.stderr and "/nope.html" in p.stderr
    assert keys(s3, bucket) == []


def test_url_unreachable_is_a_source_error(minio, s3, bucket):
    p = seed(minio, "--bucket", bucket, "--url",
             "http://127.0.0.1:%d/x.html" % harness.free_port())
    assert p.returncode == 2, p.stderr
    assert keys(s3, bucket) == []


def test_url_without_file_name_needs_a_key(minio, bucket, web):
    p = seed(minio, "--bucket", bucket, "--url", web + "/")
    assert p.returncode == 1
    assert "URL=KEY" in p.stderr


# ---------------------------------------------------------------------------
# multipart

def test_multipart_upload(minio, s3, bucket, tmp_path):
    data = os.urandom(12 * MIB + 12345)
    write(tmp_path / "d" / "big.bin", data)
    write(tmp_path / "d" / "small.txt", "small")
    p = ok(seed(minio, "--bucket", bucket, "--dir", tmp_path / "d",
                "--multipart-threshold", "5M", "--part-size", "5MiB"))
    assert "multipart" in p.stderr
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ETag"].endswith('-3"'), head["ETag"]
    assert head["ContentLength"] == len(data)
    assert head["Metadata"] == {"s3wwwd-md5": md5(data)}
    assert head["ContentType"] == "application/octet-stream"
    got = s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert got == data
    assert s3.head_object(Bucket=bucket, Key="small.txt")["ETag"] == '"%s"' % md5(b"small")
    assert pending_uploads(s3, bucket) == []

    # the stored MD5 makes a multipart object comparable
    p = ok(seed(minio, "--bucket", bucket, "--dir", tmp_path / "d", "--only-changed",
                "--multipart-threshold", "5M", "--part-size", "5M"))
    assert "unchanged big.bin" in p.stderr
    assert "uploaded 0, unchanged 2" in p.stderr


def test_part_size_below_s3_minimum_is_refused(minio, bucket, tmp_path):
    write(tmp_path / "d" / "a", "a")
    p = seed(minio, "--bucket", bucket, "--dir", tmp_path / "d", "--part-size", "1M")
    assert p.returncode == 1
    assert "5 MiB" in p.stderr


class FaultProxy:
    """An HTTP proxy in front of MinIO that answers 500 InternalError to
    every request `fail(method, path)` picks and forwards the rest as is.
    The request headers are kept in `headers`, one dict per request.

    The tool signs for the proxy's host:port, and MinIO checks the signature
    against the Host header it receives, which the proxy passes on intact.
    """

    def __init__(self, upstream_port, fail):
        proxy = self
        self.requests = []
        self.headers = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with proxy.lock:
                    proxy.requests.append((self.command, self.path))
                    proxy.headers.append({k.lower(): v for k, v in self.headers.items()})
                if fail(self.command, self.path):
                    err = (b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code>"
                           b"<Message>injected by the test</Message></Error>")
                    self.send_response(500)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(err)))
                    self.end_headers()
                    self.wfile.write(err)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() not in ("connection", "expect")}
                conn.request(self.command, self.path, body=body, headers=hdrs)
                r = conn.getresponse()
                data = r.read()
                self.send_response_only(r.status, r.reason)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)) if self.command != "HEAD"
                                 else r.getheader("Content-Length", "0"))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

            def log_message(self, *args):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def test_failed_multipart_is_aborted(minio, s3, bucket, tmp_path):
    """Part 2 of 3 fails every time: the upload is aborted, nothing is
    left pending and no object appears."""
    data = os.urandom(12 * MIB)
    write(tmp_path / "d" / "big.bin", data)
    proxy = FaultProxy(minio.port,
                       lambda method, path: method == "PUT" and "partNumber=2&" in path)
    try:
        p = seed(minio, "--bucket", bucket, "--dir", tmp_path / "d",
                 "--multipart-threshold", "5M", "--part-size", "5M",
                 endpoint=proxy.endpoint)
    finally:
        proxy.close()
    assert p.returncode == 3, p.stderr
    assert "InternalError" in p.stderr and "HTTP 500" in p.stderr
    methods = [m for m, path in proxy.requests if "uploadId=" in path]
    # part 1 once, part 2 tried three times, then the abort
    assert methods == ["PUT", "PUT", "PUT", "PUT", "DELETE"], proxy.requests
    assert pending_uploads(s3, bucket) == []
    assert keys(s3, bucket) == []


def test_failed_completion_is_aborted(minio, s3, bucket, tmp_path):
    write(tmp_path / "d" / "big.bin", os.urandom(6 * MIB))
    proxy = FaultProxy(minio.port,
                       lambda method, path: method == "POST" and "uploadId=" in path)
    try:
        p = seed(minio, "--bucket", bucket, "--dir", tmp_path / "d",
                 "--multipart-threshold", "5M", "--part-size", "5M",
                 endpoint=proxy.endpoint)
    finally:
        proxy.close()
    assert p.returncode == 3, p.stderr
    assert ("DELETE", proxy.requests[-1][1]) == proxy.requests[-1]
    assert pending_uploads(s3, bucket) == []
    assert keys(s3, bucket) == []


# ---------------------------------------------------------------------------
# errors

def test_bad_secret_key(minio, s3, bucket, site):
    root, _ = site
    secret = "wrong-secret-" + "q" * 20
    p = seed(minio, "--bucket", bucket, "--dir", root,
             env={"AWS_SECRET_ACCESS_KEY": secret})
    assert p.returncode == 3, p.stderr
    assert "SignatureDoesNotMatch" in p.stderr
    assert "403" in p.stderr
    assert secret not in p.stdout + p.stderr
    assert minio.secret_key not in p.stdout + p.stderr
    assert keys(s3, bucket) == []


def test_unknown_access_key(minio, s3, bucket, site, tmp_path):
    root, _ = site
    secret = "another-wrong-secret-1234"
    write(tmp_path / "secret", secret + "\n")
    p = seed(minio, "--bucket", bucket, "--dir", root,
             "--access-key", "NOSUCHKEY", "--secret-key-file", tmp_path / "secret")
    assert p.returncode == 3, p.stderr
    assert "InvalidAccessKeyId" in p.stderr
    assert secret not in p.stdout + p.stderr
    assert keys(s3, bucket) == []


def test_credentials_and_settings_from_files_and_env(minio, s3, bucket, tmp_path):
    write(tmp_path / "ak", minio.access_key + "\n")
    write(tmp_path / "sk", minio.secret_key + "\n")
    write(tmp_path / "d" / "index.html", "<p>env</p>")
    cmd = [harness.bin("s3wwwd-seed"), "--dir", str(tmp_path / "d")]
    env = _env(minio, {
        "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
        "S3WWW_ACCESS_KEY_FILE": tmp_path / "ak", "S3WWW_SECRET_KEY_FILE": tmp_path / "sk",
        "S3WWW_ENDPOINT": minio.endpoint, "S3WWW_BUCKET": bucket,
    })
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    ok(p)
    assert keys(s3, bucket) == ["index.html"]

    # S3_ENDPOINT and plain S3WWW_ACCESS_KEY / S3WWW_SECRET_KEY work as well
    env = _env(minio, {
        "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
        "S3WWW_ACCESS_KEY": minio.access_key, "S3WWW_SECRET_KEY": minio.secret_key,
        "S3_ENDPOINT": minio.endpoint, "S3WWW_BUCKET": bucket,
    })
    ok(subprocess.run(cmd + ["--prefix", "b"], env=env, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True, timeout=60))
    assert keys(s3, bucket) == ["b/index.html", "index.html"]


def test_daemon_environment_names(minio, s3, bucket, tmp_path):
    """The tool reads the daemon's variables (common/env.h) in the daemon's
    order, S3WWWD_* before s3www's S3WWW_* before S3_* and AWS_*, and sends
    a session token only with an access key of the token's own family."""
    write(tmp_path / "d" / "index.html", "<p>daemon env</p>")
    dead = "http://127.0.0.1:%d" % harness.free_port()
    cmd = [harness.bin("s3wwwd-seed"), "--dir", str(tmp_path / "d"), "--wait", "0"]
    proxy = FaultProxy(minio.port, lambda method, path: False)
    try:
        def run(extra):
            with proxy.lock:
                del proxy.headers[:]
            env = _env(minio, dict({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                                    "S3WWWD_ENDPOINT": proxy.endpoint,
                                    "S3WWW_ENDPOINT": dead, "S3_ENDPOINT": dead,
                                    "S3WWWD_BUCKET": bucket, "S3WWW_BUCKET": "not-this-one",
                                    "S3WWWD_ACCESS_KEY": minio.access_key,
                                    "S3WWW_ACCESS_KEY": "not-this-key",
                                    "S3WWWD_SECRET_KEY": minio.secret_key}, **extra))
            return subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=60)

        ok(run({}))
        assert keys(s3, bucket) == ["index.html"]
        assert proxy.headers and all(
            "/us-east-1/s3/aws4_request" in h["authorization"] for h in proxy.headers)
        assert all(h["authorization"].startswith(
            "AWS4-HMAC-SHA256 Credential=%s/" % minio.access_key) for h in proxy.headers)
        assert not any("x-amz-security-token" in h for h in proxy.headers)

        # the region list is the daemon's: S3WWWD_REGION, S3WWW_REGION, AWS_REGION
        for env, region in (({"AWS_REGION": "aa-test-1"}, "aa-test-1"),
                            ({"AWS_REGION": "aa-test-1", "S3WWW_REGION": "bb-test-1"},
                             "bb-test-1"),
                            ({"AWS_REGION": "aa-test-1", "S3WWW_REGION": "bb-test-1",
                              "S3WWWD_REGION": "cc-test-1"}, "cc-test-1")):
            run(env)    # MinIO may refuse a foreign region; the signature shows the choice
            assert proxy.headers, env
            assert "/%s/s3/aws4_request" % region in proxy.headers[0]["authorization"], env

        # a token from another family than the key's stays at home...
        ok(run({"AWS_SESSION_TOKEN": "left-over-aws-token"}))
        assert not any("x-amz-security-token" in h for h in proxy.headers)
        # ...and one of the key's own family goes out with it
        run({"S3WWWD_SESSION_TOKEN": "token-of-the-key"})
        assert proxy.headers
        assert all(h.get("x-amz-security-token") == "token-of-the-key"
                   for h in proxy.headers)
    finally:
        proxy.close()

    # the file variables of the daemon win over the value variables
    write(tmp_path / "ak", minio.access_key + "\n")
    write(tmp_path / "sk", minio.secret_key + "\n")
    env = _env(minio, {
        "AWS_ACCESS_KEY_ID": "not-this-key", "AWS_SECRET_ACCESS_KEY": "not-this-secret",
        "S3WWWD_ACCESS_KEY_FILE": tmp_path / "ak", "S3WWWD_SECRET_KEY_FILE": tmp_path / "sk",
        "S3WWWD_ENDPOINT": minio.endpoint, "S3WWWD_BUCKET": bucket,
    })
    ok(subprocess.run(cmd + ["--prefix", "f"], env=env, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True, timeout=60))
    assert keys(s3, bucket) == ["f/index.html", "index.html"]

    # the message names every variable that would have done
    p = subprocess.run(cmd, env=_env(minio, {"S3WWWD_BUCKET": bucket}),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 1
    assert "S3WWWD_ENDPOINT, S3WWW_ENDPOINT or S3_ENDPOINT" in p.stderr, p.stderr


def test_missing_credentials_is_a_usage_error(minio, bucket):
    p = seed(minio, "--bucket", bucket,
             env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    assert p.returncode == 1
    assert "access key" in p.stderr


def test_unreachable_endpoint(minio, tmp_path):
    write(tmp_path / "d" / "a.txt", "a")
    port = harness.free_port()     # nothing listens there
    t0 = time.monotonic()
    p = seed(minio, "--bucket", "nowhere", "--dir", tmp_path / "d", "--wait", "1",
             endpoint="http://127.0.0.1:%d" % port, timeout=30)
    elapsed = time.monotonic() - t0
    assert p.returncode == 4, p.stderr
    assert "unreachable" in p.stderr
    assert 0.8 <= elapsed < 1 + harness.bound(4), elapsed


def test_endpoint_that_comes_up_late(minio, s3, bucket, tmp_path):
    write(tmp_path / "d" / "index.html", "<p>late</p>")
    minio.stop()
    cmd = [harness.bin("s3wwwd-seed"), "--endpoint", minio.endpoint, "--bucket", bucket,
           "--dir", str(tmp_path / "d"), "--wait", "30"]
    proc = subprocess.Popen(cmd, env=_env(minio), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        assert proc.poll() is None, "the tool gave up instead of waiting"
        minio.start()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<p>late</p>"


def test_missing_sources(minio, s3, bucket, site, tmp_path):
    root, _ = site
    p = seed(minio, "--bucket", bucket, "--dir", root, "--dir", tmp_path / "nonexistent")
    assert p.returncode == 2
    assert "nonexistent" in p.stderr
    assert keys(s3, bucket) == []

    write(tmp_path / "file.txt", "not a dir")
    p = seed(minio, "--bucket", bucket, "--dir", tmp_path / "file.txt")
    assert p.returncode == 2
    assert "not a directory" in p.stderr

    os.symlink(tmp_path / "gone", root / "dangling.html")
    p = seed(minio, "--bucket", bucket, "--dir", root)
    assert p.returncode == 2
    assert "dangling" in p.stderr
    assert keys(s3, bucket) == []


def test_usage_errors(minio, bucket):
    assert seed(minio, "--bucket", bucket, "--bogus").returncode == 1
    assert seed(minio, "--bucket", bucket, "stray-argument").returncode == 1
    assert seed(minio, "--bucket", bucket, "--wait", "soon").returncode == 1
    assert seed(minio, "--bucket", "Bad_Name!").returncode == 1
    assert seed(minio, "--bucket", bucket, endpoint="ftp://x").returncode == 1
    p = subprocess.run([harness.bin("s3wwwd-seed"), "--bucket", bucket],
                       env=_env(minio), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert p.returncode == 1 and "endpoint" in p.stderr


def test_help_and_version():
    p = subprocess.run([harness.bin("s3wwwd-seed"), "--help"], stdout=subprocess.PIPE,
                       text=True, timeout=30)
    assert p.returncode == 0
    for opt in ("--endpoint", "--bucket", "--dir", "--url", "--sync", "--only-changed",
                "--wait", "--multipart-threshold", "--part-size", "--dry-run"):
        assert opt in p.stdout
    p = subprocess.run([harness.bin("s3wwwd-seed"), "--version"], stdout=subprocess.PIPE,
                       text=True, timeout=30)
    assert p.returncode == 0 and p.stdout.startswith("s3wwwd-seed ")


def test_progress_line_on_a_terminal(minio, s3, bucket, site):
    """With stderr on a terminal, one line is redrawn in place instead of a
    line per object; the summary still ends the run."""
    import pty

    root, files = site
    master, slave = pty.openpty()
    cmd = [harness.bin("s3wwwd-seed"), "--endpoint", minio.endpoint, "--bucket", bucket,
           "--dir", str(root)]
    proc = subprocess.Popen(cmd, env=_env(minio), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:         # EIO: the tool closed its end
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0, out
    text = out.decode("utf-8", "replace")
    assert "\r[%d/%d] " % (len(files), len(files)) in text
    assert "\x1b[K" in text
    assert "uploaded index.html (" not in text
    assert "done: uploaded %d, unchanged 0, deleted 0" % len(files) in text
    assert len(keys(s3, bucket)) == len(files)


# ---------------------------------------------------------------------------
# Kubernetes ConfigMap volumes

def test_configmap_layout(minio, s3, bucket, tmp_path):
    """A ConfigMap volume: the files live in a hidden timestamped directory,
    "..data" links to it and each visible name links through "..data"."""
    vol = tmp_path / "cm"
    real = vol / "..2024_06_01_12_00_00.123456789"
    write(real / "index.html", "<p>configmap</p>")
    write(real / "app.js", "let x;")
    os.symlink(real.name, vol / "..data")
    os.symlink("..data/index.html", vol / "index.html")
    os.symlink("..data/app.js", vol / "app.js")
    ok(seed(minio, "--bucket", bucket, "--dir", vol))
    assert keys(s3, bucket) == ["app.js", "index.html"]
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<p>configmap</p>"
    assert s3.head_object(Bucket=bucket, Key="app.js")["ContentType"] == \
        "text/javascript; charset=utf-8"


def test_symlink_loop_is_skipped(minio, s3, bucket, tmp_path):
    write(tmp_path / "d" / "a" / "x.txt", "x")
    os.symlink("..", tmp_path / "d" / "a" / "up")
    ok(seed(minio, "--bucket", bucket, "--dir", tmp_path / "d"))
    assert keys(s3, bucket) == ["a/x.txt"]


# ---------------------------------------------------------------------------
# TLS

def test_tls_endpoint(tls_minio, tmp_path):
    import boto3
    from botocore.config import Config

    m = tls_minio
    write(tmp_path / "d" / "index.html", "<p>tls</p>")
    name = harness.unique_bucket_name("seed-tls")

    # the certificate is not trusted by default, and that is an S3-side error
    p = seed(m, "--bucket", name, "--dir", tmp_path / "d", "--wait", "0")
    assert p.returncode == 3, p.stderr
    assert "certificate" in p.stderr.lower()

    ok(seed(m, "--bucket", name, "--dir", tmp_path / "d", "--ca-bundle", m.ca_file))
    ok(seed(m, "--bucket", name, "--dir", tmp_path / "d", "--insecure", "--only-changed"))

    c = boto3.client("s3", endpoint_url=m.endpoint, aws_access_key_id=m.access_key,
                     aws_secret_access_key=m.secret_key, region_name="us-east-1",
                     verify=m.ca_file, config=Config(s3={"addressing_style": "path"}))
    assert c.get_object(Bucket=name, Key="index.html")["Body"].read() == b"<p>tls</p>"

    p = seed(m, "--bucket", name, "--ca-bundle", tmp_path / "no-such.pem")
    assert p.returncode == 1
