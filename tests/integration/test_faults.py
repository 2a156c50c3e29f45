"""Faults around the daemon (issue 7): a slow, failing or vanishing MinIO, a
name that does not resolve, workers dying mid-response, a full disk under
the access log, and running out of file descriptors.

In every case the daemon answers fast with a 5xx (or keeps serving), logs
what happened, recovers by itself once the fault is gone, and the master
survives.

Already covered elsewhere and not repeated here: MinIO stopped (502, then
recovery; test_process.py), a silent upstream (504; test_serving.py), an
https upstream with a wrong certificate (test_serving.py) and a worker
SIGKILLed under load (test_process.py).

The slow and failing MinIO is the real MinIO behind FaultProxy, a small TCP
proxy in this file that forwards every byte and, when told to, delays the
answers, answers with an S3 error instead, or cuts or stalls a response part
way through.
"""

import hashlib
import os
import re
import select
import signal
import socket
import threading
import time

import pytest

import harness
from harness import bound, daemon_config, http, metric, put_object, start_serving, wait_for


# ---------------------------------------------------------------------------
# helpers

def cfg(minio_endpoint, minio, bucket, port, extra="", workers=2, s3=""):
    """daemon_config for `bucket`, with the endpoint replaced (the proxy)
    and `s3` added to the s3 group."""
    text = daemon_config(minio, bucket, port, extra)
    text = text.replace("workers = 2;", "workers = %d;" % workers, 1)
    text = text.replace('region = "us-east-1";', 'region = "us-east-1"; ' + s3, 1)
    return text.replace('endpoint = "%s";' % minio.endpoint, 'endpoint = "%s";' % minio_endpoint)


def no_sanitizer_segv():
    """Environment for a daemon that the test sends SIGSEGV: in a sanitizer
    build, ASan and UBSan would catch the signal and report it as a bug of
    ours (and die of SIGABRT); the test wants the plain crash."""
    env = {}
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        cur = os.environ.get(var, "")
        env[var] = (cur + ":" if cur else "") + "handle_segv=0"
    return env






def timed_get(d, path, timeout=10):
    t0 = time.monotonic()
    r = http(d.port, "GET", path, timeout=timeout)
    return r, time.monotonic() - t0


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        st = f.read()
    fields = st[st.rindex(b")") + 2:].split()
    return int(fields[11]) + int(fields[12])     # utime + stime


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(b")") + 2:].split()[0] != b"Z"


def server_side_owner(d, client_sock):
    """The worker pid holding the server end of `client_sock`."""
    cport = client_sock.getsockname()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            lport = int(parts[1].split(":")[1], 16)
            rport = int(parts[2].split(":")[1], 16)
            if lport == d.port and rport == cport:
                inode = parts[9]
    assert inode, "server end of port %d not found" % cport
    for pid in d.children():
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                    return pid
            except OSError:
                pass
    pytest.fail("no worker holds socket inode %s" % inode, pytrace=False)


