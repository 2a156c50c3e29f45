"""Integration tests of s3wwwd's process model (issue 2), against the real
daemon and the real MinIO of the session.

What is covered: the master/worker split and who holds client sockets,
replacement of crashed workers and the crash-loop limit, SIGHUP reloads
(good config, bad config, rotated credential files), reloads and worker
crashes under keep-alive load, SIGTERM draining (and its deadline), SIGUSR1
log reopening, `s3wwwd -t`, the systemd notify protocol and watchdog, socket
activation, dropping privileges, bounded memory per download, and MinIO
going away and coming back.

Everything is observed from outside, the way an operator or systemd would:
/proc, signals, the notify socket, /metrics, the log and the bytes on the
wire.
"""

import hashlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import harness
from harness import (fd_sockets, http, metric, polled_sockets, port_sockets, put_object,
                     start_serving, tcp_table, wait_for)


# ---------------------------------------------------------------------------
# helpers

def cfg(minio, bucket, port, workers=2, extra="", log='level = "info";'):
    """harness.daemon_config with `workers` and the log group replaced."""
    text = harness.daemon_config(minio, bucket, port, extra)
    text = text.replace("workers = 2;", "workers = %d;" % workers, 1)
    return text.replace('log: { level = "info"; };', "log: { %s };" % log, 1)






def pid_alive(pid):
    """True if `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(b")") + 2:].split()[0] != b"Z"


def proc_status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].split()
    raise KeyError(field)


def rss_kib(pid, field="VmRSS"):
    return int(proc_status(pid, field)[0])


def owners_of(inodes, pids):
    """{inode: [pids holding it]} among `pids`."""
    held = {p: set(fd_sockets(p).values()) for p in pids}
    return {i: [p for p in pids if i in held[p]] for i in inodes}


def accepts_on(pid, listen_inodes):
    """True if `pid` waits on one of the listening sockets (harness.polled_sockets)."""
    return bool(polled_sockets(pid) & listen_inodes)


def read_response_head(sock, timeout=10):
    """Read from `sock` until the end of the response head; returns
    (head bytes, body bytes already read)."""
    buf = b""
    end = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        left = end - time.monotonic()
        assert left > 0, "no response head within %ss, got %r" % (timeout, buf[:300])
        sock.settimeout(left)
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the response head: %r" % buf[:300]
        buf += chunk
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def content_length(head):
    m = re.search(rb"\r\ncontent-length:\s*(\d+)\r\n", head, re.I)
    assert m, "no Content-Length in %r" % head
    return int(m.group(1))


def get_request(port, path, keep_alive=False):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n"
            % (path, port, "" if keep_alive else "Connection: close\r\n")).encode()


def wait_exit(d, timeout):
    try:
        return d.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail("s3wwwd (pid %d) still running %.1fs later:\n%s"
                    % (d.pid, timeout, d.log_tail()), pytrace=False)


class NotifySocket:
    """A real AF_UNIX datagram socket for the sd_notify protocol."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []     # (monotonic time, {key: value}, raw text)

    def recv(self, timeout):
        """The next message as (time, dict, text), or None on timeout."""
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return None
        data = self.sock.recv(65536).decode("utf-8", "replace")
        kv = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
        msg = (time.monotonic(), kv, data)
        self.messages.append(msg)
        return msg

    def wait(self, key, value=None, timeout=15.0):
        """Wait for a message that sets `key` (to `value` if given)."""
        end = time.monotonic() + timeout
        while True:
            msg = self.recv(end - time.monotonic())
            if msg is None:
                pytest.fail("no %s%s on the notify socket within %.1fs; got %r"
                            % (key, "=" + value if value else "", timeout,
                               [m[2] for m in self.messages]), pytrace=False)
            if key in msg[1] and (value is None or msg[1][key] == value):
                return msg

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# a keep-alive load generator with the retry rule of real HTTP clients

