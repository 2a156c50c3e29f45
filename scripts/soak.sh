#!/bin/bash
# Soak test for s3wwwd (issue 7).  Not part of CI: it runs for half an hour.
#
#   scripts/soak.sh                 S3WWWD_SOAK_MINUTES (default 30) of mixed
#                                   load with a SIGHUP reload every minute
#   scripts/soak.sh --valgrind [PYTEST ARGS]
#                                   the integration suite (default:
#                                   tests/integration/test_serving.py) with
#                                   every daemon under valgrind memcheck
#
# Soak mode starts a real MinIO (scripts/tools.sh minio) and the built daemon
# on loopback, seeds a bucket, and drives it with a bounded Python load
# client (S3WWWD_SOAK_CLIENTS keep-alive clients, default 8): small and large
# objects, ranges, HEAD, conditional requests, 404s, /metrics.  Every answer
# is checked (status and body digest).  Each minute it reloads the daemon
# with SIGHUP and samples the RSS and open descriptors of the master and its
# workers.  At the end it prints a table and a verdict:
#   - no failed request (a request refused on a keep-alive connection that
#     the server had just closed is retried once, as browsers do, and counted
#     separately);
#   - RSS flat: the last sample within 10% + 4 MiB of the one after warm-up;
#   - no descriptor leak: once the load stops, the master and the workers
#     hold as many descriptors as at the start.
#
# Environment: S3WWWD_SOAK_MINUTES (30), S3WWWD_SOAK_CLIENTS (8),
# S3WWWD_BUILDDIR (default: build/soak, configured and built here),
# S3WWWD_MINIO (else scripts/tools.sh minio).  Exit code 0 if the verdict is
# PASS.  The last line is "soak: N passed, N failed" (one per criterion).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRCDIR"

bash scripts/deps.sh >/dev/null
py=$(bash scripts/tools.sh pyenv)
if [ -z "${S3WWWD_MINIO:-}" ]; then
	S3WWWD_MINIO=$(bash scripts/tools.sh minio)
fi
export S3WWWD_MINIO

if [ -z "${S3WWWD_BUILDDIR:-}" ]; then
	S3WWWD_BUILDDIR=$SRCDIR/build/soak
	if [ ! -x "$S3WWWD_BUILDDIR/s3wwwd" ]; then
		[ -x configure ] || autoreconf -fi >/dev/null
		mkdir -p "$S3WWWD_BUILDDIR"
		(cd "$S3WWWD_BUILDDIR" && "$SRCDIR/configure" >/dev/null)
	fi
	make -C "$S3WWWD_BUILDDIR" -j"$(nproc)" >/dev/null
fi
export S3WWWD_BUILDDIR S3WWWD_SRCDIR=$SRCDIR

# Every run leaves what it printed in tests/results/, so that a figure the
# README quotes has its run behind it.
mode=soak
[ "${1:-}" = --valgrind ] && mode=valgrind
mkdir -p "$SRCDIR/tests/results"
result=$SRCDIR/tests/results/$mode-$(date -u +%Y%m%d-%H%M%S).txt
exec > >(tee "$result") 2>&1
echo "# scripts/soak.sh $*: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
	"$(nproc) cores, S3WWWD_SOAK_MINUTES=${S3WWWD_SOAK_MINUTES:-30}, started $(date -u +%FT%TZ)"

