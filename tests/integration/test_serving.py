"""HTTP serving behaviour of the real daemon against the real MinIO.

Each test starts its own daemon with its own configuration (nginx-tests
style) and asserts on the raw HTTP exchange: status, headers and body.
"""
import hashlib
import re
import socket
import time
import warnings

import pytest

import harness
from harness import (daemon_config, http, http_raw, metric, parse_response, parse_responses,
                     put_object)


@pytest.fixture
def site(s3, bucket):
    """A small website in a fresh bucket."""
    put_object(s3, bucket, "index.html", b"<h1>home</h1>\n", content_type="text/html")
    put_object(s3, bucket, "docs/index.html", b"docs\n", content_type="text/html")
    put_object(s3, bucket, "a.txt", b"0123456789abcdefghij", content_type="text/plain",
               CacheControl="max-age=300", ContentDisposition="inline",
               ContentEncoding="identity")
    put_object(s3, bucket, "img/pixel.gif", b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20,
               content_type="image/gif")
    return bucket


def start(daemon_factory, minio, bucket, extra=""):
    port = harness.free_port()
    return daemon_factory.start(daemon_config(minio, bucket, port, extra))


def test_get_object_with_metadata(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/a.txt")
    assert r.status == 200
    assert r.body == b"0123456789abcdefghij"
    assert r.headers["Content-Type"] == "text/plain"
    assert r.headers["Content-Length"] == "20"
    assert r.headers["Cache-Control"] == "max-age=300"
    assert r.headers["Content-Disposition"] == "inline"
    assert r.headers["Content-Encoding"] == "identity"
    assert r.headers["ETag"] == '"%s"' % hashlib.md5(b"0123456789abcdefghij").hexdigest()
    assert r.headers["Last-Modified"].endswith(" GMT")
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Server"] == "s3wwwd"
    assert "Date" in r.headers


def test_head_is_head_upstream(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "HEAD", "/a.txt")
    assert r.status == 200
    assert r.headers["Content-Length"] == "20"
    assert r.body == b""
    r = http(d.port, "HEAD", "/missing")
    assert r.status == 404
    assert r.body == b""


def test_index_documents_and_dir_redirect(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/")
    assert (r.status, r.body) == (200, b"<h1>home</h1>\n")
    r = http(d.port, "GET", "/docs/")
    assert (r.status, r.body) == (200, b"docs\n")
    r = http(d.port, "GET", "/docs?x=1")
    assert r.status == 301
    assert r.headers["Location"] == "/docs/?x=1"
    # Only one leading slash: "//evil.example/" must not become a redirect elsewhere.
    r = http(d.port, "GET", "//docs")
    assert r.status == 301
    assert r.headers["Location"] == "/docs/"
    r = http(d.port, "GET", "/img/")
    assert r.status == 404


@pytest.mark.parametrize("mode", ["auto", "always", "off"])
def test_directory_redirect_modes(daemon_factory, minio, s3, site, mode):
    put_object(s3, site, "v1.2/index.html", b"v\n", content_type="text/html")
    extra = "" if mode == "auto" else 'site: { directory_redirect = "%s"; };' % mode
    d = start(daemon_factory, minio, site, extra)
    want_docs, want_dotted, misses_cost = {
        "auto": (301, 404, 1), "always": (301, 301, 2), "off": (404, 404, 1)}[mode]
    r = http(d.port, "GET", "/docs")
    assert r.status == want_docs
    if want_docs == 301:
        assert r.headers["Location"] == "/docs/"
    r = http(d.port, "GET", "/v1.2")
    assert r.status == want_dotted
    if want_dotted == 301:
        assert r.headers["Location"] == "/v1.2/"
    # The directory is still served where the link ends in "/".
    assert http(d.port, "GET", "/v1.2/").body == b"v\n"
    # A miss with a dot in its name costs one S3 request unless "always".
    before = metric(d, "s3wwwd_upstream_requests_total")
    assert http(d.port, "GET", "/no/such/logo.png").status == 404
    assert metric(d, "s3wwwd_upstream_requests_total") - before == misses_cost
    before = metric(d, "s3wwwd_upstream_requests_total")
    assert http(d.port, "GET", "/no/such/page").status == 404
    assert metric(d, "s3wwwd_upstream_requests_total") - before == (1 if mode == "off" else 2)


def test_directory_redirect_rejects_unknown_mode(daemon_factory, minio, site):
    conf = daemon_config(minio, site, harness.free_port(),
                         'site: { directory_redirect = "sometimes"; };')
    code, out = daemon_factory.run(conf, ["-t"])
    assert code == 1, out
    assert re.search(r'\.conf:\d+: .*expected auto, always or off, got "sometimes"', out), out
    code, out = daemon_factory.run(daemon_config(minio, site, harness.free_port()),
                                   ["-t", "-directory-redirect", "always"])
    assert code == 0, out


def test_not_found_plain(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/nope.html")
    assert r.status == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert b"404" in r.body
    assert "ETag" not in r.headers


def test_spa_file(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site, 'site: { spa_file = "index.html"; };')
    r = http(d.port, "GET", "/app/deep/link")
    assert (r.status, r.body) == (200, b"<h1>home</h1>\n")
    r = http(d.port, "GET", "/a.txt")
    assert r.body == b"0123456789abcdefghij"


def test_error_document_served_with_404(daemon_factory, minio, s3, site):
    put_object(s3, site, "404.html", b"custom not found\n", content_type="text/html")
    d = start(daemon_factory, minio, site, 'site: { error_document = "404.html"; };')
    r = http(d.port, "GET", "/missing")
    assert r.status == 404
    assert r.body == b"custom not found\n"
    assert r.headers["Cache-Control"] == "no-store"
    assert "ETag" not in r.headers
    r = http(d.port, "HEAD", "/missing")
    assert r.status == 404 and r.body == b""


def test_error_document_missing_falls_back(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site, 'site: { error_document = "nothere.html"; };')
    r = http(d.port, "GET", "/missing")
    assert r.status == 404
    assert b"404" in r.body


def test_bucket_path_prefix_and_traversal(daemon_factory, minio, s3, site):
    put_object(s3, site, "www/index.html", b"prefixed\n", content_type="text/html")
    put_object(s3, site, "secret.txt", b"outside the prefix\n")
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, site, port).replace(
        'region = "us-east-1";', 'region = "us-east-1"; bucket_path = "/www";'))
    assert http(d.port, "GET", "/").body == b"prefixed\n"
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                 "/.%2e/secret.txt", "/x/../../secret.txt", "/%2e%2e%5csecret.txt"):
        r = http(d.port, "GET", path)
        assert r.status == 400, path   # climbing above the root: README
        assert b"outside the prefix" not in r.body, path


