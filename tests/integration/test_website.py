"""S3 website rules on MinIO, against a real MinIO and the real daemon:
routing rules (every field of AWS's RoutingRule) and RedirectAllRequestsTo
from the settings file or from a WebsiteConfiguration document stored in the
bucket (its change, a broken version, its removal), and per-object redirects
named in the object's metadata."""
import re
import time

import harness
from harness import daemon_config, http, metric, put_object

UPSTREAM = "s3wwwd_upstream_requests_total"


def start(daemon_factory, minio, bucket, site):
    port = harness.free_port()
    return daemon_factory.start(daemon_config(minio, bucket, port, "site: { %s };" % site))


def redirect(d, path, method="GET"):
    r = http(d.port, method, path)
    return r.status, r.headers.get("Location"), r.body


RULES = """
routing_rules = (
  { key_prefix = "docs/"; replace_key_prefix = "documents/"; },
  { key_prefix = "images/"; replace_key = "error.html"; host = "cdn.example.com";
    protocol = "https"; code = 302; },
  { key_prefix = "blog/"; host = "blog.example.com"; },
  { key_prefix = "docs/"; replace_key = "never.html"; },
  { key_prefix = "old/"; error_code = 404; replace_key_prefix = "new/"; code = 307; },
  { key_prefix = "strip/"; replace_key_prefix = ""; }
);
"""


def test_routing_rules_from_the_settings(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "old/here.html", b"still here\n", content_type="text/html")
    put_object(s3, bucket, "index.html", b"home\n", content_type="text/html")
    d = start(daemon_factory, minio, bucket, RULES)
    # ReplaceKeyPrefixWith, with the query kept and the key encoded.
    assert redirect(d, "/docs/a%20b.html?v=2") == (301, "/documents/a%20b.html?v=2", b"")
    # ReplaceKeyWith, HostName, Protocol, HttpRedirectCode.
    assert redirect(d, "/images/x.png")[:2] == (302, "https://cdn.example.com/error.html")
    # HostName alone: the same key on that host, over http, 301.
    assert redirect(d, "/blog/2024/post")[:2] == (301, "http://blog.example.com/blog/2024/post")
    # First match wins: the second docs/ rule never applies.
    assert redirect(d, "/docs/")[:2] == (301, "/documents/")
    # HttpErrorCodeReturnedEquals: only when the object is missing.
    r = http(d.port, "GET", "/old/here.html")
    assert (r.status, r.body) == (200, b"still here\n")
    assert redirect(d, "/old/gone.html")[:2] == (307, "/new/gone.html")
    # An empty replacement strips the prefix.
    assert redirect(d, "/strip/x/y")[:2] == (301, "/x/y")
    # HEAD gets the same answer; other paths are served as before.
    assert redirect(d, "/docs/a", "HEAD")[:2] == (301, "/documents/a")
    assert http(d.port, "GET", "/").body == b"home\n"
    assert http(d.port, "GET", "/nothing").status == 404


