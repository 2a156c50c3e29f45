"""s3wwwd benchmark driver (run it through bench/run.sh, which installs and
builds what it needs and passes the paths in the environment).

On one machine, in one run, it starts a real MinIO, seeds a bucket, and
measures with wrk on loopback (keep-alive) several servers serving the same
objects, one server at a time:

  minio         MinIO itself, anonymous GET of /bucket/key (the upstream ceiling)
  minio-signed  MinIO itself with presigned URLs (query-string SigV4, signed here
                with hmac/hashlib): MinIO verifies a signature per request, as
                it does for s3wwwd's signed requests; the run stops if a
                tampered signature is not refused with a 403
  s3wwwd        the daemon, workers=2, access log off, signing its requests
  s3wwwd-anon   the same without credentials: unsigned reads of the public
                bucket, which is how the nginx proxy reads it (MinIO then
                skips verifying a signature: the like-for-like comparison)
  s3wwwd-cache  the daemon with its cache on, only if `s3wwwd -h` mentions one
  s3www         the Go program s3wwwd replaces, only if it could be built
  nginx-proxy   nginx reverse proxy to MinIO, upstream keep-alive, no cache
  nginx-cache   the same with proxy_cache (measured after warming)
  nginx-disk    nginx serving the same files from local disk

For each server, object and concurrency it records requests/s, p50/p99
latency (wrk --latency), the server's CPU time per request (utime+stime of
all its processes from /proc, before and after) and, for servers in front
of MinIO, MinIO's CPU time per request too; and the peak summed RSS of the
server's processes (sampled every 50 ms).  For servers with worker
processes (s3wwwd's, nginx's) it also records how the work was split among
them: each worker's CPU time over the run and the client connections each
held half-way through it (from /proc; s3wwwd's /metrics sums all workers).
Every s3wwwd figure is also given as a ratio to minio-signed and to minio.
Then two memory measurements of
s3wwwd (idle RSS per worker; 1,000 slow clients on a 100 MiB object) and a
short perf profile of its workers under a small-object load.

Environment (set by run.sh): BENCH_S3WWWD, BENCH_MINIO, BENCH_WRK,
BENCH_SITE, BENCH_RESULTS, BENCH_NGINX, BENCH_S3WWW (path) or
BENCH_S3WWW_UNAVAILABLE (reason).  Knobs: BENCH_DURATION (seconds per point,
default 6), BENCH_CONNS (default "1,16,64"), BENCH_SERVERS (comma list, default
all), BENCH_OBJECTS (comma list, default all), BENCH_SLOW_CLIENTS (1000),
BENCH_SLOW_SECONDS (20), BENCH_SLOW_RATE (65536 bytes/s per client),
BENCH_PROFILE (1: run perf), BENCH_CACHE_ARGS (flags that turn the daemon's
cache on, for the s3wwwd-cache variant).
"""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
BUCKET = "bench"

ENV = os.environ
DURATION = int(ENV.get("BENCH_DURATION", "6"))
CONNS = [int(c) for c in ENV.get("BENCH_CONNS", "1,16,64").split(",") if c.strip()]
MID_CONNS = CONNS[len(CONNS) // 2]
RESULTS = ENV["BENCH_RESULTS"]
SITE = ENV["BENCH_SITE"]
WRK = ENV.get("BENCH_WRK", "wrk")
NGINX = ENV.get("BENCH_NGINX", "nginx")

# name, path (relative to the site root), extra header, expected status,
# expected body length (None: the object's size)
OBJECTS = [
    ("1KiB", "/1k.bin", None, 200, None),
    ("index.html", "/index.html", None, 200, None),
    ("100KiB-gif", "/big.gif", None, 200, None),
    ("10MiB", "/10m.bin", None, 200, None),
    ("404", "/no/such/page.html", None, 404, -1),
    ("range", "/big.gif", "Range: bytes=1000-4999", 206, 4000),
]
LARGE = "10MiB"


def log(msg):
    print("bench: %s" % msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, timeout=30.0, proc=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status < 500:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------------------
# /proc accounting

def children_of(pid):
    """Direct children of `pid` (all its threads)."""
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid):
    """`pid` and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children_of(p)
    return pids


def cpu_ticks(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def cpu_ticks_each(pids):
    """{pid: utime+stime} for each of `pids` still alive."""
    out = {}
    for p in pids:
        t = cpu_ticks([p])
        if t or os.path.exists("/proc/%d" % p):
            out[p] = t
    return out


def tcp_inodes(port):
    """Socket inodes of the established TCP connections whose local port is
    `port` (the server's side of its clients' connections)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    # local_address is ADDR:PORT in hex; st 01 is ESTABLISHED
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
        except (OSError, StopIteration, IndexError, ValueError):
            pass
    return inodes


def conns_each(pids, port):
    """{pid: number of client connections (local port `port`) it holds open}."""
    inodes = tcp_inodes(port)
    out = {}
    for p in pids:
        n = 0
        try:
            for fd in os.listdir("/proc/%d/fd" % p):
                try:
                    link = os.readlink("/proc/%d/fd/%s" % (p, fd))
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    n += 1
        except OSError:
            continue
        out[p] = n
    return out


def split(values):
    """[71.2, 28.8] -> "71/29" (shares in percent of the sum, as given)."""
    total = sum(values)
    if not values or total <= 0:
        return None
    return "/".join("%.0f" % (100.0 * v / total) for v in values)


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """Peak of the summed VmRSS of a server's processes while it runs."""

    def __init__(self, pidfn, interval=0.05):
        super().__init__(daemon=True)
        self.pidfn, self.interval = pidfn, interval
        self.peak = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.peak = max(self.peak, sum(rss_kib(p) for p in self.pidfn()))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()
        return self.peak


# ---------------------------------------------------------------------------
# servers

class Proc:
    """A started server process group; stopped with SIGTERM then SIGKILL."""

    def __init__(self, cmd, logpath, env=None, cwd=None):
        self.log = open(logpath, "ab")
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                  start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


class Server:
    name = "?"
    prefix = ""          # URL prefix before the object path
    upstream = True      # does it fetch from MinIO (account MinIO's CPU too)

    def __init__(self, bench):
        self.b = bench
        self.proc = None
        self.port = free_port()

    def pids(self):
        return tree(self.proc.p.pid) if self.proc else []

    def workers(self):
        return children_of(self.proc.p.pid) if self.proc else []

    # Paths a server serves under another name (see S3www).
    path_map = {}

    def target(self, path):
        """The request target for an object path on this server."""
        return self.prefix + self.path_map.get(path, path)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, self.target(path))

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


