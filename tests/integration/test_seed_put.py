"""Single files (--put FILE=KEY) and website documents (--website-document
FILE=KEY) from s3wwwd-seed, against the real MinIO: keys, Content-Types and
metadata (checked with boto3), the order of the uploads, --prefix,
--only-changed, --dry-run and --sync (which keeps what --put uploaded), the
refusal of a bad key or a WebsiteConfiguration the daemon would refuse
before anything is uploaded, and the daemon serving the rules of a document
the tool uploaded."""
import re

import harness
from harness import daemon_config, http
from test_seed import keys, md5, ok, seed, write

WEBSITE = """<?xml version="1.0" encoding="UTF-8"?>
<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IndexDocument><Suffix>index.html</Suffix></IndexDocument>
  <ErrorDocument><Key>404.html</Key></ErrorDocument>
  <RoutingRules>
    <RoutingRule>
      <Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>
      <Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect>
    </RoutingRule>
    <RoutingRule>
      <Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals>
        <KeyPrefixEquals>old/</KeyPrefixEquals></Condition>
      <Redirect><HostName>archive.example.com</HostName><Protocol>https</Protocol>
        <HttpRedirectCode>302</HttpRedirectCode></Redirect>
    </RoutingRule>
  </RoutingRules>
</WebsiteConfiguration>
"""


def head(s3, bucket, key):
    return s3.head_object(Bucket=bucket, Key=key)


def body(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_put_keys_types_and_prefix(minio, s3, bucket, tmp_path):
    """A key after '=', else the file's name; below --prefix; the type from
    the key's extension, else the file's; Cache-Control and the MD5
    metadata as for every upload, and a multipart upload alike."""
    a = write(tmp_path / "robots.txt", "User-agent: *\n")
    b = write(tmp_path / "data.json", '{"a": 1}')
    c = write(tmp_path / "feed", "<rss/>")
    big = write(tmp_path / "big.bin", b"x" * (6 * 1024 * 1024 + 3))
    p = ok(seed(minio, "--bucket", bucket, "--prefix", "www",
                "--put", a, "--put", "%s=/api/v1/data" % b, "--put", "%s=feed.xml" % c,
                "--put", "%s=dl/big.bin" % big, "--cache-control", "max-age=60",
                "--multipart-threshold", "5M", "--part-size", "5M"))
    assert keys(s3, bucket) == ["www/api/v1/data", "www/dl/big.bin", "www/feed.xml",
                                "www/robots.txt"]
    assert head(s3, bucket, "www/robots.txt")["ContentType"] == "text/plain; charset=utf-8"
    # No extension in the key: the file's decides.
    assert head(s3, bucket, "www/api/v1/data")["ContentType"] == "application/json"
    assert head(s3, bucket, "www/feed.xml")["ContentType"] == "application/xml"
    assert body(s3, bucket, "www/feed.xml") == b"<rss/>"
    h = head(s3, bucket, "www/dl/big.bin")
    assert h["ContentType"] == "application/octet-stream"
    assert h["Metadata"]["s3wwwd-md5"] == md5(big.read_bytes())
    assert h["ContentLength"] == big.stat().st_size
    assert h["ETag"].strip('"').endswith("-2"), h["ETag"]      # two parts
    assert head(s3, bucket, "www/robots.txt")["CacheControl"] == "max-age=60"
    assert "uploaded www/dl/big.bin (%d bytes, application/octet-stream, multipart)" \
        % big.stat().st_size in p.stderr

    # Again: nothing changed, nothing goes up.
    p = ok(seed(minio, "--bucket", bucket, "--prefix", "www", "--only-changed",
                "--put", a, "--put", "%s=/api/v1/data" % b, "--put", "%s=feed.xml" % c,
                "--put", "%s=dl/big.bin" % big, "--cache-control", "max-age=60",
                "--multipart-threshold", "5M"))
    assert "uploaded 0, unchanged 4" in p.stderr, p.stderr
    write(a, "User-agent: *\nDisallow: /\n")
    p = ok(seed(minio, "--bucket", bucket, "--prefix", "www", "--only-changed",
                "--put", a, "--put", "%s=feed.xml" % c, "--cache-control", "max-age=60",
                "--dry-run"))
    assert "would upload www/robots.txt (" in p.stderr
    assert "dry run: would upload 1, unchanged 1" in p.stderr, p.stderr
    assert body(s3, bucket, "www/robots.txt") == b"User-agent: *\n"


def test_put_wins_over_a_directory_and_sync_keeps_it(minio, s3, bucket, tmp_path):
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    write(root / "robots.txt", "from the directory")
    robots = write(tmp_path / "robots-prod.txt", "from --put")
    extra = write(tmp_path / "extra.txt", "kept by --sync")
    s3.put_object(Bucket=bucket, Key="stale.html", Body=b"old")
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--sync",
                "--put", "%s=robots.txt" % robots, "--put", "%s=more/extra.txt" % extra))
    assert re.search(r"robots\.txt: .*robots-prod\.txt replaces .*/site/robots\.txt",
                     p.stderr), p.stderr
    assert "deleted stale.html" in p.stderr
    assert keys(s3, bucket) == ["index.html", "more/extra.txt", "robots.txt"]
    assert body(s3, bucket, "robots.txt") == b"from --put"
    # A second --sync run deletes nothing of it.
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--sync", "--only-changed",
                "--put", "%s=robots.txt" % robots, "--put", "%s=more/extra.txt" % extra))
    assert "uploaded 0, unchanged 3, deleted 0" in p.stderr, p.stderr
    # Single files alone do not make --sync safe: it would delete the site.
    p = seed(minio, "--bucket", bucket, "--sync", "--put", "%s=robots.txt" % robots)
    assert p.returncode == 1 and "--sync needs at least one --dir or --url" in p.stderr
    assert keys(s3, bucket) == ["index.html", "more/extra.txt", "robots.txt"]


