/*
 * tls.h - HTTPS for the listener, on OpenSSL, non-blocking.
 *
 * The context is built in the master (so a bad certificate fails the start
 * or the reload, not a worker) and inherited by the workers across fork.
 */
#ifndef S3WWWD_TLS_H
#define S3WWWD_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/*
 * Load cert (PEM chain) and key; TLS 1.2 and 1.3 only, server cipher
 * preference, no compression, no renegotiation.  Returns NULL with a
 * message in err.
 */
SSL_CTX *tls_ctx_new(const char *cert, const char *key, char *err,
    size_t errsz);
void tls_ctx_free(SSL_CTX *ctx);

/* I/O results beyond a byte count. */
#define TLS_WANT_READ (-2)
#define TLS_WANT_WRITE (-3)
#define TLS_CLOSED (-4) /* clean close_notify or EOF */

SSL *tls_conn_new(SSL_CTX *ctx, int fd);
/* 0 when the handshake is complete, TLS_WANT_*, or -1 on failure. */
int tls_handshake(SSL *ssl);
/* Bytes read, 0 never, TLS_WANT_*, TLS_CLOSED or -1. */
ssize_t tls_read(SSL *ssl, void *buf, size_t len);
/* Bytes written, TLS_WANT_* or -1. */
ssize_t tls_write(SSL *ssl, const void *buf, size_t len);
/*
 * Describe why the last tls_handshake/read/write of this process failed
 * (the OpenSSL reason, or errno); for logging, right after the failure.
 */
void tls_last_error(char *buf, size_t bufsz);
/* Send close_notify once, best effort, then free. */
void tls_conn_free(SSL *ssl);

#endif
