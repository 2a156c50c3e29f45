/*
 * check_tls.c - unit tests for the TLS layer.
 *
 * Certificates are made at test time with the OpenSSL API, so the tests
 * need no fixture files and no openssl command.  The handshake tests run
 * the server side exactly as a worker would, non-blocking and driven by
 * poll(), against an ordinary blocking OpenSSL client in a forked child,
 * over a socketpair.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

#define POLL_MS 20000 /* generous: valgrind is slow */

static char tmpdir[64];
static char cert_pem[128], key_pem[128], key2_pem[128], garbage_pem[128];
static char enc_key_pem[128], missing_pem[128];

static EVP_PKEY *
gen_key(void)
{
	EVP_PKEY_CTX *pc;
	EVP_PKEY *k = NULL;

	pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	if (pc == NULL || EVP_PKEY_keygen_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc,
	    NID_X9_62_prime256v1) != 1 || EVP_PKEY_keygen(pc, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	return k;
}

static X509 *
gen_cert(EVP_PKEY *k)
{
	X509_NAME *name;
	X509 *x;

	x = X509_new();
	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -60) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    X509_set_pubkey(x, k) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_sign(x, k, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
write_key(const char *path, EVP_PKEY *k, const char *pass)
{
	FILE *f;
	int ok;

	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	if (pass != NULL)
		ok = PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(),
		    (unsigned char *)(uintptr_t)pass, (int)strlen(pass), NULL,
		    NULL);
	else
		ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

/* Everything the tests load, in a private directory. */
static int
make_fixtures(void)
{
	EVP_PKEY *k1, *k2;
	X509 *x;
	FILE *f;
	int rc = -1;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_tls.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cert_pem, sizeof(cert_pem), "%s/cert.pem", tmpdir);
	snprintf(key_pem, sizeof(key_pem), "%s/key.pem", tmpdir);
	snprintf(key2_pem, sizeof(key2_pem), "%s/key2.pem", tmpdir);
	snprintf(enc_key_pem, sizeof(enc_key_pem), "%s/enc.pem", tmpdir);
	snprintf(garbage_pem, sizeof(garbage_pem), "%s/garbage.pem", tmpdir);
	snprintf(missing_pem, sizeof(missing_pem), "%s/missing.pem", tmpdir);

	k1 = gen_key();
	k2 = gen_key();
	x = k1 != NULL ? gen_cert(k1) : NULL;
	if (k2 == NULL || x == NULL)
		goto out;
	f = fopen(cert_pem, "w");
	if (f == NULL)
		goto out;
	if (PEM_write_X509(f, x) != 1) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || write_key(key_pem, k1, NULL) != 0 ||
	    write_key(key2_pem, k2, NULL) != 0 ||
	    write_key(enc_key_pem, k1, "secret") != 0)
		goto out;
	f = fopen(garbage_pem, "w");
	if (f == NULL)
		goto out;
	fputs("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
	    "-----END CERTIFICATE-----\n", f);
	if (fclose(f) != 0)
		goto out;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	return rc;
}

static void
remove_fixtures(void)
{
	unlink(cert_pem);
	unlink(key_pem);
	unlink(key2_pem);
	unlink(enc_key_pem);
	unlink(garbage_pem);
	rmdir(tmpdir);
}

static void
assert_ctx_fails(const char *cert, const char *key, const char *name)
{
	char err[512];
	SSL_CTX *ctx;

	memset(err, 'x', sizeof(err));
	ctx = tls_ctx_new(cert, key, err, sizeof(err));
	ck_assert_ptr_null(ctx);
	ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL,
	    "message not terminated");
	ck_assert_msg(strstr(err, name) != NULL, "'%s' does not name %s",
	    err, name);
	/* The OpenSSL reason is there too, not just our words. */
	ck_assert_msg(strstr(err, "error:") != NULL, "no reason in '%s'", err);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}

