"""How s3wwwd reaches the bucket: virtual-host addressing, and temporary
credentials with a session token, both against a real MinIO.

Virtual host: a MinIO with MINIO_DOMAIN=localhost answers
http://BUCKET.localhost:PORT/KEY (libcurl resolves any *.localhost name to
the loopback itself, RFC 6761, so no DNS is needed).  The same daemon
configuration against a MinIO without that domain fails, which shows that
the bucket travelled in the Host header and not in the path.

Session token: MinIO's STS (AssumeRole) issues real temporary credentials;
s3wwwd signs with them and sends X-Amz-Security-Token.  Without the token the
same keys are refused, which shows the token is what makes them work.
"""

import boto3
import pytest
from botocore.config import Config

import harness
from harness import http, put_object, start_serving


@pytest.fixture(scope="module")
def domain_minio():
    m = harness.MinIO(env={"MINIO_DOMAIN": "localhost"})
    try:
        try:
            m.start()
        except harness.MinIOError as e:
            pytest.fail("MinIO with MINIO_DOMAIN did not start: %s" % e, pytrace=False)
        yield m
    finally:
        m.close()


def vhost_config(m, bucket, port, virtual=True):
    return harness.daemon_config(m, bucket, port).replace(
        'endpoint = "%s";' % m.endpoint,
        'endpoint = "http://localhost:%d"; virtual_host = %s;' % (m.port, "true" if virtual else "false"))


def test_virtual_host_addressing(daemon_factory, domain_minio, minio):
    s3 = harness.s3_client(domain_minio)
    bucket = harness.unique_bucket_name("vhost")
    s3.create_bucket(Bucket=bucket)
    put_object(s3, bucket, "index.html", b"virtual host\n", content_type="text/html")
    put_object(s3, bucket, "dir/a b.txt", b"spaced\n", content_type="text/plain")
    port = harness.free_port()
    d = start_serving(daemon_factory, vhost_config(domain_minio, bucket, port))
    r = http(port, "GET", "/")
    assert (r.status, r.body) == (200, b"virtual host\n"), r
    r = http(port, "GET", "/dir/a%20b.txt")
    assert (r.status, r.body) == (200, b"spaced\n"), r
    assert http(port, "GET", "/missing.txt").status == 404
    assert http(port, "GET", "/readyz").status == 200
    d.stop()

    # The same bucket and keys on a MinIO that knows no domain: the Host
    # header's bucket means nothing to it, so the daemon gets no object.
    s3b = harness.s3_client(minio)
    s3b.create_bucket(Bucket=bucket)
    try:
        put_object(s3b, bucket, "index.html", b"virtual host\n", content_type="text/html")
        port = harness.free_port()
        start_serving(daemon_factory, vhost_config(minio, bucket, port))
        r = http(port, "GET", "/")
        assert r.status != 200 and b"virtual host" not in r.body, r
        # ... while path style on the same MinIO finds it.
        port = harness.free_port()
        start_serving(daemon_factory, vhost_config(minio, bucket, port, virtual=False))
        assert http(port, "GET", "/").body == b"virtual host\n"
    finally:
        harness.delete_bucket(s3b, bucket)
        harness.delete_bucket(s3, bucket)


def temporary_credentials(m):
    """Real temporary credentials from MinIO's STS, for its root user."""
    sts = boto3.client("sts", endpoint_url=m.endpoint, region_name="us-east-1",
                       aws_access_key_id=m.access_key, aws_secret_access_key=m.secret_key,
                       config=Config(retries={"max_attempts": 1}))
    c = sts.assume_role(RoleArn="arn:minio:iam:::role/s3wwwd-test", RoleSessionName="s3wwwd-test",
                        DurationSeconds=900)["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


def sts_config(m, bucket, port, key, secret, token_line):
    text = harness.daemon_config(m, bucket, port)
    text = text.replace('access_key = "%s";' % m.access_key, 'access_key = "%s";' % key)
    text = text.replace('secret_key = "%s";' % m.secret_key, 'secret_key = "%s"; %s' % (secret, token_line))
    assert key in text and secret in text
    return text


def test_session_token_from_sts(daemon_factory, minio, s3, bucket, tmp_path):
    put_object(s3, bucket, "index.html", b"temporary\n", content_type="text/html")
    key, secret, token = temporary_credentials(minio)
    assert key != minio.access_key and len(token) > 100

    # Inline, and from a file (re-read on reload, as the *_file settings are).
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    for line in ('session_token = "%s";' % token, 'session_token_file = "%s";' % token_file):
        port = harness.free_port()
        d = start_serving(daemon_factory, sts_config(minio, bucket, port, key, secret, line))
        r = http(port, "GET", "/")
        assert (r.status, r.body) == (200, b"temporary\n"), (line[:20], r)
        assert http(port, "GET", "/readyz").status == 200
        assert token.encode() not in http(port, "GET", "/metrics").body
        d.stop()

    # The same keys without the token: MinIO refuses them, and s3wwwd says
    # so as its own failure (502, not a 403 that blames the client).
    port = harness.free_port()
    start_serving(daemon_factory, sts_config(minio, bucket, port, key, secret, ""))
    assert http(port, "GET", "/").status == 502
    assert http(port, "GET", "/readyz").status == 503
