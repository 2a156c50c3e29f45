"""Hostile clients against the real daemon and the real MinIO (issue 7).

Every test here plays an attacker (or a broken client) and checks three
things: the attacker gets a clear 4xx or a closed connection, no worker
crashes (the same worker pids serve before and after, the master is alive),
and a control client that runs *during* the attack keeps being served at
normal speed (each of its requests well under half a second).

test_serving.py already covers the basic parser refusals (one request each:
TE, double Content-Length, bare LF, obs-fold, absolute-form, CONNECT, NUL,
raw UTF-8, HTTP/2.0, 414, 431), HTTP/0.9 and a single slow header.  This file
builds on those: many attackers at once, smuggling with a request hidden in
the body, a bad request in the middle of a pipeline, 10,000 idle
connections, slow readers, traversal in every encoding we know of.
"""

import os
import re
import resource
import select
import signal
import socket
import threading
import time

import pytest

import harness
from harness import (daemon_config, http, http_raw, metric, parse_response, parse_responses,
                     put_object, start_serving, wait_for)

CONTROL_MAX_S = 0.5    # "normal speed" for one small request on loopback
SMUGGLED = b"this body must never be served"
SECRET = b"outside the site prefix: never served"


# ---------------------------------------------------------------------------
# helpers

def cfg(minio, bucket, port, extra="", workers=2):
    text = daemon_config(minio, bucket, port, extra)
    return text.replace("workers = 2;", "workers = %d;" % workers, 1)




def proc_status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].split()
    raise KeyError(field)


def rss_kib(pid):
    return int(proc_status(pid, "VmRSS")[0])


_SANITIZED = set()


def sanitized(pid):
    """True if the process runs with AddressSanitizer (its quarantine and
    redzones make memory figures several times larger)."""
    with open("/proc/%d/maps" % pid) as f:
        if "libasan" in f.read():
            _SANITIZED.add(pid)
            return True
    return False


def mem_limit_kib(pid, kib):
    return kib * 4 if sanitized(pid) else kib


def group_rss_kib(d):
    return sum(rss_kib(p) for p in [d.pid] + d.children())


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        st = f.read()
    fields = st[st.rindex(b")") + 2:].split()
    return int(fields[11]) + int(fields[12])     # utime + stime


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))






def control(d, n=5, path="/a.txt", body=b"0123456789abcdefghij"):
    """n requests of a well-behaved client; each must succeed quickly.
    Returns the slowest time."""
    worst = 0.0
    # Scaled by harness.SLOWDOWN (larger for a sanitizer build).
    limit = harness.bound(CONTROL_MAX_S)
    for _ in range(n):
        t0 = time.monotonic()
        r = http(d.port, "GET", path, timeout=5)
        took = time.monotonic() - t0
        worst = max(worst, took)
        assert r.status == 200 and r.body == body, r
        assert took < limit, "control request took %.3fs during the attack" % took
    return worst


def assert_unharmed(d, kids):
    """Same workers as before the attack, master alive, still serving."""
    assert d.running, "the master died:\n" + d.log_tail()
    assert sorted(d.children()) == sorted(kids), \
        "workers changed (a crash?): %s -> %s\n%s" % (kids, d.children(), d.log_tail())
    assert not re.search(r"killed by signal|exited with code", d.log()), d.log_tail()
    control(d, 3)


def refused(raw):
    """True if `raw` is a closed connection without a response, or one
    refusal (4xx, or 501/505 for a method or version we do not speak) and
    nothing after it."""
    if raw == b"":
        return True
    r = parse_response(raw)
    return (400 <= r.status < 500 or r.status in (501, 505)) and r.rest == b""


@pytest.fixture
def site(s3, bucket):
    put_object(s3, bucket, "a.txt", b"0123456789abcdefghij", content_type="text/plain")
    put_object(s3, bucket, "index.html", b"<h1>home</h1>\n", content_type="text/html")
    put_object(s3, bucket, "smuggled.txt", SMUGGLED, content_type="text/plain")
    return bucket