START_TEST(test_ctx_good)
{
	char err[256] = "stale";
	SSL_CTX *ctx;
	uint64_t opts;
	long mode;

	ctx = tls_ctx_new(cert_pem, key_pem, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "tls_ctx_new: %s", err);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	opts = (uint64_t)SSL_CTX_get_options(ctx);
	ck_assert(opts & SSL_OP_NO_COMPRESSION);
	ck_assert(opts & SSL_OP_NO_RENEGOTIATION);
	ck_assert(opts & SSL_OP_CIPHER_SERVER_PREFERENCE);
	mode = SSL_CTX_get_mode(ctx);
	ck_assert(mode & SSL_MODE_ENABLE_PARTIAL_WRITE);
	ck_assert(mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	ck_assert(mode & SSL_MODE_RELEASE_BUFFERS);
	ck_assert_int_eq(SSL_CTX_get_session_cache_mode(ctx),
	    SSL_SESS_CACHE_OFF);
	/* Without a callback, an encrypted key would prompt on the tty. */
	ck_assert_ptr_nonnull(SSL_CTX_get_default_passwd_cb(ctx));
	tls_ctx_free(ctx);
	tls_ctx_free(NULL);
}
END_TEST

START_TEST(test_ctx_missing_cert)
{
	assert_ctx_fails(missing_pem, key_pem, missing_pem);
}
END_TEST

START_TEST(test_ctx_missing_key)
{
	assert_ctx_fails(cert_pem, missing_pem, missing_pem);
}
END_TEST

START_TEST(test_ctx_key_mismatch)
{
	char err[512];

	assert_ctx_fails(cert_pem, key2_pem, key2_pem);
	ck_assert_ptr_null(tls_ctx_new(cert_pem, key2_pem, err, sizeof(err)));
	ck_assert_msg(strstr(err, "does not match") != NULL, "%s", err);
	ck_assert_msg(strstr(err, cert_pem) != NULL, "%s", err);
}
END_TEST

START_TEST(test_ctx_garbage_cert)
{
	assert_ctx_fails(garbage_pem, key_pem, garbage_pem);
}
END_TEST

START_TEST(test_ctx_garbage_key)
{
	/* A certificate where the key should be is garbage too. */
	assert_ctx_fails(cert_pem, garbage_pem, garbage_pem);
	assert_ctx_fails(cert_pem, cert_pem, cert_pem);
}
END_TEST

/* An encrypted key must fail at once, never prompt on a terminal. */
START_TEST(test_ctx_encrypted_key)
{
	assert_ctx_fails(cert_pem, enc_key_pem, enc_key_pem);
}
END_TEST

START_TEST(test_ctx_bad_args)
{
	char err[128], small[16];

	ck_assert_ptr_null(tls_ctx_new(NULL, key_pem, err, sizeof(err)));
	ck_assert_str_ne(err, "");
	ck_assert_ptr_null(tls_ctx_new(cert_pem, "", err, sizeof(err)));
	ck_assert_str_ne(err, "");
	/* A short buffer gets a truncated, terminated message. */
	ck_assert_ptr_null(tls_ctx_new(missing_pem, key_pem, small,
	    sizeof(small)));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_ptr_null(tls_ctx_new(missing_pem, key_pem, NULL, 0));
	ck_assert_ptr_null(tls_conn_new(NULL, 0));
	tls_conn_free(NULL);
}
END_TEST

enum client_end { END_CLOSE_NOTIFY, END_ABRUPT };
enum client_kind { CLIENT_TLS, CLIENT_PLAINTEXT, CLIENT_SILENT };

/* Client exit codes. */
#define CL_OK 0
#define CL_HANDSHAKE 10
#define CL_VERSION 11
#define CL_IO 12
#define CL_DATA 13
#define CL_SETUP 14

struct session {
	/* What the client does. */
	enum client_kind kind;
	int min_version, max_version; /* client side, 0 = default */
	size_t nbytes;                 /* bytes to send and get back */
	size_t chunk;                  /* per round trip */
	enum client_end end;
	int poison;                    /* stale error before each call */
	/* What the server saw. */
	int hs;                        /* tls_handshake: 0 or -1 */
	int version;
	size_t echoed;
	int last;                      /* tls_read's final result */
	int want_write;                /* times tls_write said TLS_WANT_* */
	char reason[256];
	int status;                    /* child's wait status */
};

static int
client_run(int fd, const struct session *s)
{
	static unsigned char out[65536], in[65536];
	SSL_CTX *c;
	SSL *ssl = NULL;
	size_t done, i, n, got, k;
	int rc = CL_SETUP;

	if (s->kind == CLIENT_SILENT)
		return CL_OK;
	if (s->kind == CLIENT_PLAINTEXT) {
		static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

		if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
			return CL_IO;
		while (read(fd, in, sizeof(in)) > 0)
			;
		return CL_OK;
	}
	c = SSL_CTX_new(TLS_client_method());
	if (c == NULL)
		return CL_SETUP;
	if (s->max_version != 0 && s->max_version < TLS1_2_VERSION) {
		/* Let the client really offer the old version. */
		SSL_CTX_set_security_level(c, 0);
		SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0");
	}
	if ((s->min_version != 0 &&
	    SSL_CTX_set_min_proto_version(c, s->min_version) != 1) ||
	    (s->max_version != 0 &&
	    SSL_CTX_set_max_proto_version(c, s->max_version) != 1) ||
	    SSL_CTX_load_verify_locations(c, cert_pem, NULL) != 1)
		goto out_ctx;
	/* The server must present the certificate from the chain file. */
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(c);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, "localhost") != 1)
		goto out_ssl;
	rc = CL_HANDSHAKE;
	if (SSL_connect(ssl) != 1)
		goto out_ssl;
	rc = CL_VERSION;
	if (s->max_version != 0 && SSL_version(ssl) != s->max_version)
		goto out_ssl;
	for (done = 0; done < s->nbytes; done += n) {
		n = s->nbytes - done < s->chunk ? s->nbytes - done : s->chunk;
		for (i = 0; i < n; i++)
			out[i] = (unsigned char)((done + i) * 7 + 3);
		rc = CL_IO;
		if (SSL_write_ex(ssl, out, n, &k) != 1 || k != n)
			goto out_ssl;
		/*
		 * Let the echo pile up once, so that the server's small
		 * socket buffer fills and it sees TLS_WANT_WRITE.
		 */
		if (done == 0)
			usleep(200000);
		for (got = 0; got < n; got += k)
			if (SSL_read_ex(ssl, in + got, n - got, &k) != 1)
				goto out_ssl;
		rc = CL_DATA;
		if (memcmp(in, out, n) != 0)
			goto out_ssl;
	}
	rc = CL_OK;
	if (s->end == END_CLOSE_NOTIFY)
		(void)SSL_shutdown(ssl);
