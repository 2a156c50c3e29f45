"""Several sites on one listener, against a real MinIO and the real daemon:
choosing the site by Host the way nginx chooses a server (case, port and
trailing dot ignored, exact names before wildcards, the longest wildcard
first), the default site and 421 for a host no site names, each site with
its own bucket, prefix, settings, cache part and credentials, the `site`
label in /metrics and the site in the access log, `-t` on mistakes with
their file:line, and reloads that add, change and remove sites under load
without a failed request."""
import json
import re
import signal
import time

import harness
from harness import _cfg_str, build_request, http_raw, metric, parse_response, put_object
from test_process import LoadGen

SITE_REQ = "s3wwwd_site_requests_total"


def get(d, path, host, headers=None):
    """A GET with the given Host header (None: no Host at all, HTTP/1.0)."""
    if host is None:
        req = ("GET %s HTTP/1.0\r\n\r\n" % path).encode()
    else:
        h = {"Host": host}
        h.update(headers or {})
        req = build_request("GET", path, h)
    return parse_response(http_raw(d.port, req, read_until_close=True), "GET")


def base(minio, port, bucket=None, extra="", access_key=None, secret_key=None):
    """The top level of a configuration: endpoint and credentials for every
    site, a bucket (the top-level site) only when given."""
    return (
        "listen = %s;\nworkers = 2;\n"
        "s3: { endpoint = %s; %s access_key = %s; secret_key = %s; region = \"us-east-1\"; };\n"
        "log: { level = \"info\"; };\n%s\n"
    ) % (_cfg_str("127.0.0.1:%d" % port), _cfg_str(minio.endpoint),
         "bucket = %s;" % _cfg_str(bucket) if bucket else "",
         _cfg_str(access_key or minio.access_key), _cfg_str(secret_key or minio.secret_key),
         extra)


def second_bucket(s3, request_name):
    name = harness.unique_bucket_name(request_name)
    s3.create_bucket(Bucket=name)
    return name


def drop(s3, name):
    harness.empty_bucket(s3, name)
    harness.delete_bucket(s3, name)


def test_host_picks_the_site_like_nginx(daemon_factory, minio, s3, bucket, request):
    other = second_bucket(s3, "sites-b")
    try:
        put_object(s3, bucket, "index.html", b"main\n", content_type="text/html")
        put_object(s3, bucket, "docs/index.html", b"docs\n", content_type="text/html")
        put_object(s3, other, "index.html", b"blog\n", content_type="text/html")
        put_object(s3, other, "www/index.html", b"www blog\n", content_type="text/html")
        port = harness.free_port()
        d = daemon_factory.start(base(minio, port, bucket, """
sites = (
  { name = "blog"; hosts = [ "blog.example.com", "*.blog.example.com" ];
    s3 = { bucket = %s; }; },
  { hosts = [ "www.blog.example.com" ]; s3 = { bucket = %s; bucket_path = "www"; }; },
  { name = "docs"; hosts = [ "docs.example.com" ]; s3 = { bucket_path = "docs"; }; }
);""" % (_cfg_str(other), _cfg_str(other))))
        cases = [
            ("blog.example.com", b"blog\n"),
            ("BLOG.Example.COM.:8080", b"blog\n"),          # case, trailing dot, port
            ("a.b.blog.example.com", b"blog\n"),            # any depth below the wildcard
            ("www.blog.example.com", b"www blog\n"),        # exact before wildcard
            ("docs.example.com", b"docs\n"),                # same bucket, its own prefix
            ("blog.example.com.evil.test", b"main\n"),      # no suffix trickery
            ("example.com", b"main\n"),                     # *.blog... is not blog... itself
            ("127.0.0.1:%d" % port, b"main\n"),             # unknown: the top-level site
            ("[::1]:80", b"main\n"),
            (None, b"main\n"),                              # HTTP/1.0 without Host
        ]
        for host, body in cases:
            r = get(d, "/", host)
            assert (r.status, r.body) == (200, body), (host, r.status, r.body)
        # The same key in two buckets is two cache entries? Not cached here;
        # each site reads its own bucket on every request.
        assert get(d, "/index.html", "blog.example.com").body == b"blog\n"
        assert get(d, "/index.html", "other.test").body == b"main\n"
    finally:
        drop(s3, other)