def test_website_document_goes_up_last_as_xml(minio, s3, bucket, tmp_path):
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    write(root / "style.css", "p {}")
    doc = write(tmp_path / "website-config", WEBSITE)
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--sync",
                "--website-document", "%s=config/website.xml" % doc))
    assert "website document %s: 2 routing rules, index document index.html, " \
        "error document 404.html" % doc in p.stderr, p.stderr
    order = re.findall(r" uploaded (\S+) \(", p.stderr)
    assert order == ["style.css", "index.html", "config/website.xml"], order
    h = head(s3, bucket, "config/website.xml")
    assert h["ContentType"] == "application/xml"
    assert h["Metadata"]["s3wwwd-md5"] == md5(WEBSITE.encode())
    assert body(s3, bucket, "config/website.xml") == WEBSITE.encode()
    # --sync keeps it; --only-changed finds it unchanged.
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--sync", "--only-changed",
                "--website-document", "%s=config/website.xml" % doc))
    assert "uploaded 0, unchanged 3, deleted 0" in p.stderr, p.stderr
    # Without a key: the file's name, below the prefix.
    named = write(tmp_path / "website.xml", WEBSITE.replace("index.html", "home.html"))
    ok(seed(minio, "--bucket", bucket, "--prefix", "blog", "--website-document", named))
    assert body(s3, bucket, "blog/website.xml") == named.read_bytes()
    # RedirectAllRequestsTo alone is a document too.
    alldoc = write(tmp_path / "all.xml",
                   "<WebsiteConfiguration><RedirectAllRequestsTo><HostName>www.example.com"
                   "</HostName><Protocol>https</Protocol></RedirectAllRequestsTo>"
                   "</WebsiteConfiguration>")
    p = ok(seed(minio, "--bucket", bucket, "--website-document", "%s=apex.xml" % alldoc))
    assert "redirects every request to https://www.example.com" in p.stderr
    assert head(s3, bucket, "apex.xml")["ContentType"] == "application/xml"


def rule(cond, redirect):
    return ("<WebsiteConfiguration><RoutingRules><RoutingRule>%s<Redirect>%s</Redirect>"
            "</RoutingRule></RoutingRules></WebsiteConfiguration>" % (cond, redirect))


BAD_DOCUMENTS = (
    ("", "not a WebsiteConfiguration document"),
    ("<html><body>oops</body></html>", "not a WebsiteConfiguration document"),
    ("<WebsiteConfiguration><IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>"
     "</WebsiteConfiguration>", "IndexDocument needs a Suffix without '/'"),
    ("<WebsiteConfiguration><ErrorDocument></ErrorDocument></WebsiteConfiguration>",
     "ErrorDocument needs a Key"),
    ("<WebsiteConfiguration><RedirectAllRequestsTo><Protocol>https</Protocol>"
     "</RedirectAllRequestsTo></WebsiteConfiguration>",
     "RedirectAllRequestsTo needs a HostName"),
    ("<WebsiteConfiguration><RedirectAllRequestsTo><HostName>a.example</HostName>"
     "<Protocol>ftp</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>",
     "RedirectAllRequestsTo: protocol must be http or https"),
    ("<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
     "<RedirectAllRequestsTo><HostName>a.example</HostName></RedirectAllRequestsTo>"
     "</WebsiteConfiguration>", "RedirectAllRequestsTo excludes IndexDocument"),
    ("<WebsiteConfiguration><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>a"
     "</KeyPrefixEquals></Condition></RoutingRule></RoutingRules></WebsiteConfiguration>",
     "routing rule 1: a RoutingRule without a Redirect"),
    (rule("", "<HttpRedirectCode>304</HttpRedirectCode>"),
     "routing rule 1: redirect code 304 is not a redirect"),
    (rule("", "<HttpRedirectCode>301x</HttpRedirectCode>"),
     "routing rule 1: HttpRedirectCode is not a number"),
    (rule("<Condition><HttpErrorCodeReturnedEquals>200</HttpErrorCodeReturnedEquals>"
          "</Condition>", "<HostName>a.example</HostName>"),
     "error code 200 is not an HTTP error"),
    (rule("", "<Protocol>gopher</Protocol>"), "protocol must be http or https"),
    (rule("", "<HostName>evil.example/path</HostName>"),
     "is not a plain host name"),
    (rule("", "<ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b"
          "</ReplaceKeyPrefixWith>"),
     "ReplaceKeyWith and ReplaceKeyPrefixWith exclude each other"),
    (rule("<Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition>", ""),
     "a redirect needs a protocol, a host name, a replacement or a code"),
    (rule("", "<ReplaceKeyWith>%s</ReplaceKeyWith>" % ("k" * 256)),
     "ReplaceKeyWith is malformed or too long"),
    (rule("", "<ReplaceKeyWith>a &bogus; b</ReplaceKeyWith>"),
     "ReplaceKeyWith is malformed"),
    ("<WebsiteConfiguration><RoutingRules>%s</RoutingRules></WebsiteConfiguration>"
     % ("<RoutingRule><Redirect><HttpRedirectCode>302</HttpRedirectCode></Redirect>"
        "</RoutingRule>" * 51), "more than 50 routing rules"),
)