class LoadGen:
    """`conns` threads, each with one keep-alive connection, GETting `path`
    in a loop until stop().

    The retry rule is the one of browsers, curl, Go's net/http and
    urllib3 for idempotent requests: if a reused connection is closed or
    reset before any byte of the response has arrived (the server closed an
    idle connection as the request went out), reconnect and send the request
    once more.  Anything else is a failure: a refused connection, a timeout,
    a connection lost after part of a response, a wrong status or body.
    """

    def __init__(self, port, path, body, conns=16, timeout=10.0):
        self.port = port
        self.path = path
        self.body = body
        self.conns = conns
        self.timeout = timeout
        self.req = get_request(port, path, keep_alive=True)
        self.lock = threading.Lock()
        self.ok = 0
        self.retries = 0
        self.failures = []
        self._stop = threading.Event()
        self._threads = []

    def start(self):
        for i in range(self.conns):
            t = threading.Thread(target=self._run, name="load-%d" % i, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        assert not any(t.is_alive() for t in self._threads), "load threads did not finish"

    def _fail(self, what):
        with self.lock:
            self.failures.append("%s: %s" % (time.strftime("%H:%M:%S"), what))

    def _run(self):
        sock = None
        while not self._stop.is_set():
            fresh = False
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
                    fresh = True
            except OSError as e:
                self._fail("connect: %r" % e)
                time.sleep(0.05)
                continue
            outcome, sock = self._one(sock)
            if outcome == "retry":
                if fresh:
                    # A brand-new connection closed without an answer: no
                    # client would retry that (nothing was stale).
                    self._fail("new connection closed before any response byte")
                    continue
                with self.lock:
                    self.retries += 1
                try:
                    sock = socket.create_connection(("127.0.0.1", self.port),
                                                    timeout=self.timeout)
                except OSError as e:
                    self._fail("reconnect for retry: %r" % e)
                    sock = None
                    continue
                outcome, sock = self._one(sock)
                if outcome == "retry":
                    self._fail("retry on a new connection closed before any response byte")
        if sock is not None:
            sock.close()

    def _one(self, sock):
        """One request on `sock`: ('ok'|'retry'|'fail', socket or None)."""
        try:
            sock.sendall(self.req)
        except OSError:
            sock.close()
            return "retry", None
        buf = bytearray()
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("timeout after %d response bytes" % len(buf))
                sock.close()
                return "fail", None
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                sock.close()
                if not buf:
                    return "retry", None
                self._fail("%r after %d response bytes: %r" % (e, len(buf), bytes(buf[:200])))
                return "fail", None
            if not chunk:
                sock.close()
                if not buf:
                    return "retry", None
                self._fail("closed after %d response bytes: %r" % (len(buf), bytes(buf[:200])))
                return "fail", None
            buf += chunk
            try:
                r = harness._try_parse(bytes(buf), "GET")
            except harness.HTTPParseError as e:
                self._fail("unparsable response: %s" % e)
                sock.close()
                return "fail", None
            if r is None:
                continue
            if r.status != 200 or r.body != self.body or r.rest:
                self._fail("got %r body %r rest %r" % (r, r.body[:100], r.rest[:100]))
                sock.close()
                return "fail", None
            with self.lock:
                self.ok += 1
            if r.headers.get("connection", "").lower() == "close":
                sock.close()
                return "ok", None
            return "ok", sock

    def wait_count(self, n, timeout):
        wait_for(lambda: self.ok >= n, timeout, what="%d successful requests (have %d)"
                 % (n, self.ok))


# ---------------------------------------------------------------------------
# workers

def test_master_forks_exactly_the_configured_workers_and_never_holds_clients(
        minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "hello\n", "text/html")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=3), 3)
    kids = d.children()
    assert len(kids) == 3, "children of the master: %r" % kids
    exe = os.readlink("/proc/%d/exe" % d.pid)
    for k in kids:
        assert os.readlink("/proc/%d/exe" % k) == exe
    assert sorted(d.group_pids()) == sorted([d.pid] + kids)

    # Open 12 keep-alive connections, one request each, and keep them open.
    socks = []
    try:
        for _ in range(12):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(get_request(port, "/", keep_alive=True))
            head, body = read_response_head(s)
            assert head.startswith(b"HTTP/1.1 200 ")
            socks.append(s)
        client_ports = {s.getsockname()[1] for s in socks}
        table = tcp_table()
        server_side = {ino for lp, rp, st, ino in table
                       if lp == port and rp in client_ports and st == "01"}
        listening = {ino for lp, rp, st, ino in table if lp == port and st == "0A"}
        assert len(server_side) == 12, table
        owners = owners_of(server_side, [d.pid] + kids)
        for ino, who in owners.items():
            assert who and d.pid not in who and len(who) == 1 and who[0] in kids, \
                "client socket %d held by %r (master %d, workers %r)" % (ino, who, d.pid, kids)
        # The master's TCP sockets are the listening one and nothing else,
        # and it does not even wait for connections on it: the workers do.
        tcp_inodes = {ino for _, _, _, ino in table}
        assert set(fd_sockets(d.pid).values()) & tcp_inodes <= listening
        assert not accepts_on(d.pid, listening)
        assert all(accepts_on(k, listening) for k in kids)
    finally:
        for s in socks:
            s.close()
    assert d.children() == kids


def test_worker_killed_is_replaced_and_counted(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "still here\n", "text/html")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2)
    before = metric(d, "s3wwwd_worker_restarts_total")
    old = d.children()
    assert len(old) == 2
    victim = old[0]
    mark = len(d.log())
    os.kill(victim, signal.SIGKILL)
    t0 = time.monotonic()
    new = wait_for(lambda: (lambda c: c if len(c) == 2 and victim not in c else None)(
        d.children()), 5, what="a replacement worker")
    replaced_in = time.monotonic() - t0
    assert old[1] in new
    assert not pid_alive(victim)
    d.wait_log(r"worker %d killed by signal 9" % victim, start=mark)
    for _ in range(10):
        r = d.get("/")
        assert (r.status, r.body) == (200, b"still here\n")
    assert metric(d, "s3wwwd_worker_restarts_total") == before + 1
    assert replaced_in < harness.bound(3), replaced_in
    assert d.running