out_ssl:
	/* An abrupt end must not send close_notify from SSL_free either. */
	if (ssl != NULL && s->end == END_ABRUPT)
		SSL_set_quiet_shutdown(ssl, 1);
	SSL_free(ssl);
out_ctx:
	SSL_CTX_free(c);
	return rc;
}

static void
push_stale_error(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
#else
	SSLerr(SSL_F_SSL_READ, SSL_R_BAD_LENGTH);
#endif
}

static void
wait_fd(int fd, int r)
{
	struct pollfd p;
	int n;

	p.fd = fd;
	p.events = r == TLS_WANT_READ ? POLLIN : POLLOUT;
	p.revents = 0;
	do {
		n = poll(&p, 1, POLL_MS);
	} while (n == -1 && errno == EINTR);
	ck_assert_msg(n == 1, "server stalled waiting to %s",
	    r == TLS_WANT_READ ? "read" : "write");
}

/* The worker's side: non-blocking, echo until the client is done. */
static void
serve(SSL_CTX *ctx, int fd, struct session *s)
{
	static unsigned char buf[16384];
	size_t have = 0, off = 0;
	ssize_t n;
	SSL *ssl;
	int r, sndbuf = 4096;

	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	    0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	ssl = tls_conn_new(ctx, fd);
	ck_assert_ptr_nonnull(ssl);
	for (;;) {
		if (s->poison)
			push_stale_error();
		r = tls_handshake(ssl);
		if (r == 0 || r == -1)
			break;
		ck_assert(r == TLS_WANT_READ || r == TLS_WANT_WRITE);
		wait_fd(fd, r);
	}
	s->hs = r;
	if (r == -1) {
		tls_last_error(s->reason, sizeof(s->reason));
		goto out;
	}
	s->version = SSL_version(ssl);
	for (;;) {
		if (s->poison)
			push_stale_error();
		if (off < have) {
			n = tls_write(ssl, buf + off, have - off);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
				s->want_write++;
				wait_fd(fd, (int)n);
				continue;
			}
			s->last = (int)n;
			tls_last_error(s->reason, sizeof(s->reason));
			break;
		}
		n = tls_read(ssl, buf, sizeof(buf));
		if (n > 0) {
			have = (size_t)n;
			off = 0;
			s->echoed += (size_t)n;
		} else if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
			wait_fd(fd, (int)n);
		} else {
			ck_assert_msg(n == TLS_CLOSED || n == -1,
			    "tls_read returned %zd", n);
			s->last = (int)n;
			if (n == -1)
				tls_last_error(s->reason, sizeof(s->reason));
			break;
		}
	}