def test_bad_website_documents_upload_nothing(minio, s3, bucket, tmp_path):
    """Every document the daemon would refuse stops the run with exit 1,
    naming the file and the reason, before anything is uploaded."""
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    doc = tmp_path / "website.xml"
    for text, why in BAD_DOCUMENTS:
        write(doc, text)
        p = seed(minio, "--bucket", bucket, "--dir", root, "--website-document", doc)
        assert p.returncode == 1, (text, p.returncode, p.stderr)
        assert "--website-document %s: " % doc in p.stderr and why in p.stderr, \
            (text, p.stderr)
        assert "nothing was uploaded" in p.stderr
        assert keys(s3, bucket) == [], text
    # Too large for the daemon to read, and not there at all.
    write(doc, "<WebsiteConfiguration>" + " " * (256 * 1024) + "</WebsiteConfiguration>")
    p = seed(minio, "--bucket", bucket, "--website-document", doc)
    assert p.returncode == 1 and "larger than the 256 KiB the server reads" in p.stderr
    p = seed(minio, "--bucket", bucket, "--website-document", tmp_path / "missing.xml")
    assert p.returncode == 1 and "missing.xml: No such file or directory" in p.stderr
    assert keys(s3, bucket) == []


def test_bad_put_arguments_upload_nothing(minio, s3, bucket, tmp_path):
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    f = write(tmp_path / "f.txt", "f")
    for spec, why in (
        ("%s=" % f, "the key is empty"),
        ("%s=a/../b" % f, "segment"),
        ("%s=dir/" % f, "names a directory"),
        ("%s=bad\x01key" % f, "control character"),
        ("=key", "expected FILE or FILE=KEY"),
        ("%s/" % tmp_path, "the key is empty"),
    ):
        p = seed(minio, "--bucket", bucket, "--dir", root, "--put", spec)
        assert p.returncode == 1, (spec, p.returncode, p.stderr)
        assert why in p.stderr and "nothing was uploaded" in p.stderr, (spec, p.stderr)
    # A file that is not there is a source error, found before any upload.
    p = seed(minio, "--bucket", bucket, "--dir", root, "--put", tmp_path / "nope.txt")
    assert p.returncode == 2 and "nope.txt: No such file or directory" in p.stderr
    p = seed(minio, "--bucket", bucket, "--dir", root, "--put", "%s=d" % tmp_path)
    assert p.returncode == 2 and "not a regular file" in p.stderr
    assert keys(s3, bucket) == []
    # --export and --restore take neither.
    for opt in ("--put", "--website-document"):
        p = seed(minio, "--bucket", bucket, "--export", tmp_path / "bk", opt, f)
        assert p.returncode == 1 and "--website-document" in p.stderr, p.stderr


def test_the_daemon_serves_the_uploaded_document(daemon_factory, minio, s3, bucket,
                                                 tmp_path):
    """What the tool checked and uploaded is what the daemon applies:
    site.website_document names the key."""
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    write(root / "404.html", "<p>not here</p>")
    write(root / "documents" / "a.html", "<p>a</p>")
    doc = write(tmp_path / "website.xml", WEBSITE)
    ok(seed(minio, "--bucket", bucket, "--dir", root,
            "--website-document", "%s=config/website.xml" % doc))
    port = harness.free_port()
    d = daemon_factory.start(daemon_config(
        minio, bucket, port, 'site: { index = "index.html"; '
        'website_document = "config/website.xml"; };'))
    r = http(d.port, "GET", "/docs/a.html")
    assert (r.status, r.headers.get("Location")) == (301, "/documents/a.html")
    r = http(d.port, "GET", "/documents/a.html")
    assert (r.status, r.body) == (200, b"<p>a</p>")
    r = http(d.port, "GET", "/old/gone.html")
    assert (r.status, r.headers.get("Location")) == \
        (302, "https://archive.example.com/old/gone.html")
    # The document's ErrorDocument.
    r = http(d.port, "GET", "/missing.html")
    assert (r.status, r.body) == (404, b"<p>not here</p>")
