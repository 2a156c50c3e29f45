/*
 * site.c - the website rules, without I/O (see site.h).
 */
#include "site.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "http.h"

#define SITE_NOT_FOUND "The requested URL was not found."

int
site_key(const struct site_conf *s, const char *path, size_t len, char *key, size_t keysz,
    size_t *keylen, int *is_dir)
{
	ssize_t klen = http_path_to_key(path, len, s->prefix, key, keysz, is_dir);
	size_t il;

	if (klen < 0)
		return 400;
	*keylen = (size_t)klen;
	if (!*is_dir)
		return 0;
	il = strlen(s->index);
	if (*keylen + il >= keysz)
		return 414;
	memcpy(key + *keylen, s->index, il + 1);
	*keylen += il;
	return 0;
}

/*
 * "auto" asks only for names without a dot in their last segment:
 * /logo.png or /wp-login.php are not directories on any real site, and
 * those are most of the misses a public server answers, each of which
 * would otherwise cost two S3 requests.
 */
int
site_dir_redirect_applies(const struct site_conf *s, const char *key, size_t keylen)
{
	size_t i;

	if (s->dir_redirect == SITE_DIR_OFF)
		return 0;
	if (s->dir_redirect == SITE_DIR_ALWAYS)
		return 1;
	for (i = keylen; i > 0 && key[i - 1] != '/'; i--) {
		if (key[i - 1] == '.')
			return 0;
	}
	return 1;
}

static void
fetch(struct site_next *n, enum site_phase phase, int head, const char *a, size_t alen,
    const char *b)
{
	int len = snprintf(n->key, sizeof(n->key), "%.*s%s", (int)alen, a, b);

	n->action = SITE_FETCH;
	n->phase = phase;
	n->head = head;
	n->keylen = len < 0 ? 0 : (size_t)len >= sizeof(n->key) ? sizeof(n->key) - 1 :
	    (size_t)len;
}

static void
error(struct site_next *n, int status, const char *detail)
{
	n->action = SITE_ERROR;
	n->status = status;
	n->detail = detail;
}

void
site_not_found(const struct site_conf *s, const struct site_req *r, enum site_phase after,
    struct site_next *n)
{
	int dircheck = after == SITE_OBJECT && !r->is_dir && r->keylen > 0 &&
	    r->keylen + 1 + strlen(s->index) < sizeof(n->key) &&
	    site_dir_redirect_applies(s, r->key, r->keylen);

	memset(n, 0, sizeof(*n));
	/*
	 * Neither an object nor a directory: worth remembering for a TTL.  A
	 * directory that may be listed is not, as new keys below it change
	 * the answer without changing the key.
	 */
	n->remember_missing = r->caching && !dircheck &&
	    (after == SITE_OBJECT || after == SITE_DIRCHECK) &&
	    !(r->is_dir && s->directory_listing) && !r->known_missing;
	if (dircheck) {
		fetch(n, SITE_DIRCHECK, 1, r->key, r->keylen, "/");
		/* key + "/" + index: fits, checked above. */
		memcpy(n->key + n->keylen, s->index, strlen(s->index) + 1);
		n->keylen += strlen(s->index);
		return;
	}
	/*
	 * A directory without its index is listed, if listing is on; also
	 * when the cache already knew the index to be missing (which skips to
	 * SITE_DIRCHECK: a directory path has no directory check of its own).
	 */
	if ((after == SITE_OBJECT || after == SITE_DIRCHECK) && r->is_dir &&
	    s->directory_listing && !r->head) {
		n->action = SITE_LISTING;
		return;
	}
	if ((after == SITE_OBJECT || after == SITE_DIRCHECK || after == SITE_LIST) &&
	    s->spa_file[0] != '\0') {
		fetch(n, SITE_SPA, r->head, s->prefix, strlen(s->prefix), s->spa_file);
		return;
	}
	if (after != SITE_ERRDOC && s->error_document[0] != '\0') {
		fetch(n, SITE_ERRDOC, r->head, s->prefix, strlen(s->prefix), s->error_document);
		return;
	}
	error(n, 404, SITE_NOT_FOUND);
}

void
site_answer(const struct site_conf *s, const struct site_req *r, enum site_phase phase,
    int status, const char *code, struct site_next *n)
{
	switch (phase) {
	case SITE_DIRCHECK:
		/*
		 * key/index exists: redirect.  A HEAD has no body to carry an
		 * error code, and MinIO answers 403 without one for a key
		 * under a prefix the policy does not cover: not found too.
		 */
		if (status == 200) {
			memset(n, 0, sizeof(*n));
			n->action = SITE_REDIRECT;
			n->status = 301;
			return;
		}
		site_not_found(s, r, SITE_DIRCHECK, n);
		/*
		 * Only an answer that says "not there" is remembered: a
		 * storage hiccup must not hide a directory for a whole TTL.
		 */
		if (status != 404 && status != 403)
			n->remember_missing = 0;
		return;
	case SITE_SPA:
		site_not_found(s, r, SITE_SPA, n);
		return;
	case SITE_ERRDOC:
		memset(n, 0, sizeof(*n));
		error(n, 404, SITE_NOT_FOUND);
		return;
	case SITE_OBJECT:
	case SITE_LIST:
		break;
	}
	if (status == 404) {
		site_not_found(s, r, phase, n);
		return;
	}
	memset(n, 0, sizeof(*n));
	if (status == 412) {
		error(n, 412, "precondition failed");
	} else if (status == 416) {
		error(n, 416, "the range is not satisfiable");
	} else if (status == 403 && (strcmp(code, "AccessDenied") == 0 || code[0] == '\0')) {
		error(n, 403, "access denied");
	} else if (status == 503) {
		error(n, 503, "the storage is busy, try again");
	} else {
		/* Our credentials, region or endpoint are wrong: not the client's fault. */
		error(n, 502, "the storage refused the request");
		n->upstream_fault = 1;
	}
}

int
site_dir_location(const char *path, size_t len, const char *query, size_t qlen, char *out,
    size_t outsz)
{
	int n;

	/*
	 * One leading slash only: "//host" would send the client elsewhere,
	 * and so would "/\\host", which browsers read as "//host".  The path
	 * maps to the same key without them.
	 */
	while (len > 0 && (path[0] == '/' || path[0] == '\\')) {
		path++;
		len--;
	}
	if (len + 2 + (qlen > 0 ? qlen + 1 : 0) > outsz)
		return -1;
	n = snprintf(out, outsz, "/%.*s/%s%.*s", (int)len, path, qlen > 0 ? "?" : "", (int)qlen,
	    qlen > 0 ? query : "");
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

int
site_origin_allowed(const struct site_conf *s, const char *origin, size_t len)
{
	int i;

	for (i = 0; i < s->norigins; i++) {
		if (strcmp(s->origins[i], "*") == 0)
			return 1;
		if (strlen(s->origins[i]) == len && strncasecmp(s->origins[i], origin, len) == 0)
			return 1;
	}
	return 0;
}
