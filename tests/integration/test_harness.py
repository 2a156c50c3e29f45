"""Tests of the test harness itself: real MinIO, the raw HTTP helpers, and
the daemon factory (driven by a stand-in daemon, so this file does not need
s3wwwd to be built)."""

import json
import signal
import socket
import sys
import textwrap

import pytest

import harness


def test_free_port_is_bindable_and_unique():
    ports = {harness.free_port() for _ in range(20)}
    assert len(ports) == 20
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports.pop()))


def test_bin_fails_clearly_when_missing():
    with pytest.raises(pytest.fail.Exception, match="has not been built"):
        harness.bin("no-such-program")


def test_minio_is_ready(minio):
    assert minio.running
    assert minio.endpoint == "http://127.0.0.1:%d" % minio.port
    assert minio.host == "127.0.0.1"
    assert len(minio.secret_key) >= 8
    assert minio.ready()
    r = harness.http(minio.port, "GET", "/minio/health/live")
    assert r.status == 200


def test_put_and_get_object(s3, bucket):
    body = b"<h1>hello</h1>\n" * 100
    harness.put_object(s3, bucket, "dir/index.html", body, content_type="text/html",
                       Metadata={"x": "y"})
    got = s3.get_object(Bucket=bucket, Key="dir/index.html")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/html"
    assert got["Metadata"] == {"x": "y"}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["dir/index.html"]


def test_bucket_fixture_gives_fresh_buckets(s3, bucket):
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert bucket == bucket.lower() and 3 <= len(bucket) <= 63


def test_raw_http_to_minio_public_object(minio, s3, bucket):
    """Exact bytes from a real server: anonymous GET of a public object."""
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]},
                       "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::%s/*" % bucket]}],
    }))
    harness.put_object(s3, bucket, "a.txt", "hello, world\n", content_type="text/plain")
    r = harness.http(minio.port, "GET", "/%s/a.txt" % bucket)
    assert r.status == 200, r.raw
    assert r.body == b"hello, world\n"
    assert r.headers["content-type"] == "text/plain"
    assert r.headers["CONTENT-LENGTH"] == "13"
    assert ("Content-Type", "text/plain") in r.header_list
    assert r.complete and r.rest == b""

    r = harness.http(minio.port, "HEAD", "/%s/a.txt" % bucket)
    assert r.status == 200 and r.body == b"" and r.headers["content-length"] == "13"

    # keep-alive, two pipelined requests, read until one response is complete
    req = ("GET /%s/a.txt HTTP/1.1\r\nHost: x\r\n\r\n" % bucket).encode()
    one = harness.http_raw(minio.port, req, read_until_close=False)
    assert harness.parse_response(one).body == b"hello, world\n"
    two = harness.http_raw(minio.port, req + req[:-2] + b"Connection: close\r\n\r\n")
    rs = harness.parse_responses(two)
    assert [x.body for x in rs] == [b"hello, world\n"] * 2

    r = harness.http(minio.port, "GET", "/%s/missing.txt" % bucket)
    assert r.status == 404


def test_minio_stop_and_start_keeps_port_and_data(minio, s3, bucket):
    harness.put_object(s3, bucket, "persist", b"still here")
    port, data_dir = minio.port, minio.data_dir
    assert minio.stop() is not None
    assert not minio.running
    assert not harness.wait_port(port, timeout=0.3)
    minio.start()
    assert minio.running and minio.port == port and minio.data_dir == data_dir
    # the session client survives the restart
    assert s3.get_object(Bucket=bucket, Key="persist")["Body"].read() == b"still here"


def test_minio_kill_and_start(minio, s3, bucket):
    harness.put_object(s3, bucket, "k", b"v")
    minio.kill()
    assert not minio.running
    minio.start()
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_minio_left_stopped_is_restarted_by_the_guard(minio):
    minio.stop()     # the autouse guard must bring it back for the next test
    assert not minio.running and not minio.ready()


def test_minio_guard_restarted_it(minio, s3):
    assert minio.running and minio.ready()
    s3.list_buckets()


