"""A small, bounded HTTP load generator for the reload tests.

Threads send GET requests to a service on loopback for a fixed time and
check every answer (status 200 and the exact expected body).  Half of the
threads reuse one keep-alive connection (http.client reconnects by itself
after a response with "Connection: close", which the daemon sends while it
drains), the other half open a new connection for every request, so that a
reload is exercised both on established connections and on the listening
socket.

Everything that is not a complete 200 with the right body is a failure,
recorded with its kind, so that a report says where failures come from.
"""

import http.client
import threading
import time
from collections import Counter


class Load:
    def __init__(self, port, path, expect_body, threads=6, duration=6.0, host="127.0.0.1",
                 timeout=10.0):
        self.port = port
        self.path = path
        self.expect_body = expect_body
        self.nthreads = threads
        self.duration = duration
        self.host = host
        self.timeout = timeout
        self.ok = 0
        self.failures = Counter()
        self.examples = []
        self.closes_seen = 0          # responses that carried Connection: close
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []

    def _fail(self, kind, detail):
        with self._lock:
            self.failures[kind] += 1
            if len(self.examples) < 10:
                self.examples.append("%s: %s" % (kind, detail))

    def _worker(self, keepalive):
        conn = None
        end = time.monotonic() + self.duration
        while not self._stop.is_set() and time.monotonic() < end:
            if conn is None or not keepalive:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                conn.request("GET", self.path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    with self._lock:
                        self.closes_seen += 1
                if resp.status != 200:
                    self._fail("status %d" % resp.status, body[:200])
                elif body != self.expect_body:
                    self._fail("wrong body", "%d bytes" % len(body))
                else:
                    with self._lock:
                        self.ok += 1
            except (OSError, http.client.HTTPException) as e:
                kind = "%s on a %s connection" % (type(e).__name__,
                                                  "reused" if keepalive else "new")
                self._fail(kind, str(e))
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def start(self):
        for i in range(self.nthreads):
            t = threading.Thread(target=self._worker, args=(i % 2 == 0,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        return self.join()

    def join(self):
        for t in self._threads:
            t.join(self.duration + self.timeout + 5)
        return self

    @property
    def failed(self):
        return sum(self.failures.values())

    def summary(self):
        return "%d ok, %d failed %s, %d responses with Connection: close%s" % (
            self.ok, self.failed, dict(self.failures), self.closes_seen,
            "".join("\n  " + e for e in self.examples))