def test_crash_loop_makes_the_master_give_up(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=4), 4)
    killed = set()
    end = time.monotonic() + 60
    # Kill every worker as soon as it appears, the way a crash at start-up would.
    # Stop once the master has given up: under the sanitizers its exit
    # starts a helper process (LeakSanitizer's tracer) that must live.
    while d.running and time.monotonic() < end and "keep crashing" not in d.log():
        for pid in d.children():
            if pid not in killed:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
        time.sleep(0.005)
    code = wait_exit(d, 5)
    assert code == 1, "exit status %r after %d kills:\n%s" % (code, len(killed), d.log_tail())
    m = re.search(r"workers keep crashing \((\d+) in a row\)", d.log())
    assert m, d.log_tail()
    assert int(m.group(1)) == 10
    assert len(killed) >= 10
    assert d.group_pids() == []


# ---------------------------------------------------------------------------
# reload

def test_sighup_reload_starts_new_workers_with_the_new_config(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    put_object(s3, bucket, "one.html", "one\n", "text/html")
    put_object(s3, bucket, "two.html", "two\n", "text/html")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2,
                                          extra='site: { index = "one.html"; };'), 2)
    assert d.get("/").body == b"one\n"
    ok0 = metric(d, "s3wwwd_reloads_total", {"result": "ok"})
    failed0 = metric(d, "s3wwwd_reloads_total", {"result": "failed"})
    old = set(d.children())
    with open(d.config_path, "w") as f:
        f.write(cfg(minio, bucket, port, workers=2, extra='site: { index = "two.html"; };'))
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation 2 serving", start=mark)
    new = set(wait_for(lambda: (lambda c: c if len(c) == 2 and not (set(c) & old) else None)(
        d.children()), 10, what="only new-generation workers"))
    assert not new & old
    for p in old:
        wait_for(lambda: not pid_alive(p), 5, what="old worker %d to exit" % p)
    for _ in range(6):
        r = d.get("/")
        assert (r.status, r.body) == (200, b"two\n")
    assert metric(d, "s3wwwd_reloads_total", {"result": "ok"}) == ok0 + 1
    assert metric(d, "s3wwwd_reloads_total", {"result": "failed"}) == failed0
    assert d.running and set(d.children()) == new


def test_sighup_with_a_broken_config_keeps_the_old_workers(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "old content\n", "text/html")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2)
    failed0 = metric(d, "s3wwwd_reloads_total", {"result": "failed"})
    ok0 = metric(d, "s3wwwd_reloads_total", {"result": "ok"})
    old = sorted(d.children())
    good = open(d.config_path).read()
    lines = good.splitlines()
    lines.insert(2, "site: { index = ; };")     # a syntax error on line 3
    with open(d.config_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    m = d.wait_log(r"reload failed.*", start=mark)
    assert "%s:3:" % d.config_path in m.group(0), m.group(0)
    time.sleep(0.3)
    assert sorted(d.children()) == old
    for _ in range(6):
        r = d.get("/")
        assert (r.status, r.body) == (200, b"old content\n")
    assert metric(d, "s3wwwd_reloads_total", {"result": "failed"}) == failed0 + 1
    assert metric(d, "s3wwwd_reloads_total", {"result": "ok"}) == ok0

    # An unknown setting is refused the same way, naming it.
    with open(d.config_path, "w") as f:
        f.write(good + "no_such_thing = 1;\n")
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    m = d.wait_log(r"reload failed.*", start=mark)
    assert "no_such_thing" in m.group(0)
    assert sorted(d.children()) == old
    assert d.get("/").body == b"old content\n"
    assert metric(d, "s3wwwd_reloads_total", {"result": "failed"}) == failed0 + 2

    # And the good file again is taken.
    with open(d.config_path, "w") as f:
        f.write(good)
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation 2 serving", start=mark)
    assert metric(d, "s3wwwd_reloads_total", {"result": "ok"}) == ok0 + 1


def test_sighup_rereads_credential_files(minio, s3, bucket, daemon_factory, tmp_path):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "secret site\n", "text/html")
    ak, sk = tmp_path / "access_key", tmp_path / "secret_key"
    ak.write_text(minio.access_key + "\n")
    sk.write_text(minio.secret_key + "\n")
    os.chmod(ak, 0o600)
    os.chmod(sk, 0o600)
    text = cfg(minio, bucket, port, workers=2)
    text = re.sub(r'\taccess_key = .*\n', '\taccess_key_file = "%s";\n' % ak, text)
    text = re.sub(r'\tsecret_key = .*\n', '\tsecret_key_file = "%s";\n' % sk, text)
    assert minio.secret_key not in text and minio.access_key not in text
    d = start_serving(daemon_factory, text, 2)
    assert d.get("/readyz").status == 200
    assert d.get("/").body == b"secret site\n"

    sk.write_text("wrong-" + minio.secret_key + "\n")
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation 2 serving", start=mark)
    for _ in range(4):     # every worker of the new generation
        r = d.get("/readyz")
        assert r.status == 503 and b"403" in r.body, (r, r.body)
        r = d.get("/")
        assert r.status == 502, r

    sk.write_text(minio.secret_key + "\n")
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation 3 serving", start=mark)
    for _ in range(4):
        assert d.get("/readyz").status == 200
        r = d.get("/")
        assert (r.status, r.body) == (200, b"secret site\n")


