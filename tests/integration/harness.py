"""Integration-test harness for s3wwwd.

Runs a REAL MinIO server and the REAL daemon on loopback, and talks HTTP to
the daemon over raw sockets so that tests see the exact bytes on the wire.

Environment:
  S3WWWD_SRCDIR    source tree (default: two levels above this file)
  S3WWWD_BUILDDIR  where the built programs are (default: S3WWWD_SRCDIR)
  S3WWWD_MINIO     the minio binary (default: what `scripts/tools.sh minio`
                   prints; that builds it on first use, cached outside the tree)
  S3WWWD_KEEP_TMP  set to 1 to keep MinIO's temporary data/log directory
  S3WWWD_WRAPPER   a command to run each daemon under, e.g. valgrind with its
                   options (scripts/soak.sh --valgrind sets it)
  S3WWWD_TEST_SLOWDOWN  the factor every time bound is multiplied by (see
                   SLOWDOWN below)

The pytest fixtures built on this module live in conftest.py.
"""

import http.client as http_client  # "http" is a function below
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRCDIR = Path(os.environ.get("S3WWWD_SRCDIR") or HERE.parent.parent).resolve()
BUILDDIR = Path(os.environ.get("S3WWWD_BUILDDIR") or SRCDIR).resolve()

# How much slower than an idle machine the daemon may be.  Every upper bound
# on a duration that a test asserts (how long an answer may take, a TTL that
# some requests must fit in) is bound(seconds), that many seconds times
# SLOWDOWN, so that two shared cores under load, or a build that runs more
# slowly, fail only for a real reason.  Lower bounds (a timeout that must
# have passed) are causes, not measurements, and are not scaled.  2 holds on
# a two-core machine with two CPU-burning processes beside the suite;
# scripts/test.sh sets 4 for the ASan + UBSan build, scripts/soak.sh 25
# under valgrind.
SLOWDOWN = float(os.environ.get("S3WWWD_TEST_SLOWDOWN") or 2)


def bound(seconds):
    """An upper time bound of `seconds` on an idle machine, scaled."""
    return seconds * SLOWDOWN


def patience(seconds):
    """How long to wait for an event (a log line, a process to appear)
    before giving up.  Waiting longer proves nothing less, so these caps
    only grow: unchanged up to the default SLOWDOWN, by SLOWDOWN / 2 beyond
    (the sanitizer build, valgrind)."""
    return seconds * max(1.0, SLOWDOWN / 2)

# Never send loopback traffic (boto3 to MinIO) through a proxy from the env.
for _var in ("NO_PROXY", "no_proxy"):
    _cur = os.environ.get(_var, "")
    if "127.0.0.1" not in _cur.split(","):
        os.environ[_var] = ",".join(p for p in (_cur, "127.0.0.1", "localhost") if p)


def _tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "<cannot read %s: %s>" % (path, e)
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def _deadline_loop(timeout, interval=0.05):
    """Yield until `timeout` seconds have passed, sleeping `interval` between."""
    end = time.monotonic() + timeout
    while True:
        yield
        if time.monotonic() >= end:
            return
        time.sleep(interval)



def wait_for(pred, timeout, interval=0.02, what="condition"):
    """Poll pred() until it returns something truthy; return that value.
    `timeout` is scaled by patience()."""
    timeout = patience(timeout)
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            pytest.fail("timed out after %.1fs waiting for %s" % (timeout, what), pytrace=False)
        time.sleep(interval)


def start_serving(daemon_factory, config_text, workers=2, **kw):
    """Start the daemon and wait until the master says all workers accept."""
    d = daemon_factory.start(config_text, **kw)
    d.wait_log(r"serving .* with %d workers" % workers, timeout=15)
    return d


def metric(d, name, labels=None):
    """Value of one sample of the daemon's /metrics: the sum over the samples
    of that name whose labels include `labels`."""
    r = d.get("/metrics")
    assert r.status == 200, r
    total, seen = 0.0, False
    for line in r.text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        lab = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if labels and any(lab.get(k) != v for k, v in labels.items()):
            continue
        total += float(m.group(3))
        seen = True
    assert seen, "no sample %s%s in /metrics:\n%s" % (name, labels or "", r.text)
    return total