def test_rules_cost_no_request_and_a_hit_costs_one(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a.txt", b"a", content_type="text/plain")
    d = start(daemon_factory, minio, bucket, RULES)
    before = metric(d, UPSTREAM)
    for _ in range(5):
        assert redirect(d, "/docs/x")[0] == 301
    assert metric(d, UPSTREAM) == before          # a prefix rule asks S3 nothing
    for _ in range(5):
        assert http(d.port, "GET", "/a.txt").status == 200
    assert metric(d, UPSTREAM) - before == 5      # a plain hit: one request each


def test_redirect_all_requests(daemon_factory, minio, s3, bucket):
    d = start(daemon_factory, minio, bucket,
              'redirect_all = { host = "www.example.com"; protocol = "https"; };')
    assert redirect(d, "/a/b.html?x=1")[:2] == (301, "https://www.example.com/a/b.html?x=1")
    assert redirect(d, "/")[:2] == (301, "https://www.example.com/")
    assert http(d.port, "GET", "/healthz").status == 200   # ops paths still answer


def test_bad_rules_are_refused_with_file_and_line(daemon_factory, minio, bucket):
    port = harness.free_port()
    base = daemon_config(minio, bucket, port)
    for site, want in (
        ('routing_rules = ( { key_prefix = "a/"; colour = "x"; } );',
         r'\.conf:\d+: unknown routing rule setting "colour"'),
        ('routing_rules = ( { key_prefix = "a/"; protocol = "ftp"; } );',
         r'\.conf:\d+: routing rule 1: protocol must be http or https'),
        ('routing_rules = ( { key_prefix = "a/"; } );',
         r'\.conf:\d+: routing rule 1: a redirect needs'),
        ('routing_rules = ( { host = "evil.example/x"; } );',
         r'routing rule 1: host name "evil.example/x" is not a plain host name'),
        ('routing_rules = ( { replace_key = "a"; replace_key_prefix = "b"; } );',
         r'ReplaceKeyWith and ReplaceKeyPrefixWith exclude each other'),
        ('routing_rules = ( { code = 200; } );', r'redirect code 200 is not a redirect'),
        ('redirect_all = { protocol = "https"; };', r'site.redirect_all needs a host'),
        ('redirect_all = { host = "a.example"; }; routing_rules = ( { code = 302; } );',
         r'exclude each other'),
    ):
        code, out = daemon_factory.run(base + "site: { %s };\n" % site, ["-t"])
        assert code == 1, (site, out)
        assert re.search(want, out), (site, out)


def website_xml(rules="", extra=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            '%s<RoutingRules>%s</RoutingRules></WebsiteConfiguration>' % (extra, rules)).encode()


def rule(prefix, replace):
    return ('<RoutingRule><Condition><KeyPrefixEquals>%s</KeyPrefixEquals></Condition>'
            '<Redirect><ReplaceKeyPrefixWith>%s</ReplaceKeyPrefixWith></Redirect>'
            '</RoutingRule>' % (prefix, replace))


def test_website_document_in_the_bucket(daemon_factory, minio, s3, bucket):
    """The document PutBucketWebsite takes, stored in the bucket: read on
    start, read again within its TTL when it changes, a broken version is
    logged and the last good one kept, a removed one takes its rules away."""
    put_object(s3, bucket, "website.xml",
               website_xml(rule("docs/", "v1/"),
                           "<ErrorDocument><Key>oops.html</Key></ErrorDocument>"),
               content_type="application/xml")
    put_object(s3, bucket, "oops.html", b"custom error\n", content_type="text/html")
    d = start(daemon_factory, minio, bucket,
              'website_document = "website.xml"; website_ttl = "1s";')
    d.wait_log(r'website document "website.xml" read: 1 routing rule')
    assert redirect(d, "/docs/a")[:2] == (301, "/v1/a")
    # The document's ErrorDocument applies.
    r = http(d.port, "GET", "/missing")
    assert (r.status, r.body) == (404, b"custom error\n")

    # Changed: the new rules within the TTL, through a reload.
    mark = len(d.log())
    put_object(s3, bucket, "website.xml", website_xml(rule("docs/", "v2/")),
               content_type="application/xml")
    d.wait_log(r"the website document changed; reloading", timeout=10, start=mark)
    harness.wait_for(lambda: redirect(d, "/docs/a")[1] == "/v2/a", 10,
                     what="the new rules")

    # Broken: logged, the last good one kept.
    mark = len(d.log())
    put_object(s3, bucket, "website.xml", b"<WebsiteConfiguration><RoutingRules><RoutingRule>"
               b"<Redirect><Protocol>gopher</Protocol></Redirect></RoutingRule>"
               b"</RoutingRules></WebsiteConfiguration>", content_type="application/xml")
    d.wait_log(r'website document "website.xml" is not valid, keeping the last good one: '
               r'routing rule 1: protocol must be http or https', timeout=10, start=mark)
    assert redirect(d, "/docs/a")[:2] == (301, "/v2/a")

    # Gone: its rules go.
    mark = len(d.log())
    s3.delete_object(Bucket=bucket, Key="website.xml")
    d.wait_log(r'website document "website.xml" is gone', timeout=10, start=mark)
    harness.wait_for(lambda: http(d.port, "GET", "/docs/a").status == 404, 10,
                     what="the rules to go")


def test_redirect_all_from_the_document(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "website.xml",
               b"<WebsiteConfiguration><RedirectAllRequestsTo><HostName>new.example.com"
               b"</HostName><Protocol>https</Protocol></RedirectAllRequestsTo>"
               b"</WebsiteConfiguration>", content_type="application/xml")
    d = start(daemon_factory, minio, bucket, 'website_document = "website.xml";')
    assert redirect(d, "/x/y?z=1")[:2] == (301, "https://new.example.com/x/y?z=1")


def test_a_broken_document_at_start_serves_without_it(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "website.xml", b"not xml at all", content_type="text/plain")
    put_object(s3, bucket, "index.html", b"home\n", content_type="text/html")
    d = start(daemon_factory, minio, bucket, 'website_document = "website.xml";')
    d.wait_log(r'website document "website.xml" is not valid, serving without it')
    assert http(d.port, "GET", "/").body == b"home\n"


def test_per_object_redirects(daemon_factory, minio, s3, bucket):
    """An object whose metadata names a redirect answers 301 with it and no
    body.  MinIO does not keep x-amz-website-redirect-location (AWS's own
    header), but keeps the user metadata website-redirect-location."""
    put_object(s3, bucket, "moved.html", b"", content_type="text/html",
               Metadata={"website-redirect-location": "/new/place.html"})
    put_object(s3, bucket, "away.html", b"some old body", content_type="text/html",
               Metadata={"website-redirect-location": "https://example.com/away"})
    put_object(s3, bucket, "bad.html", b"served as is\n", content_type="text/html",
               Metadata={"website-redirect-location": "javascript:alert(1)"})
    put_object(s3, bucket, "evil.html", b"served as is\n", content_type="text/html",
               Metadata={"website-redirect-location": "//evil.example/"})
    put_object(s3, bucket, "dir/index.html", b"", content_type="text/html",
               Metadata={"website-redirect-location": "/elsewhere/"})
    d = start(daemon_factory, minio, bucket, 'index = "index.html";')
    assert redirect(d, "/moved.html") == (301, "/new/place.html", b"")
    assert redirect(d, "/moved.html", "HEAD")[:2] == (301, "/new/place.html")
    assert redirect(d, "/away.html") == (301, "https://example.com/away", b"")
    assert redirect(d, "/dir/")[:2] == (301, "/elsewhere/")
    # A target that is no path or http(s) URL is ignored, and logged.
    for path in ("/bad.html", "/evil.html"):
        r = http(d.port, "GET", path)
        assert (r.status, r.body) == (200, b"served as is\n"), r
        assert "Location" not in r.headers
    d.wait_log(r'object "bad.html" names a redirect that is no path or http\(s\) URL')
    # The metadata never reaches clients as a header of a served object.
    put_object(s3, bucket, "plain.html", b"plain\n", content_type="text/html")
    r = http(d.port, "GET", "/plain.html")
    assert not any(n.lower().startswith("x-amz") for n, _ in r.header_list), r.header_list


def test_per_object_redirect_with_the_cache(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "moved.html", b"", content_type="text/html",
               Metadata={"website-redirect-location": "/there.html"})
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, bucket, port,
                                           'cache: { enabled = true; ttl = "60s"; };'))
    for _ in range(3):
        assert redirect(d, "/moved.html") == (301, "/there.html", b"")