def test_reloads_under_keepalive_load_lose_no_request(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    body = b"load test body " * 20
    put_object(s3, bucket, "small.txt", body, "text/plain")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2)
    load = LoadGen(port, "/small.txt", body, conns=16).start()
    try:
        load.wait_count(300, 20)
        gens = []
        for gen in range(2, 6):
            old = set(d.children())
            mark = len(d.log())
            d.signal(signal.SIGHUP)
            d.wait_log(r"reloaded: generation %d serving" % gen, start=mark, timeout=20)
            gens.append(old)
            n = load.ok
            load.wait_count(n + 400, 20)
        load.wait_count(3000, 60)
    finally:
        load.stop()
    assert metric(d, "s3wwwd_reloads_total", {"result": "ok"}) == 4
    # Each reload really replaced the workers.
    final = set(d.children())
    for old in gens:
        assert not old & final
    print("reload load: %d ok, %d retried on a closed idle connection"
          % (load.ok, load.retries))
    assert load.failures == [], "%d failures out of %d requests (%d retries):\n%s" % (
        len(load.failures), load.ok + len(load.failures), load.retries,
        "\n".join(load.failures[:20]))


def replace_program(path, source):
    """Put a new program file at `path` the way dpkg and rpm do: written
    beside it and renamed over it, so the running one keeps its inode."""
    tmp = path.with_name(path.name + ".new")
    shutil.copy2(source, tmp)
    os.rename(tmp, path)


def test_upgrade_on_reload_executes_the_new_program_losing_no_request(
        minio, s3, bucket, daemon_factory, tmp_path):
    """A reload after the program file was replaced is an upgrade: the master
    executes the new file in place (same pid, which systemd's MainPID needs),
    hands it the listening socket and the old workers, and those drain only
    once the new workers accept.  Under keep-alive load, nothing is lost."""
    port = harness.free_port()
    body = b"upgrade test body " * 20
    put_object(s3, bucket, "small.txt", body, "text/plain")
    exe = tmp_path / "bin" / "s3wwwd"
    exe.parent.mkdir()
    shutil.copy2(harness.bin("s3wwwd"), exe)
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2),
                      2, binary=str(exe))
    master = d.pid
    old_ino = os.stat("/proc/%d/exe" % master).st_ino
    load = LoadGen(port, "/small.txt", body, conns=16).start()
    try:
        load.wait_count(300, 20)
        for round_ in (1, 2):
            old = set(d.children())
            replace_program(exe, harness.bin("s3wwwd"))
            mark = len(d.log())
            d.signal(signal.SIGHUP)
            d.wait_log(r"upgraded to s3wwwd .*: 2 workers of the old program drain", start=mark,
                       timeout=30)
            d.wait_log(r"serving .* with 2 workers", start=mark, timeout=30)
            wait_for(lambda: not (old & set(d.children())), 30, what="the old workers to exit")
            n = load.ok
            load.wait_count(n + 400, 30)
            # The same process runs the new file, which is no longer deleted.
            assert d.pid == master and d.running
            st = os.stat("/proc/%d/exe" % master)
            assert st.st_ino == os.stat(exe).st_ino != old_ino, round_
            assert not os.readlink("/proc/%d/exe" % master).endswith("(deleted)")
            old_ino = st.st_ino
    finally:
        load.stop()
    log = d.log()
    assert log.count("the program file %s was replaced" % exe) == 2, d.log_tail()
    assert "while stopping" not in log, d.log_tail()     # the old workers drained cleanly
    print("upgrade load: %d ok, %d retried on a closed idle connection"
          % (load.ok, load.retries))
    assert load.failures == [], "%d failures out of %d requests (%d retries):\n%s" % (
        len(load.failures), load.ok + len(load.failures), load.retries,
        "\n".join(load.failures[:20]))


def test_upgrade_to_a_program_that_refuses_the_config_is_a_plain_reload(
        minio, s3, bucket, daemon_factory, tmp_path):
    """A new program that fails its own configuration check is not executed:
    the reload goes on with the running program, which keeps serving."""
    put_object(s3, bucket, "index.html", "still here\n", "text/html")
    port = harness.free_port()
    exe = tmp_path / "bin" / "s3wwwd"
    exe.parent.mkdir()
    shutil.copy2(harness.bin("s3wwwd"), exe)
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2, binary=str(exe))
    master = d.pid
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\necho 'cannot run here' >&2\nexit 1\n")
    broken.chmod(0o755)
    replace_program(exe, broken)
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"the new program refuses the configuration or does not run; reloading with "
               r"the old one", start=mark)
    d.wait_log(r"reloaded: generation 2 serving", start=mark)
    assert d.pid == master and d.running
    assert os.readlink("/proc/%d/exe" % master).endswith("(deleted)")
    assert http(port, "GET", "/").body == b"still here\n"