# ---------------------------------------------------------------------------
# ports and binaries

_given_ports = set()
_port_lock = threading.Lock()


def free_port():
    """A TCP port on 127.0.0.1 that was free just now.

    The kernel picks it (bind to port 0); the same port is never handed out
    twice in one test run, so two servers started by one test cannot collide.
    """
    with _port_lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _given_ports:
                _given_ports.add(port)
                return port
    raise RuntimeError("no free port found")


def bin(name):  # noqa: A001 - the API name other tests use
    """Absolute path of the built program `name` in S3WWWD_BUILDDIR.

    Fails the calling test with a clear message if it has not been built.
    """
    path = BUILDDIR / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail("%s has not been built (S3WWWD_BUILDDIR=%s); run `make` first"
                    % (path, BUILDDIR), pytrace=False)
    return str(path)


_minio_binary = None


def minio_binary():
    """Path of the minio binary: $S3WWWD_MINIO, else `scripts/tools.sh minio`."""
    global _minio_binary
    if _minio_binary:
        return _minio_binary
    path = os.environ.get("S3WWWD_MINIO")
    if not path:
        tools = SRCDIR / "scripts" / "tools.sh"
        proc = subprocess.run(["bash", str(tools), "minio"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            pytest.fail("`%s minio` failed (exit %d):\n%s" % (tools, proc.returncode, proc.stderr),
                        pytrace=False)
        path = lines[-1]
    if not os.access(path, os.X_OK):
        pytest.fail("minio binary %s is not executable" % path, pytrace=False)
    _minio_binary = path
    return path


# Not passed on to MinIO or the daemon: s3wwwd reads its settings from
# S3WWWD_*/S3WWW_* and AWS_*, MinIO from MINIO_*, and systemd's variables would
# make the daemon notify or log to a systemd the test did not set up.
_DROP_PREFIXES = ("AWS_", "MINIO_", "S3WWW")
_DROP_NAMES = ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
               "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "INVOCATION_ID")


def _clean_env(extra=None):
    """os.environ less the variables above, plus `extra` (None: remove)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_DROP_PREFIXES) and k not in _DROP_NAMES}
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def _stop_process(proc, sig, timeout):
    """Send `sig`, wait up to `timeout`, then SIGKILL. Returns the exit code."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def wait_port(port, timeout=10.0, host="127.0.0.1", proc=None):
    """Wait until host:port accepts a TCP connection.

    Returns True, or False on timeout.  If `proc` (a Popen) exits meanwhile,
    returns False at once.
    """
    for _ in _deadline_loop(timeout, 0.02):
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            pass
    return False


# ---------------------------------------------------------------------------
# MinIO

class MinIOError(RuntimeError):
    pass


# The `minio` fixture's server while the session runs (see conftest.py).
SESSION_MINIO = None


class MinIO:
    """A real `minio server` on 127.0.0.1, single drive in a temp directory.

    m = MinIO(); m.start()  ...  m.stop(); m.start()  # same port, same data
    """

    def __init__(self, binary=None, base_dir=None, access_key=None, secret_key=None, env=None):
        self.binary = binary or minio_binary()
        # More of MinIO's settings, e.g. {"MINIO_DOMAIN": "localhost"}.
        self.extra_env = dict(env or {})
        self._own_base = base_dir is None
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="s3wwwd-minio-"))
        self.data_dir = str(self.base_dir / "data")
        self.certs_dir = str(self.base_dir / "certs")   # empty: plain HTTP, ignores ~/.minio
        self.log_path = str(self.base_dir / "minio.log")
        os.makedirs(self.data_dir, exist_ok=True)
        os.makedirs(self.certs_dir, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = None
        self.console_port = None
        self.access_key = access_key or "test-" + secrets.token_hex(6)
        # MinIO refuses root passwords shorter than 8 characters.
        self.secret_key = secret_key or secrets.token_urlsafe(24)
        self.proc = None

    @property
    def endpoint(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def __repr__(self):
        return "<MinIO %s %s>" % (self.endpoint if self.port else "-",
                                   "running" if self.running else "stopped")

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        return _tail(self.log_path, lines)

    def ready(self, timeout=1.0):
        """True if GET /minio/health/ready answers 200 now."""
        try:
            r = http(self.port, "GET", "/minio/health/ready", timeout=timeout, host=self.host)
        except (OSError, ValueError):
            return False
        return r.status == 200

    def start(self, timeout=60.0):
        """Start the server (again) and wait until it is ready.

        The first start picks free ports (retrying if one was taken in the
        meantime); later starts reuse the same ports and data directory.
        """
        if self.running:
            raise MinIOError("MinIO is already running")
        first = self.port is None
        for attempt in range(3 if first else 1):
            if first:
                self.port, self.console_port = free_port(), free_port()
            self._spawn()
            err = self._wait_ready(timeout)
            if err is None:
                return self
            self.kill()
            if not (first and "already in use" in self.log_tail(20).lower()):
                break
        raise MinIOError("%s\n--- %s (last lines) ---\n%s"
                         % (err, self.log_path, self.log_tail()))

    def _spawn(self):
        env = _clean_env({
            "MINIO_ROOT_USER": self.access_key,
            "MINIO_ROOT_PASSWORD": self.secret_key,
            "MINIO_BROWSER": "off",
            "MINIO_UPDATE": "off",
            **self.extra_env,
        })
        cmd = [self.binary, "server",
               "--address", "%s:%d" % (self.host, self.port),
               "--console-address", "%s:%d" % (self.host, self.console_port),
               "--certs-dir", self.certs_dir,
               self.data_dir]
        with open(self.log_path, "ab") as log:
            log.write(("\n=== %s: %s\n" % (time.strftime("%H:%M:%S"), " ".join(cmd))).encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env,
                                         cwd=str(self.base_dir), start_new_session=True)

    def _wait_ready(self, timeout):
        for _ in _deadline_loop(timeout, 0.05):
            if self.proc.poll() is not None:
                return "minio exited with code %d during startup" % self.proc.returncode
            if self.ready(timeout=1.0):
                return None
        return "minio not ready after %.0fs on %s" % (timeout, self.endpoint)

    def stop(self, timeout=20.0):
        """SIGTERM, wait (SIGKILL after `timeout`); returns the exit code."""
        if self.proc is None:
            return None
        return _stop_process(self.proc, signal.SIGTERM, timeout)

    def kill(self):
        """SIGKILL, wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def restart(self, timeout=60.0):
        self.stop()
        return self.start(timeout)

    def close(self, keep=False):
        """Stop the server and remove its directory, unless `keep` or
        S3WWWD_KEEP_TMP=1 (then the directory, log included, stays)."""
        self.stop()
        if self._own_base and not keep and os.environ.get("S3WWWD_KEEP_TMP") != "1":
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # convenience
    def client(self, access_key=None, secret_key=None, **config):
        return s3_client(self, access_key, secret_key, **config)


def s3_client(minio, access_key=None, secret_key=None, **config):
    """A boto3 S3 client on `minio` (root credentials by default), path-style,
    region us-east-1.  Extra keyword arguments go to botocore's Config."""
    import boto3
    from botocore.config import Config

    cfg = dict(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        # Plain PUT bodies (no aws-chunked + trailing checksums): what the
        # daemon reads back should be exactly what the test stored.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    cfg.update(config)
    return boto3.client(
        "s3",
        endpoint_url=minio.endpoint,
        aws_access_key_id=access_key or minio.access_key,
        aws_secret_access_key=secret_key or minio.secret_key,
        region_name="us-east-1",
        config=Config(**cfg),
    )


def unique_bucket_name(hint="t"):
    """A valid, unused-looking S3 bucket name: lowercase hint + random suffix."""
    hint = re.sub(r"[^a-z0-9-]+", "-", hint.lower()).strip("-")[:40] or "t"
    return "%s-%s" % (hint, secrets.token_hex(5))


def empty_bucket(s3, bucket):
    """Delete every object, version and pending multipart upload in `bucket`."""
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for i in range(0, len(objs), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objs[i:i + 1000], "Quiet": True})
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for u in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])