class FaultProxy:
    """TCP proxy in front of the real MinIO with switchable faults.

    Attributes (change them at any time; they apply to the next request or
    the next chunk of a response):
      delay        seconds to hold back the first bytes of each response
      error        None, or (status, code): answer every new request with
                   that S3 XML error instead of forwarding it, then close
      cut_after    None, or a byte count: close both sides after forwarding
                   that many bytes of a response
      stall_after  None, or a byte count: stop forwarding after that many
                   bytes of a response (the connection stays open)
    """

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(128)
        self.port = self.srv.getsockname()[1]
        self.delay = 0.0
        self.error = None
        self.cut_after = None
        self.stall_after = None
        self.requests = 0
        self._stop = threading.Event()
        self._socks = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def close(self):
        self._stop.set()
        self.srv.close()
        with self._lock:
            for s in self._socks:
                try:
                    s.close()
                except OSError:
                    pass

    def _accept(self):
        while not self._stop.is_set():
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, client):
        try:
            up = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        with self._lock:
            self._socks += [client, up]
        state = {"sent": 0, "fresh": False}

        def closeboth():
            for s in (client, up):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

        def to_client():
            while not self._stop.is_set():
                try:
                    data = up.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                if state["fresh"]:
                    state["fresh"] = False
                    if self.delay:
                        time.sleep(self.delay)
                lim = self.cut_after if self.cut_after is not None else self.stall_after
                if lim is not None and state["sent"] + len(data) > lim:
                    data = data[:max(0, lim - state["sent"])]
                    try:
                        client.sendall(data)
                    except OSError:
                        pass
                    state["sent"] += len(data)
                    if self.cut_after is not None:
                        break
                    # Stalled: hold the connection open and send nothing.
                    while not self._stop.is_set() and self.stall_after is not None:
                        r, _, _ = select.select([client], [], [], 0.1)
                        if r:
                            try:
                                if not client.recv(65536):
                                    break
                            except OSError:
                                break
                    break
                try:
                    client.sendall(data)
                except OSError:
                    break
                state["sent"] += len(data)
            closeboth()

        t = threading.Thread(target=to_client, daemon=True)
        t.start()
        while not self._stop.is_set():
            try:
                data = client.recv(65536)
            except OSError:
                break
            if not data:
                break
            self.requests += 1
            if self.error is not None:
                status, code = self.error
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
                        '<Message>injected by the test</Message></Error>' % code).encode()
                head = ("HTTP/1.1 %d Injected\r\nContent-Type: application/xml\r\n"
                        "Content-Length: %d\r\nConnection: close\r\n\r\n"
                        % (status, len(body))).encode()
                try:
                    client.sendall(head + body)
                except OSError:
                    pass
                break
            state["fresh"] = True
            state["sent"] = 0
            try:
                up.sendall(data)
            except OSError:
                break
        closeboth()
        t.join(2)


@pytest.fixture
def proxy(minio):
    p = FaultProxy(minio.port)
    yield p
    p.close()


@pytest.fixture
def site(s3, bucket):
    for i in range(40):
        put_object(s3, bucket, "k%d.txt" % i, b"object %d\n" % i, content_type="text/plain")
    put_object(s3, bucket, "index.html", b"home\n", content_type="text/html")
    return bucket


# ---------------------------------------------------------------------------
# MinIO slowed down

def test_slow_minio_504_past_the_timeout_200_under_it(daemon_factory, minio, site, proxy):
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(proxy.endpoint, minio, site, port,
                                          s3='timeout = "1s";'))
    kids = d.children()
    proxy.delay = 0.3
    r, took = timed_get(d, "/k0.txt")
    # Under the timeout: a 200 (past it, the daemon would have said 504).
    assert (r.status, r.body) == (200, b"object 0\n")
    assert took >= 0.3, took
    # The timeout is 1 s: the client hears about it then, well before the
    # upstream's answer, which comes 2 s after any bound the test allows.
    limit = 1.0 + bound(0.5)
    proxy.delay = limit + 2.0
    for i in (1, 2, 3):
        r, took = timed_get(d, "/k%d.txt" % i)
        assert r.status == 504, r
        assert b"did not answer in time" in r.body
        assert 0.9 <= took < limit, took
    # Other paths of the daemon that need no upstream stay instant.
    r, took = timed_get(d, "/healthz")
    assert r.status == 200 and took < bound(0.2)
    assert re.search(r"upstream request for \"k1.txt\" failed: Timeout", d.log()), d.log_tail()
    delay, proxy.delay = proxy.delay, 0
    time.sleep(delay + 0.2)        # the held-back answers drain away
    for i in (4, 5, 6):
        r, took = timed_get(d, "/k%d.txt" % i)
        assert (r.status, r.body) == (200, b"object %d\n" % i)
        assert took < bound(0.5)
    assert sorted(d.children()) == sorted(kids) and d.running