def test_worker_sigkill_under_keepalive_load_loses_no_request(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    body = b"kill test body " * 20
    put_object(s3, bucket, "small.txt", body, "text/plain")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2)
    load = LoadGen(port, "/small.txt", body, conns=16).start()
    try:
        load.wait_count(300, 20)
        for _ in range(3):
            kids = d.children()
            os.kill(kids[0], signal.SIGKILL)
            wait_for(lambda: (lambda c: len(c) == 2 and kids[0] not in c)(d.children()), 5,
                     what="a replacement worker")
            load.wait_count(load.ok + 400, 20)
        load.wait_count(3000, 60)
    finally:
        load.stop()
    print("kill load: %d ok, %d retried on a closed idle connection"
          % (load.ok, load.retries))
    assert load.failures == [], "%d failures out of %d requests (%d retries):\n%s" % (
        len(load.failures), load.ok + len(load.failures), load.retries,
        "\n".join(load.failures[:20]))


# ---------------------------------------------------------------------------
# SIGTERM

BIG_MIB = 50


@pytest.fixture
def big_object(s3, bucket):
    """A 50 MiB object of random bytes: (key, sha256 hex, size)."""
    data = os.urandom(BIG_MIB << 20)
    s3.put_object(Bucket=bucket, Key="big.bin", Body=data, ContentType="application/octet-stream")
    return "big.bin", hashlib.sha256(data).hexdigest(), len(data)


def test_sigterm_finishes_inflight_download_and_refuses_new_connections(
        minio, bucket, big_object, daemon_factory):
    key, digest, size = big_object
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(get_request(port, "/" + key))
        head, first = read_response_head(s)
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert content_length(head) == size
        h = hashlib.sha256(first)
        got = len(first)
        # Read 2 MiB slowly, then ask the daemon to stop.
        while got < (2 << 20):
            chunk = s.recv(65536)
            assert chunk
            h.update(chunk)
            got += len(chunk)
            time.sleep(0.005)
        t_term = time.monotonic()
        d.signal(signal.SIGTERM)
        time.sleep(0.5)

        # A new connection now is refused or closed, not served or left hanging.
        outcome = None
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=2)
        except ConnectionRefusedError:
            outcome = "refused"
        else:
            with c:
                try:
                    c.sendall(get_request(port, "/healthz"))
                    c.settimeout(2)
                    data = c.recv(65536)
                    outcome = "closed" if not data else "answered: %r" % data[:100]
                except (ConnectionResetError, BrokenPipeError):
                    outcome = "reset"
                except socket.timeout:
                    outcome = "accepted by the kernel but left hanging for 2s"
        assert d.running, "the master exited while a download was in flight"
        still_reading = got < size

        # Finish the download, still slowly for another second, then at speed.
        s.settimeout(20)
        slow_until = time.monotonic() + 1.0
        while got < size:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            got += len(chunk)
            if time.monotonic() < slow_until:
                time.sleep(0.01)
        tail = s.recv(1)
    finally:
        s.close()
    assert got == size, "download cut at %d of %d bytes after SIGTERM" % (got, size)
    assert tail == b""
    assert h.hexdigest() == digest
    code = wait_exit(d, 15)
    assert code == 0, d.log_tail()
    assert still_reading
    assert outcome in ("refused", "closed", "reset"), \
        "a new connection %.1fs after SIGTERM was %s" % (time.monotonic() - t_term, outcome)
    assert d.group_pids() == []


def test_drain_timeout_bounds_shutdown_with_a_stalled_client(
        minio, bucket, big_object, daemon_factory):
    key, digest, size = big_object
    port = harness.free_port()
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2,
                                          extra='limits: { drain_timeout = "1s"; };'), 2)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    try:
        s.sendall(get_request(port, "/" + key))
        head, _ = read_response_head(s)
        assert head.startswith(b"HTTP/1.1 200 "), head
        time.sleep(0.5)       # the client stalls: never reads again
        assert d.running
        mark = len(d.log())
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        code = wait_exit(d, 10)
        took = time.monotonic() - t0
    finally:
        s.close()
    assert code == 0, d.log_tail()
    print("shutdown with a stalled client took %.2fs" % took)
    assert 0.8 <= took <= 1 + harness.bound(1.5), "shutdown took %.2fs with drain_timeout 1s" % took
    assert "drain deadline passed with 1 connections open" in d.log()[mark:], d.log_tail()


# ---------------------------------------------------------------------------
# SIGUSR1