if [ "${1:-}" = --valgrind ]; then
	shift
	[ "$#" -gt 0 ] || set -- tests/integration/test_serving.py
	vgdir=$(mktemp -d /tmp/s3wwwd-valgrind.XXXXXX)
	# One log per process (the master and every forked worker: valgrind
	# follows fork by itself).  Sockets and pipes the daemon inherits are
	# not ours to close, hence no --track-fds.
	export S3WWWD_WRAPPER="valgrind --tool=memcheck --leak-check=full \
--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
--num-callers=30 --log-file=$vgdir/vg.%p.log"
	# Everything is 20-50 times slower under valgrind: the time bounds the
	# tests assert grow with the slowdown factor (tests/integration/
	# harness.py), and what counts here is memcheck.
	export S3WWWD_TEST_TIMEOUT=900 S3WWWD_TEST_SLOWDOWN=${S3WWWD_TEST_SLOWDOWN:-25}
	rc=0
	bash tests/integration/run.sh -q "$@" || rc=$?
	echo
	echo "==> valgrind memcheck: $(find "$vgdir" -name 'vg.*.log' | wc -l) process logs in $vgdir"
	bad=0
	for f in "$vgdir"/vg.*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$f"; then
			bad=$((bad + 1))
			echo "---- $f"
			sed -n '/ERROR SUMMARY\|Invalid\|uninitialised\|definitely lost in\|indirectly lost in/,+25p' \
				"$f" | head -n 120
		fi
	done
	echo "pytest exit code $rc (timing failures are expected under valgrind)"
	if [ "$bad" -eq 0 ]; then
		echo "valgrind: 1 passed, 0 failed"
	else
		echo "valgrind: 0 passed, 1 failed ($bad process(es) with memcheck errors)"
	fi
	[ "$bad" -eq 0 ]
	exit
fi

exec "$py" - "$@" <<'PY'
import hashlib
import http.client
import os
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ["S3WWWD_SRCDIR"], "tests", "integration"))
import harness  # noqa: E402

MINUTES = float(os.environ.get("S3WWWD_SOAK_MINUTES", "30"))
CLIENTS = int(os.environ.get("S3WWWD_SOAK_CLIENTS", "8"))

work = tempfile.mkdtemp(prefix="s3wwwd-soak-")
minio = harness.MinIO()
factory = harness.DaemonFactory(os.path.join(work, "daemon"))
stop = threading.Event()
rc = 1


def cleanup():
    stop.set()
    try:
        factory.cleanup()
    finally:
        minio.close()


