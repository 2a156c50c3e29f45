"""The demo site in a real browser: headless Chromium loads it through the
daemon from the real MinIO, and the animated gif must be decoded and shown.

Chromium is driven over the DevTools protocol on --remote-debugging-pipe
(JSON messages ending in NUL on fds 3 and 4), so no driver, websocket
library or network port is needed.  The page itself reports what it shows:
the image's decoded size and layout box, and its pixels, read back through
a canvas, must be the colours of the gif's palette with the red bucket in
them.
"""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import harness
from harness import http

SITE_DIR = harness.SRCDIR / "site"
CHROMIUM = os.environ.get("S3WWWD_CHROMIUM") or "/usr/bin/chromium"

# The gif's palette (scripts/make-demo-gif.py); 0xc72c48 is the bucket's body.
PALETTE = [
    (0xff, 0xff, 0xff), (0x1f, 0x29, 0x37), (0xc7, 0x2c, 0x48), (0x9b, 0x1d, 0x36),
    (0x5a, 0x12, 0x22), (0xe8, 0x5d, 0x75), (0xf8, 0xfa, 0xfc), (0xcb, 0xd5, 0xe1),
    (0xe3, 0x4f, 0x26), (0x26, 0x4d, 0xe4), (0xf0, 0xc0, 0x1c), (0xe2, 0xe8, 0xf0),
    (0xff, 0xd8, 0x4d), (0x94, 0xa3, 0xb8), (0x64, 0x74, 0x8b),
]
BUCKET_RED = (0xc7, 0x2c, 0x48)

# Runs in the page once it has loaded: what does the browser show?
PAGE_PROBE = r"""
(() => {
  const img = document.getElementById('logo');
  if (!img) return JSON.stringify({error: 'no #logo'});
  const box = img.getBoundingClientRect();
  const out = {
    title: document.title,
    complete: img.complete,
    naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight,
    currentSrc: img.currentSrc,
    box: [box.left, box.top, box.width, box.height],
    viewport: [window.innerWidth, window.innerHeight],
  };
  const entry = performance.getEntriesByName(img.currentSrc)[0];
  if (entry) {
    out.responseStatus = entry.responseStatus;
    out.encodedBodySize = entry.encodedBodySize;
  }
  if (img.naturalWidth > 0) {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = {};
    let transparent = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] !== 255) { transparent++; continue; }
      const k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
      counts[k] = (counts[k] || 0) + 1;
    }
    out.colours = counts;
    out.transparent = transparent;
  }
  return JSON.stringify(out);
})()
"""