def test_sigusr1_reopens_the_access_log(minio, s3, bucket, daemon_factory, tmp_path):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "x\n", "text/html")
    access = tmp_path / "access.log"
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2,
                                          log='level = "info"; access = "%s";' % access), 2)
    assert d.get("/before-rotate").status == 404
    wait_for(lambda: access.exists() and b"/before-rotate" in access.read_bytes(), 5,
             what="the request in access.log")
    rotated = tmp_path / "access.log.1"
    os.rename(access, rotated)
    assert d.get("/after-rename").status == 404     # still goes to the renamed file
    d.signal(signal.SIGUSR1)
    wait_for(access.exists, 5, what="a new access.log after SIGUSR1")
    time.sleep(0.3)           # every worker has had the signal
    for i in range(8):        # fresh connections: spread over both workers
        assert d.get("/after-reopen-%d" % i).status == 404
    new = wait_for(lambda: (lambda t: t if t.count(b"/after-reopen-") == 8 else None)(
        access.read_bytes()), 5, what="8 requests in the new access.log")
    old = rotated.read_bytes()
    assert b"/before-rotate" in old and b"/after-rename" in old
    assert b"/after-reopen-" not in old
    assert b"/before-rotate" not in new
    assert re.search(rb'"GET /after-reopen-0 HTTP/1.1" 404 ', new), new
    assert d.running


# ---------------------------------------------------------------------------
# s3wwwd -t

def test_config_check(minio, bucket, daemon_factory, tmp_path):
    port = harness.free_port()
    good = cfg(minio, bucket, port)

    code, out = daemon_factory.run(good, ["-t"])
    assert code == 0, out
    assert "valid" in out

    lines = good.splitlines()
    lines.insert(3, "broken = = 1;")       # line 4
    code, out = daemon_factory.run("\n".join(lines) + "\n", ["-t"])
    assert code == 1, out
    assert re.search(r"s3wwwd-\d+\.conf:4: ", out), out

    code, out = daemon_factory.run(good + "colour = \"blue\";\n", ["-t"])
    assert code == 1, out
    assert re.search(r'\.conf:\d+: unknown setting "colour"', out), out

    code, out = daemon_factory.run(good.replace("s3: {\n", "s3: {\n\tbogus_key = 1;\n"), ["-t"])
    assert code == 1, out
    assert 's3.bogus_key' in out, out

    no_bucket = re.sub(r"\tbucket = .*\n", "", good)
    code, out = daemon_factory.run(no_bucket, ["-t"])
    assert code == 1, out
    assert re.search(r"bucket", out, re.I) and "failed" in out, out

    missing = tmp_path / "no-such-dir" / "cert.pem"
    code, out = daemon_factory.run(
        good + 'tls: { cert = "%s"; key = "%s"; };\n' % (missing, missing.with_name("key.pem")),
        ["-t"])
    assert code == 1, out
    assert str(missing) in out, out

    # None of these started a server.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# ---------------------------------------------------------------------------
# systemd: notify, watchdog, socket activation

def test_sd_notify_ready_reloading_stopping(minio, s3, bucket, daemon_factory, tmp_path):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "notify\n", "text/html")
    ns = NotifySocket(tmp_path / "notify.sock")
    try:
        d = daemon_factory.start(cfg(minio, bucket, port, workers=2),
                                 env={"NOTIFY_SOCKET": ns.path}, wait=False)
        _, kv, _ = ns.wait("READY", "1")
        # READY=1 means the workers accept now: both have the listening
        # socket in their epoll set already.
        kids = d.children()
        listening = port_sockets(port, "0A")
        assert len(kids) == 2 and listening
        for k in kids:
            assert accepts_on(k, listening), "worker %d does not accept at READY=1" % k
        assert not accepts_on(d.pid, listening), "the master polls the listening socket"
        assert d.get("/", timeout=2).body == b"notify\n"
        assert kv.get("MAINPID", str(d.pid)) == str(d.pid)

        d.signal(signal.SIGHUP)
        t_sig = time.clock_gettime(time.CLOCK_MONOTONIC)
        _, kv, raw = ns.wait("RELOADING", "1", timeout=10)
        assert "MONOTONIC_USEC" in kv, raw
        usec = int(kv["MONOTONIC_USEC"])
        now = time.clock_gettime(time.CLOCK_MONOTONIC)
        assert (t_sig - 1) * 1e6 <= usec <= now * 1e6, (usec, t_sig, now)
        ns.wait("READY", "1", timeout=20)
        assert d.get("/", timeout=2).body == b"notify\n"
        d.wait_log(r"reloaded: generation 2 serving")

        d.signal(signal.SIGTERM)
        ns.wait("STOPPING", "1", timeout=10)
        assert wait_exit(d, 15) == 0
        order = [k for _, m, _ in ns.messages for k in ("READY", "RELOADING", "STOPPING")
                 if m.get(k) == "1"]
        assert order == ["READY", "RELOADING", "READY", "STOPPING"], order
    finally:
        ns.close()


def _watchdog_intervals(ns, d, seconds):
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        ns.recv(t_end - time.monotonic())
    times = [t for t, kv, _ in ns.messages if kv.get("WATCHDOG") == "1"]
    return times, [b - a for a, b in zip(times, times[1:])]