def test_parse_response_variants():
    r = harness.parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                               b"X-A: 1\r\nx-a: 2\r\n\r\n"
                               b"5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nTrailer: t\r\n\r\nEXTRA")
    assert r.status == 200 and r.reason == "OK" and r.version == "HTTP/1.1"
    assert r.chunked and r.body == b"hello!" and r.rest == b"EXTRA"
    assert r.headers.get_all("X-A") == ["1", "2"] and r.headers["x-a"] == "1"
    assert "x-A" in r.headers and "nope" not in r.headers

    r = harness.parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    assert not r.complete and r.body == b"short"

    r = harness.parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nuntil close")
    assert r.status == 404 and r.body == b"until close"

    r = harness.parse_response(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n")
    assert r.body == b"" and r.complete

    with pytest.raises(harness.HTTPParseError):
        harness.parse_response(b"garbage\r\n\r\n")


def test_build_request():
    req = harness.build_request("PUT", "/x", {"X-T": "1"}, b"abc", host_header="h:1")
    assert req == (b"PUT /x HTTP/1.1\r\nHost: h:1\r\nX-T: 1\r\nConnection: close\r\n"
                   b"Content-Length: 3\r\n\r\nabc")
    req = harness.build_request("GET", "/", [("Host", "a"), ("Connection", "keep-alive")])
    assert req == b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"


def test_daemon_config_text(minio):
    text = harness.daemon_config(minio, "site", 8080, extra='cache: { size = 1; };')
    assert text.startswith('listen = "127.0.0.1:8080";\nworkers = 2;\ns3: {\n')
    assert '\tendpoint = "%s";\n' % minio.endpoint in text
    assert '\tbucket = "site";\n' in text
    assert '\taccess_key = "%s";\n' % minio.access_key in text
    assert '\tregion = "us-east-1";\n' in text
    assert 'log: { level = "info"; };\n' in text
    assert text.endswith("cache: { size = 1; };\n")
    assert harness.DaemonFactory._find_port(text, []) == 8080
    assert harness.DaemonFactory._find_port(None, ["-l", "127.0.0.1:81"]) == 81
    assert harness.DaemonFactory._find_port(None, ["-v"]) is None


# A stand-in for s3wwwd with the same command line shape (-c FILE): serves
# HTTP on the config's listen address, logs to stderr, exits 0 on SIGTERM,
# writes "reloaded" on SIGHUP, exits 3 at once if the config says so.
FAKE_DAEMON = textwrap.dedent('''\
    #!%s
    import http.server, re, signal, sys
    conf = open(sys.argv[sys.argv.index("-c") + 1]).read()
    if "fail" in conf:
        print("bad config", file=sys.stderr); sys.exit(3)
    port = int(re.search(r'listen = "127.0.0.1:(\\d+)"', conf).group(1))
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"fake " + self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, fmt, *a):
            print("access " + fmt %% a, file=sys.stderr, flush=True)
    srv = http.server.HTTPServer(("127.0.0.1", port), H)
    def term(*_):
        print("terminating", file=sys.stderr, flush=True); sys.exit(0)
    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGHUP, lambda *_: print("reloaded", file=sys.stderr, flush=True))
    print("listening on %%d" %% port, file=sys.stderr, flush=True)
    srv.serve_forever()
''') % sys.executable


@pytest.fixture
def fake_daemon(tmp_path):
    path = tmp_path / "fake-s3wwwd"
    path.write_text(FAKE_DAEMON)
    path.chmod(0o755)
    return str(path)


def test_daemon_factory_lifecycle(daemon_factory, fake_daemon, minio):
    port = harness.free_port()
    d = daemon_factory.start(harness.daemon_config(minio, "b", port), binary=fake_daemon)
    assert d.port == port and d.url == "http://127.0.0.1:%d" % port
    assert d.running and d.pid == d.proc.pid
    d.wait_log(r"listening on %d" % port)
    r = d.get("/index.html")
    assert r.status == 200 and r.body == b"fake /index.html"
    r = harness.http(port, "GET", "/x", headers={"X-Test": "1"})
    assert r.body == b"fake /x"
    d.signal(signal.SIGHUP)
    d.wait_log("reloaded")
    assert d.stop() == 0
    assert "terminating" in d.log() and "access" in d.log()
    assert not d.running


def test_daemon_factory_early_exit(daemon_factory, fake_daemon):
    code, out = daemon_factory.run("fail = true;", binary=fake_daemon)
    assert code == 3 and "bad config" in out
    d = daemon_factory.start("fail = true;", binary=fake_daemon, wait=False)
    assert d.wait(10) == 3
    with pytest.raises(pytest.fail.Exception, match="exited with code 3"):
        daemon_factory.start('fail = 1;\nlisten = "127.0.0.1:1";', binary=fake_daemon)
    with pytest.raises(pytest.fail.Exception, match="no port to wait for"):
        daemon_factory.start("x = 1;", binary=fake_daemon)


def test_daemon_factory_stops_everything_at_teardown(daemon_factory, fake_daemon, minio):
    for _ in range(2):
        daemon_factory.start(harness.daemon_config(minio, "b", harness.free_port()),
                             binary=fake_daemon)
    assert all(d.running for d in daemon_factory.daemons)
    assert daemon_factory.cleanup() == []
    assert not any(d.running for d in daemon_factory.daemons)