def test_unknown_host_is_421_without_a_default(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "index.html", b"only\n", content_type="text/html")
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, None, """
sites = ( { name = "only"; hosts = [ "only.example.com" ]; s3 = { bucket = %s; }; } );
""" % _cfg_str(bucket)))
    assert get(d, "/", "only.example.com").body == b"only\n"
    r = get(d, "/", "nobody.example.com")
    assert r.status == 421 and b"no site" in r.body
    assert get(d, "/", None).status == 421
    # The ops paths answer whatever the host.
    assert get(d, "/healthz", "nobody.example.com").status == 200
    assert get(d, "/readyz", "nobody.example.com").status == 200
    assert metric(d, "s3wwwd_http_requests_total", {"code": "421"}) == 2


def test_a_site_marked_default_answers_unknown_hosts(daemon_factory, minio, s3, bucket):
    other = second_bucket(s3, "sites-d")
    try:
        put_object(s3, bucket, "index.html", b"top\n", content_type="text/html")
        put_object(s3, other, "index.html", b"fallback\n", content_type="text/html")
        port = harness.free_port()
        # The top level names a bucket too: the marked site still wins.
        d = daemon_factory.start(base(minio, port, bucket, """
sites = (
  { name = "a"; hosts = [ "a.example.com" ]; },
  { name = "fallback"; default = true; s3 = { bucket = %s; }; }
);""" % _cfg_str(other)))
        assert get(d, "/", "a.example.com").body == b"top\n"
        assert get(d, "/", "zzz.example.com").body == b"fallback\n"
        assert get(d, "/", None).body == b"fallback\n"
    finally:
        drop(s3, other)


def test_each_site_has_its_own_settings(daemon_factory, minio, s3, bucket):
    put_object(s3, bucket, "a/index.html", b"a home\n", content_type="text/html")
    put_object(s3, bucket, "a/app.html", b"a app\n", content_type="text/html")
    put_object(s3, bucket, "b/index.html", b"b home\n", content_type="text/html")
    put_object(s3, bucket, "b/404.html", b"b missing\n", content_type="text/html")
    put_object(s3, bucket, "b/about.html", b"b about\n", content_type="text/html")
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, bucket, """
site: {
  headers = ( { name = "X-Frame-Options"; value = "DENY"; } );
  routing_rules = ( { key_prefix = "old/"; replace_key_prefix = "new/"; } );
};
sites = (
  { name = "a"; hosts = [ "a.test" ]; s3 = { bucket_path = "a"; };
    site = { spa_file = "app.html"; cors_origins = [ "https://a.example" ]; }; },
  { name = "b"; hosts = [ "b.test" ]; s3 = { bucket_path = "b"; };
    site = { error_document = "404.html"; try_suffixes = [ ".html" ];
             headers = ( { name = "Strict-Transport-Security"; value = "max-age=60"; } );
             routing_rules = ( { key_prefix = "go/"; host = "b.example.com"; } ); }; }
);"""))
    # a: its SPA file, the inherited headers, its CORS origin.
    r = get(d, "/anything/deep", "a.test", {"Origin": "https://a.example"})
    assert (r.status, r.body) == (200, b"a app\n")
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert r.headers.get("Access-Control-Allow-Origin") == "https://a.example"
    # a does not inherit the top level's routing rules: they belong to its site.
    r = get(d, "/old/x", "a.test")
    assert r.status == 200 and r.body == b"a app\n"
    r = get(d, "/old/x", "top.test")
    assert (r.status, r.headers.get("Location")) == (301, "/new/x")
    # b: its error document, clean URLs, its own headers list, its own rules.
    r = get(d, "/nothing", "b.test")
    assert (r.status, r.body) == (404, b"b missing\n")
    assert get(d, "/about", "b.test").body == b"b about\n"
    r = get(d, "/", "b.test", {"Origin": "https://a.example"})
    assert r.headers.get("Strict-Transport-Security") == "max-age=60"
    assert r.headers.get("X-Frame-Options") is None
    assert r.headers.get("Access-Control-Allow-Origin") is None
    r = get(d, "/go/x", "b.test")
    assert (r.status, r.headers.get("Location")) == (301, "http://b.example.com/go/x")


