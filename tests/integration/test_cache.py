"""The hot-object cache, against the real MinIO: what is served from memory,
when S3 is asked again, and that the cached answers are the same as S3's.

Each daemon runs one worker, since the cache is per worker."""
import re
import time

import harness
from harness import daemon_config, http, metric, put_object


def start(daemon_factory, minio, bucket, cache):
    port = harness.free_port()
    return daemon_factory.start(daemon_config(minio, bucket, port, "cache: { %s };" % cache)
                                .replace("workers = 2;", "workers = 1;"))


def lookups(d):
    return (int(metric(d, "s3wwwd_cache_lookups_total", {"result": "hit"})),
            int(metric(d, "s3wwwd_cache_lookups_total", {"result": "miss"})))


UPSTREAM = "s3wwwd_upstream_requests_total"

# A short TTL for the tests that need copies to go stale.  Some requests
# must fit inside it, so it is an upper time bound like any other
# (harness.SLOWDOWN); waiting STALE makes a copy stale for sure.
SHORT_TTL = harness.bound(0.5)
STALE = SHORT_TTL + 0.2


def short_ttl(seconds=SHORT_TTL):
    return 'enabled = true; ttl = "%dms";' % (seconds * 1000)


def test_hit_serves_from_memory(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a.txt", b"version one", content_type="text/plain",
               CacheControl="max-age=60")
    d = start(daemon_factory, minio, bucket, 'enabled = true; ttl = "60s";')
    first = http(d.port, "GET", "/a.txt")
    assert first.body == b"version one"
    put_object(s3, bucket, "a.txt", b"version two", content_type="text/plain")
    again = http(d.port, "GET", "/a.txt")
    assert again.body == b"version one"          # from the cache, S3 not asked
    for h in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Content-Length"):
        assert again.headers[h] == first.headers[h], h
    assert lookups(d) == (1, 1)
    head = http(d.port, "HEAD", "/a.txt")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == "11"


