"""pytest fixtures for the packaging tests (run by tests/packaging/run.sh).

  pkgs       session  the built packages (S3WWWD_PKG_OUT, from packaging/build.sh)
  minio      session  a real MinIO on the host's loopback (harness.MinIO)
  container  session  a booted Debian 12 with systemd (nspawn.Container) on an
                      overlay of the cached tree (S3WWWD_NSPAWN_ROOT)
  repo       session  a signed apt and rpm repository (packaging/repo.sh) with
                      a key made for the run, served over HTTP on the host's
                      loopback; starts with the built version, .publish()
                      adds the newer one (S3WWWD_PKG_NEXT_OUT)

When a test fails, the tail of s3wwwd's journal in the container and of
MinIO's log are attached to its report.
"""

import functools
import glob
import http.server
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRCDIR = HERE.parent.parent
# Reuse the integration tests' MinIO and HTTP helpers.
sys.path.insert(0, str(SRCDIR / "tests" / "integration"))

import harness  # noqa: E402
import nspawn  # noqa: E402

SITE = SRCDIR / "site"


def _interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


# run.sh stops an interrupted run with SIGTERM: as a KeyboardInterrupt,
# pytest still tears the session fixtures down (container, MinIO, mounts).
signal.signal(signal.SIGTERM, _interrupt)
ACCESS_LOG = re.compile(r'\] "[A-Z]+ \S+ HTTP/1\.[01]" \d{3} ')


def _one(out, pattern):
    found = sorted(glob.glob(str(Path(out) / pattern)))
    if len(found) != 1:
        pytest.fail("expected one %s in %s, found %s (run packaging/build.sh)"
                    % (pattern, out, found), pytrace=False)
    return Path(found[0])


class Packages:
    """The built packages, and the newer version of the same tree that
    run.sh builds for the upgrade (S3WWWD_PKG_VERSION in packaging/build.sh)."""

    def __init__(self, out, next_out):
        self.out = Path(out)
        self.deb = _one(out, "s3wwwd_*_*.deb")
        self.changes = _one(out, "s3wwwd_*_*.changes")
        self.rpm = _one(out, "s3wwwd-[0-9]*.rpm")
        self.next_deb = _one(next_out, "s3wwwd_*_*.deb")
        self.next_rpm = _one(next_out, "s3wwwd-[0-9]*.rpm")

    @staticmethod
    def upstream_version(deb):
        return deb.name.split("_")[1].rsplit("-", 1)[0]


@pytest.fixture(scope="session")
def pkgs():
    out = os.environ.get("S3WWWD_PKG_OUT") or str(SRCDIR / "build" / "packaging" / "out")
    return Packages(out, os.environ.get("S3WWWD_PKG_NEXT_OUT") or os.path.join(out, "next"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Repo:
    """A signed apt and rpm repository, as users get one: published with
    packaging/repo.sh, signed with an OpenPGP key made for this run, served
    over HTTP on 127.0.0.1 (the container shares the host's network)."""

    def __init__(self, base):
        self.dir = base / "repo"
        self.gnupg = base / "gnupg"
        self.gnupg.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env = dict(os.environ, GNUPGHOME=str(self.gnupg))
        self.fpr = self._key("s3wwwd test archive <archive@s3wwwd.invalid>")
        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(self.dir)))
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _key(self, uid):
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid,
                        "ed25519", "sign", "1d"], env=self.env, check=True, capture_output=True)
        out = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys", uid],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        return [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")][0]

    def other_key(self):
        """The public part of another key, which signed nothing here."""
        fpr = self._key("somebody else <other@s3wwwd.invalid>")
        return subprocess.run(["gpg", "--batch", "--export", fpr], env=self.env, check=True,
                              capture_output=True).stdout

    def publish(self, *files):
        subprocess.run(["bash", str(SRCDIR / "packaging" / "repo.sh"), str(self.dir), self.fpr]
                       + [str(f) for f in files], env=self.env, check=True)

    @property
    def keyring(self):
        return (self.dir / "s3wwwd-archive-keyring.gpg").read_bytes()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        # Signing started a gpg-agent for this keyring; it would outlive the run.
        subprocess.run(["gpgconf", "--homedir", str(self.gnupg), "--kill", "gpg-agent"],
                       capture_output=True, check=True)


@pytest.fixture(scope="session")
def repo(pkgs, scratch):
    r = Repo(scratch / "repository")
    r.publish(pkgs.deb, pkgs.rpm)
    yield r
    r.close()


@pytest.fixture(scope="session")
def scratch():
    """A scratch directory on the same file system as the cache (overlayfs
    needs its upper and work directories together)."""
    base = os.environ.get("S3WWWD_PKG_RUNDIR")
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
        return Path(base)
    return Path(tempfile.mkdtemp(prefix="s3wwwd-pkgtest-"))


@pytest.fixture(scope="session")
def nspawn_root():
    root = os.environ.get("S3WWWD_NSPAWN_ROOT")
    if not root or not os.path.isfile(os.path.join(root, "lib/systemd/systemd")):
        pytest.fail("S3WWWD_NSPAWN_ROOT=%r is not a bootable tree "
                    "(scripts/tools.sh nspawnroot makes one)" % root, pytrace=False)
    return root


@pytest.fixture(scope="session")
def minio(request):
    m = harness.MinIO()
    try:
        m.start()
    except harness.MinIOError as e:
        m.stop()
        pytest.fail("MinIO did not start: %s" % e, pytrace=False)
    harness.SESSION_MINIO = m
    rundir = os.environ.get("S3WWWD_PKG_RUNDIR")
    if rundir:
        # run.sh's trap stops it even if pytest dies.
        Path(rundir, "minio.pid").write_text("%d\n" % m.pid)
    yield m
    harness.SESSION_MINIO = None
    m.close(keep=request.session.testsfailed > 0)
    if rundir:
        Path(rundir, "minio.pid").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def container(nspawn_root, scratch):
    c = nspawn.Container(nspawn_root, scratch / "container", "s3wwwd-pkgtest")
    try:
        c.boot()
    except Exception as e:
        c.shutdown()
        pytest.fail("the container did not boot: %s" % e, pytrace=False)
    yield c
    c.shutdown()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.failed and call.when == "call":
        c = item.funcargs.get("container") if hasattr(item, "funcargs") else None
        if c is not None and c.init_pid is not None:
            try:
                # Without the access log, which drowns everything under load.
                lines = [line for line in c.journal(lines=2000).splitlines()
                         if not ACCESS_LOG.search(line)]
                rep.sections.append(("journal of s3wwwd.service (last lines, no access log)",
                                     "\n".join(lines[-60:])))
            except Exception as e:     # the report must not hide the failure
                rep.sections.append(("journal", "unavailable: %s" % e))
        m = harness.SESSION_MINIO
        if m is not None and "minio" in getattr(item, "fixturenames", ()):
            rep.sections.append(("minio %s" % m.endpoint, m.log_tail(20)))
    return rep
