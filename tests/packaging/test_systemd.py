"""The .deb in a booted Debian 12 with real systemd as PID 1.

One container for the module; the tests run in this order and each leaves
the system in the state the next one expects (installed, configured,
stopped), the way an operator would go through it:

  add the signed apt repository (signed-by=) and apt-get install from it ->
  security rating -> start and serve -> watchdog -> reload under load ->
  broken reloads -> kill -9 -> stop -> low port -> socket activation ->
  a newer version published, apt-get upgrade under load (no failed request,
  same MainPID, edited conffile kept) -> remove (config kept) -> reinstall
  from the repository -> purge

The service talks to a real MinIO on the host's loopback (the container
shares the host's network) and is seeded with the packaged s3wwwd-seed.
"""

import re
import socket
import time
from pathlib import Path

import pytest

import harness
from load import Load

SRCDIR = Path(__file__).resolve().parent.parent.parent
SITE = SRCDIR / "site"
README = SRCDIR / "packaging" / "README.md"
BUCKET = "site"
CONF = "/etc/s3wwwd/s3wwwd.conf"
ENV = "/etc/s3wwwd/s3wwwd.env"
UNIT = "s3wwwd.service"
DROPIN_DIR = "/etc/systemd/system/s3wwwd.service.d"
KEYRING = "/usr/share/keyrings/s3wwwd-archive-keyring.gpg"
SOURCES = "/etc/apt/sources.list.d/s3wwwd.list"
SOCKET_DROPIN_DIR = "/etc/systemd/system/s3wwwd.socket.d"

# The opt-in for a port below 1024 without socket activation, exactly as
# packaging/README.md gives it.
LOW_PORT_DROPIN = """\
[Service]
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
PrivateUsers=no
"""