def test_site_label_in_metrics_and_site_in_the_access_log(daemon_factory, minio, s3, bucket,
                                                           tmp_path):
    put_object(s3, bucket, "index.html", b"x\n", content_type="text/html")
    log = tmp_path / "access.log"
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, bucket, """
log: { level = "info"; access = %s; access_format = "json"; };
sites = ( { name = "blog"; hosts = [ "blog.test" ]; } );
""" % _cfg_str(str(log))).replace('log: { level = "info"; };\n', ""))
    for _ in range(3):
        assert get(d, "/", "blog.test").status == 200
    assert get(d, "/missing.txt", "blog.test").status == 404
    assert get(d, "/", "other.test").status == 200
    assert metric(d, SITE_REQ, {"site": "blog", "code": "2xx"}) == 3
    assert metric(d, SITE_REQ, {"site": "blog", "code": "4xx"}) == 1
    assert metric(d, SITE_REQ, {"site": "default", "code": "2xx"}) == 1
    assert metric(d, "s3wwwd_site_response_bytes_total", {"site": "blog"}) > 0

    def lines():
        return [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    harness.wait_for(lambda: len([x for x in lines() if x["request"].startswith("GET /")])
                     >= 5, harness.bound(5), what="access log lines")
    sites = [(x["request"], x["status"], x["site"]) for x in lines()
             if not x["request"].startswith("GET /metrics")]
    assert ("GET / HTTP/1.1", 200, "blog") in sites
    assert ("GET /missing.txt HTTP/1.1", 404, "blog") in sites
    assert ("GET / HTTP/1.1", 200, "default") in sites


def test_combined_log_names_the_site_only_with_a_sites_list(daemon_factory, minio, s3, bucket,
                                                             tmp_path):
    put_object(s3, bucket, "index.html", b"x\n", content_type="text/html")
    log = tmp_path / "access.log"
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, bucket, """
log: { level = "info"; access = %s; };
sites = ( { name = "blog"; hosts = [ "blog.test" ]; } );
""" % _cfg_str(str(log))).replace('log: { level = "info"; };\n', ""))
    assert get(d, "/", "blog.test").status == 200
    harness.wait_for(lambda: log.exists() and log.read_text().strip(), harness.bound(5),
                     what="access log")
    line = log.read_text().splitlines()[0]
    assert re.search(r'" 200 \d+ "[^"]*" "[^"]*" [0-9.]+ "blog"$', line), line


def test_the_cache_keeps_buckets_apart(daemon_factory, minio, s3, bucket):
    other = second_bucket(s3, "sites-c")
    try:
        put_object(s3, bucket, "same.txt", b"from one\n", content_type="text/plain")
        put_object(s3, other, "same.txt", b"from two\n", content_type="text/plain")
        port = harness.free_port()
        d = daemon_factory.start(base(minio, port, bucket, """
cache: { enabled = true; ttl = "60s"; };
sites = (
  { name = "two"; hosts = [ "two.test" ]; s3 = { bucket = %s; }; },
  { name = "nocache"; hosts = [ "nc.test" ]; cache = { enabled = false; }; }
);""" % _cfg_str(other)), args=["-workers", "1"])
        for _ in range(3):
            assert get(d, "/same.txt", "one.test").body == b"from one\n"
            assert get(d, "/same.txt", "two.test").body == b"from two\n"
        # Two lookups missed (one per bucket), the rest were hits.
        assert metric(d, "s3wwwd_cache_lookups_total", {"result": "hit"}) == 4
        before = metric(d, "s3wwwd_upstream_requests_total")
        for _ in range(3):
            assert get(d, "/same.txt", "nc.test").body == b"from one\n"
        # The site without a cache asks S3 every time.
        assert metric(d, "s3wwwd_upstream_requests_total") - before == 3
        assert metric(d, "s3wwwd_cache_lookups_total", {"result": "hit"}) == 4
    finally:
        drop(s3, other)