def test_sd_watchdog_pings_within_watchdog_usec(minio, bucket, daemon_factory, tmp_path):
    port = harness.free_port()
    ns = NotifySocket(tmp_path / "notify.sock")
    try:
        # The deadline grows with harness.SLOWDOWN: the daemon pings at
        # half of whatever it is told, and must never let it pass.
        wd = harness.bound(0.5)
        d = daemon_factory.start(cfg(minio, bucket, port, workers=2),
                                 env={"NOTIFY_SOCKET": ns.path,
                                      "WATCHDOG_USEC": str(int(wd * 1e6))},
                                 wait=False)
        ns.wait("READY", "1")
        times, gaps = _watchdog_intervals(ns, d, 6 * wd)
        # systemd kills the service when WATCHDOG_USEC passes without a ping.
        assert len(times) >= 8, "only %d WATCHDOG=1 in %.1fs: %r" % (len(times), 6 * wd, gaps)
        assert max(gaps) < wd, "gaps between WATCHDOG=1 (WATCHDOG_USEC=%d): %s" % (
            wd * 1e6, ", ".join("%.3f" % g for g in gaps))
    finally:
        ns.close()


def test_sd_watchdog_pid_selects_the_process(minio, bucket, daemon_factory, tmp_path):
    """WATCHDOG_PID set to the master's own pid (through an exec wrapper, as
    systemd does for the main process) keeps the pings; another pid stops them."""
    wrapper = tmp_path / "wd-wrapper.sh"
    wrapper.write_text('#!/bin/sh\nWATCHDOG_PID=$$ exec "%s" "$@"\n' % harness.bin("s3wwwd"))
    wrapper.chmod(0o755)
    port = harness.free_port()
    ns = NotifySocket(tmp_path / "notify.sock")
    try:
        d = daemon_factory.start(cfg(minio, bucket, port, workers=1), binary=str(wrapper),
                                 env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "500000"},
                                 wait=False)
        ns.wait("READY", "1")
        times, gaps = _watchdog_intervals(ns, d, 2.0)
        assert len(times) >= 1, ns.messages
    finally:
        ns.close()

    port = harness.free_port()
    ns = NotifySocket(tmp_path / "notify2.sock")
    try:
        d = daemon_factory.start(cfg(minio, bucket, port, workers=1),
                                 env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "500000",
                                      "WATCHDOG_PID": "1"}, wait=False)
        ns.wait("READY", "1")
        times, _ = _watchdog_intervals(ns, d, 2.0)
        assert times == [], "WATCHDOG=1 sent although WATCHDOG_PID names another process"
    finally:
        ns.close()


SOCKET_ACTIVATION_WRAPPER = r'''
import os, socket, sys
# What systemd does for a socket unit: bind, listen, pass as fd 3, and set
# LISTEN_FDS and LISTEN_PID (the pid that will run the service: ours, since
# we exec it).
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3, inheritable=True)
    s.close()
else:
    os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
'''


def test_socket_activation_serves_on_the_passed_socket(minio, s3, bucket, daemon_factory,
                                                       tmp_path):
    put_object(s3, bucket, "index.html", "activated\n", "text/html")
    act_port, cfg_port = harness.free_port(), harness.free_port()
    wrapper = tmp_path / "activate.py"
    wrapper.write_text(SOCKET_ACTIVATION_WRAPPER)
    launcher = tmp_path / "activate.sh"
    launcher.write_text('#!/bin/sh\nexec "%s" "%s" %d "%s" "$@"\n'
                        % (sys.executable, wrapper, act_port, harness.bin("s3wwwd")))
    launcher.chmod(0o755)
    d = daemon_factory.start(cfg(minio, bucket, cfg_port, workers=2), binary=str(launcher),
                             port=act_port)
    d.wait_log(r"using 1 socket\(s\) from systemd")
    d.wait_log(r"serving .* with 2 workers")
    for _ in range(4):
        r = http(act_port, "GET", "/")
        assert (r.status, r.body) == (200, b"activated\n")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", cfg_port), timeout=1).close()
    assert not port_sockets(cfg_port, "0A")
    # The workers serve it, so it survives a reload too.
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation 2 serving", start=mark)
    assert http(act_port, "GET", "/").body == b"activated\n"


# ---------------------------------------------------------------------------
# privileges

def test_privilege_drop_after_binding_a_low_port(minio, s3, bucket, daemon_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root to test dropping privileges (running as uid %d)" % os.geteuid())
    import pwd
    nobody = pwd.getpwnam("nobody")
    port = 81
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    except OSError as e:
        pytest.skip("127.0.0.1:81 is not free: %s" % e)
    put_object(s3, bucket, "index.html", "as nobody\n", "text/html")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2,
                                          extra='user = "nobody";'), 2, port=port)
    d.wait_log(r"running as nobody")
    r = http(port, "GET", "/")
    assert (r.status, r.body) == (200, b"as nobody\n")
    for pid in [d.pid] + d.children():
        uids = [int(x) for x in proc_status(pid, "Uid")]
        gids = [int(x) for x in proc_status(pid, "Gid")]
        assert uids == [nobody.pw_uid] * 4, (pid, uids)
        assert gids == [nobody.pw_gid] * 4, (pid, gids)
        assert proc_status(pid, "Groups") == [str(nobody.pw_gid)], pid
        assert proc_status(pid, "CapEff") == ["0000000000000000"], pid
    # A replacement worker is unprivileged as well.
    kids = d.children()
    os.kill(kids[0], signal.SIGKILL)
    new = wait_for(lambda: (lambda c: c if len(c) == 2 and kids[0] not in c else None)(
        d.children()), 5, what="a replacement worker")
    for pid in new:
        assert int(proc_status(pid, "Uid")[0]) == nobody.pw_uid
    assert http(port, "GET", "/").status == 200