HEADERS = """
headers = (
  { name = "Strict-Transport-Security"; value = "max-age=63072000"; },
  { prefix = "assets/"; name = "Cache-Control"; value = "public, max-age=31536000, immutable";
    override = true; },
  { prefix = "docs/"; name = "Cache-Control"; value = "max-age=60"; },
  { name = "X-Frame-Options"; value = "DENY"; },
  { prefix = "embed/"; name = "X-Frame-Options"; value = "SAMEORIGIN"; }
);
"""


def check_headers(d):
    r = http(d.port, "GET", "/assets/app.1234.js")
    assert r.status == 200
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"   # overridden
    assert r.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert len([1 for n, _ in r.header_list if n.lower() == "cache-control"]) == 1
    # Not overriding: S3's own Cache-Control stays; without one, ours is added.
    assert http(d.port, "GET", "/docs/kept.html").headers["Cache-Control"] == "no-cache"
    assert http(d.port, "GET", "/docs/bare.html").headers["Cache-Control"] == "max-age=60"
    # The longest prefix wins for a name.
    assert http(d.port, "GET", "/embed/w.html").headers["X-Frame-Options"] == "SAMEORIGIN"
    # Also on a 304 and a 206.
    etag = r.headers["ETag"]
    r = http(d.port, "GET", "/assets/app.1234.js", headers={"If-None-Match": etag})
    assert r.status == 304 and r.headers["Strict-Transport-Security"] == "max-age=63072000"
    r = http(d.port, "GET", "/assets/app.1234.js", headers={"Range": "bytes=0-1"})
    assert r.status == 206 and r.headers["X-Frame-Options"] == "DENY"


