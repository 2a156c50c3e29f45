"""Integration tests of how the workers share the connections (issue 15),
against the real daemon and the real MinIO of the session.

When the master binds the address itself, each worker slot has a listening
socket of its own (SO_REUSEPORT) and the kernel puts each new connection in
one of them at random; the master owns the sockets, so that a reload, a
worker killed, an upgrade or a change of the worker count loses nothing.
Under socket activation the workers share systemd's socket, as before.

What is covered: connections opened all at once are spread over the
workers; each worker waits on its own socket, which the master holds;
reloads under load with the worker count unchanged, lower and higher; an
upgrade under load, also with a new worker count; a worker killed under
load; socket activation (a Python wrapper that passes fd 3 as systemd does,
and systemd-socket-activate itself when it is installed).

Who holds which connection is read from /proc, as bench/bench.py does:
/proc/PID/fd against /proc/net/tcp, and the epoll registrations in
/proc/PID/fdinfo.
"""

import os
import re
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

import pytest

import harness
from harness import (connections_per_process, fd_sockets, polled_listeners, port_sockets,
                     put_object, start_serving, wait_for)
from test_process import (SOCKET_ACTIVATION_WRAPPER, LoadGen, cfg, content_length,
                          get_request, read_response_head, replace_program)


BODY = b"balance test body " * 20


# ---------------------------------------------------------------------------
# helpers