def test_ttl_revalidates(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a.txt", b"same", content_type="text/plain")
    d = start(daemon_factory, minio, bucket, short_ttl())
    assert http(d.port, "GET", "/a.txt").body == b"same"
    time.sleep(STALE)
    # Unchanged in S3: revalidated with If-None-Match and served from memory.
    assert http(d.port, "GET", "/a.txt").body == b"same"
    text = http(d.port, "GET", "/metrics").body.decode()
    assert re.search(r's3wwwd_upstream_requests_total\{code="3xx"\} [1-9]', text)
    put_object(s3, bucket, "a.txt", b"changed", content_type="text/plain")
    time.sleep(STALE)
    assert http(d.port, "GET", "/a.txt").body == b"changed"
    assert http(d.port, "GET", "/a.txt").body == b"changed"
    s3.delete_object(Bucket=bucket, Key="a.txt")
    time.sleep(STALE)
    assert http(d.port, "GET", "/a.txt").status == 404
    assert http(d.port, "GET", "/a.txt").status == 404


def test_conditionals_and_ranges_on_hits(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a.txt", b"0123456789abcdefghij", content_type="text/plain")
    d = start(daemon_factory, minio, bucket, 'enabled = true; ttl = "60s";')
    full = http(d.port, "GET", "/a.txt")
    etag, lm = full.headers["ETag"], full.headers["Last-Modified"]
    # The same questions S3 answered in test_serving, answered from memory.
    r = http(d.port, "GET", "/a.txt", {"If-None-Match": etag})
    assert (r.status, r.body, r.headers["ETag"]) == (304, b"", etag)
    assert "Content-Length" not in r.headers
    assert http(d.port, "GET", "/a.txt", {"If-None-Match": '"x"'}).status == 200
    assert http(d.port, "GET", "/a.txt", {"If-Modified-Since": lm}).status == 304
    assert http(d.port, "GET", "/a.txt", {"If-Match": '"x"'}).status == 412
    assert http(d.port, "GET", "/a.txt", {"If-Match": etag}).status == 200
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=2-5"})
    assert (r.status, r.body) == (206, b"2345")
    assert r.headers["Content-Range"] == "bytes 2-5/20"
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=-3"})
    assert (r.status, r.body) == (206, b"hij")
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=100-"})
    assert r.status == 416
    assert r.headers["Content-Range"] == "bytes */20"
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=0-1", "If-Range": '"other"'})
    assert (r.status, len(r.body)) == (200, 20)
    r = http(d.port, "GET", "/a.txt", {"Range": "bytes=0-1", "If-Range": etag})
    assert (r.status, r.body) == (206, b"01")
    hit, miss = lookups(d)
    assert (hit, miss) == (10, 1)


def test_stale_copy_revalidated_for_ranges(daemon_factory, minio, s3, bucket):
    """Only range requests after the TTL: the copy is revalidated with a
    HEAD (304) and the ranges answered from memory, not sent on for ever."""
    body = bytes(range(256)) * 4
    put_object(s3, bucket, "clip.bin", body, content_type="application/octet-stream")
    d = start(daemon_factory, minio, bucket, short_ttl())
    assert http(d.port, "GET", "/clip.bin").body == body      # fills the cache
    time.sleep(STALE)
    before, before_3xx = metric(d, UPSTREAM), metric(d, UPSTREAM, {"code": "3xx"})
    r = http(d.port, "GET", "/clip.bin", headers={"Range": "bytes=10-19"})
    assert (r.status, r.body) == (206, body[10:20])
    assert r.headers["Content-Range"] == "bytes 10-19/1024"
    after = metric(d, UPSTREAM)
    assert metric(d, UPSTREAM, {"code": "3xx"}) - before_3xx == 1    # the HEAD got a 304
    assert after - before == 1
    # Fresh again: more ranges and a conditional cost S3 nothing.
    for i in range(5):
        r = http(d.port, "GET", "/clip.bin", headers={"Range": "bytes=%d-%d" % (i, i + 1)})
        assert (r.status, r.body) == (206, body[i:i + 2])
    r = http(d.port, "GET", "/clip.bin", headers={"If-None-Match": r.headers["ETag"]})
    assert r.status == 304
    assert metric(d, UPSTREAM) == after
    # Changed in S3: the stale copy is dropped and the range comes from S3.
    put_object(s3, bucket, "clip.bin", b"new" * 10, content_type="application/octet-stream")
    time.sleep(STALE)
    r = http(d.port, "GET", "/clip.bin", headers={"Range": "bytes=0-5"})
    assert (r.status, r.body) == (206, b"newnew")
    assert r.headers["Content-Range"] == "bytes 0-5/30"
    # Deleted: a stale copy never answers for a missing object.
    put_object(s3, bucket, "gone.bin", b"x" * 100, content_type="application/octet-stream")
    assert http(d.port, "GET", "/gone.bin").status == 200
    s3.delete_object(Bucket=bucket, Key="gone.bin")
    time.sleep(STALE)
    assert http(d.port, "GET", "/gone.bin", headers={"Range": "bytes=0-1"}).status == 404
    assert http(d.port, "HEAD", "/gone.bin").status == 404


def test_large_objects_not_cached(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "big.bin", b"a" * (300 * 1024))
    d = start(daemon_factory, minio, bucket,
              'enabled = true; ttl = "60s"; max_object_size = 256;')
    assert len(http(d.port, "GET", "/big.bin").body) == 300 * 1024
    put_object(s3, bucket, "big.bin", b"b" * (300 * 1024))
    assert http(d.port, "GET", "/big.bin").body[:1] == b"b"


def test_memory_limit_evicts_least_recent(daemon_factory, minio, s3, bucket):
    for k in "xyz":
        put_object(s3, bucket, k, k.encode() * (400 * 1024))
    d = start(daemon_factory, minio, bucket,
              'enabled = true; ttl = "60s"; memory = 1; max_object_size = 512;')
    for k in "xyz":
        assert http(d.port, "GET", "/" + k).body[:1] == k.encode()
    for k in "xyz":
        put_object(s3, bucket, k, b"N" * 10)
    # 1 MiB holds two of the three: x, fetched first, was evicted.
    assert http(d.port, "GET", "/x").body == b"N" * 10
    assert http(d.port, "GET", "/z").body[:1] == b"z"


def test_cache_off_by_default(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a.txt", b"one")
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, bucket, port))
    assert http(d.port, "GET", "/a.txt").body == b"one"
    put_object(s3, bucket, "a.txt", b"two")
    assert http(d.port, "GET", "/a.txt").body == b"two"


def test_missing_pages_remembered_for_a_ttl(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "404.html", b"custom 404\n", content_type="text/html")
    port = harness.free_port()
    ttl = harness.bound(1)
    d = daemon_factory.start(daemon_config(minio, bucket, port,
                                           'cache: { %s };\n' % short_ttl(ttl) +
                                           'site: { error_document = "404.html"; };')
                             .replace("workers = 2;", "workers = 1;"))

    r = http(d.port, "GET", "/missing")
    assert (r.status, r.body) == (404, b"custom 404\n")
    before = metric(d, UPSTREAM)
    for _ in range(5):
        r = http(d.port, "GET", "/missing")
        assert (r.status, r.body) == (404, b"custom 404\n")
    # Only the error document is fetched: the object and the directory
    # check are not asked again within the TTL.
    assert metric(d, UPSTREAM) - before == 5
    put_object(s3, bucket, "missing", b"now here")
    time.sleep(ttl + 0.2)
    assert http(d.port, "GET", "/missing").body == b"now here"


def test_fill_survives_a_slow_client(daemon_factory, minio, s3, bucket):
    """A client slower than S3 pauses the transfer; libcurl then hands the
    same bytes again, and the cached copy must still be exact."""
    import hashlib
    import socket
    data = hashlib.sha256(b"fill").digest() * (300 * 1024 // 32)
    put_object(s3, bucket, "big.bin", data)
    d = start(daemon_factory, minio, bucket, 'enabled = true; ttl = "60s";')
    s = socket.create_connection(("127.0.0.1", d.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    buf = b""
    while True:
        chunk = s.recv(8192)
        if not chunk:
            break
        buf += chunk
        time.sleep(0.002)
    s.close()
    assert buf.endswith(data)
    put_object(s3, bucket, "big.bin", b"replaced")
    r = http(d.port, "GET", "/big.bin")
    assert hashlib.sha256(r.body).digest() == hashlib.sha256(data).digest()
    assert lookups(d) == (1, 1)


def test_cached_miss_keeps_directory_listing(daemon_factory, minio, s3, bucket):
    """A miss for docs/index.html, remembered by the cache, must not hide the
    listing of /docs/, which maps to the same key."""
    put_object(s3, bucket, "docs/a.txt", b"a", content_type="text/plain")
    port = harness.free_port()
    d = daemon_factory.start(
        daemon_config(minio, bucket, port, 'cache: { enabled = true; ttl = "60s"; };\n'
                      'site: { directory_listing = true; };')
        .replace("workers = 2;", "workers = 1;"))
    assert http(d.port, "GET", "/docs/index.html").status == 404
    r = http(d.port, "GET", "/docs/")
    assert r.status == 200, r
    assert b'href="a.txt"' in r.body
    hits, _ = lookups(d)
    assert hits == 1      # the second request was answered by the negative entry