def delete_bucket(s3, bucket):
    empty_bucket(s3, bucket)
    s3.delete_bucket(Bucket=bucket)


def put_object(s3, bucket, key, body, content_type=None, **extra):
    """s3.put_object with str bodies encoded as UTF-8; returns boto3's reply."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if content_type is not None:
        extra["ContentType"] = content_type
    return s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)


# ---------------------------------------------------------------------------
# the daemon

def _cfg_str(s):
    """A libconfig string literal."""
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"')


def daemon_config(minio, bucket, port, extra=""):
    """libconfig text for a daemon on 127.0.0.1:`port` serving `bucket`."""
    return (
        "listen = %s;\n"
        "workers = 2;\n"
        "s3: {\n"
        "\tendpoint = %s;\n"
        "\tbucket = %s;\n"
        "\taccess_key = %s;\n"
        "\tsecret_key = %s;\n"
        "\tregion = \"us-east-1\";\n"
        "};\n"
        "log: { level = \"info\"; };\n"
        "%s"
    ) % (_cfg_str("127.0.0.1:%d" % port), _cfg_str(minio.endpoint), _cfg_str(bucket),
         _cfg_str(minio.access_key), _cfg_str(minio.secret_key),
         extra + ("\n" if extra and not extra.endswith("\n") else ""))


_LISTEN_RE = re.compile(r'^\s*listen\s*[=:]\s*"(?:\[[^\]]*\]|[^"]*):(\d+)"', re.M)
_HOSTPORT_RE = re.compile(r"^(?:\[[^\]]*\]|[A-Za-z0-9.\-]*):(\d+)$")

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ",
                     "WARNING: ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")


class DaemonError(RuntimeError):
    pass


_SIGTERM = signal.SIGTERM     # the class below has a method named signal


class Daemon:
    """One s3wwwd process started by DaemonFactory.start()."""

    def __init__(self, proc, port, host, config_path, log_path, cmd):
        self.proc = proc
        self.port = port
        self.host = host
        self.config_path = config_path
        self.log_path = log_path
        self.cmd = cmd

    def __repr__(self):
        return "<Daemon pid=%s port=%s %s>" % (self.pid, self.port,
                                                "running" if self.running else "exited")

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def running(self):
        return self.proc.poll() is None

    @property
    def returncode(self):
        return self.proc.poll()

    def log(self):
        """Everything the daemon wrote to stdout/stderr so far."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        return _tail(self.log_path, lines)

    def wait_log(self, pattern, timeout=10.0, start=0):
        """Wait until the log (from offset `start`) matches the regex
        `pattern`; returns the match, or fails the test with the log.
        `timeout` is scaled by patience()."""
        timeout = patience(timeout)
        rx = re.compile(pattern)
        for _ in _deadline_loop(timeout, 0.05):
            m = rx.search(self.log()[start:])
            if m:
                return m
        pytest.fail("%r not seen in the daemon's log within %.1fs:\n%s"
                    % (pattern, timeout, self.log_tail()), pytrace=False)

    def signal(self, sig):
        """Send `sig` to the daemon (the master process)."""
        self.proc.send_signal(sig)

    def wait(self, timeout=10.0):
        """Wait for the daemon to exit; returns the exit code (negative if
        killed by a signal, as in subprocess).  Raises TimeoutExpired."""
        return self.proc.wait(timeout)

    def stop(self, sig=_SIGTERM, timeout=10.0):
        """Send `sig` and wait up to `timeout` for the exit; returns the exit
        code (negative: killed by that signal).  On timeout the process
        group is SIGKILLed and DaemonError is raised."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise DaemonError("s3wwwd (pid %d) did not exit within %.1fs of %s\n%s"
                                  % (self.pid, timeout, signal.Signals(sig).name,
                                     self.log_tail()))
        return self.proc.returncode

    def kill(self):
        """SIGKILL the daemon and anything left in its process group."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def group_pids(self):
        """Pids still in the daemon's process group (master and workers)."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d, "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2:].split()
            if fields[0] != b"Z" and int(fields[2]) == self.proc.pid:   # state, ppid, pgrp
                pids.append(int(d))
        return pids

    def children(self):
        """Pids of the daemon's direct children (its workers)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def sanitizer_errors(self):
        """Lines of the log that are sanitizer reports."""
        return [line for line in self.log().splitlines()
                if any(m in line for m in SANITIZER_MARKERS)]

    def get(self, path, headers=None, timeout=10):
        return http(self.port, "GET", path, headers=headers, timeout=timeout, host=self.host)

    def request(self, method, path, headers=None, body=None, timeout=10):
        return http(self.port, method, path, headers=headers, body=body, timeout=timeout,
                    host=self.host)