def open_at_once(port, n, timeout=10):
    """n connections to the port, begun together: non-blocking connects in a
    tight loop, the way wrk opens its connections, then waited for."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            socks.append(s)
            s.connect_ex(("127.0.0.1", port))
        end = time.monotonic() + timeout
        for s in socks:
            _, w, _ = select.select([], [s], [], max(0.0, end - time.monotonic()))
            assert w, "a connection to port %d did not complete in %ss" % (port, timeout)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            assert err == 0, "connect: %s" % os.strerror(err)
            s.setblocking(True)
            s.settimeout(timeout)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def one_request_each(socks, port, path, body):
    """A keep-alive GET on every connection (all sent, then all read), so
    that each one has been accepted and served by some worker."""
    req = get_request(port, path, keep_alive=True)
    for s in socks:
        s.sendall(req)
    for s in socks:
        head, got = read_response_head(s)
        assert head.startswith(b"HTTP/1.1 200 "), head
        while len(got) < content_length(head):
            chunk = s.recv(65536)
            assert chunk, "closed in the middle of a body"
            got += chunk
        assert got == body


def split(d, port, n, path="/small.txt", body=BODY, one_by_one=False):
    """Open n connections, one request each, and keep them; returns {worker
    pid: connections it holds}, then closes them and waits until no worker
    holds one any more.  The connections are begun together (as wrk opens
    them), or with one_by_one each is served before the next is opened."""
    kids = d.children()
    socks = []
    try:
        if one_by_one:
            for _ in range(n):
                socks += open_at_once(port, 1)
                one_request_each(socks[-1:], port, path, body)
        else:
            socks = open_at_once(port, n)
            one_request_each(socks, port, path, body)
        counts = connections_per_process(kids, port)
    finally:
        for s in socks:
            s.close()
    wait_for(lambda: not any(connections_per_process(kids, port).values()), 10,
             what="the workers to close the test's connections")
    assert sum(counts.values()) == n, "only %d of %d connections found in the workers: %r" % (
        sum(counts.values()), n, counts)
    return counts


def fmt(counts):
    """"40/24": the connections per worker, most first, as bench/README.md writes them."""
    return "/".join(str(c) for c in sorted(counts.values(), reverse=True))


def own_listeners(d, port):
    """{worker pid: the listening sockets on port it waits on}."""
    return {k: polled_listeners(k, port) for k in d.children()}


def write_workers(d, minio, bucket, port, workers):
    with open(d.config_path, "w") as f:
        f.write(cfg(minio, bucket, port, workers=workers))


def reload_to(d, gen, timeout=20):
    mark = len(d.log())
    d.signal(signal.SIGHUP)
    d.wait_log(r"reloaded: generation %d serving" % gen, start=mark, timeout=timeout)
    return mark


def wait_listening(port, n, what):
    """Wait until exactly n sockets listen on the port; returns their inodes."""
    return wait_for(lambda: (lambda ls: ls if len(ls) == n else None)(port_sockets(port, "0A")),
                    15, what="%d listening sockets %s (have %d)"
                    % (n, what, len(port_sockets(port, "0A"))))


def assert_one_socket_per_worker(d, port, n):
    """n workers, each waiting on a listening socket of its own and on no
    other; the master holds all of them."""
    kids = d.children()
    assert len(kids) == n, kids
    listening = port_sockets(port, "0A")
    assert len(listening) == n, "%d listening sockets for %d workers" % (len(listening), n)
    own = own_listeners(d, port)
    for k, ls in own.items():
        assert len(ls) == 1, "worker %d waits on %d listening sockets" % (k, len(ls))
        # It does not even hold the others' sockets open.
        assert set(fd_sockets(k).values()) & listening == ls, k
    assert set().union(*own.values()) == listening, "two workers share a socket: %r" % own
    assert listening <= set(fd_sockets(d.pid).values()), "the master does not hold them all"


class FreshGen:
    """`threads` threads, each sending GET `path` with Connection: close on
    a new connection, again and again until stop().  A new connection has
    no stale state to excuse: any failure counts (refused, reset, closed
    before the whole answer, timeout, a wrong answer)."""

    def __init__(self, port, path, body, threads=4, timeout=10.0):
        self.port = port
        self.path = path
        self.body = body
        self.timeout = timeout
        self.lock = threading.Lock()
        self.ok = 0
        self.failures = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name="fresh-%d" % i, daemon=True)
                         for i in range(threads)]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        assert not any(t.is_alive() for t in self._threads), "fresh threads did not finish"

    def _fail(self, what):
        with self.lock:
            self.failures.append("%s: %s" % (time.strftime("%H:%M:%S"), what))

    def _run(self):
        req = get_request(self.port, self.path)
        while not self._stop.is_set():
            try:
                data = harness.http_raw(self.port, req, timeout=self.timeout)
                r = harness.parse_response(data, "GET")
            except (OSError, ValueError) as e:
                self._fail("%r" % e)
                time.sleep(0.02)
                continue
            if r.status != 200 or r.body != self.body:
                self._fail("got %r" % r)
                continue
            with self.lock:
                self.ok += 1

    def wait_count(self, n, timeout):
        wait_for(lambda: self.ok >= n, timeout, what="%d fresh requests (have %d)"
                 % (n, self.ok))


def no_failures(what, load, fresh):
    print("%s: %d keep-alive requests (%d retried on a closed idle connection), "
          "%d on new connections" % (what, load.ok, load.retries, fresh.ok))
    failures = ["keep-alive " + f for f in load.failures] + ["new " + f for f in fresh.failures]
    assert failures == [], "%d failures:\n%s" % (len(failures), "\n".join(failures[:20]))


def serving(minio, s3, bucket, daemon_factory, workers, **kw):
    port = harness.free_port()
    put_object(s3, bucket, "small.txt", BODY, "text/plain")
    d = start_serving(daemon_factory, cfg(minio, bucket, port, workers=workers), workers, **kw)
    return d, port


# ---------------------------------------------------------------------------
# the spread

def test_connections_opened_at_once_are_spread_over_the_workers(
        minio, s3, bucket, daemon_factory):
    """2 workers, 16 and then 64 keep-alive connections opened at once (the
    way wrk opens them): each worker holds a fair share.  Before issue 15
    the first worker woken took them all (16/0, 64/0).  The kernel picks a
    socket at random, so the split is binomial: the bounds fail by chance
    less than once in a thousand runs."""
    d, port = serving(minio, s3, bucket, daemon_factory, 2)
    rounds = []
    for n, times in ((16, 3), (64, 2)):
        for _ in range(times):
            rounds.append((n, split(d, port, n)))
    print("connections per worker, opened at once: "
          + ", ".join("%d: %s" % (n, fmt(c)) for n, c in rounds))
    report = "splits: %s" % ", ".join("%d: %s" % (n, fmt(c)) for n, c in rounds)
    for n, counts in rounds:
        assert len(counts) == 2, counts
        # 16: each worker at least 1 (P(fail) = 2/65536 per round);
        # 64: each at least 16, a quarter (P(fail) < 1e-4 per round).
        assert min(counts.values()) >= (1 if n == 16 else n // 4), report
    totals = {}
    for n, counts in rounds:
        if n == 16:
            for k, c in counts.items():
                totals[k] = totals.get(k, 0) + c
    # 48 connections in three rounds: each worker at least a quarter.
    assert min(totals.values()) >= 12, report
    assert_one_socket_per_worker(d, port, 2)


def test_spread_follows_the_worker_count_across_reloads(minio, s3, bucket, daemon_factory):
    """After a reload to 4 workers, new connections reach all four; after
    one back to 2, the two sockets that stay, which are the same sockets."""
    d, port = serving(minio, s3, bucket, daemon_factory, 2)
    first = port_sockets(port, "0A")
    assert len(first) == 2
    old = set(d.children())
    write_workers(d, minio, bucket, port, 4)
    reload_to(d, 2)
    wait_for(lambda: (lambda c: len(c) == 4 and not old & c)(set(d.children())), 10,
             what="4 new workers")
    four = port_sockets(port, "0A")
    assert len(four) == 4 and first <= four
    assert_one_socket_per_worker(d, port, 4)
    counts = split(d, port, 64)
    print("64 connections over 4 workers: %s" % fmt(counts))
    # Binomial(64, 1/4) for each: fewer than 4 has a probability below 1e-4.
    assert len(counts) == 4 and min(counts.values()) >= 4, fmt(counts)

    old = set(d.children())
    write_workers(d, minio, bucket, port, 2)
    mark = reload_to(d, 3)
    d.wait_log(r"closed 2 socket\(s\) of removed worker slots", start=mark, timeout=20)
    wait_for(lambda: (lambda c: len(c) == 2 and not old & c)(set(d.children())), 10,
             what="2 new workers")
    two = wait_listening(port, 2, "after going back to 2 workers")
    assert two <= four
    assert_one_socket_per_worker(d, port, 2)
    counts = split(d, port, 64)
    print("64 connections over 2 workers: %s" % fmt(counts))
    assert len(counts) == 2 and min(counts.values()) >= 16, fmt(counts)


# ---------------------------------------------------------------------------
# reloads, upgrades and kills under load

def test_reloads_under_load_keep_every_connection(minio, s3, bucket, daemon_factory):
    """Under keep-alive load and a stream of new connections: reloads with
    the worker count unchanged, from 2 to 4 and from 4 to 2.  No request
    fails (the keep-alive ones may be retried as real clients do when an
    idle connection is closed under them); the sockets that stay are the
    same sockets; those of the removed slots close once emptied."""
    d, port = serving(minio, s3, bucket, daemon_factory, 2)
    load = LoadGen(port, "/small.txt", BODY, conns=16).start()
    fresh = FreshGen(port, "/small.txt", BODY, threads=4).start()
    try:
        load.wait_count(300, 20)
        fresh.wait_count(50, 20)
        gen = 1
        for workers in (2, 4, 4, 2, 2):
            before = port_sockets(port, "0A")
            old = set(d.children())
            write_workers(d, minio, bucket, port, workers)
            gen += 1
            mark = reload_to(d, gen)
            wait_for(lambda: not old & set(d.children()), 30, what="the old workers to exit")
            if workers < len(before):
                d.wait_log(r"closed %d socket\(s\) of removed worker slots"
                           % (len(before) - workers), start=mark, timeout=20)
            after = wait_listening(port, workers, "after the reload to %d" % workers)
            assert (after <= before) if workers <= len(before) else (before <= after)
            assert_one_socket_per_worker(d, port, workers)
            load.wait_count(load.ok + 300, 20)
            fresh.wait_count(fresh.ok + 30, 20)
    finally:
        load.stop()
        fresh.stop()
    no_failures("reloads 2, 2->4, 4, 4->2, 2", load, fresh)


def test_upgrade_under_load_hands_every_socket_over(minio, s3, bucket, daemon_factory, tmp_path):
    """The program file replaced, then SIGHUP: the master executes the new
    program with its sockets (all four, named in LISTEN_FDNAMES), which
    keeps them one per worker.  A second upgrade comes with the worker
    count lowered to 2.  Under load, nothing fails."""
    exe = tmp_path / "bin" / "s3wwwd"
    exe.parent.mkdir()
    shutil.copy2(harness.bin("s3wwwd"), exe)
    d, port = serving(minio, s3, bucket, daemon_factory, 4, binary=str(exe))
    master = d.pid
    load = LoadGen(port, "/small.txt", BODY, conns=16).start()
    fresh = FreshGen(port, "/small.txt", BODY, threads=4).start()
    try:
        load.wait_count(300, 20)
        for workers in (4, 2):
            before = port_sockets(port, "0A")
            assert len(before) == 4
            old = set(d.children())
            write_workers(d, minio, bucket, port, workers)
            replace_program(exe, harness.bin("s3wwwd"))
            mark = len(d.log())
            d.signal(signal.SIGHUP)
            d.wait_log(r"using 4 socket\(s\) from the program before the upgrade", start=mark,
                       timeout=30)
            d.wait_log(r"serving .* with %d workers" % workers, start=mark, timeout=30)
            wait_for(lambda: not old & set(d.children()), 30, what="the old workers to exit")
            if workers < 4:
                d.wait_log(r"closed 2 socket\(s\) of removed worker slots", start=mark,
                           timeout=20)
            after = wait_listening(port, workers, "after the upgrade")
            assert after <= before and (workers < 4 or after == before), \
                "the upgraded master bound new sockets instead of taking the old ones"
            assert d.pid == master and d.running
            assert_one_socket_per_worker(d, port, workers)
            load.wait_count(load.ok + 300, 20)
            fresh.wait_count(fresh.ok + 30, 20)
    finally:
        load.stop()
        fresh.stop()
    assert "while stopping" not in d.log(), d.log_tail()
    no_failures("upgrades", load, fresh)


def test_worker_killed_under_load_loses_only_its_requests_in_flight(
        minio, s3, bucket, daemon_factory):
    """SIGKILL to a worker under load: only requests in flight on the
    connections it held may fail; new connections keep being served, those
    the kernel put in its socket by the worker that replaces it, on the same
    socket."""
    d, port = serving(minio, s3, bucket, daemon_factory, 2)
    load = LoadGen(port, "/small.txt", BODY, conns=16).start()
    fresh = FreshGen(port, "/small.txt", BODY, threads=4).start()
    lost = 0
    try:
        load.wait_count(300, 20)
        for _ in range(3):
            kids = d.children()
            victim = kids[0]
            own = polled_listeners(victim, port)
            assert len(own) == 1
            listening = port_sockets(port, "0A")
            held = connections_per_process([victim], port)[victim]
            os.kill(victim, signal.SIGKILL)
            # At most one request in flight on each connection it held, and
            # on each new connection a FreshGen thread had open then.
            lost += held + 4
            new = wait_for(lambda: (lambda c: c if len(c) == 2 and victim not in c else None)(
                d.children()), 5, what="a replacement worker")
            (repl,) = set(new) - set(kids)
            wait_for(lambda: polled_listeners(repl, port) == own, 5,
                     what="the replacement to accept on the socket of the worker it replaces")
            assert port_sockets(port, "0A") == listening
            fresh.wait_count(fresh.ok + 30, 20)
            load.wait_count(load.ok + 300, 20)
    finally:
        load.stop()
        fresh.stop()
    failures = load.failures + fresh.failures
    print("kills: %d keep-alive requests (%d retried), %d new; %d failed (bound %d)"
          % (load.ok, load.retries, fresh.ok, len(failures), lost))
    if failures:
        print("\n".join(failures))
    assert len(failures) <= lost, "\n".join(failures[:20])
    # None of them was a refused connection or a request left hanging.
    assert not [f for f in failures if "Refused" in f or "imeout" in f], "\n".join(failures)


def test_more_workers_after_dropping_privileges_take_spare_sockets(
        minio, s3, bucket, daemon_factory):
    """Started as root with user = "nobody", the master binds its sockets
    and spares (up to twice the CPUs) before dropping privileges: the kernel
    lets no other user add a socket to the group.  A reload to more workers
    makes spares listen; beyond them, workers share a socket.  Under load,
    nothing fails."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges (running as uid %d)" % os.geteuid())
    cpus = os.cpu_count() or 1
    spares = min(64, 2 * cpus - 1)
    if spares > 7:
        pytest.skip("%d CPUs: %d spare sockets, too many workers for this test" % (cpus, spares))
    put_object(s3, bucket, "small.txt", BODY, "text/plain")
    port = harness.free_port()
    # The master reads its configuration again as nobody on a reload.
    confdir = tempfile.mkdtemp(prefix="s3wwwd-balance-")
    os.chmod(confdir, 0o755)
    conf = os.path.join(confdir, "s3wwwd.conf")

    def write(workers):
        with open(conf, "w") as f:
            f.write(cfg(minio, bucket, port, workers=workers, extra='user = "nobody";'))
        os.chmod(conf, 0o644)

    try:
        write(1)
        d = daemon_factory.start(None, args=["-c", conf], port=port)
        d.wait_log(r"running as nobody")
        d.wait_log(r"serving .* with 1 workers")
        load = LoadGen(port, "/small.txt", BODY, conns=8).start()
        fresh = FreshGen(port, "/small.txt", BODY, threads=2).start()
        try:
            load.wait_count(100, 20)
            write(1 + spares)
            reload_to(d, 2)
            wait_listening(port, 1 + spares, "with the spares listening")
            wait_for(lambda: len(d.children()) == 1 + spares, 10, what="the new workers")
            assert_one_socket_per_worker(d, port, 1 + spares)
            load.wait_count(load.ok + 200, 20)
            write(2 + spares)
            mark = reload_to(d, 3)
            assert re.search(r"%d workers but %d sockets .*some workers share one"
                             % (2 + spares, 1 + spares), d.log()[mark:]), d.log_tail()
            wait_for(lambda: len(d.children()) == 2 + spares, 10, what="the new workers")
            assert len(port_sockets(port, "0A")) == 1 + spares
            load.wait_count(load.ok + 200, 20)
            fresh.wait_count(fresh.ok + 20, 20)
        finally:
            load.stop()
            fresh.stop()
        no_failures("more workers as nobody", load, fresh)
    finally:
        shutil.rmtree(confdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# socket activation: one socket, shared

def activation_launcher(tmp_path, port):
    wrapper = tmp_path / "activate.py"
    wrapper.write_text(SOCKET_ACTIVATION_WRAPPER)
    launcher = tmp_path / "activate.sh"
    launcher.write_text('#!/bin/sh\nexec "%s" "%s" %d "$(dirname "$0")/bin/s3wwwd" "$@"\n'
                        % (sys.executable, wrapper, port))
    launcher.chmod(0o755)
    exe = tmp_path / "bin" / "s3wwwd"
    exe.parent.mkdir(exist_ok=True)
    shutil.copy2(harness.bin("s3wwwd"), exe)
    return launcher, exe


def assert_shared(d, port):
    listening = port_sockets(port, "0A")
    assert len(listening) == 1, "%d listening sockets under socket activation" % len(listening)
    for k, ls in own_listeners(d, port).items():
        assert ls == listening, "worker %d does not wait on the passed socket" % k


def start_activated(minio, s3, bucket, daemon_factory, tmp_path):
    """A daemon with 2 workers started the way systemd starts it, on a
    socket passed as fd 3; returns it, that socket's port, the (unused)
    port of its configuration and the copy of the program it runs."""
    put_object(s3, bucket, "small.txt", BODY, "text/plain")
    act_port, cfg_port = harness.free_port(), harness.free_port()
    launcher, exe = activation_launcher(tmp_path, act_port)
    d = daemon_factory.start(cfg(minio, bucket, cfg_port, workers=2), binary=str(launcher),
                             port=act_port)
    d.wait_log(r"using 1 socket\(s\) from systemd")
    d.wait_log(r"one listening socket shared by the workers")
    d.wait_log(r"serving .* with 2 workers")
    assert_shared(d, act_port)
    return d, act_port, cfg_port, exe


def test_socket_activation_shares_the_passed_socket_across_reload_and_upgrade(
        minio, s3, bucket, daemon_factory, tmp_path):
    """Socket activation (fd 3, LISTEN_FDS, LISTEN_PID, as systemd passes
    it): the workers share that one socket, as before issue 15, through a
    reload that changes the worker count and an upgrade, under load."""
    d, act_port, cfg_port, exe = start_activated(minio, s3, bucket, daemon_factory, tmp_path)
    assert not port_sockets(cfg_port, "0A")
    passed = port_sockets(act_port, "0A")
    load = LoadGen(act_port, "/small.txt", BODY, conns=8).start()
    fresh = FreshGen(act_port, "/small.txt", BODY, threads=2).start()
    try:
        load.wait_count(200, 20)
        with open(d.config_path, "w") as f:
            f.write(cfg(minio, bucket, cfg_port, workers=3))
        reload_to(d, 2)
        wait_for(lambda: len(d.children()) == 3, 10, what="3 workers")
        assert_shared(d, act_port)
        load.wait_count(load.ok + 200, 20)
        mark = len(d.log())
        replace_program(exe, harness.bin("s3wwwd"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"using 1 socket\(s\) from the program before the upgrade", start=mark,
                   timeout=30)
        d.wait_log(r"one listening socket shared by the workers", start=mark)
        d.wait_log(r"serving .* with 3 workers", start=mark, timeout=30)
        wait_for(lambda: len(d.children()) == 3, 30, what="the old workers to exit")
        assert_shared(d, act_port)
        assert port_sockets(act_port, "0A") == passed
        load.wait_count(load.ok + 200, 20)
        fresh.wait_count(fresh.ok + 20, 20)
    finally:
        load.stop()
        fresh.stop()
    no_failures("socket activation", load, fresh)


def test_socket_activation_spreads_connections_over_the_workers(
        minio, s3, bucket, daemon_factory, tmp_path):
    """One socket shared by 2 workers (socket activation).  The kernel wakes
    the first worker in the socket's wait queue; a worker that accepted
    registers again, at the end of it.  So connections opened one after
    the other alternate between the workers, whether or not one is busy:
    20 give 10/10.  Before that, the same worker was always first and took
    all 20.  Bursts opened at once are printed, not judged: their split
    depends on how many are queued before a worker wakes (64 at once gave
    the other worker 80 to 96 of 192 over three rounds in 14 runs of 15,
    and 60 in one; 16 at once often all go to one worker)."""
    d, act_port, _, _ = start_activated(minio, s3, bucket, daemon_factory, tmp_path)
    wait_for(lambda: len(d.children()) == 2, 10, what="2 workers")
    one_by_one = split(d, act_port, 20, one_by_one=True)
    rounds = [(n, split(d, act_port, n)) for n in (16, 64, 64)]
    report = "shared socket: 20 one by one: %s; opened at once: %s" % (
        fmt(one_by_one), ", ".join("%d: %s" % (n, fmt(c)) for n, c in rounds))
    print(report)
    assert len(one_by_one) == 2 and min(one_by_one.values()) >= 8, report


def test_systemd_socket_activate_passes_the_socket(minio, s3, bucket, daemon_factory, tmp_path):
    """systemd's own tool for socket activation in development,
    systemd-socket-activate: it listens, and on the first connection
    executes the daemon with the socket as fd 3."""
    tool = shutil.which("systemd-socket-activate")
    if tool is None:
        pytest.skip("systemd-socket-activate is not installed")
    put_object(s3, bucket, "small.txt", BODY, "text/plain")
    act_port, cfg_port = harness.free_port(), harness.free_port()
    conf = tmp_path / "s3wwwd.conf"
    conf.write_text(cfg(minio, bucket, cfg_port, workers=2))
    d = daemon_factory.start(None, args=["-l", "127.0.0.1:%d" % act_port, harness.bin("s3wwwd"),
                                         "-c", str(conf)],
                             binary=tool, port=act_port)
    # The connection that wait_port made started the daemon.
    d.wait_log(r"using 1 socket\(s\) from systemd", timeout=15)
    d.wait_log(r"serving .* with 2 workers", timeout=15)
    r = harness.http(act_port, "GET", "/small.txt")
    assert (r.status, r.body) == (200, BODY)
    assert_shared(d, act_port)
    counts = split(d, act_port, 16)
    print("socket activation, 16 connections at once: %s" % fmt(counts))