# ---------------------------------------------------------------------------
# memory

HUGE_MIB = 100


class RssSampler:
    """Samples VmRSS of `pid` every 20 ms in a thread."""

    def __init__(self, pid):
        self.pid = pid
        self.max_kib = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.max_kib = max(self.max_kib, rss_kib(self.pid))
            except (OSError, KeyError):
                return
            time.sleep(0.02)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(5)


def test_memory_stays_flat_for_a_100mib_download(minio, s3, bucket, daemon_factory):
    from boto3.s3.transfer import TransferConfig
    import io
    data = os.urandom(HUGE_MIB << 20)
    digest = hashlib.sha256(data).hexdigest()
    s3.upload_fileobj(io.BytesIO(data), bucket, "huge.bin",
                      Config=TransferConfig(multipart_threshold=16 << 20,
                                            multipart_chunksize=16 << 20))
    del data
    put_object(s3, bucket, "warm.bin", os.urandom(256 << 10))
    port = harness.free_port()
    # One worker: the one that serves the download is known.
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=1), 1)
    worker = d.children()[0]
    for _ in range(3):        # warm up libcurl, the connection pool, buffers
        assert d.get("/warm.bin").status == 200
    base = rss_kib(worker)
    limit = base + 20 * 1024

    # A fast reader.
    with RssSampler(worker) as smp:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        with s:
            s.sendall(get_request(port, "/huge.bin"))
            head, first = read_response_head(s)
            assert head.startswith(b"HTTP/1.1 200 ") and content_length(head) == HUGE_MIB << 20
            h, got = hashlib.sha256(first), len(first)
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
                got += len(chunk)
    assert got == HUGE_MIB << 20 and h.hexdigest() == digest
    hwm = rss_kib(worker, "VmHWM")
    print("worker RSS before %d KiB, max sampled %d KiB, VmHWM %d KiB"
          % (base, smp.max_kib, hwm))
    assert smp.max_kib <= limit and hwm <= limit, \
        "worker RSS before %d KiB, max sampled %d KiB, VmHWM %d KiB" % (base, smp.max_kib, hwm)

    # A slow reader: 1 MiB, then a 2 s pause, three times; then the rest.
    base = rss_kib(worker)
    limit = base + 20 * 1024
    with RssSampler(worker) as smp:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        with s:
            s.sendall(get_request(port, "/huge.bin"))
            head, first = read_response_head(s)
            assert head.startswith(b"HTTP/1.1 200 ")
            h, got = hashlib.sha256(first), len(first)
            for pause in range(3):
                target = got + (1 << 20)
                while got < target:
                    chunk = s.recv(min(65536, target - got))
                    assert chunk, "closed at %d bytes" % got
                    h.update(chunk)
                    got += len(chunk)
                time.sleep(2)
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
                got += len(chunk)
    assert got == HUGE_MIB << 20, got
    assert h.hexdigest() == digest
    hwm = rss_kib(worker, "VmHWM")
    print("worker RSS before %d KiB, max sampled %d KiB, VmHWM %d KiB"
          % (base, smp.max_kib, hwm))
    assert smp.max_kib <= limit and hwm <= limit, \
        "worker RSS before %d KiB, max sampled %d KiB, VmHWM %d KiB" % (base, smp.max_kib, hwm)
    assert d.children() == [worker]


# ---------------------------------------------------------------------------
# MinIO going away

def test_minio_down_gives_fast_502_and_recovers(minio, s3, bucket, daemon_factory):
    port = harness.free_port()
    put_object(s3, bucket, "index.html", "up\n", "text/html")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=2), 2)
    kids = sorted(d.children())
    for _ in range(4):
        assert d.get("/").status == 200
        assert d.get("/readyz").status == 200
    minio.stop()
    try:
        time.sleep(1.1)       # past the per-worker cache of the readiness answer
        for _ in range(6):
            t0 = time.monotonic()
            r = d.get("/", timeout=5)
            took = time.monotonic() - t0
            assert r.status == 502, r
            assert took < harness.bound(2), "502 took %.2fs" % took
            t0 = time.monotonic()
            r = d.get("/readyz", timeout=5)
            assert r.status == 503, r
            assert time.monotonic() - t0 < harness.bound(2)
        assert d.get("/healthz").status == 200     # the process itself is fine
    finally:
        minio.start()
    r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(d.get("/")), 10,
                 interval=0.2, what="200 after MinIO came back")
    assert r.body == b"up\n"
    wait_for(lambda: d.get("/readyz").status == 200, 10, interval=0.2,
             what="/readyz 200 after MinIO came back")
    # Each worker keeps its readiness answer for a second: let the other
    # worker's "not ready" run out before asking every worker again.
    time.sleep(1.1)
    for _ in range(4):
        assert d.get("/readyz").status == 200
    assert sorted(d.children()) == kids and d.running