@pytest.fixture
def daemon(daemon_factory, minio, site):
    port = harness.free_port()
    return start_serving(daemon_factory, cfg(minio, site, port))


# ---------------------------------------------------------------------------
# slowloris: many connections trickling their headers

def test_slowloris_many_connections_get_408_and_control_is_unaffected(
        daemon_factory, minio, site):
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, site, port,
                                          'limits: { header_timeout = "2s"; };'))
    kids = d.children()
    n = 300
    head = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.setblocking(False)
            socks.append(s)
        got = {s: b"" for s in socks}
        closed = set()
        t0 = time.monotonic()
        pos = 0
        worst = 0.0
        # Each attacker sends one more byte every 0.2 s: never a whole head.
        while len(closed) < n and time.monotonic() - t0 < 8:
            for s in socks:
                if s in closed:
                    continue
                try:
                    s.send(head[pos:pos + 1])
                except OSError:
                    closed.add(s)
            pos = min(pos + 1, len(head) - 1)
            worst = max(worst, control(d, 1))
            rl, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.2)
            for s in rl:
                try:
                    chunk = s.recv(4096)
                except OSError:
                    chunk = b""
                if chunk:
                    got[s] += chunk
                else:
                    closed.add(s)
        took = time.monotonic() - t0
        assert len(closed) == n, "%d of %d slowloris connections still open after %.1fs" % (
            n - len(closed), n, took)
        # header_timeout is 2 s: all closed soon after, each with a 408
        # (or nothing, if the reset came first).
        assert took < 2 + harness.bound(2), took
        statuses = {parse_response(v).status for v in got.values() if v}
        assert statuses <= {408}, statuses
        assert sum(1 for v in got.values() if v) >= n // 2
        print("slowloris: %d connections closed in %.1fs, control worst %.3fs"
              % (n, took, worst))
    finally:
        for s in socks:
            s.close()
    assert_unharmed(d, kids)


# ---------------------------------------------------------------------------
# slow reader: one byte a second of a large object

def test_slow_reader_does_not_hold_up_others_or_memory(daemon_factory, minio, s3, site):
    size = 32 << 20
    put_object(s3, site, "big.bin", os.urandom(1 << 20) * 32,
               content_type="application/octet-stream")
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, site, port))
    kids = d.children()
    base_rss = {p: rss_kib(p) for p in kids}
    base_open = metric(d, "s3wwwd_connections_open")
    s = socket.socket()
    # A tiny receive window, as a client on a bad link would have.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        first = s.recv(1)
        assert first == b"H"
        got = 1
        t0 = time.monotonic()
        worst = 0.0
        while time.monotonic() - t0 < 5:
            time.sleep(1)
            got += len(s.recv(1))
            worst = max(worst, control(d, 3))
        assert got >= 5
        grown = {p: rss_kib(p) - base_rss[p] for p in kids}
        # The object is 32 MiB; a worker keeps a bounded window, not the object.
        assert max(grown.values()) < mem_limit_kib(d.pid, 16 * 1024), grown
        print("slow reader: %d bytes read in 5s; control worst %.3fs; worker RSS growth %s KiB"
              % (got, worst, grown))
    finally:
        s.close()
    # The client went away: its connection (and the upstream one) is released.
    wait_for(lambda: metric(d, "s3wwwd_connections_open") <= base_open, 10,
             what="the slow reader's connection to be released")
    assert_unharmed(d, kids)
    assert size == 32 << 20


# ---------------------------------------------------------------------------
# 10,000 idle connections