def site_with_key_files(minio, folder):
    """MinIO's keys in files of their own under folder, and a site "good"
    (good.test) that reads them; returns the two files and the sites list."""
    ak, sk = folder / "ak", folder / "sk"
    ak.write_text(minio.access_key + "\n")
    sk.write_text(minio.secret_key + "\n")
    for f in (ak, sk):
        f.chmod(0o600)
    return ak, sk, """
sites = ( { name = "good"; hosts = [ "good.test" ];
            s3 = { access_key_file = %s; secret_key_file = %s; }; } );
""" % (_cfg_str(str(ak)), _cfg_str(str(sk)))


def test_a_site_uses_its_own_credentials(daemon_factory, minio, s3, bucket, tmp_path):
    put_object(s3, bucket, "index.html", b"ok\n", content_type="text/html")
    _, _, sites = site_with_key_files(minio, tmp_path)
    port = harness.free_port()
    # The top level's key is wrong; the site's own files hold the right one.
    d = daemon_factory.start(base(minio, port, bucket, sites, secret_key="not-the-secret"))
    assert get(d, "/", "good.test").body == b"ok\n"
    r = get(d, "/", "bad.test")
    assert r.status in (502, 503), r.status


def check(daemon_factory, text):
    code, out = daemon_factory.run(text, ["-t"])
    return code, out


def test_mistakes_are_reported_with_file_and_line(daemon_factory, minio, bucket):
    port = harness.free_port()
    top = base(minio, port, bucket)
    good = top + 'sites = ( { name = "a"; hosts = [ "a.test" ]; } );\n'
    code, out = check(daemon_factory, good)
    assert code == 0, out
    lines = top.count("\n")

    dup = top + ('sites = (\n  { name = "a"; hosts = [ "a.test", "*.b.test" ]; },\n'
                 '  { name = "b"; hosts = [ "A.test." ]; }\n);\n')
    code, out = check(daemon_factory, dup)
    assert code != 0
    assert re.search(r':%d: host "A.test." is already a name of site "a" \(line %d\)'
                     % (lines + 3, lines + 2), out), out

    wild = top + ('sites = (\n  { hosts = [ "*.b.test" ]; },\n'
                  '  { hosts = [ "x.test", "*.B.test" ]; }\n);\n')
    code, out = check(daemon_factory, wild)
    assert code != 0 and re.search(r':%d: host "\*\.B\.test" is already' % (lines + 3), out), out

    unknown = top + 'sites = (\n  { hosts = [ "a.test" ];\n    site = { colour = "blue"; }; }\n);\n'
    code, out = check(daemon_factory, unknown)
    assert code != 0 and re.search(r':%d: unknown setting "site.colour" in a site'
                                   % (lines + 3), out), out

    shared = top + 'sites = (\n  { hosts = [ "a.test" ];\n    cache = { memory = 10; }; }\n);\n'
    code, out = check(daemon_factory, shared)
    assert code != 0 and re.search(r':%d: "cache.memory" is set for the whole server'
                                   % (lines + 3), out), out

    two = top + ('sites = (\n  { name = "x"; default = true; },\n'
                 '  { name = "y"; default = true; }\n);\n')
    code, out = check(daemon_factory, two)
    assert code != 0 and re.search(r':%d: only one site can be the default; site "x" '
                                   r'\(line %d\)' % (lines + 3, lines + 2), out), out

    nohost = top + 'sites = (\n  { name = "x"; }\n);\n'
    code, out = check(daemon_factory, nohost)
    assert code != 0 and re.search(r':%d: site "x" has no hosts' % (lines + 2), out), out

    badname = top + 'sites = (\n  { name = "a b"; hosts = [ "a.test" ]; }\n);\n'
    code, out = check(daemon_factory, badname)
    assert code != 0 and re.search(r':%d: name: letters, digits' % (lines + 2), out), out

    samename = top + ('sites = (\n  { name = "a"; hosts = [ "a.test" ]; },\n'
                      '  { name = "a"; hosts = [ "b.test" ]; }\n);\n')
    code, out = check(daemon_factory, samename)
    assert code != 0 and 'two sites are named "a"' in out, out

    badhost = top + 'sites = (\n  { hosts = [ "a/b.test" ]; }\n);\n'
    code, out = check(daemon_factory, badhost)
    assert code != 0 and re.search(r':%d: hosts: "a/b.test" is not a host name'
                                   % (lines + 2), out), out

    nobucket = base(minio, port) + 'sites = (\n  { name = "x"; hosts = [ "x.test" ]; }\n);\n'
    code, out = check(daemon_factory, nobucket)
    assert code != 0 and re.search(r':%d: site "x": no bucket configured'
                                   % (nobucket.count("\n") - 1), out), out