class DaemonFactory:
    """Starts s3wwwd processes for one test; stops them all in cleanup()."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.daemons = []
        self._n = 0

    def _paths(self):
        self._n += 1
        return (self.workdir / ("s3wwwd-%d.conf" % self._n),
                self.workdir / ("s3wwwd-%d.log" % self._n))

    def start(self, config_text=None, args=(), env=None, port=None, wait=True,
              timeout=15.0, binary=None, host="127.0.0.1"):
        """Run `<BUILDDIR>/s3wwwd -c <file with config_text> <args>`.

        The port to wait for is `port`, else the one in config_text's
        `listen = "HOST:PORT"`, else the first HOST:PORT in args.  With
        wait=True (default) returns once that port accepts connections and
        fails the test if the daemon exits first or the port stays closed;
        with wait=False returns at once (for daemons expected to exit).
        env: extra variables (None as a value removes one).  AWS_*, MINIO_*,
        S3WWW*, and systemd's NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*,
        JOURNAL_STREAM are not inherited from the test's environment.
        """
        config_path, log_path = self._paths()
        cmd = [binary or bin("s3wwwd")]
        if config_text is not None:
            config_path.write_text(config_text)
            cmd += ["-c", str(config_path)]
        else:
            config_path = None
        cmd += [str(a) for a in args]
        # S3WWWD_WRAPPER: a command to run the daemon under, e.g.
        # "valgrind --log-file=/tmp/vg.%p" (scripts/soak.sh --valgrind).  Not
        # for a test's own binary, which may be a wrapper itself.
        wrapper = os.environ.get("S3WWWD_WRAPPER")
        if wrapper and binary is None:
            cmd = shlex.split(wrapper) + cmd
        if port is None:
            port = self._find_port(config_text, args)
        if wait and port is None:
            pytest.fail("daemon_factory.start: no port to wait for; pass port= or a "
                        "listen = \"HOST:PORT\" in the config", pytrace=False)
        log = open(log_path, "ab")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, env=_clean_env(env),
                                    cwd=str(self.workdir), start_new_session=True)
        finally:
            log.close()
        d = Daemon(proc, port, host, str(config_path) if config_path else None,
                   str(log_path), cmd)
        self.daemons.append(d)
        if wait:
            timeout = patience(timeout)
            if not wait_port(port, timeout, host, proc):
                code = proc.poll()
                if code is None:
                    d.kill()
                    why = "port %d not accepting connections after %.1fs" % (port, timeout)
                else:
                    why = "s3wwwd exited with code %d before listening on port %d" % (code, port)
                pytest.fail("%s\ncommand: %s\n--- %s ---\n%s"
                            % (why, " ".join(cmd), log_path, d.log_tail()), pytrace=False)
        return d

    def run(self, config_text=None, args=(), env=None, timeout=15.0, binary=None):
        """Run s3wwwd to completion (e.g. a config check); returns
        (exit code, output).  Fails the test if it does not exit in time."""
        d = self.start(config_text, args, env, wait=False, binary=binary)
        try:
            code = d.wait(timeout)
        except subprocess.TimeoutExpired:
            d.kill()
            pytest.fail("s3wwwd %s did not exit within %.1fs:\n%s"
                        % (" ".join(d.cmd[1:]), timeout, d.log_tail()), pytrace=False)
        return code, d.log()

    @staticmethod
    def _find_port(config_text, args):
        if config_text:
            m = _LISTEN_RE.search(config_text)
            if m:
                return int(m.group(1))
        for a in args:
            m = _HOSTPORT_RE.match(str(a))
            if m:
                return int(m.group(1))
        return None

    def cleanup(self, timeout=10.0):
        """Stop every daemon (SIGTERM, then SIGKILL) and any leftover workers.
        Returns a list of problems (sanitizer reports) found in their logs."""
        problems = []
        for d in self.daemons:
            if d.running:
                try:
                    d.stop(signal.SIGTERM, timeout)
                except DaemonError:
                    pass
            d.kill()     # workers that outlived the master
            errs = d.sanitizer_errors()
            if errs:
                problems.append("sanitizer report in %s:\n%s" % (d.log_path, d.log_tail(80)))
        return problems


# ---------------------------------------------------------------------------
# raw HTTP

class HTTPTimeout(TimeoutError):
    """A raw read timed out; .data holds what had arrived."""

    def __init__(self, msg, data=b""):
        super().__init__(msg)
        self.data = data


class Headers:
    """Case-insensitive view of response headers that keeps order and repeats.

    h["content-type"] -> first value (KeyError if absent); h.get(name, default);
    h.get_all(name) -> all values; name in h; len(h) -> number of header lines;
    iter(h) / h.items() / h.pairs -> (name, value) pairs as sent.
    """

    def __init__(self, pairs=()):
        self.pairs = list(pairs)

    def get_all(self, name):
        n = name.lower()
        return [v for k, v in self.pairs if k.lower() == n]

    def get(self, name, default=None):
        vals = self.get_all(name)
        return vals[0] if vals else default

    def __getitem__(self, name):
        vals = self.get_all(name)
        if not vals:
            raise KeyError(name)
        return vals[0]

    def __contains__(self, name):
        return bool(self.get_all(name))

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self):
        return len(self.pairs)

    def items(self):
        return list(self.pairs)

    def keys(self):
        return [k for k, _ in self.pairs]

    def as_dict(self):
        """{lowercased name: first value}."""
        d = {}
        for k, v in self.pairs:
            d.setdefault(k.lower(), v)
        return d

    def __eq__(self, other):
        if isinstance(other, Headers):
            return self.pairs == other.pairs
        if isinstance(other, dict):
            return self.as_dict() == {k.lower(): v for k, v in other.items()}
        return NotImplemented

    def __repr__(self):
        return "Headers(%r)" % (self.pairs,)


class Response:
    """A parsed HTTP response.

    status (int), reason (str), version ("HTTP/1.1"), headers (Headers,
    case-insensitive), header_list (list of (name, value)), body (bytes,
    de-chunked), raw (all bytes of this response), head (status line and
    headers, bytes), complete (False if the body was cut short), rest (bytes
    after this response, e.g. a pipelined next response).
    """

    def __init__(self, status, reason, version, headers, body, raw, head, complete=True,
                 rest=b"", chunked=False):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.body = body
        self.raw = raw
        self.head = head
        self.complete = complete
        self.rest = rest
        self.chunked = chunked

    @property
    def header_list(self):
        return self.headers.pairs

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d %s, %d header(s), %d body byte(s)%s>" % (
            self.status, self.reason, len(self.headers), len(self.body),
            "" if self.complete else ", INCOMPLETE")


class HTTPParseError(ValueError):
    pass


def _parse_head(data):
    end = data.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end = data.find(b"\n\n")    # tolerate bare LF so the test can see it
        sep = 2
    if end < 0:
        return None
    head = data[:end + sep]
    lines = re.split(rb"\r?\n", data[:end])
    m = re.match(rb"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
    if not m:
        raise HTTPParseError("bad status line: %r" % lines[0])
    pairs = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and pairs:     # obsolete line folding
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + " " + line.strip().decode("latin-1"))
            continue
        if b":" not in line:
            raise HTTPParseError("bad header line: %r" % line)
        k, v = line.split(b":", 1)
        pairs.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
    return (m.group(1).decode(), int(m.group(2)), (m.group(3) or b"").decode("latin-1"),
            Headers(pairs), head)


def _dechunk(data):
    """(body, bytes consumed) or None if the chunked body is incomplete."""
    body = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_field = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            raise HTTPParseError("bad chunk size %r" % size_field)
        pos = eol + 2
        if size == 0:
            # trailers, then an empty line
            while True:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    return None
                line = data[pos:eol]
                pos = eol + 2
                if not line:
                    return bytes(body), pos
        if len(data) < pos + size + 2:
            return None
        body += data[pos:pos + size]
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise HTTPParseError("chunk not followed by CRLF")
        pos += size + 2


def _body_rule(status, headers, method):
    """('none'|'chunked'|'length'|'close', length)."""
    if (method or "").upper() == "HEAD" or 100 <= status < 200 or status in (204, 304):
        return "none", 0
    te = ",".join(headers.get_all("transfer-encoding")).lower()
    if "chunked" in te:
        return "chunked", None
    cl = headers.get_all("content-length")
    if cl:
        try:
            return "length", int(cl[0])
        except ValueError:
            raise HTTPParseError("bad Content-Length %r" % cl[0])
    return "close", None


def _try_parse(data, method=None, eof=False):
    """Response if `data` holds a complete one (or eof), else None."""
    parsed = _parse_head(data)
    if parsed is None:
        if eof:
            raise HTTPParseError("incomplete response head: %r" % data[:200])
        return None
    version, status, reason, headers, head = parsed
    rest = data[len(head):]
    rule, length = _body_rule(status, headers, method)
    if rule == "none":
        body, used, complete = b"", 0, True
    elif rule == "length":
        complete = len(rest) >= length
        if not complete and not eof:
            return None
        body = rest[:length]
        used = len(body)
    elif rule == "chunked":
        r = _dechunk(rest)
        if r is None:
            if not eof:
                return None
            body, used, complete = rest, len(rest), False
        else:
            body, used = r
            complete = True
    else:
        if not eof:
            return None
        body, used, complete = rest, len(rest), True
    return Response(status, reason, version, headers, body, data[:len(head) + used], head,
                    complete, rest[used:], rule == "chunked")


def parse_response(data, method=None):
    """Parse the first HTTP response in `data` (bytes received until the
    peer closed).  Pass method="HEAD" for a reply to HEAD (no body).  Bytes
    after it are in .rest; .complete is False if its body was cut short."""
    return _try_parse(data, method, eof=True)


def parse_responses(data, methods=None):
    """All responses in `data` (pipelining); methods: list of request methods."""
    out = []
    i = 0
    while data:
        m = methods[i] if methods and i < len(methods) else None
        r = _try_parse(data, m, eof=True)
        out.append(r)
        data = r.rest
        i += 1
    return out


def http_raw(port, data, timeout=5, read_until_close=True, host="127.0.0.1"):
    """Send `data` to host:port as is and return the bytes received.

    read_until_close=True: read until the server closes the connection (a
    reset after data counts as a close).  False: return as soon as one
    complete response has arrived (a reply to HEAD if `data` starts with
    "HEAD ").  Raises HTTPTimeout (with .data) if `timeout` seconds pass
    without getting there.
    """
    if isinstance(data, str):
        data = data.encode("latin-1")
    method = data.split(b" ", 1)[0].decode("latin-1", "replace") if data else None
    deadline = time.monotonic() + timeout
    buf = bytearray()
    with socket.create_connection((host, port), timeout=timeout) as s:
        if data:
            s.sendall(data)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HTTPTimeout("no %s from %s:%d within %ss (got %d bytes)"
                                  % ("close" if read_until_close else "complete response",
                                     host, port, timeout, len(buf)), bytes(buf))
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                if buf:
                    break
                raise
            if not chunk:
                break
            buf += chunk
            if not read_until_close:
                try:
                    if _try_parse(bytes(buf), method) is not None:
                        break
                except HTTPParseError:
                    break
    return bytes(buf)


def _header_pairs(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def build_request(method, path, headers=None, body=None, host_header=None):
    """Bytes of an HTTP/1.1 request.  Adds Host, Connection: close and
    Content-Length (when there is a body) unless `headers` has them."""
    pairs = _header_pairs(headers)
    names = {k.lower() for k, _ in pairs}
    if isinstance(body, str):
        body = body.encode("utf-8")
    extra = []
    if "host" not in names and host_header:
        extra.append(("Host", host_header))
    if "connection" not in names:
        pairs.append(("Connection", "close"))
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        pairs.append(("Content-Length", str(len(body))))
    lines = ["%s %s HTTP/1.1" % (method, path)]
    lines += ["%s: %s" % (k, v) for k, v in extra + pairs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def http(port, method, path, headers=None, body=None, timeout=10, host="127.0.0.1"):
    """One HTTP/1.1 request on a fresh connection with Connection: close;
    returns the parsed Response.  headers: dict or list of (name, value)."""
    req = build_request(method, path, headers, body, host_header="%s:%d" % (host, port))
    data = http_raw(port, req, timeout=timeout, read_until_close=True, host=host)
    if not data:
        raise HTTPParseError("connection closed without a response")
    return parse_response(data, method)


class TLSMinIO(MinIO):
    """A second MinIO that serves https with a self-signed certificate."""

    @property
    def endpoint(self):
        return "https://%s:%d" % (self.host, self.port)

    @property
    def ca_file(self):
        return os.path.join(self.certs_dir, "public.crt")

    def ready(self, timeout=1.0):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        conn = http_client.HTTPSConnection(self.host, self.port, timeout=timeout, context=ctx)
        try:
            conn.request("GET", "/minio/health/ready")
            return conn.getresponse().status == 200
        except (OSError, ssl.SSLError, http_client.HTTPException):
            return False
        finally:
            conn.close()


# ---------------------------------------------------------------------------
# sockets per process (test_balance.py): who holds which connection

def tcp_table():
    """[(local_port, remote_port, state, inode)] of IPv4 and IPv6 TCP sockets,
    as /proc/net/tcp writes them (state "01" established, "0A" listening)."""
    rows = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            p = line.split()
            rows.append((int(p[1].rsplit(":", 1)[1], 16), int(p[2].rsplit(":", 1)[1], 16),
                         p[3], int(p[9])))
    return rows


def port_sockets(port, state):
    """Inodes of the TCP sockets (IPv4 and IPv6) with local port `port` in
    `state`: "01" established, "0A" listening."""
    return {ino for lp, _, st, ino in tcp_table() if lp == port and st == state}


def fd_sockets(pid):
    """{fd: socket inode} of the sockets `pid` has open."""
    out = {}
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in names:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", target)
        if m:
            out[int(fd)] = int(m.group(1))
    return out


def connections_per_process(pids, port):
    """{pid: client connections to local port `port` that pid holds}, the
    way bench/bench.py counts them: its sockets in /proc/PID/fd that are
    established connections on that port in /proc/net/tcp."""
    established = port_sockets(port, "01")
    return {p: len(set(fd_sockets(p).values()) & established) for p in pids}


def polled_sockets(pid):
    """Inodes of the sockets `pid` waits on: those registered in one of its
    epoll instances (/proc/PID/fdinfo of an eventpoll descriptor lists the
    watched descriptors as "tfd:")."""
    socks = fd_sockets(pid)
    watched = set()
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return set()
    for fd in names:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:[eventpoll]":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                watched |= {int(x) for x in re.findall(r"^tfd:\s*(\d+)", f.read(), re.M)}
        except OSError:
            continue
    return {socks[fd] for fd in watched if fd in socks}


def polled_listeners(pid, port):
    """Inodes of the listening sockets on `port` that `pid` waits on."""
    return polled_sockets(pid) & port_sockets(port, "0A")