try:
    minio.start()
    s3 = minio.client()
    bucket = harness.unique_bucket_name("soak")
    s3.create_bucket(Bucket=bucket)
    objects = {}
    for i in range(50):
        objects["small/%d.txt" % i] = (b"small object %d\n" % i) * (i + 1)
    for i in range(5):
        objects["medium/%d.bin" % i] = os.urandom(256 << 10)
    objects["large.bin"] = os.urandom(8 << 20)
    objects["index.html"] = b"<h1>soak</h1>\n"
    for k, v in objects.items():
        harness.put_object(s3, bucket, k, v)
    digests = {k: hashlib.sha256(v).hexdigest() for k, v in objects.items()}
    etags = {k: '"%s"' % hashlib.md5(v).hexdigest() for k, v in objects.items()}

    port = harness.free_port()
    text = harness.daemon_config(minio, bucket, port,
                                 'log: { level = "info"; access = ""; };').replace(
        'log: { level = "info"; };\n', "")
    d = factory.start(text)
    d.wait_log(r"serving .* with 2 workers", timeout=15)

    lock = threading.Lock()
    stats = {"ok": 0, "failed": 0, "retried": 0, "bytes": 0}
    failures = []

    def one(conn, i, k):
        """One request; returns True if it was answered as expected."""
        kind = i % 10
        if kind < 5:
            key = "small/%d.txt" % (i % 50)
            conn.request("GET", "/" + key)
            want, body_key, rng = 200, key, None
        elif kind == 5:
            key = "medium/%d.bin" % (i % 5)
            conn.request("GET", "/" + key)
            want, body_key, rng = 200, key, None
        elif kind == 6:
            a = (i * 7919) % (8 << 20)
            conn.request("GET", "/large.bin", headers={"Range": "bytes=%d-%d" % (a, a + 65535)})
            want, body_key, rng = 206, "large.bin", (a, min(a + 65535, (8 << 20) - 1))
        elif kind == 7:
            key = "small/%d.txt" % (i % 50)
            conn.request("GET", "/" + key, headers={"If-None-Match": etags[key]})
            want, body_key, rng = 304, None, None
        elif kind == 8:
            conn.request("GET", "/missing/%d" % i)
            want, body_key, rng = 404, None, None
        else:
            conn.request("HEAD", "/index.html" if i % 20 else "/metrics")
            want, body_key, rng = 200, None, None
        r = conn.getresponse()
        body = r.read()
        ok = r.status == want
        if ok and body_key is not None:
            data = objects[body_key]
            if rng:
                ok = body == data[rng[0]:rng[1] + 1]
            else:
                ok = hashlib.sha256(body).hexdigest() == digests[body_key]
        with lock:
            stats["bytes"] += len(body)
        if not ok:
            raise RuntimeError("request %d: status %d (want %d), %d bytes" % (i, r.status, want,
                                                                              len(body)))
        if r.getheader("Connection", "").lower() == "close":
            conn.close()

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        used = False
        i = k
        large_every = 0
        while not stop.is_set():
            i += CLIENTS
            try:
                one(conn, i, k)
                used = True
                with lock:
                    stats["ok"] += 1
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                conn.close()
                # A keep-alive connection the server closed while our
                # request was on its way: retry once on a new connection,
                # as any HTTP client does for an idempotent request.
                if used:
                    try:
                        one(conn, i, k)
                        with lock:
                            stats["ok"] += 1
                            stats["retried"] += 1
                        used = True
                        continue
                    except Exception as e2:   # noqa: BLE001
                        e = e2
                with lock:
                    stats["failed"] += 1
                    failures.append("%s: %r" % (time.strftime("%H:%M:%S"), e))
                conn.close()
                used = False
            except Exception as e:   # noqa: BLE001
                with lock:
                    stats["failed"] += 1
                    failures.append("%s: %r" % (time.strftime("%H:%M:%S"), e))
                conn.close()
                used = False
            large_every += 1
            if large_every % 200 == 0:
                # Now and then the whole 8 MiB object, checked.
                try:
                    c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    c2.request("GET", "/large.bin")
                    r = c2.getresponse()
                    b = r.read()
                    c2.close()
                    if r.status != 200 or hashlib.sha256(b).hexdigest() != digests["large.bin"]:
                        raise RuntimeError("large.bin: %d, %d bytes" % (r.status, len(b)))
                    with lock:
                        stats["ok"] += 1
                        stats["bytes"] += len(b)
                except Exception as e:   # noqa: BLE001
                    with lock:
                        stats["failed"] += 1
                        failures.append("%s: large %r" % (time.strftime("%H:%M:%S"), e))
        conn.close()

    def rss_kib(pid):
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(pid):
        return len(os.listdir("/proc/%d/fd" % pid))

    def tcp_inodes():
        """{inode: (local port, remote port)} of every TCP socket."""
        out = {}
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(name) as f:
                    next(f)
                    for line in f:
                        p = line.split()
                        out[p[9]] = (int(p[1].rsplit(":", 1)[1], 16),
                                     int(p[2].rsplit(":", 1)[1], 16))
            except OSError:
                pass
        return out

    def fd_kinds(pids):
        """Descriptors of pids split into upstream connections (to MinIO),
        client connections, and everything else (listeners, epoll, timers,
        pipes, files): the last kind must not grow."""
        tcp = tcp_inodes()
        up = cl = other = 0
        for pid in pids:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                except OSError:
                    continue
                ino = link[8:-1] if link.startswith("socket:[") else None
                lr = tcp.get(ino)
                if lr and lr[1] == minio.port:
                    up += 1
                elif lr and lr[0] == port and lr[1] != 0:
                    cl += 1
                else:
                    other += 1
        return up, cl, other

    def sample(label, reloads):
        kids = d.children()
        row = {
            "t": label,
            "reloads": reloads,
            "master_rss": rss_kib(d.pid),
            "workers_rss": sum(rss_kib(p) for p in kids),
            "max_worker_rss": max([rss_kib(p) for p in kids] or [0]),
            "master_fds": fds(d.pid),
            "worker_fds": sum(fds(p) for p in kids),
            "workers": len(kids),
        }
        row["up"], row["clients"], row["other"] = fd_kinds(kids)
        with lock:
            row.update(ok=stats["ok"], failed=stats["failed"], retried=stats["retried"])
        return row

    rows = [sample("start", 0)]
    idle_start = rows[0]
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    reloads = 0
    minute = 0
    print("soak: %.0f minute(s), %d clients, daemon pid %d on port %d"
          % (MINUTES, CLIENTS, d.pid, port), flush=True)
    hdr = "%6s %7s %10s %11s %11s %10s %11s %16s %9s %7s %7s" % (
        "min", "reloads", "master KiB", "workers KiB", "max wrk KiB", "master fd",
        "worker fds", "(up/client/other)", "ok", "failed", "retried")
    print(hdr, flush=True)

    def show(r):
        print("%6s %7d %10d %11d %11d %10d %11d %16s %9d %7d %7d" % (
            r["t"], r["reloads"], r["master_rss"], r["workers_rss"], r["max_worker_rss"],
            r["master_fds"], r["worker_fds"], "%d/%d/%d" % (r["up"], r["clients"], r["other"]),
            r["ok"], r["failed"], r["retried"]), flush=True)

    show(rows[0])
    while time.monotonic() - t0 < MINUTES * 60:
        next_min = t0 + (minute + 1) * 60
        time.sleep(max(0, min(next_min, t0 + MINUTES * 60) - time.monotonic()))
        minute += 1
        # Sample just before the reload, when the workers have run a full minute.
        rows.append(sample(str(minute), reloads))
        show(rows[-1])
        if time.monotonic() - t0 < MINUTES * 60 - 1:
            mark = len(d.log())
            d.signal(signal.SIGHUP)
            reloads += 1
            d.wait_log(r"reloaded: generation", timeout=30, start=mark)
    stop.set()
    for t in threads:
        t.join(60)
    # Let the workers close what the clients left and the old generation go.
    time.sleep(3)
    end = sample("end", reloads)
    show(end)
    elapsed = time.monotonic() - t0

    verdict = []
    verdict.append(("no failed request", stats["failed"] == 0,
                    "%d ok, %d failed, %d retried on a closed keep-alive connection"
                    % (stats["ok"], stats["failed"], stats["retried"])))
    base = rows[2] if len(rows) > 3 else rows[-1]     # after warm-up
    last = rows[-1]
    grow = last["workers_rss"] - base["workers_rss"]
    flat = grow <= base["workers_rss"] * 0.10 + 4096 and \
        last["master_rss"] - base["master_rss"] <= base["master_rss"] * 0.10 + 4096
    verdict.append(("RSS flat", flat, "workers %d -> %d KiB, master %d -> %d KiB (minute %s -> %s)"
                    % (base["workers_rss"], last["workers_rss"], base["master_rss"],
                       last["master_rss"], base["t"], last["t"])))
    # Idle again: no client connection left, the same number of everything
    # else as at the start, and upstream connections only as many as the
    # pool keeps (bounded by the number of clients that ran at once).
    fd_ok = end["master_fds"] == idle_start["master_fds"] and end["clients"] == 0 and \
        end["other"] == idle_start["other"] and end["up"] <= 2 * CLIENTS and \
        end["workers"] == 2
    verdict.append(("no fd leak", fd_ok,
                    "master %d -> %d; workers' other fds %d -> %d, clients %d, pooled upstream %d"
                    % (idle_start["master_fds"], end["master_fds"], idle_start["other"],
                       end["other"], end["clients"], end["up"])))
    alive = d.running and not d.sanitizer_errors()
    verdict.append(("daemon alive, no sanitizer report", alive, "pid %d" % d.pid))
    print("\nsoak summary: %.1f min, %d requests (%.0f/s), %.1f GiB sent, %d reloads"
          % (elapsed / 60, stats["ok"] + stats["failed"], (stats["ok"] + stats["failed"]) / elapsed,
             stats["bytes"] / 2**30, reloads))
    for name, ok, why in verdict:
        print("  %-36s %s  (%s)" % (name, "PASS" if ok else "FAIL", why))
    for f in failures[:20]:
        print("  failure: " + f)
    npass = sum(1 for v in verdict if v[1])
    print("soak verdict: %s" % ("PASS" if npass == len(verdict) else "FAIL"))
    print("soak: %d passed, %d failed" % (npass, len(verdict) - npass))
    rc = 0 if npass == len(verdict) else 1
finally:
    cleanup()
sys.exit(rc)
PY