class MinioDirect(Server):
    name = "minio"
    upstream = False

    def __init__(self, bench):
        super().__init__(bench)
        self.port = bench.minio_port
        self.prefix = "/" + BUCKET

    def start(self):
        pass

    def pids(self):
        return [self.b.minio.p.pid]

    def workers(self):
        return []

    def stop(self):
        pass


def _uri_encode(s, safe=""):
    # SigV4's UriEncode: every byte but A-Z a-z 0-9 - _ . ~ as %XX (upper case)
    return urllib.parse.quote(s, safe=safe)


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def presign_get(host, path, access_key, secret_key, region="us-east-1", expires=86400,
                now=None):
    """A query-string SigV4 (presigned) GET of `path` ("/bucket/key") at
    `host` ("127.0.0.1:port", the Host header wrk sends): the request target
    with X-Amz-Algorithm ... X-Amz-Signature, signed for the host header only
    and an unsigned payload, the way S3 clients presign a download."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": "%s/%s" % (access_key, scope),
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    canonical_query = "&".join("%s=%s" % (_uri_encode(k), _uri_encode(v))
                               for k, v in sorted(query.items()))
    canonical_uri = _uri_encode(path, safe="/")
    canonical_request = "\n".join([
        "GET", canonical_uri, canonical_query,
        "host:%s\n" % host,      # canonical headers, each line ends in \n
        "host",                  # signed headers
        "UNSIGNED-PAYLOAD"])
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret_key).encode(), amz_date[:8])
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return "%s?%s&X-Amz-Signature=%s" % (canonical_uri, canonical_query, signature)


def _get(port, target, header=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    hdrs = {}
    if header:
        k, v = header.split(": ", 1)
        hdrs[k] = v
    c.request("GET", target, headers=hdrs)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


class BenchSetupError(Exception):
    """The benchmark itself is broken: stop the run rather than measure."""


class MinioSigned(MinioDirect):
    """MinIO with presigned URLs: every request carries a query-string SigV4
    signature that MinIO verifies (the anonymous policy of the bucket does
    not help a request that carries a signature: a bad one gets a 403)."""
    name = "minio-signed"

    def start(self):
        b = self.b
        host = "127.0.0.1:%d" % self.port
        self.targets = {path: presign_get(host, self.prefix + path, b.access_key, b.secret_key)
                        for _, path, _, _, _ in OBJECTS}
        # Prove MinIO checks the signature: the same URLs with the last hex
        # digit of the signature changed must be refused with a 403, for an
        # object that exists and for the missing one.
        # And the signer must be right: the untampered 1 KiB URL gets a 200.
        # Either failure stops the whole run (BenchSetupError).
        for _, path, header, _, _ in OBJECTS:
            good = self.targets[path]
            bad = good[:-1] + ("0" if good[-1] != "0" else "1")
            status, body = _get(self.port, bad, header)
            if status != 403:
                raise BenchSetupError(
                    "MinIO answered %d, not 403, to a presigned GET of %s with a tampered "
                    "signature: it is not verifying signatures, minio-signed would measure "
                    "nothing different from minio. Body: %r" % (status, path, body[:300]))
        status, body = _get(self.port, self.targets["/1k.bin"])
        if status != 200:
            raise BenchSetupError("MinIO answered %d to the presigned GET of /1k.bin: the SigV4 "
                                  "query signing is wrong. Body: %r" % (status, body[:300]))
        log("%s: MinIO refuses tampered signatures (403) for all %d objects"
            % (self.name, len(OBJECTS)))

    def target(self, path):
        return self.targets[path]


class S3wwwd(Server):
    name = "s3wwwd"

    def __init__(self, bench, extra_args=(), name=None):
        super().__init__(bench)
        self.extra_args = list(extra_args)
        if name:
            self.name = name

    anonymous = False  # read the public bucket unsigned, as nginx does

    def config(self):
        b = self.b
        creds = "" if self.anonymous else 'access_key = "%s"; secret_key = "%s";' % (
            b.access_key, b.secret_key)
        return (
            'listen = "127.0.0.1:%d";\nworkers = 2;\n'
            's3: { endpoint = "http://127.0.0.1:%d"; bucket = "%s"; %s'
            ' region = "us-east-1"; };\n'
            'log: { level = "warn"; access = ""; };\n'
        ) % (self.port, b.minio_port, BUCKET, creds)

    def start(self):
        d = os.path.join(self.b.tmp, self.name)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "s3wwwd.conf")
        with open(conf, "w") as f:
            f.write(self.config())
        os.chmod(conf, 0o600)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("S3WWW", "AWS_", "NOTIFY_SOCKET", "LISTEN_", "WATCHDOG_"))}
        self.proc = Proc([ENV["BENCH_S3WWWD"], "-c", conf] + self.extra_args,
                         os.path.join(d, "s3wwwd.log"), env=env)
        if not wait_http(self.port, "/healthz", proc=self.proc.p):
            raise RuntimeError("%s did not start; log:\n%s" % (self.name, tail(self.proc.log.name)))
        # The master forks its workers after binding; wait until they are there.
        end = time.monotonic() + 10
        while len(self.workers()) < 2 and time.monotonic() < end:
            time.sleep(0.05)


class S3www(Server):
    name = "s3www"
    # Go's http.FileServer answers /index.html with a 301 to "./" (its
    # documented rule); the same object is served as "/".
    path_map = {"/index.html": "/"}

    def start(self):
        b = self.b
        d = os.path.join(b.tmp, "s3www")
        os.makedirs(d, exist_ok=True)
        env = dict(os.environ)
        # s3www reads its credentials from flags; keep them out of argv-visible
        # plain text where it allows env (S3WWW_ACCESS_KEY/S3WWW_SECRET_KEY).
        env["S3WWW_ACCESS_KEY"] = b.access_key
        env["S3WWW_SECRET_KEY"] = b.secret_key
        self.proc = Proc([ENV["BENCH_S3WWW"], "-endpoint", "http://127.0.0.1:%d" % b.minio_port,
                          "-bucket", BUCKET, "-address", "127.0.0.1:%d" % self.port],
                         os.path.join(d, "s3www.log"), env=env)
        if not wait_http(self.port, "/index.html", proc=self.proc.p):
            raise RuntimeError("s3www did not start; log:\n%s" % tail(self.proc.log.name))


NGINX_CONF = """\
# generated by bench/bench.py for the {name} variant
user root;              # the files live in a 0700 temp dir; ignored when not root
worker_processes 2;     # the same as s3wwwd's workers on this 2-core machine
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush off;         # on, a 100 KiB cached file waited 40 ms for a
                            # delayed ACK per request (23 req/s at 1 connection)
    tcp_nodelay on;
    keepalive_timeout 60s;
    keepalive_requests 10000;   # s3wwwd's default
    types {{ text/html html; image/gif gif; application/octet-stream bin; }}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    upstream minio {{
        server 127.0.0.1:{minio_port};
        keepalive 64;
    }}
    {cache_path}
    server {{
        listen 127.0.0.1:{port};
        {location}
    }}
}}
"""

PROXY_LOCATION = """location / {{
            proxy_pass http://minio/{bucket}/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            {cache}
        }}"""

CACHE_DIRECTIVES = ("proxy_cache site;\n"
                    "            proxy_cache_valid 200 206 10m;\n"
                    "            proxy_cache_valid 404 1m;\n"
                    "            proxy_cache_lock on;")


class Nginx(Server):
    def __init__(self, bench, variant):
        super().__init__(bench)
        self.variant = variant
        self.name = "nginx-" + variant

    def workers(self):
        """The worker processes only (not nginx-cache's cache manager)."""
        out = []
        for pid in super().workers():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if b"worker process" in f.read():
                        out.append(pid)
            except OSError:
                pass
        return out

    def start(self):
        prefix = os.path.join(self.b.tmp, self.name)
        for sub in ("tmp", "cache"):
            os.makedirs(os.path.join(prefix, sub), exist_ok=True)
        cache_path = ""
        if self.variant == "disk":
            location = "location / {\n            root %s;\n        }" % self.b.docroot
        else:
            cache = ""
            if self.variant == "cache":
                cache_path = ("proxy_cache_path %s/cache levels=1:2 keys_zone=site:10m "
                              "max_size=1g inactive=60m use_temp_path=off;" % prefix)
                cache = CACHE_DIRECTIVES
            location = PROXY_LOCATION.format(bucket=BUCKET, cache=cache)
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(name=self.name, prefix=prefix, minio_port=self.b.minio_port,
                                      port=self.port, cache_path=cache_path, location=location))
        self.proc = Proc([NGINX, "-c", conf, "-p", prefix, "-e", prefix + "/error.log",
                          "-g", "daemon off;"], os.path.join(prefix, "stderr.log"))
        if not wait_http(self.port, "/index.html", proc=self.proc.p):
            raise RuntimeError("%s did not start; log:\n%s"
                               % (self.name, tail(os.path.join(prefix, "error.log"))))


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return str(e)