@pytest.mark.parametrize("key", [
    "with space.txt", "plus+sign.txt", "percent%25.txt", "q?mark.txt", "hash#.txt",
    "eq=amp&.txt", "caf\u00e9/\u65e5\u672c.txt", "semi;colon.txt", "tilde~.txt",
])
def test_reserved_and_utf8_keys(daemon_factory, minio, s3, bucket, key):
    body = ("content of " + key).encode()
    put_object(s3, bucket, key, body, content_type="text/plain")
    d = start(daemon_factory, minio, bucket)
    path = "/" + "".join(
        c if (c.isascii() and (c.isalnum() or c in "-._~/")) else
        "".join("%%%02X" % b for b in c.encode()) for c in key)
    r = http(d.port, "GET", path)
    assert r.status == 200, (key, path)
    assert r.body == body


def test_plus_is_not_space(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a b.txt", b"space")
    put_object(s3, bucket, "a+b.txt", b"plus")
    d = start(daemon_factory, minio, bucket)
    assert http(d.port, "GET", "/a+b.txt").body == b"plus"
    assert http(d.port, "GET", "/a%20b.txt").body == b"space"


def test_range_requests(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=2-5"})
    assert r.status == 206
    assert r.body == b"2345"
    assert r.headers["Content-Range"] == "bytes 2-5/20"
    assert r.headers["Content-Length"] == "4"
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=-3"})
    assert (r.status, r.body) == (206, b"hij")
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=15-"})
    assert (r.status, r.body) == (206, b"fghij")
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=100-200"})
    assert r.status == 416
    # Several ranges, or a malformed one, are ignored: the whole object comes back.
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=0-1,4-5"})
    assert (r.status, len(r.body)) == (200, 20)
    r = http(d.port, "GET", "/a.txt", {"Range": "lines=1-2"})
    assert (r.status, len(r.body)) == (200, 20)


def test_conditional_requests(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/a.txt")
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    r = http(d.port, "GET", "/a.txt", {"If-None-Match": etag})
    assert r.status == 304
    assert r.body == b""
    assert r.headers["ETag"] == etag
    assert "Content-Length" not in r.headers
    r = http(d.port, "GET", "/a.txt", {"If-None-Match": '"other"'})
    assert r.status == 200
    r = http(d.port, "GET", "/a.txt", {"If-Modified-Since": lm})
    assert r.status == 304
    r = http(d.port, "GET", "/a.txt", {"If-Match": '"other"'})
    assert r.status == 412
    r = http(d.port, "GET", "/a.txt", {"If-Match": etag})
    assert r.status == 200
    r = http(d.port, "GET", "/a.txt", {"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert r.status == 412


def test_methods(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    for m in ("PUT", "DELETE", "PATCH", "TRACE", "FOO"):
        r = http(d.port, m, "/a.txt")
        assert r.status == 405, m
        assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    r = http(d.port, "OPTIONS", "/a.txt")
    assert r.status == 204
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_methods_with_a_body_get_405_and_close(daemon_factory, minio, site):
    """A method that is not served gets 405 with Allow, as from nginx; with
    a body announced the connection is closed and the body never parsed as
    a request (it would be "GET /secret" here)."""
    d = start(daemon_factory, minio, site)
    smuggled = b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n"
    for m in (b"POST", b"PUT", b"DELETE", b"PATCH"):
        raw = http_raw(d.port, m + b" /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                       % len(smuggled) + smuggled)
        r = parse_response(raw)
        assert r.status == 405, (m, r)
        assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert r.headers["Connection"] == "close"
        assert raw.count(b"HTTP/1.1 ") == 1, raw    # one answer: the body was not a request
    raw = http_raw(d.port, b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5\r\nhello\r\n0\r\n\r\n")
    r = parse_response(raw)
    assert (r.status, r.headers["Connection"]) == (405, "close"), r
    # Malformed framing stays a 400.
    raw = http_raw(d.port, b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\nhello")
    assert parse_response(raw).status == 400
    # Without a body the connection stays open for the next request.
    raw = http_raw(d.port, b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                   b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 405 ") and raw.count(b"HTTP/1.1 200 ") == 1, raw
    # Counted as what they are: methods that are not served.
    assert harness.metric(d, "s3wwwd_http_requests_total", {"method": "other", "code": "405"}) >= 6


def test_cors_default_denies(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/a.txt", {"Origin": "https://evil.example"})
    assert r.status == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    r = http(d.port, "OPTIONS", "/a.txt", {"Origin": "https://evil.example",
                                          "Access-Control-Request-Method": "GET"})
    assert r.status == 403
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_allowed_origin(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site,
              'site: { cors_origins = [ "https://app.example" ]; };')
    r = http(d.port, "GET", "/a.txt", {"Origin": "https://app.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert r.headers["Vary"] == "Origin"
    r = http(d.port, "GET", "/a.txt", {"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = http(d.port, "OPTIONS", "/a.txt", {"Origin": "https://app.example",
                                          "Access-Control-Request-Method": "GET",
                                          "Access-Control-Request-Headers": "range"})
    assert r.status == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"] == "range"
    r = http(d.port, "OPTIONS", "/a.txt", {"Origin": "https://app.example",
                                          "Access-Control-Request-Method": "DELETE"})
    assert r.status == 403


def test_s3www_flags_and_env(daemon_factory, minio, site):
    """An s3www command line and environment work unchanged."""
    port = harness.free_port()
    d = daemon_factory.start(args=[
        "-endpoint", minio.endpoint, "-bucket", site, "-accessKey", minio.access_key,
        "-secretKey", minio.secret_key, "-address", "127.0.0.1:%d" % port])
    assert http(d.port, "GET", "/a.txt").status == 200
    d.stop()
    port = harness.free_port()
    d = daemon_factory.start(port=port, env={
        "S3WWW_ENDPOINT": minio.endpoint, "S3WWW_BUCKET": site,
        "S3WWW_ACCESS_KEY": minio.access_key, "S3WWW_SECRET_KEY": minio.secret_key,
        "S3WWW_ADDRESS": "127.0.0.1:%d" % port})
    assert http(d.port, "GET", "/a.txt").status == 200


def test_credential_files(daemon_factory, minio, site, tmp_path):
    (tmp_path / "ak").write_text(minio.access_key + "\n")
    (tmp_path / "sk").write_text(minio.secret_key + "\n")
    (tmp_path / "ak").chmod(0o600)
    (tmp_path / "sk").chmod(0o600)
    args = ["-endpoint", minio.endpoint, "-bucket", site,
            "-accessKeyFile", str(tmp_path / "ak"), "-secretKeyFile", str(tmp_path / "sk")]
    port = harness.free_port()
    d = daemon_factory.start(args=args + ["-address", "127.0.0.1:%d" % port])
    assert http(d.port, "GET", "/a.txt").status == 200
    assert "readable by every user" not in d.log()
    d.stop()
    # A world-readable secret still works, with a warning that names it.
    (tmp_path / "sk").chmod(0o644)
    port = harness.free_port()
    d = daemon_factory.start(args=args + ["-address", "127.0.0.1:%d" % port])
    assert http(d.port, "GET", "/a.txt").status == 200
    assert "credential file %s is readable by every user (mode 0644)" % (tmp_path / "sk") \
        in d.log()


def test_bad_credentials_give_502_and_no_secret_leak(daemon_factory, minio, site):
    port = harness.free_port()
    d = daemon_factory.start(args=[
        "-endpoint", minio.endpoint, "-bucket", site, "-address", "127.0.0.1:%d" % port,
        "-accessKey", "wrongkey", "-secretKey", "topsecretvalue123"])
    r = http(d.port, "GET", "/a.txt")
    assert r.status == 502
    assert b"topsecretvalue123" not in r.raw
    r = http(d.port, "GET", "/readyz")
    assert r.status == 503
    assert b"InvalidAccessKeyId" in r.body
    m = http(d.port, "GET", "/metrics")
    assert b"topsecretvalue123" not in m.body
    time.sleep(0.2)
    assert "topsecretvalue123" not in d.log()


def test_anonymous_public_bucket(daemon_factory, minio, s3, site):
    import json
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::%s/*" % site]}]}
    s3.put_bucket_policy(Bucket=site, Policy=json.dumps(policy))
    try:
        port = harness.free_port()
        d = daemon_factory.start(args=["-endpoint", minio.endpoint, "-bucket", site,
                                       "-address", "127.0.0.1:%d" % port])
        assert http(d.port, "GET", "/a.txt").body == b"0123456789abcdefghij"
    finally:
        s3.delete_bucket_policy(Bucket=site)


def test_keepalive_and_pipelining(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    req = (b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
           b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /docs/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    raw = http_raw(d.port, req, timeout=10)
    rs = parse_responses(raw, ["GET", "HEAD", "GET"])
    assert [r.status for r in rs] == [200, 200, 200]
    assert rs[0].body == b"0123456789abcdefghij"
    assert rs[1].body == b""
    assert rs[2].body == b"docs\n"
    assert rs[2].headers["Connection"] == "close"


def test_http10(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    raw = http_raw(d.port, b"GET /a.txt HTTP/1.0\r\n\r\n")
    r = parse_response(raw)
    assert r.status == 200
    assert r.headers["Connection"] == "close"
    assert r.body == b"0123456789abcdefghij"
    raw = http_raw(d.port, b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                   read_until_close=False)
    r = parse_response(raw)
    assert r.headers["Connection"] == "keep-alive"


@pytest.mark.parametrize("req,status", [
    (b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", 400),
    (b"GET /a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    (b"GET /a.txt HTTP/1.1\r\n\r\n", 400),
    (b"GET /a.txt HTTP/1.1\nHost: x\n\n", 400),
    (b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
    (b"GET http://other.example/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n", 400),
    (b"GET /a\x00.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
])
def test_hostile_requests(daemon_factory, minio, site, req, status):
    d = start(daemon_factory, minio, site)
    raw = http_raw(d.port, req, timeout=10)
    r = parse_response(raw)
    assert r.status == status
    assert r.headers["Connection"] == "close"
    # The server is still fine for everyone else.
    assert http(d.port, "GET", "/a.txt").status == 200


def test_http09_gets_no_content(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    raw = http_raw(d.port, b"GET /a.txt\r\n\r\n", timeout=10)
    assert b"0123456789" not in raw
    if raw:
        assert parse_response(raw).status == 400


def test_slow_header_gets_408(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site, 'limits: { header_timeout = "1s"; };')
    s = socket.create_connection(("127.0.0.1", d.port))
    s.settimeout(5)
    s.sendall(b"GET /a.txt HTTP/1.1\r\nHo")
    t0 = time.monotonic()
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert time.monotonic() - t0 < harness.bound(3.5)
    assert parse_response(data).status == 408
    assert http(d.port, "GET", "/a.txt").status == 200


def test_idle_keepalive_closed(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site, 'limits: { keepalive_timeout = "1s"; };')
    s = socket.create_connection(("127.0.0.1", d.port))
    s.settimeout(5)
    s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    first = s.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    t0 = time.monotonic()
    assert s.recv(100) == b""
    assert time.monotonic() - t0 < harness.bound(3)
    s.close()


def test_ops_endpoints(daemon_factory, minio, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/healthz")
    assert (r.status, r.body) == (200, b"ok\n")
    r = http(d.port, "GET", "/readyz")
    assert (r.status, r.body) == (200, b"ready\n")
    http(d.port, "GET", "/a.txt")
    http(d.port, "GET", "/missing")
    r = http(d.port, "GET", "/metrics")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.body.decode()
    assert 's3wwwd_http_requests_total{method="GET",code="200"}' in text
    assert 's3wwwd_http_requests_total{method="GET",code="404"}' in text
    assert "s3wwwd_http_request_duration_seconds_bucket" in text
    assert "s3wwwd_upstream_duration_seconds_count" in text
    assert "s3wwwd_connections_open" in text


def test_readyz_missing_bucket(daemon_factory, minio):
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, "no-such-bucket-here", port))
    r = http(d.port, "GET", "/readyz")
    assert r.status == 503
    assert b"NoSuchBucket" in r.body


def test_internal_listener(daemon_factory, minio, site):
    iport = harness.free_port()
    d = start(daemon_factory, minio, site,
              'ops: { listen = "127.0.0.1:%d"; metrics = "/m"; };' % iport)
    assert http(iport, "GET", "/healthz").status == 200
    assert http(iport, "GET", "/m").status == 200
    assert http(iport, "GET", "/a.txt").status == 404
    # The ops paths are no longer on the public listener.
    assert http(d.port, "GET", "/healthz").status == 404
    assert http(d.port, "GET", "/m").status == 404


def test_minio_unreachable_gives_502_fast(daemon_factory, site):
    port = harness.free_port()
    closed = harness.free_port()
    d = daemon_factory.start(args=[
        "-endpoint", "http://127.0.0.1:%d" % closed, "-bucket", site,
        "-accessKey", "k", "-secretKey", "s", "-address", "127.0.0.1:%d" % port])
    t0 = time.monotonic()
    r = http(d.port, "GET", "/a.txt")
    assert r.status == 502
    assert time.monotonic() - t0 < harness.bound(2)
    assert http(d.port, "GET", "/readyz").status == 503


def test_upstream_timeout_gives_504(daemon_factory, site):
    """A server that accepts and never answers: 504 after s3.timeout."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    try:
        port = harness.free_port()
        d = daemon_factory.start(args=[
            "-endpoint", "http://127.0.0.1:%d" % srv.getsockname()[1], "-bucket", site,
            "-accessKey", "k", "-secretKey", "s", "-address", "127.0.0.1:%d" % port,
            "-upstream-timeout", "1s"])
        t0 = time.monotonic()
        r = http(d.port, "GET", "/a.txt")
        assert r.status == 504
        assert time.monotonic() - t0 < harness.bound(4)
    finally:
        srv.close()


def test_large_object_streams_intact(daemon_factory, minio, s3, bucket):
    data = hashlib.sha256(b"seed").digest() * (8 * 1024 * 1024 // 32)
    put_object(s3, bucket, "big.bin", data, content_type="application/octet-stream")
    d = start(daemon_factory, minio, bucket)
    r = http(d.port, "GET", "/big.bin", timeout=60)
    assert r.status == 200
    assert len(r.body) == len(data)
    assert hashlib.sha256(r.body).digest() == hashlib.sha256(data).digest()


def test_access_log_json(daemon_factory, minio, site, tmp_path):
    import json
    log = tmp_path / "access.log"
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, site, port).replace(
        'log: { level = "info"; };',
        'log: { level = "info"; access = "%s"; access_format = "json"; };' % log))
    http(d.port, "GET", "/a.txt", {"User-Agent": 'evil" \\ "agent'})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not log.exists():
        time.sleep(0.05)
    time.sleep(0.2)
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["status"] == 200
    assert entry["request"] == "GET /a.txt HTTP/1.1"
    assert entry["user_agent"] == 'evil" \\ "agent'
    assert entry["bytes"] == 20


def _self_signed(tmp_path):
    import subprocess
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)], check=True,
                   capture_output=True)
    return cert, key


def http_ok_tls(port, cert):
    import ssl
    ctx = ssl.create_default_context(cafile=str(cert))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    return parse_response(data).status == 200


def test_https_listener(daemon_factory, minio, site, tmp_path):
    import ssl
    cert, key = _self_signed(tmp_path)
    d = start(daemon_factory, minio, site,
              'tls: { cert = "%s"; key = "%s"; };' % (cert, key))
    ctx = ssl.create_default_context(cafile=str(cert))
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", d.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
                          b"GET /docs/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        rs = parse_responses(data, ["GET", "GET"])
        assert [r.status for r in rs] == [200, 200]
        assert rs[0].body == b"0123456789abcdefghij"
        assert rs[1].body == b"docs\n"
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with socket.create_connection(("127.0.0.1", d.port), timeout=10) as raw:
            old.wrap_socket(raw, server_hostname="localhost")
    # Plain HTTP on the TLS port gets no content, and the server carries on.
    try:
        raw = http_raw(d.port, b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
    except ConnectionResetError:
        raw = b""
    assert b"0123456789" not in raw
    assert http_ok_tls(d.port, cert)


def test_https_large_object(daemon_factory, minio, s3, bucket, tmp_path):
    import ssl
    data = hashlib.sha256(b"tls").digest() * (4 * 1024 * 1024 // 32)
    put_object(s3, bucket, "big.bin", data)
    cert, key = _self_signed(tmp_path)
    d = start(daemon_factory, minio, bucket,
              'tls: { cert = "%s"; key = "%s"; };' % (cert, key))
    ctx = ssl.create_default_context(cafile=str(cert))
    with socket.create_connection(("127.0.0.1", d.port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            buf = b""
            while True:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
    r = parse_response(buf)
    assert r.status == 200
    assert hashlib.sha256(r.body).digest() == hashlib.sha256(data).digest()


def test_no_listing_by_default(daemon_factory, minio, s3, site):
    d = start(daemon_factory, minio, site)
    r = http(d.port, "GET", "/img/")
    assert r.status == 404
    assert b"pixel.gif" not in r.body


def test_directory_listing(daemon_factory, minio, s3, site):
    put_object(s3, site, "img/sub/<b>&x.png", b"x")
    d = start(daemon_factory, minio, site, 'site: { directory_listing = true; };')
    r = http(d.port, "GET", "/img/")
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    body = r.body.decode()
    assert '<a href="pixel.gif">pixel.gif</a> 30 bytes' in body
    assert '<a href="sub/">sub/</a>' in body
    assert '<a href="../">../</a>' in body
    r = http(d.port, "GET", "/img/sub/")
    body = r.body.decode()
    assert "&lt;b&gt;&amp;x.png" in body and "<b>" not in body
    assert 'href="%3Cb%3E%26x.png"' in body
    # A directory with an index document still serves the index.
    assert http(d.port, "GET", "/docs/").body == b"docs\n"
    assert http(d.port, "GET", "/nothing/").status == 404


def test_https_upstream_verified(daemon_factory, tls_minio, s3):
    """An https endpoint: refused with an untrusted certificate, served with
    the CA bundle, and served with verification turned off explicitly."""
    m = tls_minio
    name = harness.unique_bucket_name("tlsup")
    import boto3
    from botocore.config import Config
    c = boto3.client("s3", endpoint_url=m.endpoint, aws_access_key_id=m.access_key,
                     aws_secret_access_key=m.secret_key, region_name="us-east-1",
                     verify=m.ca_file, config=Config(s3={"addressing_style": "path"}))
    c.create_bucket(Bucket=name)
    c.put_object(Bucket=name, Key="index.html", Body=b"over tls\n")
    base = ["-endpoint", m.endpoint, "-bucket", name, "-accessKey", m.access_key,
            "-secretKey", m.secret_key]
    port = harness.free_port()
    d = daemon_factory.start(args=base + ["-address", "127.0.0.1:%d" % port])
    r = http(d.port, "GET", "/")
    assert r.status == 502
    assert "certificate" in d.log().lower()
    d.stop()
    port = harness.free_port()
    d = daemon_factory.start(args=base + ["-address", "127.0.0.1:%d" % port,
                                          "-ca-bundle", m.ca_file])
    assert http(d.port, "GET", "/").body == b"over tls\n"
    d.stop()
    port = harness.free_port()
    d = daemon_factory.start(args=base + ["-address", "127.0.0.1:%d" % port,
                                          "-tls-verify=false"])
    assert http(d.port, "GET", "/").body == b"over tls\n"


def _upstream_conns(pid, port):
    """Established TCP connections of process pid to 127.0.0.1:port."""
    return len(_upstream_ports(pid, port))


def _upstream_ports(pid, port):
    """Local ports of the established TCP connections of pid to port."""
    import os
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    with open("/proc/%d/net/tcp" % pid) as f:
        next(f)
        for line in f:
            parts = line.split()
            loc, rem, st, inode = parts[1], parts[2], parts[3], parts[9]
            if st == "01" and inode in inodes and int(rem.split(":")[1], 16) == port:
                ports.add(int(loc.split(":")[1], 16))
    return ports


def _one_worker(d):
    """The single worker's pid (the port answers before the fork is done)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kids = d.children()
        if len(kids) == 1:
            return kids[0]
        time.sleep(0.05)
    raise AssertionError("expected one worker, found %r" % (d.children(),))


def test_upstream_connections_reused(daemon_factory, minio, site):
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, site, port).replace(
        "workers = 2;", "workers = 1;"))
    worker = _one_worker(d)
    seen = []
    for _ in range(30):
        assert http(d.port, "GET", "/a.txt").status == 200
        seen.append(frozenset(_upstream_ports(worker, minio.port)))
    # The same upstream connection (the same local port) carries the
    # requests one after another; a fresh connection per request would show
    # a new port each time, or none once it is closed.
    common = max(set().union(*seen), key=lambda p: sum(p in s for s in seen))
    assert sum(common in s for s in seen) >= 25, seen


def test_client_gone_cancels_upstream(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "big.bin", b"x" * (64 * 1024 * 1024))
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, bucket, port).replace(
        "workers = 2;", "workers = 1;"))
    worker = _one_worker(d)
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    got = 0
    while got < 256 * 1024:
        got += len(s.recv(65536))
    assert _upstream_conns(worker, minio.port) == 1
    s.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _upstream_conns(worker, minio.port) > 0:
        time.sleep(0.05)
    # The half-read transfer cannot be reused: its connection must be gone.
    assert _upstream_conns(worker, minio.port) == 0
    assert http(d.port, "GET", "/healthz").status == 200
    # Only the scrape's own connection stays open (the others may take a
    # moment to finish their close).
    deadline = time.monotonic() + 3
    while True:
        m = http(d.port, "GET", "/metrics").body.decode()
        if "s3wwwd_connections_open 1\n" in m or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "s3wwwd_connections_open 1\n" in m
