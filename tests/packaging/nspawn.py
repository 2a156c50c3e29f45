"""A Debian system booted with systemd-nspawn, for the packaging tests.

The cached tree from `scripts/tools.sh nspawnroot` is never written to: each
Overlay mounts an overlayfs with the tree as its read-only lower layer and a
scratch upper layer, so every run starts from the same pristine system and
the scratch layer is simply deleted afterwards.

Container boots that overlay with real systemd as PID 1:

    systemd-nspawn -D ROOT -b --register=no --keep-unit

(no machined: the host runs no systemd) and drives it with
`nsenter -t <container init> -a ...`.  The container shares the host's
network namespace (no --private-network), so a MinIO on the host's loopback
is at 127.0.0.1 inside it too, and the host reaches services in it the same
way.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

# The environment of every command run inside the container: nothing of the
# host's (proxies, pyenv, CI variables) leaks in.
CONTAINER_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "HOME=/root",
    "TERM=dumb",
    "SYSTEMD_PAGER=",
    "SYSTEMD_COLORS=0",
    "DEBIAN_FRONTEND=noninteractive",
]


class CommandError(AssertionError):
    pass


class Result:
    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def out(self):
        return self.stdout.strip()

    def __repr__(self):
        return "<Result %r rc=%d>" % (self.argv, self.returncode)


def _describe(res):
    return "%s exited %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        " ".join(res.argv), res.returncode, res.stdout[-4000:], res.stderr[-4000:])


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class Overlay:
    """overlayfs: `lower` read-only, changes in `base`/upper; mounted on `base`/root."""

    def __init__(self, lower, base):
        self.lower = str(lower)
        self.base = Path(base)
        self.upper = self.base / "upper"
        self.work = self.base / "work"
        self.root = self.base / "root"

    def mount(self):
        for d in (self.upper, self.work, self.root):
            d.mkdir(parents=True, exist_ok=True)
        opts = "lowerdir=%s,upperdir=%s,workdir=%s" % (self.lower, self.upper, self.work)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, str(self.root)],
                       check=True, capture_output=True, text=True)
        return self

    def unmount(self):
        """Unmount and delete the scratch layer; the lower tree is untouched."""
        if is_mounted(self.root):
            r = subprocess.run(["umount", str(self.root)], capture_output=True, text=True)
            if r.returncode != 0:
                # Something still holds it (a process in the container that
                # did not die yet): detach it; it goes when the last user does.
                subprocess.run(["umount", "-l", str(self.root)], check=True)
        # Only once nothing is mounted there can the scratch layer go.
        if not is_mounted(self.root):
            shutil.rmtree(self.base, ignore_errors=True)


class Container:
    """A booted systemd container on an Overlay of `lower`."""

    def __init__(self, lower, base, name):
        self.overlay = Overlay(lower, base)
        self.name = name
        self.log_path = Path(base).parent / (Path(base).name + "-console.log")
        self.proc = None
        self.init_pid = None

    @property
    def root(self):
        return self.overlay.root

    # -- life cycle ----------------------------------------------------------

    def boot(self, timeout=90):
        self.overlay.mount()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                ["systemd-nspawn", "--quiet", "--directory", str(self.root), "--boot",
                 "--register=no", "--keep-unit", "--machine", self.name],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            log.close()
        pidfile = os.environ.get("S3WWWD_PKG_PIDFILE")
        if pidfile:
            # run.sh's trap stops the container even if pytest dies.
            Path(pidfile).write_text("%d\n" % self.proc.pid)
        deadline = time.monotonic() + timeout
        while self.init_pid is None:
            if self.proc.poll() is not None:
                raise RuntimeError("systemd-nspawn exited with %d:\n%s"
                                   % (self.proc.returncode, self.console_tail()))
            if time.monotonic() > deadline:
                raise RuntimeError("no init process in the container after %ds" % timeout)
            self.init_pid = self._find_init()
            time.sleep(0.05)
        # The first nsenter can race the container's namespace set-up.
        while True:
            r = self.run(["systemctl", "is-system-running", "--wait"], check=False,
                         timeout=max(1, deadline - time.monotonic()))
            if r.out in ("running", "degraded"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("container did not finish booting: %r\n%s\n%s"
                                   % (r.out, r.stderr, self.console_tail()))
            time.sleep(0.2)
        self.state = r.out
        return self

    def _find_init(self):
        """The container's PID 1, seen from the host: nspawn's child running systemd."""
        pid = self.proc.pid
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                children = [int(p) for p in f.read().split()]
        except OSError:
            return None
        for c in children:
            try:
                with open("/proc/%d/comm" % c) as f:
                    if f.read().strip() == "systemd":
                        return c
            except OSError:
                pass
        return None

    def shutdown(self, timeout=30):
        """Power the container off (nspawn turns SIGTERM into a clean
        poweroff of the booted system), then remove the overlay."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        pidfile = os.environ.get("S3WWWD_PKG_PIDFILE")
        if pidfile:
            Path(pidfile).unlink(missing_ok=True)
        self.overlay.unmount()

    def console_tail(self, lines=40):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- commands ------------------------------------------------------------

    def run(self, argv, check=True, input=None, timeout=120):
        """Run argv inside the container (all its namespaces, a clean env)."""
        if isinstance(argv, str):
            argv = ["sh", "-c", argv]
        cmd = ["nsenter", "-t", str(self.init_pid), "-a", "--", "env", "-i"]
        cmd += CONTAINER_ENV + list(argv)
        p = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout,
                           text=not isinstance(input, bytes))
        out, err = p.stdout, p.stderr
        if isinstance(out, bytes):
            out, err = out.decode(errors="replace"), err.decode(errors="replace")
        res = Result(list(argv), p.returncode, out, err)
        if check and p.returncode != 0:
            raise CommandError(_describe(res))
        return res

    def sh(self, script, check=True, timeout=120):
        return self.run(["sh", "-ec", script], check=check, timeout=timeout)

    def put(self, path, data, mode=0o644):
        """Write a file inside the container (through its own mount namespace)."""
        if isinstance(data, str):
            data = data.encode()
        self.run(["sh", "-ec", 'mkdir -p "$(dirname "$1")"; cat > "$1"; chmod %o "$1"' % mode,
                  "put", path], input=data)

    def read(self, path):
        return self.run(["cat", path]).stdout

    def exists(self, path):
        return self.run(["test", "-e", path], check=False).returncode == 0

    # -- systemd -------------------------------------------------------------

    def systemctl(self, *args, check=True, timeout=120):
        return self.run(["systemctl"] + list(args), check=check, timeout=timeout)

    def show(self, unit, *props):
        """`systemctl show -p ...` as a dict."""
        args = ["show", unit]
        for p in props:
            args += ["-p", p]
        out = self.systemctl(*args).stdout
        d = {}
        for line in out.splitlines():
            k, _, v = line.partition("=")
            d[k] = v
        return d

    def prop(self, unit, name):
        return self.show(unit, name).get(name, "")

    def journal(self, unit="s3wwwd.service", since_cursor=None, lines=200):
        args = ["journalctl", "--no-pager", "-o", "short-monotonic", "-u", unit]
        if since_cursor:
            args += ["--after-cursor", since_cursor]
        else:
            args += ["-n", str(lines)]
        return self.run(args, check=False).stdout

    def journal_cursor(self):
        r = self.run(["journalctl", "--no-pager", "-n", "0", "--show-cursor"], check=False)
        for line in r.stdout.splitlines():
            if line.startswith("-- cursor: "):
                return line[len("-- cursor: "):]
        return None

    def wait_for(self, predicate, timeout=20, interval=0.1, what="condition"):
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
            time.sleep(interval)

    def children(self, pid):
        """Pids of the direct children of `pid` (a container pid)."""
        r = self.run(["ps", "-o", "pid=", "--ppid", str(pid)], check=False)
        return sorted(int(x) for x in r.stdout.split())

    def pids_of_user(self, user):
        r = self.run(["pgrep", "-u", user], check=False)
        return sorted(int(x) for x in r.stdout.split())