# ---------------------------------------------------------------------------
# wrk

_UNITS_T = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_UNITS_B = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def _dur(s):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", s)
    return float(m.group(1)) * _UNITS_T[m.group(2)] if m else None


def parse_wrk(out):
    r = {}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out, re.M)
    if not m:
        raise ValueError("cannot parse wrk output:\n" + out)
    r["requests"] = int(m.group(1))
    r["seconds"] = _dur(m.group(2) + m.group(3))
    r["bytes"] = float(m.group(4)) * _UNITS_B[m.group(5)]
    m = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.M)
    r["rps"] = float(m.group(1))
    r["mib_s"] = r["bytes"] / r["seconds"] / 2 ** 20
    for pct in ("50", "99"):
        m = re.search(r"^\s*%s%%\s+(\S+)" % pct, out, re.M)
        r["p%s_ms" % pct] = _dur(m.group(1)) * 1e3 if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def run_wrk(url, conns, duration, header=None):
    threads = 1 if conns < 2 else 2
    cmd = [WRK, "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration, "--timeout", "30s",
           "--latency"]
    if header:
        cmd += ["-H", header]
    cmd.append(url)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=duration + 60)
    if p.returncode != 0:
        raise RuntimeError("wrk failed (%d):\n%s" % (p.returncode, p.stdout))
    return parse_wrk(p.stdout)