out:
	tls_conn_free(ssl);
	close(fd);
}

static void
run_session(struct session *s)
{
	char err[256];
	SSL_CTX *ctx;
	pid_t pid;
	int sv[2];

	ctx = tls_ctx_new(cert_pem, key_pem, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (s->chunk == 0)
		s->chunk = 65536;
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		_exit(client_run(sv[1], s));
	}
	close(sv[1]);
	serve(ctx, sv[0], s);
	ck_assert_int_eq(waitpid(pid, &s->status, 0), pid);
	ck_assert(WIFEXITED(s->status));
	tls_ctx_free(ctx);
}

static void
assert_echo(int version, size_t nbytes, enum client_end end)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.min_version = version;
	s.max_version = version;
	s.nbytes = nbytes;
	s.end = end;
	run_session(&s);
	ck_assert_msg(s.hs == 0, "handshake failed: %s", s.reason);
	ck_assert_int_eq(WEXITSTATUS(s.status), CL_OK);
	ck_assert_int_eq(s.version, version);
	ck_assert_uint_eq(s.echoed, nbytes);
	ck_assert_msg(s.last == TLS_CLOSED, "end %d: %s", s.last, s.reason);
	/* The first round trip was held back: writes had to wait. */
	ck_assert_int_gt(s.want_write, 0);
}

START_TEST(test_tls12_echo)
{
	assert_echo(TLS1_2_VERSION, 300000, END_CLOSE_NOTIFY);
}
END_TEST

START_TEST(test_tls13_echo)
{
	assert_echo(TLS1_3_VERSION, 300000, END_CLOSE_NOTIFY);
}
END_TEST

/* A client that just closes the socket is a clean close, not an error. */
START_TEST(test_abrupt_close)
{
	assert_echo(TLS1_3_VERSION, 70000, END_ABRUPT);
}
END_TEST

START_TEST(test_abrupt_close_tls12)
{
	assert_echo(TLS1_2_VERSION, 70000, END_ABRUPT);
}
END_TEST

/* Default client settings get the best the server offers. */
START_TEST(test_default_client)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.nbytes = 100;
	run_session(&s);
	ck_assert_int_eq(s.hs, 0);
	ck_assert_int_eq(WEXITSTATUS(s.status), CL_OK);
	ck_assert_int_eq(s.version, TLS1_3_VERSION);
	ck_assert_uint_eq(s.echoed, 100);
}
END_TEST

static void
assert_refused(int version)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.min_version = version;
	s.max_version = version;
	s.nbytes = 10;
	run_session(&s);
	ck_assert_int_eq(s.hs, -1);
	ck_assert_int_eq(WEXITSTATUS(s.status), CL_HANDSHAKE);
	/* Refused by the server for its version, not failed elsewhere. */
	ck_assert_msg(strstr(s.reason, "unsupported protocol") != NULL,
	    "reason: %s", s.reason);
}