def put_header_site(s3, bucket):
    put_object(s3, bucket, "assets/app.1234.js", b"js();", content_type="text/javascript",
               CacheControl="max-age=0")
    put_object(s3, bucket, "docs/kept.html", b"k", content_type="text/html",
               CacheControl="no-cache")
    put_object(s3, bucket, "docs/bare.html", b"b", content_type="text/html")
    put_object(s3, bucket, "embed/w.html", b"w", content_type="text/html")


def test_response_headers_per_prefix(daemon_factory, minio, s3, bucket):
    put_header_site(s3, bucket)
    check_headers(start(daemon_factory, minio, bucket, HEADERS))


def test_response_headers_from_the_cache(daemon_factory, minio, s3, bucket):
    put_header_site(s3, bucket)
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(minio, bucket, port,
                                           'cache: { enabled = true; ttl = "60s"; };\n'
                                           'site: { %s };' % HEADERS)
                             .replace("workers = 2;", "workers = 1;"))
    check_headers(d)
    check_headers(d)      # the second time from memory
    assert metric(d, "s3wwwd_cache_lookups_total", {"result": "hit"}) > 0


def test_bad_headers_are_refused(daemon_factory, minio, bucket):
    port = harness.free_port()
    base = daemon_config(minio, bucket, port)
    for site, want in (
        ('headers = ( { name = "Content-Length"; value = "1"; } );',
         r'header 1: header "Content-Length" is set by the server itself'),
        ('headers = ( { name = "Bad Name"; value = "1"; } );', r'is not a token'),
        ('headers = ( { name = "X-A"; value = "a\\nb"; } );', r'holds a control character'),
        ('headers = ( { name = "X-A"; value = "1"; colour = 1; } );',
         r'\.conf:\d+: unknown or mistyped header setting "colour"'),
    ):
        code, out = daemon_factory.run(base + "site: { %s };\n" % site, ["-t"])
        assert code == 1, (site, out)
        assert re.search(want, out), (site, out)


