"""Credentials that rotate without a restart: the daemon watches the
directories of its credential files (inotify) and reloads by itself once a
change is complete, as a Kubernetes Secret volume or an operator's editor
makes it.  Against a real MinIO, with real users created and removed by the
MinIO client (S3WWWD_MC, built by run.sh)."""
import os
import subprocess
import threading
import time
import urllib.parse

import pytest

import harness
from harness import http, put_object


class Mc:
    """The MinIO client against the suite's MinIO, with its own config dir."""

    def __init__(self, minio, tmp_path):
        self.bin = os.environ.get("S3WWWD_MC", "")
        self.dir = str(tmp_path / "mc")
        if not self.bin or not os.access(self.bin, os.X_OK):
            pytest.fail("S3WWWD_MC is not set: run the suite with tests/integration/run.sh",
                        pytrace=False)
        # The root keys go in mc's MC_HOST_<alias> variable, not as
        # arguments: a generated secret that begins with "-" would be read
        # as a flag (it was, once in about 64 runs).
        u = urllib.parse.urlsplit(minio.endpoint)
        self.env = dict(os.environ, NO_PROXY="*", no_proxy="*", MC_HOST_local="%s://%s:%s@%s" % (
            u.scheme, urllib.parse.quote(minio.access_key, safe=""),
            urllib.parse.quote(minio.secret_key, safe=""), u.netloc))

    def run(self, *args):
        r = subprocess.run([self.bin, "--config-dir", self.dir, "--no-color", *args],
                           capture_output=True, text=True, timeout=60, env=self.env)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout

    def add_user(self, user, secret):
        self.run("admin", "user", "add", "local", user, secret)
        self.run("admin", "policy", "attach", "local", "readonly", "--user", user)

    def remove_user(self, user):
        self.run("admin", "user", "remove", "local", user)


class SecretVolume:
    """A directory laid out as Kubernetes mounts a Secret: the files are
    symlinks through "..data", which points at a timestamped directory, and
    an update swaps "..data" in one rename."""

    def __init__(self, path):
        self.path = path
        self.n = 0
        os.makedirs(path)

    def write(self, **files):
        self.n += 1
        gen = "..2026_12_04_%02d" % self.n
        os.makedirs(os.path.join(self.path, gen))
        for name, value in files.items():
            with open(os.path.join(self.path, gen, name), "w") as f:
                f.write(value + "\n")
        tmp = os.path.join(self.path, "..data_tmp")
        os.symlink(gen, tmp)
        os.replace(tmp, os.path.join(self.path, "..data"))
        for name in files:
            link = os.path.join(self.path, name)
            if not os.path.islink(link):
                os.symlink(os.path.join("..data", name), link)

    def file(self, name):
        return os.path.join(self.path, name)


class Poller(threading.Thread):
    """A client that keeps asking for the page, new connection each time
    half of the time, and records every answer that is not the page."""

    def __init__(self, port, body):
        super().__init__(daemon=True)
        self.port, self.body = port, body
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            try:
                r = http(self.port, "GET", "/index.html", timeout=10)
                if (r.status, r.body) == (200, self.body):
                    self.ok += 1
                else:
                    self.failures.append((time.monotonic(), r.status, r.body[:80]))
            except OSError as e:
                self.failures.append((time.monotonic(), "error", str(e)))
            time.sleep(0.005)

    def finish(self):
        self.stop.set()
        self.join(30)


def config(minio, bucket, port, vol):
    return harness.daemon_config(minio, bucket, port).replace(
        "\taccess_key = %s;\n\tsecret_key = %s;\n" % (harness._cfg_str(minio.access_key),
                                                     harness._cfg_str(minio.secret_key)),
        '\taccess_key_file = "%s";\n\tsecret_key_file = "%s";\n'
        % (vol.file("access_key"), vol.file("secret_key")))


def reloads(d):
    return d.log().count("changed on disk:")