def test_reload_adds_changes_and_removes_sites_under_load(daemon_factory, minio, s3, bucket):
    """Two sites under keep-alive load while reloads add a third, change the
    second's settings, then remove the third: no request fails, and each
    generation serves what its configuration says."""
    body_a = b"site a body " * 20
    body_b = b"site b body " * 20
    put_object(s3, bucket, "a/page.txt", body_a, content_type="text/plain")
    put_object(s3, bucket, "b/page.txt", body_b, content_type="text/plain")
    put_object(s3, bucket, "c/index.html", b"site c\n", content_type="text/html")
    put_object(s3, bucket, "index.html", b"top\n", content_type="text/html")
    port = harness.free_port()
    a = '{ name = "a"; hosts = [ "a.test" ]; s3 = { bucket_path = "a"; }; }'
    b1 = '{ name = "b"; hosts = [ "b.test" ]; s3 = { bucket_path = "b"; }; }'
    b2 = ('{ name = "b"; hosts = [ "b.test", "b2.test" ]; s3 = { bucket_path = "b"; };'
          ' site = { headers = ( { name = "X-Gen"; value = "two"; } ); }; }')
    c = '{ name = "c"; hosts = [ "c.test" ]; s3 = { bucket_path = "c"; }; }'
    top = base(minio, port, bucket)
    gens = [(a, b1), (a, b1, c), (a, b2, c), (a, b2)]

    def text(sites):
        return top + "sites = ( %s );\n" % ", ".join(sites)

    d = daemon_factory.start(text(gens[0]))
    path = d.config_path
    loads = []
    for host, body, pg in (("a.test", body_a, "/page.txt"), ("b.test", body_b, "/page.txt")):
        lg = LoadGen(port, pg, body, conns=6)
        lg.req = build_request("GET", pg, {"Host": host, "Connection": "keep-alive"})
        loads.append(lg.start())
    try:
        for lg in loads:
            lg.wait_count(100, harness.bound(20))
        assert get(d, "/", "c.test").body == b"top\n"
        for gen, sites in enumerate(gens[1:], start=2):
            with open(path, "w") as f:
                f.write(text(sites))
            mark = len(d.log())
            d.signal(signal.SIGHUP)
            d.wait_log(r"reloaded: generation %d serving" % gen, start=mark,
                       timeout=harness.bound(20))
            if gen == 2:
                assert get(d, "/", "c.test").body == b"site c\n"
            if gen == 3:
                r = get(d, "/page.txt", "b2.test")
                assert (r.body, r.headers.get("X-Gen")) == (body_b, "two")
            if gen == 4:
                assert get(d, "/", "c.test").body == b"top\n"   # gone: the default
            for lg in loads:
                lg.wait_count(lg.ok + 300, harness.bound(20))
    finally:
        for lg in loads:
            lg.stop()
    assert metric(d, "s3wwwd_reloads_total", {"result": "ok"}) == 3
    # Site c's counters stay after it is gone; a and b counted every request.
    assert metric(d, SITE_REQ, {"site": "c", "code": "2xx"}) == 1
    assert metric(d, SITE_REQ, {"site": "a", "code": "2xx"}) >= loads[0].ok
    for lg in loads:
        print("site load: %d ok, %d retried on a closed idle connection" % (lg.ok, lg.retries))
        assert lg.failures == [], "%d failures:\n%s" % (len(lg.failures),
                                                         "\n".join(lg.failures[:20]))