def test_ten_thousand_idle_connections(daemon_factory, minio, site):
    n = 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Each side (this process, and each daemon process, which inherits the
    # limit) needs n descriptors plus some; the hard limit may be raised only
    # with CAP_SYS_RESOURCE.
    want = n + 2000
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, hard), max(want, hard)))
    except (ValueError, OSError):
        if hard < want:
            pytest.skip("cannot raise RLIMIT_NOFILE to %d (hard %d)" % (want, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        port = harness.free_port()
        # The daemon inherits the raised limit.  Idle connections must stay
        # for the whole test, so header_timeout is long.
        d = start_serving(daemon_factory, cfg(minio, site, port,
                                              'limits: { max_connections = 8000; '
                                              'header_timeout = "120s"; };'))
        kids = d.children()
        control(d, 3)
        base_rss = group_rss_kib(d)
        base_fds = sum(fd_count(p) for p in kids)
        socks = []
        t0 = time.monotonic()
        try:
            for _ in range(n):
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=10))
            opened_in = time.monotonic() - t0
            # Wait until the workers hold them all (accepting is asynchronous).
            # (/metrics counts its own connection too.)
            wait_for(lambda: metric(d, "s3wwwd_connections_open") >= n + 1, 30,
                     interval=0.2, what="the workers to accept %d connections" % n)
            fds_now = sum(fd_count(p) for p in kids)
            idle_rss = group_rss_kib(d)
            per_conn = (idle_rss - base_rss) * 1024.0 / n
            worst = control(d, 5)
            open_now = metric(d, "s3wwwd_connections_open")
            print("10k idle: opened in %.1fs; daemon RSS %d KiB -> %d KiB (%.0f bytes per "
                  "connection); worker fds %d -> %d; connections_open %d; control worst %.3fs"
                  % (opened_in, base_rss, idle_rss, per_conn, base_fds, fds_now, open_now, worst))
            assert fds_now - base_fds >= n - 16     # give or take pooled upstream sockets
            assert open_now >= n
            # Idle connections hold no buffers: well under 2 KiB each.
            assert per_conn < mem_limit_kib(d.pid, 2048), per_conn
        finally:
            for s in socks:
                s.close()
        wait_for(lambda: metric(d, "s3wwwd_connections_open") <= 1, 30, interval=0.2,
                 what="the idle connections to be released")
        assert_unharmed(d, kids)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------------------
# oversized heads

@pytest.mark.parametrize("what,req", [
    ("65 headers", b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" +
     b"".join(b"X-H%d: v\r\n" % i for i in range(65)) + b"\r\n"),
    ("1 MiB header line", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (1 << 20)),
    ("1 MiB URI", b"GET /" + b"a" * (1 << 20)),
    ("endless head", b"GET /a.txt HTTP/1.1\r\n" + b"X: y\r\n" * 200000),
    ("1 MiB method", b"G" * (1 << 20)),
])
def test_oversized_heads_refused(daemon, what, req):
    kids = daemon.children()
    t0 = time.monotonic()
    try:
        raw = http_raw(daemon.port, req, timeout=10)
    except (ConnectionResetError, BrokenPipeError):
        raw = b""    # closed while we were still sending: also a refusal
    took = time.monotonic() - t0
    assert refused(raw), raw[:200]
    if raw:
        assert parse_response(raw).status in (400, 414, 431, 501)
    assert took < harness.bound(3), took
    assert_unharmed(daemon, kids)


# ---------------------------------------------------------------------------
# request smuggling: a second request hidden in a body must never be served

HIDDEN = b"GET /smuggled.txt HTTP/1.1\r\nHost: x\r\n\r\n"


def _cl(n):
    return b"Content-Length: %d\r\n" % n