class Svc:
    """What the tests share: ports, the configuration, the expected bodies,
    and the steps that bring the container to the state a test starts from
    (each a no-op when an earlier test already did it), so that a single
    test can also be run alone (run.sh -k ...)."""

    def __init__(self, container, pkgs, minio, repo):
        self.c = container
        self.pkgs = pkgs
        self.minio = minio
        self.repo = repo
        self.port = harness.free_port()
        self.index = (SITE / "index.html").read_bytes()
        self.gif = (SITE / "s3wwwd.gif").read_bytes()
        self.snapshot = None
        self.configured = False

    def installed(self):
        return self.c.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "s3wwwd"],
                          check=False).out == "installed"

    def add_source(self, keyring=None):
        """The repository as packaging/README.md tells users to add it."""
        self.c.put(KEYRING, keyring if keyring is not None else self.repo.keyring)
        self.c.put(SOURCES, "deb [signed-by=%s] %s/deb stable main\n" % (KEYRING, self.repo.url))

    def apt_update(self, check=True):
        """apt-get update of this source alone (the container's Debian
        sources are not needed: the libraries are in the tree)."""
        r = self.c.run(["apt-get", "update", "-o", "Dir::Etc::sourcelist=" + SOURCES,
                        "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0"],
                       check=False, timeout=300)
        assert r.returncode == 0 or not check, r.stdout + r.stderr
        return r

    def install(self):
        """apt-get install s3wwwd, from the signed repository."""
        if not self.c.exists(SOURCES):
            self.add_source()
            self.apt_update()
        r = self.c.run(["apt-get", "install", "-y", "--no-install-recommends", "s3wwwd"],
                       check=False, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr

    def ensure_installed(self):
        if not self.installed():
            self.install()

    def configure(self):
        """Seed the bucket with the packaged s3wwwd-seed (from inside the
        container), put the endpoint in the configuration and the
        credentials in the environment file."""
        c = self.c
        self.ensure_installed()
        for f in SITE.iterdir():
            c.put("/root/site/" + f.name, f.read_bytes())
        c.run(["env", "S3WWW_ACCESS_KEY=" + self.minio.access_key,
               "S3WWW_SECRET_KEY=" + self.minio.secret_key,
               "s3wwwd-seed", "-q", "-e", self.minio.endpoint, "-b", BUCKET, "-d", "/root/site"])
        c.put(CONF, self.config(), 0o640)
        c.put(ENV, self.env, 0o600)
        c.run(["chgrp", "s3wwwd", CONF])
        assert c.run(["s3wwwd", "-t", "-c", CONF], check=False).returncode == 0
        self.configured = True

    def ensure_configured(self):
        self.ensure_installed()
        if not self.configured:
            self.configure()

    def ensure_running(self):
        self.ensure_configured()
        if self.c.prop(UNIT, "ActiveState") != "active":
            self.c.systemctl("start", UNIT)

    def config(self, port=None, extra=""):
        # The endpoint by name: resolving it must work inside the sandbox
        # (RestrictAddressFamilies= has no AF_NETLINK, for instance).
        endpoint = "http://localhost:%d" % self.minio.port
        return ("# written by tests/packaging\n"
                'listen = "127.0.0.1:%d";\n'
                "workers = 2;\n"
                's3: { endpoint = "%s"; bucket = "%s"; };\n'
                'limits: { drain_timeout = "10s"; };\n'
                "%s" % (port or self.port, endpoint, BUCKET, extra))

    @property
    def env(self):
        return ("# written by tests/packaging\nS3WWW_ACCESS_KEY=%s\nS3WWW_SECRET_KEY=%s\n"
                % (self.minio.access_key, self.minio.secret_key))


@pytest.fixture(scope="module")
def svc(container, pkgs, minio, repo):
    return Svc(container, pkgs, minio, repo)


def get(port, path="/", timeout=10):
    return harness.http(port, "GET", path, timeout=timeout)


def listening(port):
    """Whether something listens on TCP `port`, from /proc/net/tcp{,6} (the
    container shares this network namespace).  No connection is made, which
    would start a socket-activated service."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def main_pid(c):
    return int(c.prop(UNIT, "MainPID"))


def workers(c, pid=None):
    return c.children(pid or main_pid(c))


def wait_workers(c, n, pid=None, timeout=20):
    """Wait until the master has exactly n children (old generations gone)."""
    return c.wait_for(lambda: (lambda w: w if len(w) == n else None)(workers(c, pid)),
                      timeout, what="%d workers" % n)


def proc_status(c, pid):
    fields = {}
    for line in c.read("/proc/%d/status" % pid).splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return fields


def assert_clean_stop(journal):
    assert "master: info: stopped" in journal, journal
    assert "s3wwwd.service: Deactivated successfully." in journal, journal
    for bad in ("Main process exited", "Failed with result", "Killing process",
                "State 'stop-sigterm' timed out", "status=1/FAILURE"):
        assert bad not in journal, journal


def fs_snapshot(c):
    """Every path on the container's root file system, less /root (where the
    tests put their own files)."""
    out = c.run(["find", "/", "-xdev", "-path", "/root", "-prune", "-o", "-print"]).stdout
    return set(out.splitlines())


# Paths that change on any package operation, unrelated to what s3wwwd
# leaves behind: dpkg's and apt's own records and logs, and the backup
# copies shadow-utils keeps of the account files (passwd- is the file as it
# was before the last change).
CHURN = re.compile(r"^/var/lib/dpkg/|^/var/cache/(apt|debconf|ldconfig)/|^/var/lib/apt/"
                   r"|^/var/log/(apt/|dpkg\.log|alternatives\.log|journal/)"
                   r"|^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-$"
                   # Debian's daily dpkg-db-backup.timer, which fires at
                   # midnight whatever the test does (a CI run at 00:00 saw it).
                   r"|^/var/backups/")


# -- install ---------------------------------------------------------------------------

def test_install_from_the_signed_repository(container, svc, pkgs, repo):
    c = container
    assert not svc.installed()
    svc.snapshot = fs_snapshot(c)
    assert c.run(["getent", "passwd", "s3wwwd"], check=False).returncode == 2
    # apt checks the signature: with the key of somebody else, the
    # repository is refused and s3wwwd is not offered.
    svc.add_source(keyring=repo.other_key())
    r = svc.apt_update(check=False)
    assert r.returncode != 0 and "NO_PUBKEY" in r.stdout + r.stderr, r.stdout + r.stderr
    assert c.run(["apt-cache", "policy", "s3wwwd"]).out == ""
    # With the repository's own key (signed-by=, as packaging/README.md says).
    svc.add_source()
    svc.apt_update()
    svc.install()
    assert svc.installed()
    assert c.run(["dpkg-query", "-W", "-f=${Version}", "s3wwwd"]).out == \
        pkgs.deb.name.split("_")[1]
    # The system user from sysusers.d: no login, no home.
    pw = c.run(["getent", "passwd", "s3wwwd"]).out.split(":")
    assert int(pw[2]) < 1000 and pw[5] == "/nonexistent" and pw[6].endswith("nologin"), pw
    assert c.run(["getent", "group", "s3wwwd"]).returncode == 0
    # tmpfiles.d applied the permissions.
    st = c.run(["stat", "-c", "%n %a %U %G", "/etc/s3wwwd", CONF, ENV]).stdout.splitlines()
    assert st == ["/etc/s3wwwd 750 root s3wwwd", CONF + " 640 root s3wwwd",
                  ENV + " 600 root root"], st
    # Installed, known to systemd, neither enabled nor started.
    for unit in (UNIT, "s3wwwd.socket"):
        assert c.systemctl("is-enabled", unit, check=False).out == "disabled", unit
        assert c.systemctl("is-active", unit, check=False).out == "inactive", unit
    # --man=no: the minimal system has no man(1); the pages are checked below.
    v = c.run(["systemd-analyze", "verify", "--man=no", UNIT, "s3wwwd.socket"], check=False)
    assert v.returncode == 0 and v.stderr.strip() == "", v.stderr
    for page in ("man8/s3wwwd.8.gz", "man5/s3wwwd.conf.5.gz", "man1/s3wwwd-seed.1.gz"):
        assert c.exists("/usr/share/man/" + page), page
    assert c.run(["s3wwwd", "-version"]).out.startswith("s3wwwd ")


def test_security_rating(container, svc):
    svc.ensure_installed()
    r = container.run(["systemd-analyze", "security", "--no-pager", UNIT], check=False)
    m = re.search(r"Overall exposure level for s3wwwd\.service: (\d+\.\d) (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    score, rating = float(m.group(1)), m.group(2)
    # The settings that still add to the exposure, for the record.
    print("\n".join(line for line in r.stdout.splitlines() if line.startswith("✗")))
    print("systemd-analyze security: %.1f %s" % (score, rating))
    assert rating in ("PERFECT", "SAFE", "OK"), r.stdout
    # The README states the score; keep it true.
    doc = re.search(r"systemd-analyze security s3wwwd\.service`?: \**(\d+\.\d) (\w+)",
                    README.read_text())
    assert doc, "packaging/README.md does not state the score"
    assert (float(doc.group(1)), doc.group(2)) == (score, rating), \
        "README says %s %s, systemd says %.1f %s" % (doc.group(1), doc.group(2), score, rating)


# -- running -----------------------------------------------------------------------------

def test_start_serves_demo_page(container, svc):
    c = container
    svc.configure()
    c.systemctl("start", UNIT)
    p = c.show(UNIT, "ActiveState", "SubState", "MainPID", "StatusText", "NRestarts")
    assert (p["ActiveState"], p["SubState"]) == ("active", "running"), p
    assert "serving" in p["StatusText"], p
    r = get(svc.port, "/")
    assert r.status == 200 and r.body == svc.index, r
    r = get(svc.port, "/s3wwwd.gif")
    assert r.status == 200 and r.body == svc.gif
    assert get(svc.port, "/healthz").status == 200
    # /readyz reaches the bucket with the credentials from the environment file.
    assert get(svc.port, "/readyz").status == 200

    # The sandbox is in force: an unprivileged user, no capabilities, no
    # new privileges, a seccomp filter; two workers, likewise.
    pid = int(p["MainPID"])
    for q in [pid] + wait_workers(c, 2, pid):
        assert c.run(["ps", "-o", "user=", "-p", str(q)]).out == "s3wwwd"
        st = proc_status(c, q)
        assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0, st
        assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st


def test_watchdog(container, svc):
    """The master pings the watchdog; a master that stops is killed and
    restarted by systemd."""
    c = container
    svc.ensure_configured()
    # Short enough to see several pings and a timeout quickly; not shorter:
    # the master's loop wakes once a second, so its pings can be up to about
    # WatchdogSec/2 + 1 s apart.
    c.put(DROPIN_DIR + "/test-watchdog.conf", "[Service]\nWatchdogSec=4s\n")
    try:
        c.systemctl("daemon-reload")
        c.systemctl("restart", UNIT)
        p = c.show(UNIT, "WatchdogUSec", "MainPID", "NRestarts", "WatchdogTimestampMonotonic")
        assert p["WatchdogUSec"] == "4s", p
        pid, restarts = int(p["MainPID"]), int(p["NRestarts"])
        t0 = int(p["WatchdogTimestampMonotonic"])
        time.sleep(9)   # more than two watchdog periods
        p = c.show(UNIT, "MainPID", "NRestarts", "WatchdogTimestampMonotonic", "ActiveState")
        assert int(p["WatchdogTimestampMonotonic"]) > t0, "no WATCHDOG=1 in 9 s"
        assert (int(p["MainPID"]), int(p["NRestarts"]), p["ActiveState"]) == \
            (pid, restarts, "active"), p
        assert get(svc.port).status == 200

        # Freeze the master: no more pings.
        cursor = c.journal_cursor()
        c.run(["kill", "-STOP", str(pid)])
        c.wait_for(lambda: c.prop(UNIT, "ActiveState") == "active" and main_pid(c) not in (0, pid),
                   timeout=30, what="a restart after the watchdog fired")
        assert int(c.prop(UNIT, "NRestarts")) == restarts + 1
        assert "Watchdog timeout" in c.journal(since_cursor=cursor)
        assert get(svc.port).body == svc.index
    finally:
        c.run(["rm", "-f", DROPIN_DIR + "/test-watchdog.conf"])
        c.systemctl("daemon-reload")
    c.systemctl("restart", UNIT)
    assert c.prop(UNIT, "WatchdogUSec") == "30s"


def test_reload_under_load(container, svc):
    c = container
    svc.ensure_running()
    pid = main_pid(c)
    before = wait_workers(c, 2)
    cursor = c.journal_cursor()
    load = Load(svc.port, "/", svc.index, threads=6, duration=7.0).start()
    time.sleep(1.0)
    for _ in range(3):
        r = c.systemctl("reload", UNIT, check=False)
        assert r.returncode == 0, r.stderr
        time.sleep(1.5)
    load.join()
    print("load during 3 reloads: " + load.summary())
    assert load.failed == 0, load.summary()
    assert load.ok >= 200, "too little load to prove anything: " + load.summary()
    assert main_pid(c) == pid
    after = wait_workers(c, 2)
    assert not set(after) & set(before), "the workers were not replaced"
    assert c.prop(UNIT, "ActiveState") == "active"
    assert "reloaded: generation" in c.journal(since_cursor=cursor)


def test_broken_config_reload_fails_and_old_workers_serve(container, svc):
    c = container
    svc.ensure_running()
    pid = main_pid(c)
    before = wait_workers(c, 2)
    good = c.read(CONF)
    cursor = c.journal_cursor()
    load = Load(svc.port, "/", svc.index, threads=4, duration=4.0).start()
    try:
        assert "workers = 2;" in good
        c.put(CONF, good.replace("workers = 2;", "workers = ;"), 0o640)    # a syntax error
        r = c.systemctl("reload", UNIT, check=False)
        assert r.returncode != 0, "reload of a broken configuration succeeded"
        assert c.prop(UNIT, "ActiveState") == "active"
        assert main_pid(c) == pid and workers(c) == before
        assert get(svc.port).body == svc.index
    finally:
        load.join()
        c.put(CONF, good, 0o640)
    print("load during the failed reload: " + load.summary())
    assert load.failed == 0, load.summary()
    assert "configuration test failed" in c.journal(since_cursor=cursor)
    c.systemctl("reload", UNIT)


def test_reload_that_the_daemon_rejects_keeps_old_workers(container, svc):
    """A configuration that passes `s3wwwd -t` but cannot be applied (the
    new listen address is taken): systemd's reload succeeds, the daemon says
    why in STATUS= and keeps serving with the old workers."""
    c = container
    svc.ensure_running()
    pid = main_pid(c)
    before = wait_workers(c, 2)
    good = c.read(CONF)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        c.put(CONF, svc.config(port=busy.getsockname()[1]), 0o640)
        c.systemctl("reload", UNIT)
        status = c.wait_for(lambda: (lambda s: s if "reload failed" in s else None)(
            c.prop(UNIT, "StatusText")), timeout=15, what="STATUS=reload failed")
        print("StatusText: " + status)
        assert c.prop(UNIT, "ActiveState") == "active"
        assert main_pid(c) == pid and workers(c) == before
        assert get(svc.port).body == svc.index
    finally:
        busy.close()
        c.put(CONF, good, 0o640)
    c.systemctl("reload", UNIT)
    c.wait_for(lambda: "reload failed" not in c.prop(UNIT, "StatusText"), timeout=15,
               what="a good reload")


def test_kill_main_process_restarts(container, svc):
    c = container
    svc.ensure_running()
    pid = main_pid(c)
    old = workers(c)
    restarts = int(c.prop(UNIT, "NRestarts"))
    c.run(["kill", "-KILL", str(pid)])
    c.wait_for(lambda: c.prop(UNIT, "ActiveState") == "active" and main_pid(c) not in (0, pid),
               timeout=20, what="systemd to restart s3wwwd")
    assert int(c.prop(UNIT, "NRestarts")) == restarts + 1
    # KillMode=mixed: the orphaned workers of the killed master are gone.
    alive = c.run(["ps", "-o", "pid=", "-p", ",".join(map(str, old))], check=False).out
    assert alive == "", alive
    assert get(svc.port).body == svc.index


def test_stop_exits_cleanly(container, svc):
    c = container
    svc.ensure_running()
    cursor = c.journal_cursor()
    r = c.systemctl("stop", UNIT, check=False)
    assert r.returncode == 0, r.stderr
    assert c.prop(UNIT, "ActiveState") == "inactive"
    assert c.pids_of_user("s3wwwd") == []
    assert not listening(svc.port)
    # systemd unloads a stopped unit soon (its ExecMain* properties with it),
    # so the journal is the record: the master drained and exited with 0,
    # nothing had to be killed.
    assert_clean_stop(c.journal(since_cursor=cursor))


def test_low_port_needs_the_opt_in(container, svc):
    """Without the drop-in the unit has no capability at all, so a port below
    1024 fails; with the drop-in from the README it works."""
    c = container
    svc.ensure_configured()
    low = None
    for port in range(1000, 600, -1):
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
            low = port
            break
        except OSError:
            continue
    assert low, "no free port below 1024 on 127.0.0.1"
    good = c.read(CONF)
    try:
        c.put(CONF, svc.config(port=low), 0o640)
        cursor = c.journal_cursor()
        r = c.systemctl("start", UNIT, check=False)
        assert r.returncode != 0, "bound port %d without CAP_NET_BIND_SERVICE" % low
        journal = c.journal(since_cursor=cursor)
        c.systemctl("stop", UNIT, check=False)        # no restart loop
        c.systemctl("reset-failed", UNIT, check=False)
        assert "Permission denied" in journal or "permission denied" in journal.lower(), journal

        c.put(DROPIN_DIR + "/low-port.conf", LOW_PORT_DROPIN)
        c.systemctl("daemon-reload")
        sec = c.run(["systemd-analyze", "security", "--no-pager", UNIT], check=False).stdout
        m = re.search(r"Overall exposure level for s3wwwd\.service: (\d+\.\d) (\w+)", sec)
        print("with the low-port opt-in: %s %s" % m.groups())
        assert m.group(2) in ("PERFECT", "SAFE", "OK"), sec
        c.systemctl("start", UNIT)
        r = get(low)
        assert r.status == 200 and r.body == svc.index
        st = proc_status(c, main_pid(c))
        assert int(st["CapEff"], 16) == 1 << 10, st     # CAP_NET_BIND_SERVICE only
    finally:
        c.systemctl("stop", UNIT, check=False)
        c.systemctl("reset-failed", UNIT, check=False)
        c.run(["rm", "-f", DROPIN_DIR + "/low-port.conf"])
        c.systemctl("daemon-reload")
        c.put(CONF, good, 0o640)


def test_socket_activation(container, svc):
    c = container
    svc.ensure_configured()
    main, ops, cfg = harness.free_port(), harness.free_port(), harness.free_port()
    good = c.read(CONF)
    c.put(CONF, svc.config(port=cfg), 0o640)
    c.put(SOCKET_DROPIN_DIR + "/test.conf",
          "[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\nListenStream=127.0.0.1:%d\n"
          % (main, ops))
    try:
        c.systemctl("daemon-reload")
        # systemd refuses to start a socket whose service already runs.
        c.systemctl("stop", UNIT)
        cursor = c.journal_cursor()
        c.systemctl("start", "s3wwwd.socket")
        assert listening(main) and listening(ops)    # systemd holds the sockets...
        assert c.systemctl("is-active", UNIT, check=False).out == "inactive"
        # ...and the first request starts the service and is answered by it.
        r = get(main, "/", timeout=30)
        assert r.status == 200 and r.body == svc.index, r
        assert c.prop(UNIT, "ActiveState") == "active"
        assert "using 2 socket(s) from systemd" in c.journal(since_cursor=cursor)
        assert not listening(cfg), "the daemon bound its own listen address too"
        # The second socket is the ops listener.
        assert get(ops, "/healthz").status == 200
        m = get(ops, "/metrics")
        assert m.status == 200 and b"s3wwwd_" in m.body
        assert get(ops, "/").status == 404

        # A reload keeps the sockets; no request fails.
        load = Load(main, "/", svc.index, threads=4, duration=4.0).start()
        time.sleep(1)
        c.systemctl("reload", UNIT)
        load.join()
        print("load during a socket-activated reload: " + load.summary())
        assert load.failed == 0, load.summary()

        cursor = c.journal_cursor()
        c.systemctl("stop", "s3wwwd.socket", UNIT)
        assert_clean_stop(c.journal(since_cursor=cursor))
        assert not listening(main) and not listening(ops)
        assert c.pids_of_user("s3wwwd") == []
    finally:
        c.systemctl("stop", "s3wwwd.socket", UNIT, check=False)
        c.run(["rm", "-rf", SOCKET_DROPIN_DIR])
        c.systemctl("daemon-reload")
        c.put(CONF, good, 0o640)


# -- upgrade -----------------------------------------------------------------------------

def test_upgrade_from_the_repository_under_load(container, svc, pkgs, repo):
    """A newer version is published; apt-get upgrade reloads the running
    service, whose master executes the new program in place: no request
    fails, MainPID stays, the edited configuration stays, and no prompt."""
    c = container
    svc.ensure_running()
    new = pkgs.upstream_version(pkgs.next_deb)
    assert new != pkgs.upstream_version(pkgs.deb)
    conf = c.read(CONF) + "# edited by the operator\n"
    c.put(CONF, conf, 0o640)
    c.run(["chgrp", "s3wwwd", CONF])
    pid = main_pid(c)
    before = wait_workers(c, 2)
    repo.publish(pkgs.next_deb, pkgs.next_rpm)
    svc.apt_update()
    cursor = c.journal_cursor()
    load = Load(svc.port, "/", svc.index, threads=6, duration=12.0).start()
    time.sleep(1.0)
    # No --force-conf* option and no terminal: a conffile question would
    # fail the upgrade.
    r = c.run(["apt-get", "upgrade", "-y"], check=False, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert c.run(["dpkg-query", "-W", "-f=${Version}", "s3wwwd"]).out == \
        pkgs.next_deb.name.split("_")[1]
    c.wait_for(lambda: "upgraded to s3wwwd %s" % new in c.journal(since_cursor=cursor), 30,
               what="the master to run the new program")
    after = wait_workers(c, 2)
    load.join()
    print("load during apt-get upgrade: " + load.summary())
    assert load.failed == 0, load.summary()
    assert load.ok >= 200, "too little load to prove anything: " + load.summary()
    # Not restarted: the same process runs the new file.
    assert main_pid(c) == pid and c.prop(UNIT, "ActiveState") == "active"
    assert c.run(["readlink", "/proc/%d/exe" % pid]).out == "/usr/sbin/s3wwwd"
    assert not set(after) & set(before), "the old workers still run"
    assert c.run(["s3wwwd", "-version"]).out == "s3wwwd " + new
    assert c.read(CONF) == conf
    assert get(svc.port).body == svc.index


# -- removal -----------------------------------------------------------------------------

def test_remove_keeps_edited_config(container, svc):
    c = container
    svc.ensure_configured()
    c.systemctl("start", UNIT)
    assert get(svc.port).status == 200
    conf, env = c.read(CONF), c.read(ENV)
    assert conf.startswith("# written by tests/packaging")
    r = c.run(["apt-get", "remove", "-y", "s3wwwd"], check=False, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    # Stopped first, then gone: no daemon, no program, no unit.
    assert c.pids_of_user("s3wwwd") == [] and not listening(svc.port)
    assert not c.exists("/usr/sbin/s3wwwd") and not c.exists("/usr/bin/s3wwwd-seed")
    assert c.run(["systemctl", "cat", UNIT], check=False).returncode != 0
    # The edited configuration and the credentials stay.
    assert c.read(CONF) == conf and c.read(ENV) == env
    assert c.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "s3wwwd"]).out == "config-files"

    # Installing again from the repository keeps them, and the service runs
    # with them at once.
    svc.install()
    assert c.read(CONF) == conf and c.read(ENV) == env
    c.systemctl("start", UNIT)
    assert get(svc.port).body == svc.index


def test_purge_leaves_nothing(container, svc):
    c = container
    svc.ensure_running()
    assert c.prop(UNIT, "ActiveState") == "active"      # purging a running service
    uid = c.run(["id", "-u", "s3wwwd"]).out
    r = c.run(["apt-get", "purge", "-y", "s3wwwd"], check=False, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert c.run(["dpkg-query", "-W", "s3wwwd"], check=False).returncode != 0
    assert uid not in c.run(["ps", "-e", "-o", "uid="]).stdout.split()
    assert not listening(svc.port)
    # No user, no group.
    assert c.run(["getent", "passwd", "s3wwwd"], check=False).returncode == 2
    assert c.run(["getent", "group", "s3wwwd"], check=False).returncode == 2
    # No unit, no enablement state.
    assert c.systemctl("list-unit-files", "s3wwwd*", "--no-legend", check=False).out == ""
    # What the operator added (the repository's source and key) and apt's
    # cache of downloaded packages go as an operator removes them.
    c.run(["rm", "-f", SOURCES, KEYRING])
    c.run(["apt-get", "clean"])
    # No file: nothing named after s3wwwd, nothing owned by the deleted user,
    # and nothing new at all compared with before the install.
    found = c.run("find / -xdev -path /root -prune -o -name '*s3wwwd*' -print").out
    assert found == "", found
    orphans = c.run("find / -xdev \\( -nouser -o -nogroup \\) -print").out
    assert orphans == "", orphans
    if svc.snapshot is None:
        pytest.skip("no snapshot from before the install (test_install_with_apt did not run)")
    new = sorted(p for p in fs_snapshot(c) - svc.snapshot if not CHURN.search(p))
    assert new == [], "left behind: %s" % new