def test_clean_urls(daemon_factory, minio, s3, bucket):
    """site.try_suffixes: /about serves about.html when about is missing;
    site.redirect_suffixes sends /about.html to /about (and dir/index.html
    to dir/)."""
    put_object(s3, bucket, "about.html", b"about page\n", content_type="text/html")
    put_object(s3, bucket, "docs/intro.htm", b"intro\n", content_type="text/html")
    put_object(s3, bucket, "real", b"the object itself\n", content_type="text/plain")
    put_object(s3, bucket, "real.html", b"not this\n", content_type="text/html")
    put_object(s3, bucket, "guide/index.html", b"guide\n", content_type="text/html")
    d = start(daemon_factory, minio, bucket, 'try_suffixes = [ ".html", ".htm" ];')
    r = http(d.port, "GET", "/about")
    assert (r.status, r.body) == (200, b"about page\n"), r
    assert r.headers["Content-Type"] == "text/html"
    assert http(d.port, "HEAD", "/about").status == 200
    assert http(d.port, "GET", "/docs/intro").body == b"intro\n"     # the second suffix
    assert http(d.port, "GET", "/real").body == b"the object itself\n"   # the object first
    assert http(d.port, "GET", "/about.html").body == b"about page\n"    # no redirect by default
    assert http(d.port, "GET", "/missing").status == 404
    assert redirect(d, "/guide")[:2] == (301, "/guide/")    # the directory check still follows
    before = metric(d, UPSTREAM)
    http(d.port, "GET", "/about")
    assert metric(d, UPSTREAM) - before == 2     # the documented cost: the key, then key.html

    d2 = start(daemon_factory, minio, bucket,
               'try_suffixes = [ ".html" ]; redirect_suffixes = true;')
    assert redirect(d2, "/about.html?x=1")[:2] == (301, "/about?x=1")
    assert redirect(d2, "/guide/index.html")[:2] == (301, "/guide/")
    assert redirect(d2, "//evil.example/x.html")[:2] == (301, "/evil.example/x")
    assert redirect(d2, "/\\evil.example/x.html")[:2] == (301, "/evil.example/x")
    assert http(d2.port, "GET", "/about").body == b"about page\n"


def test_fallbacks_per_prefix(daemon_factory, minio, s3, bucket):
    """Several single-page apps in one bucket: each prefix falls back to its
    own file, the longest prefix first; the site's own elsewhere."""
    put_object(s3, bucket, "app1/index.html", b"app one\n", content_type="text/html")
    put_object(s3, bucket, "app1/admin/index.html", b"admin\n", content_type="text/html")
    put_object(s3, bucket, "docs/404.html", b"docs 404\n", content_type="text/html")
    put_object(s3, bucket, "404.html", b"site 404\n", content_type="text/html")
    d = start(daemon_factory, minio, bucket, """
error_document = "404.html";
fallbacks = (
  { prefix = "app1/"; spa_file = "app1/index.html"; },
  { prefix = "app1/admin/"; spa_file = "app1/admin/index.html"; },
  { prefix = "docs/"; error_document = "docs/404.html"; }
);""")
    r = http(d.port, "GET", "/app1/some/route")
    assert (r.status, r.body) == (200, b"app one\n"), r
    assert http(d.port, "GET", "/app1/admin/users/7").body == b"admin\n"
    r = http(d.port, "GET", "/docs/missing")
    assert (r.status, r.body) == (404, b"docs 404\n"), r
    r = http(d.port, "GET", "/elsewhere")
    assert (r.status, r.body) == (404, b"site 404\n"), r


def test_bad_pages_settings_are_refused(daemon_factory, minio, bucket):
    port = harness.free_port()
    base = daemon_config(minio, bucket, port)
    for site, want in (
        ('try_suffixes = [ "html" ];', r'site.try_suffixes: each is a suffix'),
        ('try_suffixes = [ ".a/b" ];', r'site.try_suffixes: each is a suffix'),
        ('fallbacks = ( { prefix = "a/"; } );', r'fallback 1 sets neither'),
        ('fallbacks = ( { prefix = "a/"; spa = "x"; } );', r'unknown fallback setting "spa"'),
    ):
        code, out = daemon_factory.run(base + "site: { %s };\n" % site, ["-t"])
        assert code == 1, (site, out)
        assert re.search(want, out), (site, out)