def test_rotation_without_restart(daemon_factory, minio, s3, bucket, tmp_path):
    body = b"rotating\n"
    put_object(s3, bucket, "index.html", body, content_type="text/html")
    mc = Mc(minio, tmp_path)
    old = ("rotold%d" % os.getpid(), "old-secret-%d-xxxxxxxx" % os.getpid())
    new = ("rotnew%d" % os.getpid(), "new-secret-%d-yyyyyyyy" % os.getpid())
    mc.add_user(*old)
    vol = SecretVolume(str(tmp_path / "secret"))
    vol.write(access_key=old[0], secret_key=old[1])
    port = harness.free_port()
    text = config(minio, bucket, port, vol)
    assert "access_key_file" in text and "secret_key = " not in text
    d = daemon_factory.start(text)
    master = d.proc.pid
    first_kids = set(d.children())
    assert http(port, "GET", "/index.html").body == body

    poller = Poller(port, body)
    poller.start()
    try:
        time.sleep(0.5)
        # The new user exists in MinIO first, then the Secret is updated in
        # one swap, as Kubernetes does it.
        mc.add_user(*new)
        mark = len(d.log())
        swapped = time.monotonic()
        vol.write(access_key=new[0], secret_key=new[1])
        d.wait_log(r"changed on disk: access key, secret key; reloading", timeout=10,
                   start=mark)
        m = d.wait_log(r"reloaded: generation \d+ serving", timeout=30, start=mark)
        took = time.monotonic() - swapped
        print("new keys in use %.2f s after the swap" % took)
        # The old generation drains and exits; then the old user goes.
        harness.wait_for(lambda: not (set(d.children()) & first_kids), 30,
                         what="the old workers to exit")
        mc.remove_user(old[0])
        time.sleep(2.0)
    finally:
        poller.finish()
    assert poller.failures == [], poller.failures[:5]
    assert poller.ok > 100, poller.ok
    assert d.proc.pid == master and d.proc.poll() is None   # no restart
    # One reload for one swap, and no secret in the log.
    assert reloads(d) == 1, d.log()
    assert old[1] not in d.log() and new[1] not in d.log()
    assert m is not None
    # The old key is gone for good: a fresh request works, with the new key.
    assert http(port, "GET", "/index.html").body == body
    mc.remove_user(new[0])


def test_incomplete_files_keep_the_current_keys(daemon_factory, minio, s3, bucket, tmp_path):
    """A file emptied or being written is never used: the daemon keeps its
    keys and says why; once the files are complete it reloads once.  A
    burst of writes to both files gives one reload."""
    body = b"steady\n"
    put_object(s3, bucket, "index.html", body, content_type="text/html")
    mc = Mc(minio, tmp_path)
    user = ("rotinc%d" % os.getpid(), "inc-secret-%d-zzzzzzzzz" % os.getpid())
    mc.add_user(*user)
    keys = tmp_path / "keys"
    keys.mkdir()
    ak, sk = keys / "access_key", keys / "secret_key"
    ak.write_text(minio.access_key + "\n")
    sk.write_text(minio.secret_key + "\n")
    port = harness.free_port()
    text = harness.daemon_config(minio, bucket, port).replace(
        "\taccess_key = %s;\n\tsecret_key = %s;\n" % (harness._cfg_str(minio.access_key),
                                                     harness._cfg_str(minio.secret_key)),
        '\taccess_key_file = "%s";\n\tsecret_key_file = "%s";\n' % (ak, sk))
    d = daemon_factory.start(text)
    poller = Poller(port, body)
    poller.start()
    try:
        mark = len(d.log())
        ak.write_text("")          # emptied, as a careless rewrite leaves it
        d.wait_log(r"cannot be used yet, keeping the current ones: .*empty", timeout=10,
                   start=mark)
        time.sleep(0.5)
        assert "changed on disk" not in d.log()[mark:]
        # Both files rewritten in a burst, in place: one reload.
        mark = len(d.log())
        for _ in range(3):
            ak.write_text(user[0] + "\n")
            sk.write_text(user[1] + "\n")
            time.sleep(0.05)
        d.wait_log(r"changed on disk: access key, secret key; reloading", timeout=10,
                   start=mark)
        d.wait_log(r"reloaded: generation \d+ serving", timeout=30, start=mark)
        time.sleep(1.5)
        assert d.log()[mark:].count("changed on disk") == 1, d.log()[mark:]
    finally:
        poller.finish()
    assert poller.failures == [], poller.failures[:5]
    assert http(port, "GET", "/index.html").body == body
    mc.remove_user(user[0])
