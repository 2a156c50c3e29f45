"""pytest fixtures for the packaging tests (run by tests/packaging/run.sh).

  pkgs       session  the built packages (S3WWWD_PKG_OUT, from packaging/build.sh)
  minio      session  a real MinIO on the host's loopback (harness.MinIO)
  container  session  a booted Debian 12 with systemd (nspawn.Container) on an
                      overlay of the cached tree (S3WWWD_NSPAWN_ROOT)

When a test fails, the tail of s3wwwd's journal in the container and of
MinIO's log are attached to its report.
"""

import glob
import os
import re
import signal
import sys
import tempfile
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


class Packages:
    def __init__(self, out):
        self.out = Path(out)

        def one(pattern):
            found = sorted(glob.glob(str(self.out / pattern)))
            if len(found) != 1:
                pytest.fail("expected one %s in %s, found %s (run packaging/build.sh)"
                            % (pattern, self.out, found), pytrace=False)
            return Path(found[0])

        self.deb = one("s3wwwd_*_*.deb")
        self.changes = one("s3wwwd_*_*.changes")
        self.rpm = one("s3wwwd-[0-9]*.rpm")


@pytest.fixture(scope="session")
def pkgs():
    out = os.environ.get("S3WWWD_PKG_OUT") or str(SRCDIR / "build" / "packaging" / "out")
    return Packages(out)


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
