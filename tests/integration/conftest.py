"""pytest fixtures for the s3wwwd integration tests (see harness.py).

  minio           session  one real MinIO server (harness.MinIO) for the run
  s3              session  boto3 S3 client on it: root creds, path-style, us-east-1
  bucket          function a fresh bucket name; emptied and deleted afterwards
  daemon_factory  function harness.DaemonFactory: .start(config_text, args, env, ...)
                           returns a harness.Daemon; all are stopped at teardown

A test that stops the session MinIO gets it restarted after it.  When a test
fails, the tails of its daemons' logs and of MinIO's log are attached to the
report.
"""

import shutil
import subprocess

import pytest

import harness


def pytest_report_header(config):
    return ["s3wwwd: SRCDIR=%s BUILDDIR=%s" % (harness.SRCDIR, harness.BUILDDIR)]


@pytest.fixture(scope="session")
def minio(request):
    m = harness.MinIO()
    try:
        m.start()
    except harness.MinIOError as e:
        m.stop()
        pytest.fail("MinIO did not start: %s" % e, pytrace=False)
    harness.SESSION_MINIO = m
    yield m
    harness.SESSION_MINIO = None
    # After a failure keep MinIO's data and log for a look.
    m.close(keep=request.session.testsfailed > 0)


@pytest.fixture(autouse=True)
def _minio_restart_guard():
    """Restart the session MinIO if a test left it stopped or killed."""
    yield
    m = getattr(harness, "SESSION_MINIO", None)
    if m is not None and not m.running:
        m.start()


@pytest.fixture(scope="session")
def s3(minio):
    return harness.s3_client(minio)


@pytest.fixture
def bucket(minio, s3, request):
    name = harness.unique_bucket_name(request.node.name)
    s3.create_bucket(Bucket=name)
    yield name
    if not minio.running:
        minio.start()
    try:
        harness.delete_bucket(s3, name)
    except s3.exceptions.NoSuchBucket:
        pass    # the test removed it itself


@pytest.fixture
def daemon_factory(request, tmp_path):
    factory = harness.DaemonFactory(tmp_path / "s3wwwd")
    request.node._s3wwwd_daemon_factory = factory
    yield factory
    problems = factory.cleanup()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.failed:
        factory = getattr(item, "_s3wwwd_daemon_factory", None)
        for d in factory.daemons if factory else ():
            rep.sections.append(("s3wwwd pid %d port %s: %s" % (d.pid, d.port, d.log_path),
                                 d.log_tail(80)))
        m = getattr(harness, "SESSION_MINIO", None)
        if m is not None and "minio" in item.fixturenames:
            rep.sections.append(("minio %s: %s" % (m.endpoint, m.log_path), m.log_tail(30)))
    return rep


@pytest.fixture(scope="session")
def tls_minio(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    base = tmp_path_factory.mktemp("tls-minio")
    certs = base / "certs"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(certs / "private.key"), "-out", str(certs / "public.crt"),
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "2"], check=True, capture_output=True)
    m = harness.TLSMinIO(base_dir=base)
    try:
        try:
            m.start()
        except harness.MinIOError as e:
            pytest.fail("TLS MinIO did not start: %s" % e, pytrace=False)
        yield m
    finally:
        # Also when start() failed half-way: never leave a server behind.
        m.close()
