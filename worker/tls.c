/*
 * tls.c - server-side TLS on OpenSSL for non-blocking sockets.
 *
 * The master builds one SSL_CTX per configuration (start and reload), so a
 * certificate that does not load fails there, with the file named, instead
 * of in every worker.  Workers inherit the context across fork and create
 * one SSL per accepted connection.  Everything returns to the event loop
 * with TLS_WANT_READ or TLS_WANT_WRITE instead of blocking.
 *
 * OpenSSL reports errors through a per-thread queue, and SSL_get_error()
 * looks at that queue before the return value.  An entry left over from an
 * earlier call (or another connection) would turn a harmless "want read"
 * into a fatal error, so every entry point clears the queue first.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

/*
 * Describe the oldest entry of the error queue (the root cause; later
 * entries are the callers that passed it on), then empty the queue so it
 * cannot affect the next call.
 */
static void
tls_queue_string(char *buf, size_t bufsz)
{
	unsigned long e;

	if (buf == NULL || bufsz == 0) {
		ERR_clear_error();
		return;
	}
	e = ERR_get_error();
	if (e == 0)
		snprintf(buf, bufsz, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, bufsz);
	ERR_clear_error();
}

static void
tls_fail(char *err, size_t errsz, const char *what, const char *path)
{
	char reason[256];

	tls_queue_string(reason, sizeof(reason));
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "%s %s: %s", what, path, reason);
}

static void
tls_fail_mismatch(char *err, size_t errsz, const char *cert, const char *key)
{
	char reason[256];

	tls_queue_string(reason, sizeof(reason));
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "private key %s does not match certificate "
		    "%s: %s", key, cert, reason);
}

/*
 * A passphrase-protected key would make OpenSSL prompt on the terminal,
 * which would hang a daemon.  Refusing here makes loading fail instead,
 * with "bad decrypt" or similar as the reason.
 */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return 0;
}

SSL_CTX *
tls_ctx_new(const char *cert, const char *key, char *err, size_t errsz)
{
	unsigned long e;
	SSL_CTX *ctx;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (cert == NULL || cert[0] == '\0' || key == NULL ||
	    key[0] == '\0') {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "TLS needs both a certificate "
			    "and a key file");
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_fail(err, errsz, "cannot create a TLS context for", cert);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_fail(err, errsz, "cannot require TLS 1.2 for", cert);
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/*
	 * OpenSSL 3 reports a peer that closes without close_notify as a
	 * protocol error.  HTTP frames its own messages, so truncation is
	 * detected there; for us such an EOF is an ordinary close.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	/*
	 * Partial writes let a large response go out as the socket drains;
	 * a moving buffer lets the caller retry from a buffer that was
	 * compacted in between; releasing buffers returns the 34 KB or so of
	 * read and write buffers while a keep-alive connection is idle.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/*
	 * A server-side session cache would live in each worker separately
	 * and rarely hit.  Stateless tickets still resume across workers,
	 * since their key is made here, in the master, before the fork.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_fail(err, errsz, "cannot load certificate chain from", cert);
		goto fail;
	}
	/*
	 * OpenSSL already compares the key with the certificate while loading
	 * it; that failure gets the same message as the explicit check, as
	 * both files are fine on their own.
	 */
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		e = ERR_peek_error();
		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			tls_fail_mismatch(err, errsz, cert, key);
		else
			tls_fail(err, errsz, "cannot load private key from", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_fail_mismatch(err, errsz, cert, key);
		goto fail;
	}
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

void
tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

SSL *
tls_conn_new(SSL_CTX *ctx, int fd)
{
	SSL *ssl;

	if (ctx == NULL || fd < 0)
		return NULL;
	ERR_clear_error();
	ssl = SSL_new(ctx);
	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

/*
 * After a fatal error OpenSSL must not be asked to send close_notify, and
 * after the peer vanished there is nobody to send it to.  Quiet shutdown
 * makes the SSL_shutdown() in tls_conn_free() send nothing.
 */
static void
tls_mark_dead(SSL *ssl)
{
	SSL_set_quiet_shutdown(ssl, 1);
}

/*
 * Map the outcome of a failed SSL call.  The error queue is left alone on
 * a fatal error so that tls_last_error() can still describe it.
 */
static int
tls_result(SSL *ssl, int ret)
{
	int saved = errno;

	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify received: answering with ours is polite. */
		return TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		tls_mark_dead(ssl);
		/*
		 * An empty queue and no errno is the peer closing the TCP
		 * connection without close_notify (OpenSSL 1.1); a real
		 * socket error leaves errno set.
		 */
		if (ERR_peek_error() == 0 && saved == 0)
			return TLS_CLOSED;
		return -1;
	default:
		tls_mark_dead(ssl);
		return -1;
	}
}

int
tls_handshake(SSL *ssl)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(ssl);
	if (r == 1)
		return 0;
	r = tls_result(ssl, r);
	/* The client left before finishing: that is a failed handshake. */
	return r == TLS_CLOSED ? -1 : r;
}

ssize_t
tls_read(SSL *ssl, void *buf, size_t len)
{
	size_t n = 0;
	int r;

	if (len == 0) {
		/* 0 is never a byte count here: it would read as EOF. */
		errno = EINVAL;
		return -1;
	}
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(ssl, buf, len, &n);
	if (r == 1 && n > 0)
		return (ssize_t)n;
	return tls_result(ssl, r);
}

/*
 * With partial writes on, a short count is normal.  After TLS_WANT_*, the
 * caller must call again with the same bytes (the buffer may have moved)
 * and at least the same length, as OpenSSL may already have encrypted
 * part of them.
 */
ssize_t
tls_write(SSL *ssl, const void *buf, size_t len)
{
	size_t n = 0;
	int r;

	if (len == 0)
		return 0;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	r = tls_result(ssl, r);
	/* The peer's close_notify leaves nowhere to write to. */
	return r == TLS_CLOSED ? -1 : r;
}

void
tls_last_error(char *buf, size_t bufsz)
{
	unsigned long e;

	if (buf == NULL || bufsz == 0)
		return;
	/* Peek: the queue is the caller's until the next tls_ call. */
	e = ERR_peek_error();
	if (e == 0)
		snprintf(buf, bufsz, "%s", errno != 0 ? strerror(errno) :
		    "connection closed");
	else
		ERR_error_string_n(e, buf, bufsz);
}

void
tls_conn_free(SSL *ssl)
{
	if (ssl == NULL)
		return;
	ERR_clear_error();
	/*
	 * One non-blocking attempt: if the socket cannot take the alert
	 * right now we do not wait, since the connection is being dropped
	 * anyway.  Mid-handshake there is no session to close.
	 */
	if (SSL_is_init_finished(ssl) &&
	    !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		(void)SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
}