class DevTools:
    """Chromium with the DevTools protocol on a pipe pair."""

    def __init__(self, profile_dir, timeout=30.0):
        self.timeout = timeout
        self._id = 0
        self._buf = b""
        self.events = []
        # Chromium reads commands from fd 3 and writes replies to fd 4.
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        # Keep the child's ends above 9 so that the shell's 3<& and 4>& below
        # cannot clobber one another.
        child_r = _fd_above(cmd_r, 10)
        child_w = _fd_above(rep_w, 10)
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-dev-shm-usage", "--no-proxy-server", "--mute-audio",
                "--window-size=800,600", "--user-data-dir=%s" % profile_dir,
                "--remote-debugging-pipe", "about:blank"]
        script = 'exec "$@" 3<&%d 4>&%d %d<&- %d>&-' % (child_r, child_w, child_r, child_w)
        self.stderr_path = str(profile_dir) + ".stderr"
        with open(self.stderr_path, "wb") as err:
            # bash, not sh: dash cannot redirect descriptors above 9.
            self.proc = subprocess.Popen(["bash", "-c", script, "bash"] + args,
                                         stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         pass_fds=(child_r, child_w), start_new_session=True)
        for fd in (cmd_r, rep_w, child_r, child_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self.wfd, self.rfd = cmd_w, rep_r

    def stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-3000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def send(self, method, params=None, session=None):
        """Send a command; returns its id."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.wfd, data)
            data = data[n:]
        return self._id

    def _next(self, deadline):
        """The next message from Chromium (a dict); fails on timeout/exit."""
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail("no DevTools message from Chromium within %.0fs\n%s"
                            % (self.timeout, self.stderr_tail()), pytrace=False)
            r, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
            if not r:
                if self.proc.poll() is not None:
                    pytest.fail("Chromium exited with %d\n%s" % (self.proc.returncode,
                                                                   self.stderr_tail()),
                                pytrace=False)
                continue
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                pytest.fail("Chromium closed the DevTools pipe\n%s" % self.stderr_tail(),
                            pytrace=False)
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        """Send a command and wait for its result (events are kept)."""
        mid = self.send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._next(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    pytest.fail("DevTools %s failed: %r" % (method, msg["error"]), pytrace=False)
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method, session=None):
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and (session is None or ev.get("sessionId") == session):
                return self.events.pop(i)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._next(deadline)
            if msg.get("method") == method and (session is None or
                                                msg.get("sessionId") == session):
                return msg
            self.events.append(msg)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("Browser.close")
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        # Chromium's helpers (zygote, renderer) share its process group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass


def _fd_above(fd, low):
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_DUPFD, low)


def seed_site(minio, bucket):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "S3WWW", "MINIO_")) and k != "S3_ENDPOINT"}
    env["AWS_ACCESS_KEY_ID"] = minio.access_key
    env["AWS_SECRET_ACCESS_KEY"] = minio.secret_key
    p = subprocess.run([harness.bin("s3wwwd-seed"), "--endpoint", minio.endpoint,
                        "--bucket", bucket, "--dir", str(SITE_DIR)],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout


def nearest_palette_distance(rgb):
    return min(sum(abs(a - b) for a, b in zip(rgb, p)) for p in PALETTE)


@pytest.fixture
def chromium(tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("no Chromium at %s (install the chromium package)" % CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=str(tmp_path))
    dt = DevTools(profile)
    try:
        yield dt
    finally:
        dt.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_demo_site_renders_the_gif_in_chromium(minio, bucket, daemon_factory, chromium):
    seed_site(minio, bucket)
    port = harness.free_port()
    d = daemon_factory.start(harness.daemon_config(minio, bucket, port))
    gif = (SITE_DIR / "s3wwwd.gif").read_bytes()

    # What the daemon hands out, byte for byte, before the browser asks.
    r = http(port, "GET", "/s3wwwd.gif")
    assert r.status == 200 and r.body == gif
    assert r.headers["content-type"] == "image/gif"
    mark = len(d.log())

    url = "http://127.0.0.1:%d/" % port
    target = chromium.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = chromium.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
    chromium.call("Page.enable", session=session)
    # No cache: the gif must come from the daemon in this load.
    chromium.call("Network.enable", session=session)
    chromium.call("Network.setCacheDisabled", {"cacheDisabled": True}, session=session)
    nav = chromium.call("Page.navigate", {"url": url}, session=session)
    assert not nav.get("errorText"), nav
    chromium.wait_event("Page.loadEventFired", session=session)
    res = chromium.call("Runtime.evaluate", {"expression": PAGE_PROBE, "returnByValue": True},
                        session=session)
    assert "exceptionDetails" not in res, res
    page = json.loads(res["result"]["value"])
    print("page:", {k: v for k, v in page.items() if k != "colours"},
          "%d colours" % len(page.get("colours", {})))

    assert page.get("title") == "s3wwwd", page
    assert page["complete"] is True
    assert (page["naturalWidth"], page["naturalHeight"]) == (160, 150)
    assert page["currentSrc"] == url + "s3wwwd.gif"
    left, top, width, height = page["box"]
    vw, vh = page["viewport"]
    assert (width, height) == (160, 150)
    assert 0 <= left and left + width <= vw and 0 <= top and top + height <= vh, page
    assert page.get("responseStatus") == 200, page
    assert page.get("encodedBodySize") == len(gif), page

    # The decoded pixels: an opaque picture in the gif's colours, mostly the
    # white background, with a good part of the red bucket.
    colours = {tuple(int(v) for v in k.split(",")): n for k, n in page["colours"].items()}
    assert page["transparent"] == 0
    assert sum(colours.values()) == 160 * 150
    off = {c: n for c, n in colours.items() if nearest_palette_distance(c) > 6}
    assert not off, "colours not in the gif's palette: %r" % off
    red = sum(n for c, n in colours.items() if sum(abs(a - b) for a, b in zip(c, BUCKET_RED)) <= 6)
    assert red >= 500, "only %d bucket-red pixels: %r" % (red, colours)
    assert len([c for c, n in colours.items() if n >= 20]) >= 6, colours

    # The daemon served both requests of this page load, and logged them.
    log = d.log()[mark:]
    assert re.search(r'"GET / HTTP/1\.1" 200 \d+ ', log), log
    m = re.search(r'"GET /s3wwwd\.gif HTTP/1\.1" 200 (\d+) "%s"' % re.escape(url), log)
    assert m, log
    assert int(m.group(1)) == len(gif)
