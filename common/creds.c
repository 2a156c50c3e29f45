/*
 * creds.c - reading credentials from files, the way Kubernetes secrets and
 * systemd credentials hand them over.
 *
 * The secret is read straight into the caller's buffer and nothing else
 * keeps a copy, so that wiping that buffer wipes the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"

static void
creds_err(char *err, size_t errsz, const char *path, const char *why)
{
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "%s: %s", path, why);
}

static int
is_trailing_space(char c)
{
	return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

/* read(2) until n bytes or end of file, retrying on EINTR. */
static ssize_t
read_full(int fd, char *buf, size_t n)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < n; got += (size_t)r) {
		r = read(fd, buf + got, n - got);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r == -1)
			return -1;
		if (r == 0)
			break;
	}
	return (ssize_t)got;
}

int
creds_read_file(const char *path, char *out, size_t outsz, char *err,
    size_t errsz)
{
	char extra[64];
	ssize_t len, r;
	size_t i;
	int fd, saved;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (path == NULL || out == NULL || outsz < 2) {
		creds_err(err, errsz, path != NULL ? path : "(null)",
		    "no room for the secret");
		return -1;
	}
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		creds_err(err, errsz, path, strerror(errno));
		return -1;
	}
	len = read_full(fd, out, outsz - 1);
	if (len == -1)
		goto readerr;
	/*
	 * A secret that fills the buffer exactly may still be followed by
	 * the trailing newline we are about to strip, so only non-space
	 * bytes past the end mean that it does not fit.
	 */
	while ((r = read_full(fd, extra, sizeof(extra))) > 0) {
		for (i = 0; i < (size_t)r; i++) {
			if (!is_trailing_space(extra[i])) {
				explicit_bzero(extra, sizeof(extra));
				close(fd);
				creds_err(err, errsz, path,
				    "the secret is too long");
				goto fail;
			}
		}
	}
	explicit_bzero(extra, sizeof(extra));
	if (r == -1)
		goto readerr;
	close(fd);

	if (memchr(out, '\0', (size_t)len) != NULL) {
		creds_err(err, errsz, path, "the secret contains a NUL byte");
		goto fail;
	}
	while (len > 0 && is_trailing_space(out[len - 1]))
		len--;
	out[len] = '\0';
	if (len == 0) {
		creds_err(err, errsz, path, "the file is empty");
		goto fail;
	}
	/* A newline inside means the wrong file, or two values in one. */
	if (memchr(out, '\n', (size_t)len) != NULL ||
	    memchr(out, '\r', (size_t)len) != NULL) {
		creds_err(err, errsz, path,
		    "the secret spans more than one line");
		goto fail;
	}
	return 0;
readerr:
	saved = errno;
	close(fd);
	creds_err(err, errsz, path, strerror(saved));
fail:
	explicit_bzero(out, outsz);
	return -1;
}