# ---------------------------------------------------------------------------
# the benchmark

class Bench:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="s3wwwd-bench-")
        self.minio = None
        self.access_key = "bench-" + secrets.token_hex(4)
        self.secret_key = secrets.token_urlsafe(24)
        self.docroot = os.path.join(self.tmp, "docroot")
        self.sizes = {}
        self.results = {"points": [], "notes": [], "servers": {}, "memory": {}, "targets": []}

    # -- setup --

    def start_minio(self):
        self.minio_port = free_port()
        d = os.path.join(self.tmp, "minio")
        os.makedirs(os.path.join(d, "data"))
        os.makedirs(os.path.join(d, "certs"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "AWS_"))}
        env.update(MINIO_ROOT_USER=self.access_key, MINIO_ROOT_PASSWORD=self.secret_key,
                   MINIO_BROWSER="off", MINIO_UPDATE="off")
        self.minio = Proc([ENV["BENCH_MINIO"], "server", "--quiet",
                           "--address", "127.0.0.1:%d" % self.minio_port,
                           "--console-address", "127.0.0.1:%d" % free_port(),
                           "--certs-dir", os.path.join(d, "certs"), os.path.join(d, "data")],
                          os.path.join(d, "minio.log"), env=env, cwd=d)
        if not wait_http(self.minio_port, "/minio/health/ready", 60, proc=self.minio.p):
            raise RuntimeError("MinIO did not start:\n" + tail(self.minio.log.name))

    def make_files(self):
        os.makedirs(self.docroot)
        files = {}
        with open(os.path.join(SITE, "index.html"), "rb") as f:
            files["index.html"] = f.read()
        with open(os.path.join(SITE, "s3wwwd.gif"), "rb") as f:
            gif = f.read()
        files["s3wwwd.gif"] = gif
        # The demo gif is ~12 KiB; the 100 KiB one is it padded after its
        # trailer, which GIF decoders ignore: a real gif of the size asked for.
        files["big.gif"] = gif + os.urandom(100 * 1024 - len(gif))
        files["1k.bin"] = os.urandom(1024)
        files["10m.bin"] = os.urandom(10 * 2 ** 20)
        for name, data in files.items():
            with open(os.path.join(self.docroot, name), "wb") as f:
                f.write(data)
            self.sizes["/" + name] = len(data)
        # The 100 MiB object for the slow-client test is not on disk for nginx.
        self.big = os.path.join(self.tmp, "100m.bin")
        with open(self.big, "wb") as f:
            for _ in range(100):
                f.write(os.urandom(2 ** 20))

    def seed(self):
        import boto3
        from botocore.config import Config
        s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % self.minio_port,
                          aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                          region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"},
                                        request_checksum_calculation="when_required",
                                        response_checksum_validation="when_required"))
        s3.create_bucket(Bucket=BUCKET)
        types = {".html": "text/html", ".gif": "image/gif", ".bin": "application/octet-stream"}
        for name in os.listdir(self.docroot):
            s3.upload_file(os.path.join(self.docroot, name), BUCKET, name,
                           ExtraArgs={"ContentType": types[os.path.splitext(name)[1]]})
        s3.upload_file(self.big, BUCKET, "100m.bin",
                       ExtraArgs={"ContentType": "application/octet-stream"})
        # Anonymous read for MinIO-direct and nginx; ListBucket too so that a
        # missing key answers 404 NoSuchKey rather than 403 AccessDenied.
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
             "Resource": ["arn:aws:s3:::%s/*" % BUCKET]},
            {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:ListBucket"],
             "Resource": ["arn:aws:s3:::%s" % BUCKET]}]}
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))

    # -- checks --

    def validate(self, srv):
        """One request per object: the right status and body, else skip it."""
        bad = {}
        for name, path, header, status, length in OBJECTS:
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            hdrs = {}
            if header:
                k, v = header.split(": ", 1)
                hdrs[k] = v
            c.request("GET", srv.target(path), headers=hdrs)
            r = c.getresponse()
            body = r.read()
            c.close()
            want = self.sizes.get(path) if length is None else length
            if r.status != status or (want >= 0 and len(body) != want):
                bad[name] = "status %d, %d bytes (want %d, %s bytes)" % (
                    r.status, len(body), status, want if want >= 0 else "any")
        return bad

    # -- measuring --

    def point(self, srv, obj, conns):
        name, path, header, status, _ = obj
        pids = srv.pids()
        up = [self.minio.p.pid] if srv.upstream else []
        sampler = RssSampler(srv.pids)
        sampler.start()
        workers = srv.workers()
        # Client connections each worker holds, counted half-way through the
        # run (wrk keeps its connections open, so this is how accept() spread
        # them); read from /proc off the measured path, in a timer thread.
        held = {}
        counter = threading.Timer(DURATION / 2.0,
                                  lambda: held.update(conns_each(workers, srv.port)))
        if workers:
            counter.start()
        c0, u0 = cpu_ticks(pids), cpu_ticks(up)
        w0 = cpu_ticks_each(workers)
        w = run_wrk(srv.url(path), conns, DURATION, header)
        w1 = cpu_ticks_each(workers)
        c1, u1 = cpu_ticks(srv.pids()), cpu_ticks(up)
        peak = sampler.stop()
        if workers:
            counter.cancel()
            counter.join()
        n = max(w["requests"], 1)
        errors = w["socket_errors"] + (w["non2xx"] if status < 300 else 0)
        # Per worker, in the order of CPU time used (busiest first); a worker
        # that died during the run counts what it had used when last seen.
        per = [{"pid": pid, "cpu_s": (w1.get(pid, w0[pid]) - w0[pid]) / HZ,
                "conns": held.get(pid)} for pid in w0]
        per.sort(key=lambda x: -x["cpu_s"])
        restarted = sorted(set(srv.workers()) - set(workers))
        p = {"server": srv.name, "object": name, "conns": conns, "rps": w["rps"],
             "mib_s": w["mib_s"], "p50_ms": w["p50_ms"], "p99_ms": w["p99_ms"],
             "requests": w["requests"], "errors": errors,
             "cpu_us_per_req": (c1 - c0) / HZ / n * 1e6,
             "upstream_cpu_us_per_req": (u1 - u0) / HZ / n * 1e6 if srv.upstream else None,
             "peak_rss_mib": peak / 1024.0,
             "workers": per or None,
             "worker_cpu_split": split([x["cpu_s"] for x in per]),
             "worker_conns_split": ("/".join(str(x["conns"]) for x in per)
                                    if per and held else None)}
        if restarted:
            p["workers_started_during_run"] = restarted
        log("  %-12s %-11s c=%-3d %9.0f req/s %8.1f MiB/s p50 %7.2f ms p99 %7.2f ms "
            "cpu %6.0f us/req rss %6.1f MiB%s%s" % (
                srv.name, name, conns, p["rps"], p["mib_s"], p["p50_ms"] or 0, p["p99_ms"] or 0,
                p["cpu_us_per_req"], p["peak_rss_mib"],
                "  workers cpu %s conns %s" % (p["worker_cpu_split"], p["worker_conns_split"])
                if per else "",
                "  ERRORS %d" % errors if errors else ""))
        return p

    def run_server(self, srv, objects):
        log("%s: starting" % srv.name)
        try:
            srv.start()
        except BenchSetupError:
            raise
        except Exception as e:  # noqa: BLE001 - recorded, the run goes on
            self.results["servers"][srv.name] = {"status": "failed to start: %s" % e}
            log("%s: failed to start: %s" % (srv.name, e))
            srv.stop()
            return
        try:
            bad = self.validate(srv)
            # nginx-cache: the validation requests warmed its cache; one more
            # pass makes sure every object (the range one too) is a hit.
            if srv.name == "nginx-cache":
                self.validate(srv)
            self.results["servers"][srv.name] = {"status": "measured", "invalid": bad}
            for o in objects:
                if o[0] in bad:
                    log("%s: skipping %s: %s" % (srv.name, o[0], bad[o[0]]))
                    continue
                for c in CONNS:
                    self.results["points"].append(self.point(srv, o, c))
            srv.idle_rss_after = sum(rss_kib(p) for p in srv.pids()) / 1024.0
            self.results["servers"][srv.name]["rss_after_mib"] = srv.idle_rss_after
        finally:
            srv.stop()

    # -- memory --

    def idle_rss(self):
        srv = S3wwwd(self, name="s3wwwd-idle")
        srv.start()
        try:
            time.sleep(3)
            fresh = {p: rss_kib(p) / 1024.0 for p in srv.workers()}
            master = rss_kib(srv.proc.p.pid) / 1024.0
            run_wrk(srv.url("/1k.bin"), 16, 2)
            run_wrk(srv.url("/big.gif"), 16, 2)
            time.sleep(2)
            used = {p: rss_kib(p) / 1024.0 for p in srv.workers()}
        finally:
            srv.stop()
        m = {"master_mib": master,
             "worker_fresh_mib": sorted(fresh.values()),
             "worker_after_load_mib": sorted(used.values())}
        self.results["memory"]["idle"] = m
        log("idle RSS: master %.1f MiB, workers fresh %s MiB, after 4 s of load %s MiB" % (
            master, ", ".join("%.1f" % v for v in m["worker_fresh_mib"]),
            ", ".join("%.1f" % v for v in m["worker_after_load_mib"])))

    def slow_clients(self):
        n = int(ENV.get("BENCH_SLOW_CLIENTS", "1000"))
        secs = float(ENV.get("BENCH_SLOW_SECONDS", "20"))
        rate = int(ENV.get("BENCH_SLOW_RATE", "65536"))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n + 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
        srv = S3wwwd(self, name="s3wwwd-slow")
        srv.start()
        try:
            sampler = RssSampler(srv.pids, 0.2)
            sampler.start()
            stats = slow_download(srv.port, "/100m.bin", n, secs, rate)
            peak = sampler.stop()
            stats["peak_rss_mib"] = peak / 1024.0
            stats["worker_rss_mib"] = [rss_kib(p) / 1024.0 for p in srv.workers()]
        finally:
            srv.stop()
        self.results["memory"]["slow_clients"] = stats
        log("%d slow clients (%d B/s each, %.0f s) on a 100 MiB object: %d got a 200, "
            "%.1f MiB received, peak total RSS %.1f MiB" % (
                n, rate, secs, stats["ok"], stats["bytes"] / 2 ** 20, stats["peak_rss_mib"]))

    # -- profile --

    def profile(self, stamp):
        """perf on both workers under a 1 KiB load and under a 10 MiB load;
        the top of each report goes to results/profile-<stamp>.txt."""
        perf = shutil.which("perf")
        if not perf or ENV.get("BENCH_PROFILE", "1") != "1":
            self.results["notes"].append("profile: skipped (no perf or BENCH_PROFILE=0)")
            return None
        rep = []
        for path in ("/1k.bin", "/10m.bin"):
            try:
                rep += self.profile_one(perf, path)
            except Exception as e:  # noqa: BLE001 - recorded, the run goes on
                self.results["notes"].append("profile of %s failed: %s" % (path, e))
                log("profile of %s failed: %s" % (path, e))
        if not rep:
            return None
        out = os.path.join(RESULTS, "profile-%s.txt" % stamp)
        with open(out, "w") as f:
            f.writelines(rep)
        log("profile written to %s" % out)
        return out

    def profile_one(self, perf, path):
        srv = S3wwwd(self, name="s3wwwd-profile")
        srv.start()
        data = os.path.join(self.tmp, "perf.data")
        secs = max(DURATION, 5)
        try:
            pids = ",".join(str(p) for p in srv.workers())
            # cpu-clock: a software event, so it works where the hardware
            # counters are not exposed (as in VMs).
            rec = subprocess.Popen([perf, "record", "-q", "-e", "cpu-clock", "-F", "4999", "-g",
                                    "-p", pids, "-o", data, "--", "sleep", str(secs + 1)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(0.5)
            w = run_wrk(srv.url(path), MID_CONNS, secs)
            _, err = rec.communicate(timeout=secs + 30)
            if rec.returncode != 0:
                raise RuntimeError("perf record failed: %s" % err.decode(errors="replace"))
        finally:
            srv.stop()
        rep = ["\n# perf record -e cpu-clock -g on both s3wwwd workers, wrk c=%d GET %s "
               "for %d s (%.0f req/s, %.0f MiB/s during the profile)\n"
               % (MID_CONNS, path, secs, w["rps"], w["mib_s"])]
        for title, args in (
                ("by shared object", ["--sort", "dso"]),
                ("by symbol (self time)", ["--sort", "dso,sym", "--percent-limit", "0.4"]),
                ("call graph of the top symbols (caller view)",
                 ["--sort", "sym", "-g", "caller,0.5,callee,function,percent",
                  "--percent-limit", "3"])):
            p = subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children"] + args
                               + ([] if "-g" in args else ["-g", "none"]),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            lines = [ln for ln in p.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
            rep.append("\n## %s %s\n" % (path, title))
            rep.append("\n".join(lines[:120 if "-g" in args else 50]) + "\n")
        os.unlink(data)
        return rep

    def close(self):
        if self.minio:
            self.minio.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def slow_download(port, path, n, secs, rate):
    """`n` connections each GET `path` and read it at `rate` bytes/s for
    `secs` seconds; small receive buffers so the server really feels it."""
    sel = selectors.DefaultSelector()
    socks, got, status = [], {}, {}
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
    for _ in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.connect(("127.0.0.1", port))
        s.sendall(req)
        s.setblocking(False)
        socks.append(s)
        got[s] = 0
    tick = 0.1
    per_tick = max(1, int(rate * tick))
    end = time.monotonic() + secs
    head = {s: b"" for s in socks}
    while time.monotonic() < end:
        t0 = time.monotonic()
        for s in socks:
            try:
                data = s.recv(per_tick)
            except BlockingIOError:
                continue
            except OSError:
                continue
            if s in head and head[s] is not None:
                head[s] += data
                if b"\r\n" in head[s]:
                    status[s] = head[s].split(b"\r\n", 1)[0]
                    head[s] = None
            got[s] += len(data)
        time.sleep(max(0, tick - (time.monotonic() - t0)))
    ok = sum(1 for s in socks if status.get(s, b"").startswith(b"HTTP/1.1 200"))
    total = sum(got.values())
    for s in socks:
        s.close()
    sel.close()
    return {"clients": n, "seconds": secs, "rate_per_client": rate, "ok": ok, "bytes": total,
            "min_bytes_per_client": min(got.values()) if got else 0}


# ---------------------------------------------------------------------------
# report

def fmt(v, f="%.0f"):
    return "n/a" if v is None else f % v


def report(res):
    pts = res["points"]
    by = {(p["server"], p["object"], p["conns"]): p for p in pts}
    servers = [s for s in res["order"] if any(p["server"] == s for p in pts)]
    rows = [(o[0], c) for o in OBJECTS for c in CONNS
            if any((s, o[0], c) in by for s in servers)]
    lines = []

    def table(title, cell, names, width=13):
        width = max([width] + [len(s) + 2 for s in names])
        lines.append(title)
        lines.append("%-11s %4s " % ("object", "c") + "".join("%*s" % (width, s) for s in names))
        for o, c in rows:
            lines.append("%-11s %4d " % (o, c) + "".join("%*s" % (width, cell(s, o, c))
                                                         for s in names))
        lines.append("")

    def get(key, f="%.0f"):
        def cell(s, o, c):
            p = by.get((s, o, c))
            if not p:
                return "-"
            v = fmt(p[key], f) if not callable(key) else key(p)
            return v + ("!" if p["errors"] else "")
        return cell

    table("Requests/s (10MiB row: MiB/s); '!' marks a point with errors",
          get(lambda p: "%.0f" % (p["mib_s"] if p["object"] == LARGE else p["rps"])), servers)
    table("Latency p50 / p99, ms",
          get(lambda p: "%s/%s" % (fmt(p["p50_ms"], "%.3g"), fmt(p["p99_ms"], "%.4g"))), servers,
          17)
    table("CPU time per request, us: the server's own (+ MinIO's, for servers in front of it)",
          get(lambda p: fmt(p["cpu_us_per_req"]) + (
              "+" + fmt(p["upstream_cpu_us_per_req"])
              if p["upstream_cpu_us_per_req"] is not None else "")), servers)
    split_servers = [s for s in servers if any(p["server"] == s and p.get("workers")
                                               for p in pts)]
    if split_servers:
        table("Work split among the worker processes, busiest first: share of the workers' CPU "
              "time, %\n(client connections each worker held half-way through the run, same "
              "order)",
              get(lambda p: "%s (%s)" % (p.get("worker_cpu_split") or "n/a",
                                         p.get("worker_conns_split") or "n/a")
                  if p.get("workers") else "-"), split_servers, 15)
    lines.append("Peak RSS over all points, MiB (all the server's processes; nginx-cache and "
                 "nginx-disk also use the page cache, not counted)")
    lines.append("  " + "  ".join("%s %.1f" % (s, max(p["peak_rss_mib"] for p in pts
                                                       if p["server"] == s)) for s in servers))
    lines.append("")
    others = [s for s in res["order"] if s != "s3wwwd"]
    if "s3wwwd" in servers:
        table("Ratios s3wwwd / other (requests/s; 10MiB: throughput); n/a: not measured",
              lambda s, o, c: fmt(ratio(by, s, o, c), "%.2f"), others)
    pairs = ["%s/%s" % (mine, base) for mine in servers if mine.startswith("s3wwwd")
             for base in MINIO_BASES if base in servers]
    if pairs:
        table("Ratios to MinIO itself (requests/s; 10MiB: throughput): minio-signed verifies a "
              "SigV4\nsignature per request as it does for s3wwwd's signed requests; minio "
              "serves anonymous GETs",
              lambda s, o, c: fmt(ratio(by, s.split("/")[1], o, c, s.split("/")[0]), "%.2f"),
              pairs)
    for s, st in res["servers"].items():
        if st.get("status") != "measured":
            lines.append("%s: %s" % (s, st.get("status")))
        elif st.get("invalid"):
            lines.append("%s: not measured (wrong answers): %s" % (s, st["invalid"]))
    return "\n".join(lines)


def ratio(by, other, o, c, mine="s3wwwd"):
    a, b = by.get((mine, o, c)), by.get((other, o, c))
    if not a or not b:
        return None
    key = "mib_s" if o == LARGE else "rps"
    return a[key] / b[key] if b[key] else None


MINIO_BASES = ("minio-signed", "minio")


def add_ratios(res):
    """Each s3wwwd variant's point as a ratio to minio-signed and to minio
    (requests/s; throughput for the large object), kept in the point."""
    by = {(p["server"], p["object"], p["conns"]): p for p in res["points"]}
    for p in res["points"]:
        if p["server"].startswith("s3wwwd"):
            for base in MINIO_BASES:
                p["ratio_" + base.replace("-", "_")] = ratio(by, base, p["object"], p["conns"],
                                                             p["server"])


def targets(res):
    by = {(p["server"], p["object"], p["conns"]): p for p in res["points"]}
    out = []

    def check(name, vals, ok, worst_is_max=False):
        vals = [v for v in vals if v is not None]
        if not vals:
            out.append({"target": name, "result": "n/a", "values": []})
        else:
            worst = max(vals) if worst_is_max else min(vals)
            out.append({"target": name, "result": "met" if ok(worst) else "NOT met",
                        "worst": worst, "values": vals})

    small = ("1KiB", "index.html", "404")
    check("uncached: s3wwwd >= 3x s3www req/s on small objects and 404s",
          [ratio(by, "s3www", o, c) for o in small for c in CONNS], lambda v: v >= 3)
    check("uncached: s3wwwd >= nginx-proxy (no cache) req/s, every object and concurrency",
          [ratio(by, "nginx-proxy", o[0], c) for o in OBJECTS for c in CONNS], lambda v: v >= 1)
    check("uncached, both reading the public bucket unsigned: s3wwwd-anon >= nginx-proxy",
          [ratio(by, "nginx-proxy", o[0], c, "s3wwwd-anon") for o in OBJECTS for c in CONNS],
          lambda v: v >= 1)
    sig_small = ("1KiB", "404")
    check("uncached signed: s3wwwd >= 0.9x minio-signed req/s, 1 KiB and 404",
          [ratio(by, "minio-signed", o, c) for o in sig_small for c in CONNS],
          lambda v: v >= 0.9)
    cached = [o[0] for o in OBJECTS if o[0] != LARGE]
    check("cached: s3wwwd-cache >= 1.5x nginx-disk req/s, small pages (1 KiB, index.html)",
          [ratio(by, "nginx-disk", o, c, "s3wwwd-cache") for o in ("1KiB", "index.html")
           for c in CONNS], lambda v: v >= 1.5)
    check("cached: s3wwwd-cache >= 70% of nginx-disk req/s, every small object",
          [ratio(by, "nginx-disk", o, c, "s3wwwd-cache") for o in cached for c in CONNS],
          lambda v: v >= 0.7)
    check("cached: s3wwwd-cache >= nginx-cache req/s, every small object",
          [ratio(by, "nginx-cache", o, c, "s3wwwd-cache") for o in cached for c in CONNS],
          lambda v: v >= 1)
    check("uncached: 10 MiB throughput >= 90% of MinIO's",
          [ratio(by, "minio", LARGE, c) for c in CONNS], lambda v: v >= 0.9)
    idle = res["memory"].get("idle")
    check("idle RSS per worker < 8 MiB (fresh worker)",
          idle["worker_fresh_mib"] if idle else [], lambda v: v < 8, True)
    slow = res["memory"].get("slow_clients")
    check("1,000 slow clients on 100 MiB: total RSS < 200 MiB",
          [slow["peak_rss_mib"]] if slow else [], lambda v: v < 200, True)
    return out


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [p for p in res["points"] if p["conns"] == MID_CONNS]
    servers = [s for s in res["order"] if any(p["server"] == s for p in pts)]
    small = [o[0] for o in OBJECTS if o[0] != LARGE]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [4, 1]})
    width = 0.8 / max(len(servers), 1)
    for i, s in enumerate(servers):
        vals = []
        for o in small:
            p = next((p for p in pts if p["server"] == s and p["object"] == o), None)
            vals.append(p["rps"] if p else 0)
        ax1.bar([x + i * width for x in range(len(small))], vals, width, label=s)
        p = next((p for p in pts if p["server"] == s and p["object"] == LARGE), None)
        ax2.bar([i], [p["mib_s"] if p else 0], 0.8, color="C%d" % i)
    ax1.set_xticks([x + width * (len(servers) - 1) / 2 for x in range(len(small))])
    ax1.set_xticklabels(small)
    ax1.set_ylabel("requests/s")
    ax1.set_title("GET, keep-alive, %d connections, %d s per point" % (MID_CONNS, DURATION))
    ax1.legend(fontsize="small")
    ax2.set_xticks(range(len(servers)))
    ax2.set_xticklabels(servers, rotation=60, ha="right", fontsize="small")
    ax2.set_ylabel("MiB/s")
    ax2.set_title("10 MiB object")
    note = res.get("s3www_note")
    fig.suptitle("s3wwwd benchmark %s, %s%s" % (res["started"][:16], res["machine"],
                                                  "; " + note if note else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_csv(res, path):
    cols = ["server", "object", "conns", "rps", "mib_s", "p50_ms", "p99_ms", "cpu_us_per_req",
            "upstream_cpu_us_per_req", "peak_rss_mib", "requests", "errors",
            "worker_cpu_split", "worker_conns_split", "ratio_minio_signed", "ratio_minio"]
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for p in res["points"]:
            f.write(",".join("" if p.get(c) is None else
                             ("%.4g" % p[c] if isinstance(p[c], float) else str(p[c]))
                             for c in cols) + "\n")


def main():
    started = datetime.datetime.now(datetime.timezone.utc)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    os.makedirs(RESULTS, exist_ok=True)
    want = set(filter(None, ENV.get("BENCH_SERVERS", "").split(",")))
    want_objs = set(filter(None, ENV.get("BENCH_OBJECTS", "").split(",")))
    objects = [o for o in OBJECTS if not want_objs or o[0] in want_objs]

    b = Bench()
    # SIGTERM/SIGINT: unwind through `finally` so that every server stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    res = b.results
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    res.update(started=started.isoformat(timespec="seconds"), duration_s=DURATION, conns=CONNS,
               machine="%d cores, load %s at start" % (os.cpu_count(), "/".join(load)),
               loadavg_start=load, wrk=WRK)
    try:
        p = subprocess.run([ENV["BENCH_S3WWWD"], "-h"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        has_cache = "cache" in p.stdout.lower()
        log("starting MinIO and seeding the bucket")
        b.start_minio()
        b.make_files()
        b.seed()

        servers = [MinioDirect(b), MinioSigned(b), S3wwwd(b)]
        anon = S3wwwd(b, name="s3wwwd-anon")
        anon.anonymous = True
        servers.append(anon)
        if has_cache:
            args = ENV.get("BENCH_CACHE_ARGS", "-cache").split()
            servers.append(S3wwwd(b, args, name="s3wwwd-cache"))
        else:
            res["notes"].append("s3wwwd (cache): not measured, `s3wwwd -h` mentions no cache")
        if ENV.get("BENCH_S3WWW"):
            servers.append(S3www(b))
        else:
            why = "unavailable (%s)" % ENV.get("BENCH_S3WWW_UNAVAILABLE", "not built")
            res["s3www_note"] = "s3www: " + why
            res["servers"]["s3www"] = {"status": why}
        servers += [Nginx(b, "proxy"), Nginx(b, "cache"), Nginx(b, "disk")]
        if want:
            servers = [s for s in servers if s.name in want]
        res["order"] = [s.name for s in servers] + (["s3www"] if "s3www" not in
                                                    [s.name for s in servers]
                                                    and (not want or "s3www" in want) else [])
        for s in servers:
            b.run_server(s, objects)
        if not want or "s3wwwd" in want:
            b.idle_rss()
            if int(ENV.get("BENCH_SLOW_CLIENTS", "1000")) > 0:
                b.slow_clients()
            prof = b.profile(stamp)
            if prof:
                res["profile"] = os.path.basename(prof)
    finally:
        b.close()
    with open("/proc/loadavg") as f:
        res["loadavg_end"] = f.read().split()[:3]
    add_ratios(res)
    res["targets"] = targets(res)
    base = os.path.join(RESULTS, stamp)
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1)
    write_csv(res, base + ".csv")
    # latest.* (what the README shows) only from a run of everything.
    full = not want and not want_objs
    png = os.path.join(RESULTS, "latest.png" if full else stamp + ".png")
    if full:
        shutil.copyfile(base + ".json", os.path.join(RESULTS, "latest.json"))
    try:
        plot(res, png)
    except Exception as e:  # noqa: BLE001 - the numbers matter more than the plot
        log("plot failed: %s" % e)
    print()
    print(report(res))
    print()
    for t in res["targets"]:
        print("target: %-78s %s%s" % (t["target"], t["result"],
                                      " (worst %.2f)" % t["worst"] if "worst" in t else ""))
    for n in res["notes"]:
        print("note: " + n)
    print("load average at start %s, at end %s" % ("/".join(res["loadavg_start"]),
                                                     "/".join(res["loadavg_end"])))
    print("results: %s.json, %s.csv, %s" % (base, base, png))


if __name__ == "__main__":
    main()