def test_minio_stalling_mid_body_is_cut_off_after_the_timeout(daemon_factory, minio, s3,
                                                              bucket, proxy):
    data = os.urandom(4 << 20)
    put_object(s3, bucket, "big.bin", data, content_type="application/octet-stream")
    put_object(s3, bucket, "small.txt", b"small\n")
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(proxy.endpoint, minio, bucket, port,
                                          s3='timeout = "1s";'))
    kids = d.children()
    proxy.stall_after = 1 << 20
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while True:
            c = s.recv(1 << 16)
            if not c:
                break
            got += c
    took = time.monotonic() - t0
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: %d" % len(data) in head
    # The body started, then the upstream stalled: the daemon gives up after
    # s3.timeout and closes, so the client sees a short body, not a hang
    # and not a complete-looking response.
    assert len(body) < len(data)
    assert data.startswith(body)
    assert took < bound(5), took
    proxy.stall_after = None
    r = http(port, "GET", "/small.txt")
    assert (r.status, r.body) == (200, b"small\n")
    assert sorted(d.children()) == sorted(kids) and d.running


def test_minio_connection_cut_mid_body(daemon_factory, minio, s3, bucket, proxy):
    data = os.urandom(4 << 20)
    put_object(s3, bucket, "big.bin", data, content_type="application/octet-stream")
    put_object(s3, bucket, "small.txt", b"small\n")
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(proxy.endpoint, minio, bucket, port))
    kids = d.children()
    proxy.cut_after = 2 << 20
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while True:
            try:
                c = s.recv(1 << 16)
            except ConnectionResetError:
                break
            if not c:
                break
            got += c
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert len(body) < len(data) and data.startswith(body)
    assert time.monotonic() - t0 < harness.bound(3)
    proxy.cut_after = None
    for _ in range(3):
        r = http(port, "GET", "/small.txt")
        assert (r.status, r.body) == (200, b"small\n")
    r = http(port, "GET", "/big.bin", timeout=30)
    assert r.status == 200 and hashlib.sha256(r.body).digest() == hashlib.sha256(data).digest()
    assert sorted(d.children()) == sorted(kids) and d.running


# ---------------------------------------------------------------------------
# MinIO answering errors

@pytest.mark.parametrize("status,code,want", [
    (500, "InternalError", 502),
    (503, "SlowDown", 503),
    (503, "ServiceUnavailable", 503),
    (501, "NotImplemented", 502),
    (400, "InvalidRequest", 502),
])
def test_minio_errors_map_to_5xx_fast(daemon_factory, minio, site, proxy, status, code, want):
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(proxy.endpoint, minio, site, port))
    kids = d.children()
    assert http(port, "GET", "/k0.txt").status == 200
    proxy.error = (status, code)
    for i in range(1, 6):
        r, took = timed_get(d, "/k%d.txt" % i)
        assert r.status == want, r
        assert took < bound(0.5), took
        if want == 503:
            assert r.headers["Retry-After"] == "1"
        # The S3 error text (and anything else from upstream) is not passed on.
        assert b"injected by the test" not in r.body
        assert r.headers.get("Cache-Control") == "no-store"
    assert re.search(r"upstream (busy|answered %d) .*%s" % (status, code), d.log()), \
        d.log_tail()
    proxy.error = None
    for i in range(6, 10):
        r = http(port, "GET", "/k%d.txt" % i)
        assert (r.status, r.body) == (200, b"object %d\n" % i)
    assert sorted(d.children()) == sorted(kids) and d.running


def test_minio_errors_do_not_poison_the_cache(daemon_factory, minio, site, proxy):
    """With the cache on (one worker, so one cache): while MinIO errs, a copy
    taken before is what answers, and /metrics and the proxy show that the
    cache did it; an error is never stored as content, neither for an object
    first asked for during the errors nor when a stale copy's revalidation
    fails."""
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(proxy.endpoint, minio, site, port,
                                          'cache: { enabled = true; ttl = "1h"; };', workers=1),
                      workers=1)

    def hits():
        return metric(d, "s3wwwd_cache_lookups_total", {"result": "hit"})

    def misses():
        return metric(d, "s3wwwd_cache_lookups_total", {"result": "miss"})

    assert http(port, "GET", "/index.html").body == b"home\n"
    assert (hits(), misses()) == (0, 1)
    proxy.error = (500, "InternalError")
    upstream = proxy.requests
    for _ in range(5):
        r = http(port, "GET", "/index.html")
        assert (r.status, r.body) == (200, b"home\n"), r
    # The cache answered all five: five hits, not one request to MinIO.
    assert (hits(), misses(), proxy.requests) == (5, 1, upstream)

    # An object first asked for while MinIO errs: the error goes to the
    # client and is not kept; once MinIO is back it is fetched (a miss) and
    # right, then served from the cache (a hit).
    r = http(port, "GET", "/k1.txt")
    assert r.status == 502 and b"object 1" not in r.body, r
    assert misses() == 2
    proxy.error = None
    assert (http(port, "GET", "/k1.txt").body, misses(), hits()) == (b"object 1\n", 3, 5)
    assert (http(port, "GET", "/k1.txt").body, misses(), hits()) == (b"object 1\n", 3, 6)