def test_each_site_reads_its_own_website_document(daemon_factory, minio, s3, bucket):
    """Two sites, each with a WebsiteConfiguration in its own prefix: each
    serves its own rules, a change to one is read again within its TTL and
    leaves the other's rules alone, and the log says whose document it is."""
    from test_website import rule, website_xml
    put_object(s3, bucket, "a/website.xml", website_xml(rule("docs/", "a1/")),
               content_type="application/xml")
    put_object(s3, bucket, "b/website.xml", website_xml(rule("docs/", "b1/")),
               content_type="application/xml")
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, None, """
sites = (
  { name = "a"; hosts = [ "a.test" ]; s3 = { bucket = %s; bucket_path = "a"; };
    site = { website_document = "website.xml"; website_ttl = "1s"; }; },
  { name = "b"; hosts = [ "b.test" ]; s3 = { bucket = %s; bucket_path = "b"; };
    site = { website_document = "website.xml"; website_ttl = "1s"; }; }
);""" % (_cfg_str(bucket), _cfg_str(bucket))))
    d.wait_log(r'site a: website document "website.xml" read: 1 routing rule')
    d.wait_log(r'site b: website document "website.xml" read: 1 routing rule')

    def loc(host):
        return get(d, "/docs/x", host).headers.get("Location")
    harness.wait_for(lambda: loc("a.test") == "/a1/x" and loc("b.test") == "/b1/x",
                     harness.bound(10), what="both sites' rules")
    mark = len(d.log())
    put_object(s3, bucket, "b/website.xml", website_xml(rule("docs/", "b2/")),
               content_type="application/xml")
    d.wait_log(r"the website document changed; reloading", timeout=harness.bound(10),
               start=mark)
    harness.wait_for(lambda: loc("b.test") == "/b2/x", harness.bound(10), what="b's new rules")
    assert loc("a.test") == "/a1/x"


def test_a_redirect_all_site_redirects_before_clean_urls(daemon_factory, minio, s3, bucket):
    """A site that sends everything to another host does so in one step,
    even when it inherits the clean-URL redirect of the top level."""
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, bucket, """
site: { try_suffixes = [ ".html" ]; redirect_suffixes = true; };
sites = ( { name = "apex"; hosts = [ "example.test" ];
            site = { redirect_all = { host = "www.example.test"; protocol = "https"; }; }; } );
"""))
    r = get(d, "/a.html?x=1", "example.test")
    assert (r.status, r.headers.get("Location")) == (301, "https://www.example.test/a.html?x=1")
    r = get(d, "/a.html", "www.example.test")
    assert (r.status, r.headers.get("Location")) == (301, "/a")


def test_a_sites_own_credential_files_are_watched(daemon_factory, minio, s3, bucket, tmp_path):
    """A site's own key files are watched like the top level's: a changed
    secret is used after a reload, named with its site in the log."""
    put_object(s3, bucket, "index.html", b"ok\n", content_type="text/html")
    keys = tmp_path / "keys"
    keys.mkdir()
    _, sk, sites = site_with_key_files(minio, keys)
    port = harness.free_port()
    d = daemon_factory.start(base(minio, port, bucket, sites))
    assert get(d, "/", "good.test").body == b"ok\n"

    def swap(text):
        tmp = keys / "sk.new"
        tmp.write_text(text + "\n")
        tmp.chmod(0o600)
        tmp.rename(sk)
    mark = len(d.log())
    swap("not-the-secret")
    d.wait_log(r"changed on disk: secret key of site good; reloading", start=mark,
               timeout=harness.bound(10))
    harness.wait_for(lambda: get(d, "/", "good.test").status == 502, harness.bound(10),
                     what="the site to use the new (wrong) secret")
    assert get(d, "/", "other.test").body == b"ok\n"     # the top level's keys are its own
    swap(minio.secret_key)
    harness.wait_for(lambda: get(d, "/", "good.test").status == 200, harness.bound(10),
                     what="the site to use the restored secret")
