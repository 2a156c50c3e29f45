"""Per-object redirects from s3wwwd-seed (--redirect, --redirects), against
the real MinIO and the real daemon: the zero-byte objects and their metadata
(checked with boto3), the 301 the daemon answers for them, the tool's refusal
of a bad target, key or file line before anything is uploaded, and how the
redirects go with --prefix, --dry-run, --only-changed and --sync."""
import re

import harness
from harness import daemon_config, http
from test_seed import keys, ok, seed, write

META = "website-redirect-location"


def start(daemon_factory, minio, bucket):
    port = harness.free_port()
    return daemon_factory.start(daemon_config(minio, bucket, port,
                                              'site: { index = "index.html"; };'))


def redirect(d, path, method="GET"):
    r = http(d.port, method, path)
    return r.status, r.headers.get("Location"), r.body


def check_redirect_object(s3, bucket, key, target):
    """The object is a redirect to target: no bytes, text/html, the user
    metadata MinIO keeps (and AWS's own header if the server kept it)."""
    h = s3.head_object(Bucket=bucket, Key=key)
    assert h["ContentLength"] == 0, key
    assert h["ContentType"] == "text/html", key
    assert h["Metadata"][META] == target, (key, h["Metadata"])
    assert h["Metadata"]["s3wwwd-md5"] == "d41d8cd98f00b204e9800998ecf8427e", key
    assert h.get("WebsiteRedirectLocation", target) == target, key


REDIRECTS_FILE = (
    "# moved in the 2024 redesign\n"
    "\n"
    "blog/2019/post.html /blog/post.html\n"
    "   /about.html=https://example.com/about?lang=en#team   \n"
    "team.html = /about.html\r\n"
    "  # an indented comment\n"
)


def test_redirects_with_a_site(daemon_factory, minio, s3, bucket, tmp_path):
    """--redirect and --redirects together with --dir in one run: the
    redirects go up with the pages, after the assets, and the daemon answers
    each with a 301 and no body."""
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    write(root / "new.html", "<p>new</p>")
    write(root / "style.css", "p { color: red; }")
    write(root / "ext", "replaced by the redirect")
    rfile = write(tmp_path / "redirects.txt", REDIRECTS_FILE)
    p = ok(seed(minio, "--bucket", bucket, "--dir", root,
                "--redirect", "old.html=/new.html",
                "--redirect", "ext=https://example.com/x",
                "--redirects", rfile))
    want = {
        "old.html": "/new.html",
        "ext": "https://example.com/x",
        "blog/2019/post.html": "/blog/post.html",
        "about.html": "https://example.com/about?lang=en#team",
        "team.html": "/about.html",
    }
    assert keys(s3, bucket) == sorted(["index.html", "new.html", "style.css"] + list(want))
    for k, t in want.items():
        check_redirect_object(s3, bucket, k, t)
        assert "uploaded %s (redirect to %s)" % (k, t) in p.stderr
    # A redirect given for a key a source has replaces it, with a warning.
    assert re.search(r"ext: --redirect replaces .*/site/ext", p.stderr), p.stderr
    # Plain objects carry no redirect.
    assert META not in s3.head_object(Bucket=bucket, Key="new.html")["Metadata"]
    # Assets first, then pages and redirects.
    order = re.findall(r" uploaded (\S+) \(", p.stderr)
    assert order[0] == "style.css", order
    assert "uploaded 8, unchanged 0, deleted 0" in p.stderr

    d = start(daemon_factory, minio, bucket)
    assert redirect(d, "/old.html") == (301, "/new.html", b"")
    assert redirect(d, "/old.html", "HEAD")[:2] == (301, "/new.html")
    assert redirect(d, "/ext") == (301, "https://example.com/x", b"")
    assert redirect(d, "/blog/2019/post.html") == (301, "/blog/post.html", b"")
    assert redirect(d, "/about.html")[:2] == (301, "https://example.com/about?lang=en#team")
    assert redirect(d, "/team.html")[:2] == (301, "/about.html")
    r = http(d.port, "GET", "/new.html")
    assert (r.status, r.body) == (200, b"<p>new</p>")


def test_redirects_alone_with_prefix_dry_run_and_only_changed(minio, s3, bucket):
    args = ["--bucket", bucket, "--prefix", "www", "--redirect", "/a.html=/b.html",
            "--redirect", "docs/index.html=https://docs.example.com/",
            "--cache-control", "max-age=60"]
    p = ok(seed(minio, *args, "--dry-run"))
    assert "would upload www/a.html (redirect to /b.html)" in p.stderr
    assert "would upload www/docs/index.html (redirect to https://docs.example.com/)" \
        in p.stderr
    assert keys(s3, bucket) == []

    ok(seed(minio, *args))
    assert keys(s3, bucket) == ["www/a.html", "www/docs/index.html"]
    check_redirect_object(s3, bucket, "www/a.html", "/b.html")
    check_redirect_object(s3, bucket, "www/docs/index.html", "https://docs.example.com/")
    # Cache-Control goes unsigned beside the four signed lines, and is kept.
    assert s3.head_object(Bucket=bucket, Key="www/a.html")["CacheControl"] == "max-age=60"

    # The target is part of what --only-changed compares.
    p = ok(seed(minio, *args, "--only-changed"))
    assert "uploaded 0, unchanged 2" in p.stderr
    p = ok(seed(minio, "--bucket", bucket, "--prefix", "www", "--only-changed",
                "--redirect", "a.html=/c.html"))
    assert "uploaded www/a.html (redirect to /c.html)" in p.stderr
    check_redirect_object(s3, bucket, "www/a.html", "/c.html")