def test_failed_revalidation_does_not_poison_the_cache(daemon_factory, minio, site, proxy):
    """A stale copy whose revalidation meets a MinIO error: the client gets
    the error or the copy, never the error's body as the object, and once
    MinIO is back the object is right again."""
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(proxy.endpoint, minio, site, port,
                                          'cache: { enabled = true; ttl = "200ms"; };',
                                          workers=1), workers=1)
    assert http(port, "GET", "/index.html").body == b"home\n"
    # Stale from now on: waiting longer than the TTL is all that matters.
    time.sleep(0.5)
    proxy.error = (500, "InternalError")
    upstream = proxy.requests
    r = http(port, "GET", "/index.html")
    assert proxy.requests == upstream + 1          # the revalidation was asked
    assert r.status in (200, 502), r
    if r.status == 200:
        assert r.body == b"home\n"
    else:
        assert b"home" not in r.body
    proxy.error = None
    for _ in range(3):
        r = http(port, "GET", "/index.html")
        assert (r.status, r.body) == (200, b"home\n"), r
    assert metric(d, "s3wwwd_cache_lookups_total", {"result": "hit"}) >= 1


# ---------------------------------------------------------------------------
# DNS

def test_dns_failure_gives_502_fast_and_a_clear_log_line(daemon_factory, site):
    port = harness.free_port()
    d = daemon_factory.start(args=[
        "-endpoint", "http://does-not-exist.invalid:9000", "-bucket", site,
        "-accessKey", "k", "-secretKey", "s", "-address", "127.0.0.1:%d" % port,
        "-connect-timeout", "2s"])
    d.wait_log(r"serving .* with \d+ workers", timeout=15)
    kids = d.children()
    for _ in range(3):
        r, took = timed_get(d, "/index.html")
        assert r.status == 502, r
        assert took < bound(3), took
        assert b"does-not-exist" not in r.body     # no internals to the client
    assert http(port, "GET", "/readyz").status == 503
    assert http(port, "GET", "/healthz").status == 200
    d.wait_log(r"upstream request for \"index.html\" failed: (Couldn't|Could not) resolve "
               r"host name")
    assert sorted(d.children()) == sorted(kids) and d.running


# ---------------------------------------------------------------------------
# workers dying mid-response

def test_worker_sigsegv_mid_response(daemon_factory, minio, s3, bucket):
    data = os.urandom(1 << 20) * 16
    put_object(s3, bucket, "big.bin", data, content_type="application/octet-stream")
    put_object(s3, bucket, "small.txt", b"small\n")
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio.endpoint, minio, bucket, port),
                      env=no_sanitizer_segv())
    kids = d.children()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    try:
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = s.recv(65536)
        assert got.startswith(b"HTTP/1.1 200")
        victim = server_side_owner(d, s)
        other = [p for p in kids if p != victim]
        mark = len(d.log())
        os.kill(victim, signal.SIGSEGV)
        # The client's response ends short (a close, never a clean end).
        while True:
            try:
                c = s.recv(1 << 16)
            except (ConnectionResetError, socket.timeout):
                break
            if not c:
                break
            got += c
        body = got.partition(b"\r\n\r\n")[2]
        assert len(body) < len(data)
    finally:
        s.close()
    d.wait_log(r"worker %d killed by signal 11" % victim, start=mark)
    new = wait_for(lambda: (lambda c: c if len(c) == 2 and victim not in c else None)(
        d.children()), 5, what="a replacement worker")
    assert set(other) <= set(new)
    assert not pid_alive(victim)
    for _ in range(10):
        r = http(port, "GET", "/small.txt")
        assert (r.status, r.body) == (200, b"small\n")
    r = http(port, "GET", "/big.bin", timeout=30)
    assert r.status == 200 and r.body == data
    assert d.running


