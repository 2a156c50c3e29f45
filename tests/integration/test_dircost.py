"""What a miss costs in S3 requests, counted in /metrics, against a real
MinIO and the real daemon with the object cache off: a miss on a name
without a dot asks for the object and then for name/index.html (is it a
directory?); the answer to that second question is remembered for the
site's cache.ttl, so the same miss again costs one request, and a request
for /dir/ teaches it too.  cache.ttl = 0 turns the memory off."""
import time

import harness
from harness import daemon_config, http, metric, put_object

UPSTREAM = "s3wwwd_upstream_requests_total"


def start(daemon_factory, minio, bucket, ttl):
    port = harness.free_port()
    # One worker, so that the memory asked is the memory that learned.
    return daemon_factory.start(daemon_config(
        minio, bucket, port, 'cache: { enabled = false; ttl = "%s"; };' % ttl),
        args=["-workers", "1"])


def cost(d, path, status):
    before = metric(d, UPSTREAM)
    r = http(d.port, "GET", path)
    assert r.status == status, (path, r.status)
    return int(metric(d, UPSTREAM) - before)


def test_a_repeated_miss_costs_one_request(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "dir/index.html", b"dir\n", content_type="text/html")
    put_object(s3, bucket, "other/index.html", b"other\n", content_type="text/html")
    d = start(daemon_factory, minio, bucket, "60s")
    # A name that is neither object nor directory.
    assert cost(d, "/nothing", 404) == 2
    assert cost(d, "/nothing", 404) == 1
    # A directory without its slash: the redirect, then the same for one request.
    assert cost(d, "/dir", 301) == 2
    assert cost(d, "/dir", 301) == 1
    assert http(d.port, "GET", "/dir").headers.get("Location") == "/dir/"
    # A request for /other/ (one request, a hit) teaches that other is a directory.
    assert cost(d, "/other/", 200) == 1
    assert cost(d, "/other", 301) == 1
    # A name with a dot is never checked: one request, as before.
    assert cost(d, "/logo.png", 404) == 1


def test_what_is_remembered_lasts_one_ttl(daemon_factory, minio, s3, bucket):
    d = start(daemon_factory, minio, bucket, "1s")
    assert cost(d, "/later", 404) == 2
    put_object(s3, bucket, "later/index.html", b"now\n", content_type="text/html")
    # Within the TTL the old answer stands, at the cost of one request...
    assert cost(d, "/later", 404) == 1
    # ... and after it the directory is found.
    time.sleep(1.2)
    assert cost(d, "/later", 301) == 2


def test_a_zero_ttl_remembers_nothing(daemon_factory, minio, s3, bucket):
    d = start(daemon_factory, minio, bucket, "0s")
    assert cost(d, "/nothing", 404) == 2
    assert cost(d, "/nothing", 404) == 2