START_TEST(test_tls11_refused)
{
	assert_refused(TLS1_1_VERSION);
}
END_TEST

START_TEST(test_tls10_refused)
{
	assert_refused(TLS1_VERSION);
}
END_TEST

START_TEST(test_plaintext_client)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.kind = CLIENT_PLAINTEXT;
	run_session(&s);
	ck_assert_int_eq(s.hs, -1);
	ck_assert_str_ne(s.reason, "");
	ck_assert_int_eq(WEXITSTATUS(s.status), CL_OK);
	/* Nothing is left behind for the next connection. */
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

/* A client that connects and leaves fails the handshake, never hangs. */
START_TEST(test_silent_client)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.kind = CLIENT_SILENT;
	run_session(&s);
	ck_assert_int_eq(s.hs, -1);
	ck_assert_int_eq(WEXITSTATUS(s.status), CL_OK);
}
END_TEST

/*
 * A stale entry in the error queue before every call (as another
 * connection's failure would leave) must not turn a "want read" into a
 * failure.
 */
START_TEST(test_stale_error_queue)
{
	struct session s;
	int v;

	for (v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		memset(&s, 0, sizeof(s));
		s.min_version = v;
		s.max_version = v;
		s.nbytes = 70000;
		s.poison = 1;
		run_session(&s);
		ck_assert_msg(s.hs == 0, "handshake: %s", s.reason);
		ck_assert_int_eq(WEXITSTATUS(s.status), CL_OK);
		ck_assert_uint_eq(s.echoed, 70000);
		ck_assert_int_eq(s.last, TLS_CLOSED);
		ERR_clear_error();
	}
}
END_TEST

START_TEST(test_io_edge_cases)
{
	char err[256], c;
	SSL_CTX *ctx;
	SSL *ssl;
	int sv[2];

	ctx = tls_ctx_new(cert_pem, key_pem, err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	ssl = tls_conn_new(ctx, sv[0]);
	ck_assert_ptr_nonnull(ssl);
	/* Nothing from the client yet. */
	ck_assert_int_eq(tls_handshake(ssl), TLS_WANT_READ);
	ck_assert_int_eq(tls_read(ssl, &c, 0), -1);
	ck_assert_int_eq(tls_write(ssl, &c, 0), 0);
	/* Freed mid-handshake: no close_notify, no stale errors. */
	tls_conn_free(ssl);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	ck_assert_int_eq(read(sv[1], &c, 1), -1);
	close(sv[0]);
	close(sv[1]);
	tls_ctx_free(ctx);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tls");
	tc = tcase_create("ctx");
	tcase_add_test(tc, test_ctx_good);
	tcase_add_test(tc, test_ctx_missing_cert);
	tcase_add_test(tc, test_ctx_missing_key);
	tcase_add_test(tc, test_ctx_key_mismatch);
	tcase_add_test(tc, test_ctx_garbage_cert);
	tcase_add_test(tc, test_ctx_garbage_key);
	tcase_add_test(tc, test_ctx_encrypted_key);
	tcase_add_test(tc, test_ctx_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("conn");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tls12_echo);
	tcase_add_test(tc, test_tls13_echo);
	tcase_add_test(tc, test_abrupt_close);
	tcase_add_test(tc, test_abrupt_close_tls12);
	tcase_add_test(tc, test_default_client);
	tcase_add_test(tc, test_tls11_refused);
	tcase_add_test(tc, test_tls10_refused);
	tcase_add_test(tc, test_plaintext_client);
	tcase_add_test(tc, test_silent_client);
	tcase_add_test(tc, test_stale_error_queue);
	tcase_add_test(tc, test_io_edge_cases);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	/* Writing close_notify to a client that left must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (make_fixtures() != 0) {
		fprintf(stderr, "check_tls: cannot make test certificates\n");
		ERR_print_errors_fp(stderr);
		return EXIT_FAILURE;
	}
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_fixtures();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