def test_only_changed_turns_a_redirect_back_into_a_page(minio, s3, bucket, tmp_path):
    """An empty page where a redirect was is a change, though the bytes
    and the type are the same."""
    ok(seed(minio, "--bucket", bucket, "--redirect", "p.html=/q.html"))
    root = tmp_path / "site"
    write(root / "p.html", b"")
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--only-changed"))
    assert "uploaded p.html (0 bytes" in p.stderr
    assert META not in s3.head_object(Bucket=bucket, Key="p.html")["Metadata"]


def test_sync_keeps_the_redirects(minio, s3, bucket, tmp_path):
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    s3.put_object(Bucket=bucket, Key="stale.html", Body=b"old")
    p = ok(seed(minio, "--bucket", bucket, "--dir", root, "--sync",
                "--redirect", "old.html=/index.html"))
    assert "deleted stale.html" in p.stderr
    assert keys(s3, bucket) == ["index.html", "old.html"]
    # Redirects alone do not make --sync safe: it would delete the site.
    p = seed(minio, "--bucket", bucket, "--sync", "--redirect", "x.html=/index.html")
    assert p.returncode == 1 and "--sync needs" in p.stderr
    assert keys(s3, bucket) == ["index.html", "old.html"]


def refused(minio, s3, bucket, root, *args):
    """The run fails with exit 1 before it uploads anything, the site too."""
    p = seed(minio, "--bucket", bucket, "--dir", root, *args)
    assert p.returncode == 1, (args, p.returncode, p.stderr)
    assert keys(s3, bucket) == [], args
    assert "nothing was uploaded" in p.stderr, p.stderr
    return p.stderr


def test_bad_redirects_upload_nothing(minio, s3, bucket, tmp_path):
    root = tmp_path / "site"
    write(root / "index.html", "<p>home</p>")
    good = ["--redirect", "fine.html=/index.html"]
    for target, why in (
        ("javascript:x", "a target must be a path starting with / or an http"),
        ("//evil", "names another host"),
        ("/\\evil", "names another host"),
        ("rel.html", "a target must be a path starting with / or an http"),
        ("https://", "the URL has no host"),
        ("/a b", "may not hold spaces"),
        ("/" + "x" * 300, "longer than 255 bytes"),
    ):
        err = refused(minio, s3, bucket, root, *good, "--redirect", "old.html=" + target)
        assert "--redirect: cannot redirect \"old.html\" to \"%s" % target[:100] in err, err
        assert why in err, err
    for key, why in (
        ("", "the key is empty"),
        ("/", "the key is empty"),
        ("a/../b.html", "segment"),
        ("a//b.html", "segment"),
        ("dir/", "names a directory"),
        ("bad\x01key", "control character"),
    ):
        err = refused(minio, s3, bucket, root, "--redirect", key + "=/index.html", *good)
        assert why in err, (key, err)
    err = refused(minio, s3, bucket, root, "--redirect", "no-target")
    assert "expected KEY=TARGET" in err

    # A bad line of a file: FILE:LINE, and the good lines before it are not uploaded.
    rfile = write(tmp_path / "r.txt", "# c\na.html /b.html\n\nc.html javascript:x\n")
    err = refused(minio, s3, bucket, root, "--redirects", rfile)
    assert "%s:4: cannot redirect \"c.html\" to \"javascript:x\"" % rfile in err, err
    for text, line, why in (
        ("a.html\n", 1, "expected KEY TARGET or KEY=TARGET"),
        ("ok.html /x\nb.html /c 301\n", 2, "more than KEY and TARGET"),
        ("ok.html /x\nb.html=//evil\n", 2, "names another host"),
    ):
        write(rfile, text)
        err = refused(minio, s3, bucket, root, "--redirects", rfile)
        assert "%s:%d: " % (rfile, line) in err and why in err, (text, err)
    err = refused(minio, s3, bucket, root, "--redirects", tmp_path / "missing.txt")
    assert "missing.txt: No such file or directory" in err

    # --export and --restore take none.
    p = seed(minio, "--bucket", bucket, "--export", tmp_path / "bk", *good)
    assert p.returncode == 1 and "--redirect" in p.stderr
    assert keys(s3, bucket) == []