@pytest.mark.parametrize("name,req", [
    ("CL+TE", b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" + _cl(len(HIDDEN) + 5) +
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
    ("TE+CL", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + _cl(4) +
     b"\r\n%x\r\n" % len(HIDDEN) + HIDDEN + b"\r\n0\r\n\r\n"),
    ("TE obfuscated", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
     + HIDDEN),
    ("TE space before colon", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked"
     b"\r\n\r\n0\r\n\r\n" + HIDDEN),
    ("TE tab", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\n\r\n"
     b"0\r\n\r\n" + HIDDEN),
    ("TE folded", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
     b"0\r\n\r\n" + HIDDEN),
    ("TE identity,chunked", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, "
     b"chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
    ("double CL differing", b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" + _cl(0) +
     _cl(len(HIDDEN)) + b"\r\n" + HIDDEN),
    ("CL list", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0, %d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("CL plus sign", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: +%d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("CL hex", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0x%x\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("CL negative", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + HIDDEN),
    ("CL overflow", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: "
     b"18446744073709551617\r\n\r\n" + HIDDEN),
    ("CL on GET hides a request", b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" + _cl(len(HIDDEN)) +
     b"\r\n" + HIDDEN),
    ("chunked invalid size", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
     b"\r\n\r\nzz\r\n" + HIDDEN),
    ("chunked huge size", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
     b"\r\n\r\nffffffffffffffffff\r\n" + HIDDEN),
    ("chunked negative", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
     b"\r\n\r\n-5\r\n" + HIDDEN),
    ("bare LF in head", b"GET /a.txt HTTP/1.1\r\nHost: x\nContent-Length: %d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("bare CR in head", b"GET /a.txt HTTP/1.1\r\nHost: x\rContent-Length: %d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("LF-only request", b"GET /a.txt HTTP/1.1\nHost: x\nContent-Length: %d\n\n"
     % len(HIDDEN) + HIDDEN),
    ("NUL in header", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n" + _cl(len(HIDDEN)) +
     b"\r\n" + HIDDEN),
    ("header without colon", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length %d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("space in header name", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent Length: %d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
])
def test_smuggling_never_serves_the_hidden_request(daemon, name, req):
    kids = daemon.children()
    raw = http_raw(daemon.port, req, timeout=10)
    assert SMUGGLED not in raw, name
    # At most one response: whatever the first request got, the bytes after
    # it were not taken for a second request.
    rs = parse_responses(raw) if raw else []
    assert len(rs) <= 1, (name, [r.status for r in rs])
    # Ambiguous framing is refused outright; only a GET with a well-formed
    # Content-Length may be served (its body is read and thrown away).
    if name != "CL on GET hides a request":
        assert refused(raw), (name, raw[:300])
    elif rs:
        assert rs[0].status in (200, 400, 413), rs[0]
    assert_unharmed(daemon, kids)


# ---------------------------------------------------------------------------
# pipelining

def test_hundred_pipelined_requests_answered_in_order(daemon):
    kids = daemon.children()
    reqs, methods = [], []
    for i in range(100):
        m = "HEAD" if i % 3 == 0 else "GET"
        path = "/a.txt" if i % 2 == 0 else "/index.html"
        reqs.append(("%s %s?i=%d HTTP/1.1\r\nHost: x\r\n\r\n" % (m, path, i)).encode())
        methods.append(m)
    reqs.append(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    methods.append("GET")
    raw = http_raw(daemon.port, b"".join(reqs), timeout=20)
    rs = parse_responses(raw, methods)
    assert len(rs) == 101
    for i, r in enumerate(rs[:100]):
        assert r.status == 200
        if methods[i] == "HEAD":
            assert r.body == b""
        elif i % 2 == 0:
            assert r.body == b"0123456789abcdefghij"
        else:
            assert r.body == b"<h1>home</h1>\n"
    assert_unharmed(daemon, kids)


def test_bad_request_in_the_middle_of_a_pipeline_stops_it(daemon):
    kids = daemon.children()
    raw = http_raw(daemon.port,
                   b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\n"
                   b"GET /smuggled.txt HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
    rs = parse_responses(raw, ["GET", "GET"])
    assert [r.status for r in rs] == [200, 400]
    assert rs[1].headers["Connection"] == "close"
    assert SMUGGLED not in raw
    assert_unharmed(daemon, kids)


def test_pipeline_flood_without_reading(daemon):
    """A client that pipelines thousands of requests and never reads: the
    worker stops reading when its output backs up instead of buffering
    answers without limit, and others are served meanwhile."""
    kids = daemon.children()
    base = {p: rss_kib(p) for p in kids}
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", daemon.port))
    s.setblocking(False)
    one = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
    sent = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 3:
            try:
                sent += s.send(one * 200)
            except BlockingIOError:
                time.sleep(0.05)
            control(daemon, 1)
        grown = max(rss_kib(p) - base[p] for p in kids)
        print("pipeline flood: %d request bytes accepted, worker RSS growth %d KiB"
              % (sent, grown))
        # Under ASan every request's freed memory sits in the quarantine
        # (256 MiB by default), so the figure says nothing there.
        if not sanitized(daemon.pid):
            assert grown < 8 * 1024, grown
    finally:
        s.close()
    assert_unharmed(daemon, kids)




def test_pipelined_requests_stop_when_the_client_does_not_read(daemon):
    """A client that pipelines requests and never reads its answers must not
    make the worker keep fetching objects for it: once its unread output
    reaches a bound, the worker stops taking requests from it."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", daemon.port))
    s.setblocking(False)
    one = b"GET /a.txt?flood HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2:
            try:
                s.send(one * 200)
            except BlockingIOError:
                time.sleep(0.05)
        time.sleep(2)
        a = metric(daemon, "s3wwwd_upstream_requests_total")
        time.sleep(2)
        b = metric(daemon, "s3wwwd_upstream_requests_total")
        print("upstream requests for a client that reads nothing: %d, then %d more in 2 s"
              % (a, b - a))
        # The answers already sent fill at most a few hundred KiB of buffers
        # (about 250 bytes each): a bound of 2,000 requests is generous.
        assert b - a <= 2, "still fetching for a client that does not read: %d in 2 s" % (b - a)
        assert b <= 2000, b
    finally:
        s.close()


# ---------------------------------------------------------------------------
# garbage, HTTP/0.9, other protocols, non-ASCII and NUL bytes

@pytest.mark.parametrize("name,req", [
    ("HTTP/0.9 without blank line", b"GET /a.txt\r\n"),
    ("HTTP/0.9 bare LF", b"GET /a.txt\n"),
    ("TLS ClientHello", bytes.fromhex("16030100a5010000a10303") + os.urandom(160)),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00" * 18),
    ("NUL flood", b"\x00" * 4096),
    ("random bytes", os.urandom(4096)),
    ("CRLF flood", b"\r\n" * 5000),
    ("lowercase method", b"get /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("unknown method", b"BREW /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("double space", b"GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("tab separator", b"GET\t/a.txt\tHTTP/1.1\r\nHost: x\r\n\r\n"),
    ("no version", b"GET /a.txt \r\nHost: x\r\n\r\n"),
    ("HTTP/1.10", b"GET /a.txt HTTP/1.10\r\nHost: x\r\n\r\n"),
    ("HTTP/9.9", b"GET /a.txt HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("http lowercase", b"GET /a.txt http/1.1\r\nHost: x\r\n\r\n"),
    ("absolute-form https", b"GET https://evil.example/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("absolute-form same host", b"GET http://x/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("CONNECT authority", b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n"),
    ("CONNECT to MinIO", b"CONNECT 127.0.0.1:9000 HTTP/1.1\r\n\r\n"),
    ("authority-form GET", b"GET 127.0.0.1:9000 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("asterisk GET", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("latin-1 in target", b"GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("DEL in target", b"GET /a\x7f.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("NUL in target", b"GET /a.txt\x00/../secret HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("NUL in header name", b"GET /a.txt HTTP/1.1\r\nHo\x00st: x\r\n\r\n"),
    ("UTF-8 header name", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-\xc3\xa9: v\r\n\r\n"),
    ("control char in value", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n"),
    ("empty header name", b"GET /a.txt HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"),
    ("leading whitespace line", b"GET /a.txt HTTP/1.1\r\n Host: x\r\n\r\n"),
    ("Host with CRLF injection", b"GET /a.txt HTTP/1.1\r\nHost: x\r\r\nX: y\r\n\r\n"),
    ("Host with space", b"GET /a.txt HTTP/1.1\r\nHost: x y\r\n\r\n"),
    ("Host with slash", b"GET /a.txt HTTP/1.1\r\nHost: x/../y\r\n\r\n"),
    ("Host with at", b"GET /a.txt HTTP/1.1\r\nHost: user@evil\r\n\r\n"),
])
def test_garbage_gets_4xx_or_close(daemon_factory, minio, site, name, req):
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, site, port,
                                          'limits: { header_timeout = "1s"; };'))
    kids = d.children()
    t0 = time.monotonic()
    try:
        # Up to the first response (an unknown method may get a 405 on a
        # connection that stays open) or the close.
        raw = http_raw(d.port, req, timeout=5, read_until_close=False)
    except ConnectionResetError:
        raw = b""
    took = time.monotonic() - t0
    # Whatever it is, nothing from the bucket comes back...
    assert b"0123456789abcdefghij" not in raw, name
    assert SMUGGLED not in raw
    # ...and the answer is a 4xx or 5xx-for-version (505), or a close, within
    # header_timeout (1 s) plus slack.
    if raw:
        r = parse_response(raw)
        assert 400 <= r.status < 500 or r.status in (501, 505), (name, r)
        assert r.rest == b""
    assert took < 1 + harness.bound(2), took
    assert_unharmed(d, kids)


# ---------------------------------------------------------------------------
# path traversal in every encoding

TRAVERSALS = [
    "/../secret.txt", "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt", "/%2e%2e%2fsecret.txt", "/.%2e/secret.txt", "/%2e./secret.txt",
    "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt",
    "//../secret.txt", "/./../secret.txt", "/..//secret.txt", "/../../../../secret.txt",
    # double encoding: decoded exactly once, so this names the key "%2e%2e/..."
    "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt",
    # backslashes (Windows-style and encoded)
    "/..\\secret.txt", "/..%5csecret.txt", "/..%5Csecret.txt", "/%2e%2e%5csecret.txt",
    "/sub\\..\\..\\secret.txt",
    # overlong UTF-8 and UTF-16 style encodings of '.' and '/'
    "/%c0%ae%c0%ae/secret.txt", "/%c0%ae%c0%ae%c0%afsecret.txt", "/%e0%80%ae%e0%80%ae/secret.txt",
    "/%c1%9c%c1%9csecret.txt", "/%u002e%u002e/secret.txt", "/%uff0e%uff0e/secret.txt",
    # full-width dots (real UTF-8), padded dots, NULs and semicolons
    "/%ef%bc%8e%ef%bc%8e/secret.txt", "/.. /secret.txt", "/%20../secret.txt", "/..%20/secret.txt",
    "/..%00/secret.txt", "/%00../secret.txt", "/..;/secret.txt", "/.%00./secret.txt",
    "/..%09/secret.txt", "/..%0d%0a/secret.txt",
    # dots beyond two, mixed case hex, trailing dot segments
    "/sub/..", "/sub/../..", "/sub/%2e%2e", "/sub/%2E%2e/%2e%2E",
    # the bucket above the prefix, by query and fragment tricks
    "/?prefix=", "/?list-type=2", "/%3f/../../secret.txt", "/#/../../secret.txt",
]

# What each of them gets: 400 for every path that climbs above the root, as
# the README promises, or that holds a byte no key may (NUL, CR, LF, TAB, a
# backslash, an overlong or %u encoding).  The exceptions name what they ask
# for exactly: a key that does not exist (404), or a place inside the prefix
# (200: "/sub/.." is "/").
TRAVERSAL_STATUS = {
    # decoded once, these are keys named "%2e%2e/secret.txt" and so on
    "/%252e%252e/secret.txt": 404, "/%252e%252e%252fsecret.txt": 404,
    # full-width dots and "..;" are ordinary characters in a key
    "/%ef%bc%8e%ef%bc%8e/secret.txt": 404, "/..;/secret.txt": 404,
    "/sub/..": 200, "/sub/%2e%2e": 200, "/?prefix=": 200, "/?list-type=2": 200,
}


def test_path_traversal_in_every_encoding(daemon_factory, minio, s3, site):
    put_object(s3, site, "www/index.html", b"prefixed\n", content_type="text/html")
    put_object(s3, site, "www/sub/index.html", b"sub\n", content_type="text/html")
    put_object(s3, site, "www/a.txt", b"0123456789abcdefghij")   # for the control client
    put_object(s3, site, "secret.txt", SECRET)
    port = harness.free_port()
    text = cfg(minio, site, port).replace('region = "us-east-1";',
                                          'region = "us-east-1"; bucket_path = "www/";')
    d = start_serving(daemon_factory, text)
    kids = d.children()
    assert http(port, "GET", "/").body == b"prefixed\n"
    statuses = {}
    for path in TRAVERSALS:
        raw = http_raw(port, ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                              % path).encode("latin-1"), timeout=5)
        assert SECRET not in raw, path
        # No listing of the bucket either.
        assert b"<ListBucketResult" not in raw and b"secret.txt" not in raw, path
        r = parse_response(raw) if raw else None
        statuses[path] = r.status if r else "closed"
        if r is not None and r.status == 200:
            assert r.body in (b"prefixed\n", b"sub\n"), (path, r.body)
    print("traversal statuses: %s" % statuses)
    want = {p: TRAVERSAL_STATUS.get(p, 400) for p in TRAVERSALS}
    assert statuses == want, {p: (statuses[p], want[p]) for p in TRAVERSALS if statuses[p] != want[p]}
    assert_unharmed(d, kids)


def test_traversal_escaping_the_bucket_is_refused(daemon_factory, minio, s3, site):
    """Without a prefix: ".." above the root must not reach another bucket
    (path-style URLs put the bucket in the path: /bucket/key)."""
    other = harness.unique_bucket_name("other")
    s3.create_bucket(Bucket=other)
    try:
        put_object(s3, other, "secret.txt", SECRET)
        d = start_serving(daemon_factory, cfg(minio, site, harness.free_port()))
        for path in ("/../%s/secret.txt" % other, "/%%2e%%2e/%s/secret.txt" % other,
                     "/..%%2f%s%%2fsecret.txt" % other, "/%%2e%%2e%%2f%s%%2fsecret.txt" % other):
            raw = http_raw(d.port, ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                    % path).encode(), timeout=5)
            assert SECRET not in raw, path
            assert parse_response(raw).status == 400, path
    finally:
        harness.delete_bucket(s3, other)


# ---------------------------------------------------------------------------
# many attackers at once, mixed

def test_mixed_attack_keeps_control_fast(daemon_factory, minio, site):
    """Slowloris, garbage, smuggling and oversized heads from 8 threads for
    4 seconds; a control client measures its latency the whole time."""
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, site, port,
                                          'limits: { header_timeout = "1s"; };'))
    kids = d.children()
    stop = threading.Event()
    errors = []
    payloads = [
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + HIDDEN,
        b"\x00" * 2000,
        b"GET /" + b"%2e%2e/" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20000 + b"\r\n\r\n",
        os.urandom(3000),
    ]

    def attacker(i):
        k = 0
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
                    if i % 4 == 0:
                        s.sendall(b"GET /a.txt HTTP/1.1\r\nHo")   # slowloris
                        stop.wait(0.3)
                        continue
                    s.sendall(payloads[k % len(payloads)])
                    s.settimeout(3)
                    data = b""
                    while True:
                        c = s.recv(65536)
                        if not c:
                            break
                        data += c
                    if SMUGGLED in data:
                        errors.append("smuggled request served")
            except OSError:
                pass
            k += 1

    threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    times = []
    try:
        t_end = time.monotonic() + 4
        while time.monotonic() < t_end:
            times.append(control(d, 1))
    finally:
        stop.set()
        for t in threads:
            t.join(5)
    times.sort()
    print("mixed attack: %d control requests, median %.4fs, max %.4fs"
          % (len(times), times[len(times) // 2], times[-1]))
    assert not errors, errors
    assert len(times) >= 20
    assert_unharmed(d, kids)


# ---------------------------------------------------------------------------
# what an attacker can learn or redirect

def test_no_open_redirect_from_directory_redirects(daemon_factory, minio, s3, site):
    put_object(s3, site, "evil.example/index.html", b"dir\n", content_type="text/html")
    put_object(s3, site, "docs/index.html", b"docs\n", content_type="text/html")
    d = start_serving(daemon_factory, cfg(minio, site, harness.free_port()))
    kids = d.children()
    for path in ("//evil.example", "///evil.example", "////evil.example?x=1",
                 "/./evil.example", "//./evil.example", "/x/..//evil.example",
                 "/%2fevil.example", "/%2f%2fevil.example", "/\\evil.example",
                 "/\\/evil.example", "/evil.example", "/\\evil.example/../docs",
                 "/\\\\evil.example/../docs", "/\\/\\evil.example/../docs?a=1"):
        raw = http_raw(d.port, ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                % path).encode(), timeout=5)
        r = parse_response(raw)
        loc = r.headers.get("Location")
        if loc is None:
            assert r.status in (400, 404), (path, r)
            continue
        assert r.status == 301, (path, r)
        # A path on this site: one leading slash, no scheme, no authority, and
        # no backslash that a browser would turn into one.
        assert loc.startswith("/") and not loc.startswith(("//", "/\\")), (path, loc)
        assert "://" not in loc and "\r" not in loc and "\n" not in loc, (path, loc)
    assert_unharmed(d, kids)


def test_secrets_never_reach_clients_metrics_or_logs(daemon_factory, minio, site, tmp_path):
    """At debug level, with the access log on, after requests that make the
    daemon talk to S3, fail, and answer errors: neither the access key nor
    the secret key (nor a signature) appears in any response, in /metrics,
    or in the error and access logs."""
    access = tmp_path / "access.log"
    port = harness.free_port()
    text = cfg(minio, site, port).replace(
        'log: { level = "info"; };',
        'log: { level = "debug"; access = "%s"; access_format = "json"; };' % access)
    d = start_serving(daemon_factory, text)
    kids = d.children()
    seen = []
    reqs = [
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /%2e%2e/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /?list-type=2 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 x\r\n\r\n",
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=99-\r\n\r\n",
        b"OPTIONS /a.txt HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n"
        b"Access-Control-Request-Method: GET\r\n\r\n",
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]
    for q in reqs:
        seen.append(http_raw(d.port, q.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1),
                             timeout=5))
    # A server with the wrong secret, so that S3 errors are produced too.
    bad = cfg(minio, site, harness.free_port()).replace(
        'secret_key = "%s";' % minio.secret_key, 'secret_key = "wrong-%s";' % minio.secret_key)
    d2 = start_serving(daemon_factory, bad.replace('log: { level = "info"; };',
                                                   'log: { level = "debug"; };'))
    for path in ("/a.txt", "/readyz", "/metrics"):
        seen.append(http_raw(d2.port, ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                       % path).encode(), timeout=5))
    blob = b"".join(seen) + d.log().encode() + d2.log().encode() + access.read_bytes()
    for secret in (minio.secret_key, "wrong-" + minio.secret_key, minio.access_key):
        assert secret.encode() not in blob, "a credential leaked"
    assert b"Signature=" not in blob and b"AWS4-HMAC-SHA256 Credential" not in blob
    # No bucket listing either (directory_listing is off by default).
    assert b"<ListBucketResult" not in blob
    assert_unharmed(d, kids)


def test_secret_flag_is_not_visible_to_other_users(daemon_factory, minio, site):
    port = harness.free_port()
    d = daemon_factory.start(args=[
        "-endpoint", minio.endpoint, "-bucket", site, "-accessKey", minio.access_key,
        "-secretKey", minio.secret_key, "-address", "127.0.0.1:%d" % port])
    d.wait_log(r"serving .* with \d+ workers", timeout=15)
    assert http(port, "GET", "/a.txt").status == 200

    def exposed():
        found = []
        for pid in [d.pid] + d.children():
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if minio.secret_key.encode() in f.read():
                    found.append(pid)
        return found

    assert exposed() == [], "the secret key is in /proc/PID/cmdline of %s" % exposed()
    # Hiding it must not lose it: a reload still signs with it.
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation", timeout=15, start=mark)
    assert http(port, "GET", "/a.txt").status == 200
    assert exposed() == []