def test_both_workers_sigsegv_while_clients_wait(daemon_factory, minio, site):
    """Every worker crashes at once: the master survives, starts new ones,
    and requests made right after succeed."""
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio.endpoint, minio, site, port),
                      env=no_sanitizer_segv())
    kids = d.children()
    for p in kids:
        os.kill(p, signal.SIGSEGV)
    new = wait_for(lambda: (lambda c: c if len(c) == 2 and not set(c) & set(kids) else None)(
        d.children()), 5, what="two replacement workers")
    for i in range(10):
        r = http(port, "GET", "/k%d.txt" % i)
        assert (r.status, r.body) == (200, b"object %d\n" % i)
    assert d.running and sorted(d.children()) == sorted(new)


# ---------------------------------------------------------------------------
# disk full under the access log

def test_access_log_on_a_full_disk(daemon_factory, minio, site):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    port = harness.free_port()
    text = cfg(minio.endpoint, minio, site, port).replace(
        'log: { level = "info"; };', 'log: { level = "info"; access = "/dev/full"; };')
    d = start_serving(daemon_factory, text)
    kids = d.children()
    for i in range(30):
        r = http(port, "GET", "/k%d.txt" % (i % 40))
        assert (r.status, r.body) == (200, b"object %d\n" % (i % 40))
    fails = re.findall(r"access log write failed: No space left on device", d.log())
    # Once per worker, not once per request.
    assert 1 <= len(fails) <= len(kids), d.log_tail()
    assert sorted(d.children()) == sorted(kids) and d.running


# ---------------------------------------------------------------------------
# file descriptor exhaustion

def test_fd_exhaustion_no_crash_no_spin_and_recovery(daemon_factory, minio, site, tmp_path):
    nofile = 64
    wrapper = tmp_path / "s3wwwd-lowfd"
    # exec keeps the pid: the factory's process is the daemon itself.
    wrapper.write_text("#!/bin/sh\nulimit -n %d || exit 99\nexec %s \"$@\"\n"
                       % (nofile, harness.bin("s3wwwd")))
    wrapper.chmod(0o755)
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio.endpoint, minio, site, port,
                                          'limits: { header_timeout = "30s"; };'),
                      binary=str(wrapper))
    kids = d.children()
    with open("/proc/%d/limits" % kids[0]) as f:
        assert re.search(r"Max open files\s+%d" % nofile, f.read())
    assert http(port, "GET", "/k0.txt").status == 200
    flood = []
    try:
        # Far more connections than both workers have descriptors.
        for _ in range(4 * nofile):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            flood.append(s)
        time.sleep(0.5)
        before = {p: cpu_ticks(p) for p in kids + [d.pid]}
        t0 = time.monotonic()
        time.sleep(2)
        elapsed = time.monotonic() - t0
        hz = os.sysconf("SC_CLK_TCK")
        usage = {p: (cpu_ticks(p) - before[p]) / hz / elapsed for p in before}
        print("fd exhaustion: CPU share per process during the flood: %s" % usage)
        # Out of descriptors, a worker must wait, not spin on accept().
        assert max(usage.values()) < 0.3, usage
        assert d.running and sorted(d.children()) == sorted(kids), d.log_tail()
    finally:
        for s in flood:
            s.close()
    # The flood is gone: served again, by the same workers, within seconds.
    r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
        http(port, "GET", "/k1.txt", timeout=5)), 10, interval=0.2, what="service after the flood")
    assert r.body == b"object 1\n"
    for i in range(2, 12):
        r = http(port, "GET", "/k%d.txt" % i)
        assert (r.status, r.body) == (200, b"object %d\n" % i)
    assert d.running and sorted(d.children()) == sorted(kids)
