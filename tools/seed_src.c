/*
 * seed_src.c - gathering what s3wwwd-seed uploads: directory trees and
 * downloaded URLs, each turned into an object key and a Content-Type.
 *
 * Directories are walked following symbolic links, because that is how
 * Kubernetes presents a ConfigMap: "index.html -> ..data/index.html", with
 * "..data" itself a link to a timestamped directory that the kubelet swaps
 * atomically.  Names beginning with ".." are that machinery, never content,
 * so they are skipped; the files are reached through the visible links.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "seed.h"
#include "sigv4.h"
#include "website.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define SEED_WALK_DEPTH 64

/*
 * The types a static site needs.  Text types carry a charset so that a
 * browser does not have to guess; everything else is left for the browser to
 * sniff or download as application/octet-stream.
 */
static const struct {
	const char *ext;
	const char *type;
} seed_mime[] = {
	{ "avif", "image/avif" },
	{ "css", "text/css; charset=utf-8" },
	{ "gif", "image/gif" },
	{ "htm", "text/html; charset=utf-8" },
	{ "html", "text/html; charset=utf-8" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "svg", "image/svg+xml" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xml", "application/xml" },
};

/* NULL when the key has no extension in the table. */
static const char *
seed_mime_known(const char *key)
{
	const char *slash, *dot;
	char ext[16];
	size_t i, n;

	slash = strrchr(key, '/');
	dot = strrchr(slash != NULL ? slash : key, '.');
	if (dot == NULL || dot[1] == '\0')
		return NULL;
	n = strlen(dot + 1);
	if (n >= sizeof(ext))
		return NULL;
	for (i = 0; i <= n; i++)
		ext[i] = (char)tolower((unsigned char)dot[1 + i]);
	for (i = 0; i < sizeof(seed_mime) / sizeof(seed_mime[0]); i++)
		if (strcmp(seed_mime[i].ext, ext) == 0)
			return seed_mime[i].type;
	return NULL;
}

const char *
seed_mime_type(const char *key)
{
	const char *t = seed_mime_known(key);

	return t != NULL ? t : "application/octet-stream";
}

static char *
seed_strjoin(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *p = malloc(la + lb + lc + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb);
	memcpy(p + la + lb, c, lc + 1);
	return p;
}

static int
seed_files_add(struct seed_files *fs, const char *key, const char *src,
    int fd, int64_t size, const char *ctype)
{
	struct seed_file *f, *nv;
	size_t ncap;

	if (fs->n == fs->cap) {
		ncap = fs->cap != 0 ? fs->cap * 2 : 64;
		nv = realloc(fs->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		fs->v = nv;
		fs->cap = ncap;
	}
	f = &fs->v[fs->n];
	memset(f, 0, sizeof(*f));
	f->key = strdup(key);
	f->src = strdup(src);
	f->ctype = strdup(ctype);
	if (f->key == NULL || f->src == NULL || f->ctype == NULL) {
		free(f->key);
		free(f->src);
		free(f->ctype);
		return -1;
	}
	f->fd = fd;
	f->size = size;
	f->seq = fs->n;
	fs->n++;
	return 0;
}

struct seed_walk {
	struct seed_files *fs;
	char key[S3_KEY_MAX + 1];
	/* Directories being walked, to stop at a link that points back up. */
	dev_t dev[SEED_WALK_DEPTH];
	ino_t ino[SEED_WALK_DEPTH];
	int depth;
	char *err;
	size_t errsz;
};

/*
 * Long because each entry is checked (type, symlink, depth, name) before
 * it becomes a key, with a message for each refusal.
 */
static int
seed_walk_dir(struct seed_walk *w, const char *path, size_t keylen)
{
	struct dirent *de;
	struct stat st, lst;
	DIR *d;
	size_t nlen;
	char *child;
	int i, rc = 0;

	if ((d = opendir(path)) == NULL) {
		snprintf(w->err, w->errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		/* ".", ".." and the ConfigMap's "..data", "..2024_..." */
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    de->d_name[1] == '.'))
			continue;
		if ((child = seed_strjoin(path, "/", de->d_name)) == NULL) {
			snprintf(w->err, w->errsz, "out of memory");
			rc = -1;
			break;
		}
		if (stat(child, &st) == -1) {
			if (errno == ENOENT && lstat(child, &lst) == 0)
				snprintf(w->err, w->errsz,
				    "%s: dangling symbolic link", child);
			else
				snprintf(w->err, w->errsz, "%s: %s", child,
				    strerror(errno));
			free(child);
			rc = -1;
			break;
		}
		nlen = strlen(de->d_name);
		if (keylen + nlen + 1 > S3_KEY_MAX) {
			snprintf(w->err, w->errsz,
			    "%s: object key longer than %d bytes", child,
			    S3_KEY_MAX);
			free(child);
			rc = -1;
			break;
		}
		memcpy(w->key + keylen, de->d_name, nlen + 1);
		if (S_ISDIR(st.st_mode)) {
			for (i = 0; i < w->depth; i++)
				if (w->dev[i] == st.st_dev &&
				    w->ino[i] == st.st_ino)
					break;
			if (i < w->depth) {
				seed_warn("%s: skipped, a link back to a "
				    "directory above it", child);
			} else if (w->depth == SEED_WALK_DEPTH) {
				snprintf(w->err, w->errsz,
				    "%s: directories nested too deep", child);
				rc = -1;
			} else {
				w->dev[w->depth] = st.st_dev;
				w->ino[w->depth] = st.st_ino;
				w->depth++;
				w->key[keylen + nlen] = '/';
				w->key[keylen + nlen + 1] = '\0';
				rc = seed_walk_dir(w, child, keylen + nlen + 1);
				w->depth--;
			}
		} else if (S_ISREG(st.st_mode)) {
			if (seed_files_add(w->fs, w->key, child, -1,
			    (int64_t)st.st_size, seed_mime_type(w->key)) == -1) {
				snprintf(w->err, w->errsz, "out of memory");
				rc = -1;
			}
		} else {
			seed_warn("%s: skipped, not a regular file", child);
		}
		free(child);
	}
	if (rc == 0 && errno != 0) {
		snprintf(w->err, w->errsz, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

int
seed_src_dir(struct seed_files *fs, const char *dir, const char *prefix,
    char *err, size_t errsz)
{
	struct seed_walk w;
	struct stat st;
	size_t plen = strlen(prefix), n;
	char *path;
	int rc;

	if (stat(dir, &st) == -1) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "%s: not a directory", dir);
		return -1;
	}
	if (plen >= sizeof(w.key)) {
		snprintf(err, errsz, "prefix too long");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.fs = fs;
	w.err = err;
	w.errsz = errsz;
	memcpy(w.key, prefix, plen + 1);
	w.dev[0] = st.st_dev;
	w.ino[0] = st.st_ino;
	w.depth = 1;
	/* "site/" and "site" name the same files: keep paths in messages tidy. */
	if ((path = strdup(dir)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	for (n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	rc = seed_walk_dir(&w, path, plen);
	free(path);
	return rc;
}

static int
seed_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Split "URL[=KEY]".  A URL may hold '=' itself, in its query, so the key is
 * what follows the last '=' and a URL with a query needs an explicit key.
 * Without one, the key is the last segment of the URL's path, percent-decoded.
 */
int
seed_url_split(const char *spec, char **url, char **key, char *err,
    size_t errsz)
{
	const char *eq, *p, *seg, *end;
	char *k;
	size_t n, i, o;
	int hi, lo;

	*url = *key = NULL;
	eq = strrchr(spec, '=');
	if (strncmp(spec, "http://", 7) != 0 &&
	    strncmp(spec, "https://", 8) != 0) {
		snprintf(err, errsz, "%s: only http:// and https:// URLs "
		    "can be downloaded", spec);
		return -1;
	}
	if (eq != NULL) {
		if (eq[1] == '\0' || eq[1] == '/') {
			snprintf(err, errsz, "%s: empty or absolute key after "
			    "'='", spec);
			return -1;
		}
		*url = strndup(spec, (size_t)(eq - spec));
		*key = strdup(eq + 1);
		if (*url == NULL || *key == NULL)
			goto nomem;
		return 0;
	}
	/* The path ends at a query or a fragment. */
	p = strstr(spec, "://") + 3;
	p += strcspn(p, "/?#");
	end = p + strcspn(p, "?#");
	seg = end;
	while (seg > p && seg[-1] != '/')
		seg--;
	if (seg == end) {
		snprintf(err, errsz, "%s: the URL has no file name to use as "
		    "the key; give one as URL=KEY", spec);
		return -1;
	}
	n = (size_t)(end - seg);
	if ((k = malloc(n + 1)) == NULL)
		goto nomem;
	for (i = o = 0; i < n; i++) {
		if (seg[i] == '%' && i + 2 < n &&
		    (hi = seed_hexval((unsigned char)seg[i + 1])) >= 0 &&
		    (lo = seed_hexval((unsigned char)seg[i + 2])) >= 0 &&
		    (hi != 0 || lo != 0)) {
			k[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			k[o++] = seg[i];
		}
	}
	k[o] = '\0';
	if (strchr(k, '/') != NULL || strcmp(k, ".") == 0 ||
	    strcmp(k, "..") == 0) {
		snprintf(err, errsz, "%s: cannot use the file name as a key; "
		    "give one as URL=KEY", spec);
		free(k);
		return -1;
	}
	*key = k;
	if ((*url = strdup(spec)) == NULL)
		goto nomem;
	return 0;
nomem:
	free(*url);
	free(*key);
	*url = *key = NULL;
	snprintf(err, errsz, "out of memory");
	return -1;
}

static size_t
seed_dl_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	int fd = *(int *)arg;
	size_t len = size * nmemb, off = 0;
	ssize_t n;

	while (off < len) {
		n = write(fd, ptr + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* curl reports CURLE_WRITE_ERROR */
		off += (size_t)n;
	}
	return len;
}

static int
seed_dl_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return seed_interrupted ? 1 : 0;
}

/*
 * A Content-Type from a server is stored only when it can be sent back as a
 * header as it is: printable and of a sane length.
 */
static int
seed_ctype_ok(const char *t)
{
	size_t i;

	if (t == NULL || *t == '\0' || strlen(t) > 200)
		return 0;
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < ' ' || (unsigned char)t[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * The download goes to a temporary file that is unlinked at once: it is
 * read through the descriptor and vanishes when the tool exits, however it
 * exits.
 */
static int
seed_tmpfile(char *err, size_t errsz)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/s3wwwd-seed.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		snprintf(err, errsz, "cannot create a temporary file in %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

/*
 * Long because the download is checked at each step (status, size,
 * content type, a partial file removed) with its own message.
 */
int
seed_src_url(struct seed_files *fs, const char *url, const char *key,
    const char *prefix, char *err, size_t errsz)
{
	char cerr[CURL_ERROR_SIZE], *full = NULL;
	const char *ctype = NULL, *type;
	struct stat st;
	CURLcode rc;
	CURL *h;
	long status = 0;
	int fd, ret = -1;

	if ((fd = seed_tmpfile(err, errsz)) == -1)
		return -1;
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "curl_easy_init failed");
		close(fd);
		return -1;
	}
	cerr[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
	    CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(h, CURLOPT_USERAGENT, "s3wwwd-seed/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled server fails the download rather than hanging the Job. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, seed_dl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &fd);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, seed_dl_progress);
	seed_debug("downloading %s", url);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		snprintf(err, errsz, "download of %s failed: %s", url,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(err, errsz, "download of %s failed: HTTP %ld", url,
		    status);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", url, strerror(errno));
		goto out;
	}
	if ((full = seed_strjoin(prefix, key, "")) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (strlen(full) > S3_KEY_MAX) {
		snprintf(err, errsz, "%s: object key longer than %d bytes", url,
		    S3_KEY_MAX);
		goto out;
	}
	/* The extension decides, as for files; the server's word is next. */
	type = seed_mime_known(full);
	if (type == NULL)
		type = seed_ctype_ok(ctype) ? ctype :
		    "application/octet-stream";
	if (seed_files_add(fs, full, url, fd, (int64_t)st.st_size, type) == -1) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	fd = -1;
	ret = 0;
out:
	free(full);
	curl_easy_cleanup(h);
	if (fd != -1)
		close(fd);
	return ret;
}

static int
seed_file_cmp(const void *a, const void *b)
{
	const struct seed_file *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
seed_file_free(struct seed_file *f)
{
	free(f->key);
	free(f->src);
	free(f->ctype);
	free(f->redirect);
	if (f->fd != -1)
		close(f->fd);
}

/*
 * Sort by key and drop duplicates: when two sources give the same key, the
 * one named later on the command line wins, as it would have overwritten the
 * earlier one in the bucket anyway.
 */
void
seed_src_finish(struct seed_files *fs)
{
	size_t i, o;

	if (fs->n == 0)
		return;
	qsort(fs->v, fs->n, sizeof(fs->v[0]), seed_file_cmp);
	for (i = 1, o = 0; i < fs->n; i++) {
		if (strcmp(fs->v[i].key, fs->v[o].key) == 0) {
			seed_warn("%s: %s replaces %s", fs->v[i].key,
			    fs->v[i].src, fs->v[o].src);
			seed_file_free(&fs->v[o]);
		} else {
			o++;
		}
		fs->v[o] = fs->v[i];
	}
	fs->n = o + 1;
}

int
seed_src_has_key(const struct seed_files *fs, const char *key)
{
	size_t lo = 0, hi = fs->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, fs->v[mid].key);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

void
seed_files_free(struct seed_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		seed_file_free(&fs->v[i]);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

/*
 * Redirects.  The rule for a target is the daemon's, s3_redirect_target_why()
 * in common/s3.c: the daemon ignores (and logs) any other target, so one is
 * refused here, before anything is uploaded, rather than stored to do
 * nothing.  Returns NULL for a good target, else why it is not.
 */
const char *
seed_redirect_target_why(const char *t)
{
	return s3_redirect_target_why(t);
}

/*
 * The key of a redirect is written as a request path names it, so a leading
 * '/' is dropped (a redirects file may list paths as URLs show them).  What
 * is left must name one object that a request can reach: not empty, no
 * empty, "." or ".." segment (a browser resolves those before it asks, so
 * the object could never be reached, and they are how a path escapes where
 * it was put), no trailing '/' (that is a directory, served from its index
 * document) and no control characters.
 */
static const char *
seed_redirect_key_why(const char *k, size_t n)
{
	size_t i, seg;

	if (n == 0)
		return "the key is empty";
	if (k[n - 1] == '/')
		return "the key ends in /, which names a directory; name the "
		    "page, such as dir/index.html";
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
			return "the key holds a control character";
	for (i = 0; i < n; i += seg + 1) {
		seg = strcspn(k + i, "/");
		if (seg > n - i)
			seg = n - i;
		if (seg == 0 || (seg == 1 && k[i] == '.') ||
		    (seg == 2 && k[i] == '.' && k[i + 1] == '.'))
			return "the key has an empty, \".\" or \"..\" segment";
	}
	return NULL;
}

/* s, or its first 200 bytes, with control and non-ASCII bytes as '?'. */
static void
seed_printable(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i;

	if (n > outsz - 1)
		n = outsz - 1;
	if (n > 200)
		n = 200;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[i] = '\0';
}

/*
 * Check one redirect and add it, its key put below the prefix.  where says
 * where it was given, for messages ("--redirect", "FILE:LINE").
 */
static int
seed_redirect_add(struct seed_redirects *rs, const char *key, size_t klen,
    const char *target, size_t tlen, const char *prefix, const char *where,
    char *err, size_t errsz)
{
	struct seed_redirect *r, *nv;
	char pk[256], pt[256], *t;
	const char *why;
	size_t ncap;

	while (klen > 0 && *key == '/') {
		key++;
		klen--;
	}
	seed_printable(key, klen, pk, sizeof(pk));
	seed_printable(target, tlen, pt, sizeof(pt));
	if ((t = strndup(target, tlen)) == NULL)
		goto nomem;
	why = seed_redirect_key_why(key, klen);
	if (why == NULL)
		why = seed_redirect_target_why(t);
	if (why == NULL && strlen(prefix) + klen > S3_KEY_MAX)
		why = "the key with the prefix is longer than 1024 bytes";
	if (why != NULL) {
		snprintf(err, errsz, "%s: cannot redirect \"%s\" to \"%s\": %s",
		    where, pk, pt, why);
		free(t);
		return -1;
	}
	if (rs->n == rs->cap) {
		ncap = rs->cap != 0 ? rs->cap * 2 : 16;
		if ((nv = realloc(rs->v, ncap * sizeof(*nv))) == NULL) {
			free(t);
			goto nomem;
		}
		rs->v = nv;
		rs->cap = ncap;
	}
	r = &rs->v[rs->n];
	r->target = t;
	r->key = malloc(strlen(prefix) + klen + 1);
	r->src = strdup(where);
	if (r->key == NULL || r->src == NULL) {
		free(r->key);
		free(r->src);
		free(t);
		goto nomem;
	}
	memcpy(r->key, prefix, strlen(prefix));
	memcpy(r->key + strlen(prefix), key, klen);
	r->key[strlen(prefix) + klen] = '\0';
	rs->n++;
	return 0;
nomem:
	snprintf(err, errsz, "out of memory");
	return -1;
}

/*
 * --redirect KEY=TARGET.  The key ends at the first '=': a target may well
 * hold one (a query), a key hardly ever does.
 */
int
seed_redirect_arg(struct seed_redirects *rs, const char *spec,
    const char *prefix, char *err, size_t errsz)
{
	const char *eq = strchr(spec, '=');
	char ps[256];

	if (eq == NULL) {
		seed_printable(spec, strlen(spec), ps, sizeof(ps));
		snprintf(err, errsz, "--redirect \"%s\": expected KEY=TARGET",
		    ps);
		return -1;
	}
	return seed_redirect_add(rs, spec, (size_t)(eq - spec), eq + 1,
	    strlen(eq + 1), prefix, "--redirect", err, errsz);
}

/*
 * One line of a redirects file: "KEY TARGET", "KEY=TARGET" or
 * "KEY = TARGET".  The key ends at the first blank or '=', the target at
 * the end of the line; blanks around the line are dropped.
 */
static int
seed_redirect_line(struct seed_redirects *rs, char *p, const char *prefix,
    const char *where, char *err, size_t errsz)
{
	size_t klen, tlen;
	const char *k, *t;

	k = p;
	klen = strcspn(k, " \t=");
	t = k + klen;
	t += strspn(t, " \t");
	if (*t == '=') {
		t++;
		t += strspn(t, " \t");
	}
	tlen = strcspn(t, " \t");
	if (klen == 0 || tlen == 0) {
		snprintf(err, errsz, "%s: expected KEY TARGET or KEY=TARGET",
		    where);
		return -1;
	}
	if (t[tlen] != '\0') {
		snprintf(err, errsz, "%s: more than KEY and TARGET on the line "
		    "(a target holds no blanks; percent-encode them)", where);
		return -1;
	}
	return seed_redirect_add(rs, k, klen, t, tlen, prefix, where, err,
	    errsz);
}

/*
 * --redirects FILE: a redirect a line, '#' comment lines and blank lines
 * allowed, every error with FILE:LINE.  The whole file is read before
 * anything is uploaded, so a bad line changes nothing in the bucket.
 */
int
seed_redirects_file(struct seed_redirects *rs, const char *path,
    const char *prefix, char *err, size_t errsz)
{
	char *line = NULL, *p, where[PATH_MAX + 32];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	FILE *fp;
	int ret = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "--redirects %s: %s", path,
		    strerror(errno));
		return -1;
	}
	errno = 0;
	while (ret == 0 && (n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%zu", path, lineno);
		if (memchr(line, '\0', (size_t)n) != NULL) {
			snprintf(err, errsz, "%s: a NUL byte; not a text file",
			    where);
			ret = -1;
			break;
		}
		/* CRLF files too: '\r' goes with the trailing blanks. */
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		ret = seed_redirect_line(rs, p, prefix, where, err, errsz);
	}
	if (ret == 0 && ferror(fp)) {
		snprintf(err, errsz, "--redirects %s: %s", path,
		    errno != 0 ? strerror(errno) : "read error");
		ret = -1;
	}
	free(line);
	fclose(fp);
	return ret;
}

/*
 * The redirects as objects to upload: zero bytes of text/html, so that they
 * go with the pages, after the assets, and that --sync keeps them.  Added
 * after every other source, a redirect replaces a file of the same key.
 */
int
seed_src_redirects(struct seed_files *fs, const struct seed_redirects *rs,
    char *err, size_t errsz)
{
	struct seed_file *f;
	size_t i;

	for (i = 0; i < rs->n; i++) {
		if (seed_files_add(fs, rs->v[i].key, rs->v[i].src, -1, 0,
		    "text/html") == -1) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		f = &fs->v[fs->n - 1];
		if ((f->redirect = strdup(rs->v[i].target)) == NULL) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
	}
	return 0;
}

void
seed_redirects_free(struct seed_redirects *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].key);
		free(rs->v[i].target);
		free(rs->v[i].src);
	}
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/*
 * --put FILE[=KEY] and --website-document FILE[=KEY].  The key follows the
 * last '=', as for --url: a path may hold one (it then needs an explicit
 * key), a key hardly ever does.  Without a key the file's name is used.  A
 * leading '/' of the key is dropped, as for a redirect, and the rest must
 * name one object a request can reach, by the same rule.
 */
int
seed_put_split(const char *spec, const char *opt, char **file, char **key,
    char *err, size_t errsz)
{
	const char *eq = strrchr(spec, '='), *k, *why;
	char ps[256];
	size_t flen;

	*file = *key = NULL;
	flen = eq != NULL ? (size_t)(eq - spec) : strlen(spec);
	if (flen == 0) {
		seed_printable(spec, strlen(spec), ps, sizeof(ps));
		snprintf(err, errsz, "%s \"%s\": expected FILE or FILE=KEY", opt,
		    ps);
		return -1;
	}
	if (eq != NULL) {
		k = eq + 1;
	} else {
		k = strrchr(spec, '/');
		k = k != NULL ? k + 1 : spec;
	}
	k += strspn(k, "/");
	if ((why = seed_redirect_key_why(k, strlen(k))) != NULL) {
		seed_printable(spec, strlen(spec), ps, sizeof(ps));
		snprintf(err, errsz, "%s \"%s\": %s", opt, ps, why);
		return -1;
	}
	*file = strndup(spec, flen);
	*key = strdup(k);
	if (*file == NULL || *key == NULL) {
		free(*file);
		free(*key);
		*file = *key = NULL;
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * One file under one key below the prefix.  Its Content-Type comes from
 * the key's extension, else from the file's, as a --url's comes from the
 * key first; a website document is application/xml whatever its names, and
 * goes up after everything else: its rules may send requests to pages that
 * must be there first.
 */
int
seed_src_put(struct seed_files *fs, const char *file, const char *key,
    const char *prefix, int website, char *err, size_t errsz)
{
	const char *type;
	struct stat st;
	char *full;
	int rc = -1;

	if (stat(file, &st) == -1) {
		snprintf(err, errsz, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", file);
		return -1;
	}
	if ((full = seed_strjoin(prefix, key, "")) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (strlen(full) > S3_KEY_MAX) {
		snprintf(err, errsz, "%s: object key longer than %d bytes", file,
		    S3_KEY_MAX);
		goto out;
	}
	if (website)
		type = "application/xml";
	else if ((type = seed_mime_known(full)) == NULL)
		type = seed_mime_type(file);
	if (seed_files_add(fs, full, file, -1, (int64_t)st.st_size, type) == -1) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	fs->v[fs->n - 1].last = website;
	rc = 0;
out:
	free(full);
	return rc;
}

/*
 * Check a WebsiteConfiguration document with the daemon's own reader
 * (common/website.c), and say in summary what it holds.  Returns 0, or -1
 * with the reason in err.
 */
int
seed_website_check(const char *doc, size_t len, char *summary,
    size_t summarysz, char *err, size_t errsz)
{
	static struct website_rules rules; /* large: kept off the stack */
	char index[WEBSITE_STR] = "", edoc[WEBSITE_STR] = "", why[256];

	if (len == 0 || website_parse(doc, len, &rules, index, edoc, why,
	    sizeof(why)) == -1) {
		snprintf(err, errsz, "%s", len == 0 ? "not a WebsiteConfiguration "
		    "document (the XML of PutBucketWebsite)" : why);
		return -1;
	}
	if (rules.redirect_all)
		snprintf(summary, summarysz, "redirects every request to %s%s%s",
		    rules.all_protocol, rules.all_protocol[0] != '\0' ? "://" : "",
		    rules.all_host);
	else
		snprintf(summary, summarysz, "%d routing rule%s, index document %s, "
		    "error document %s", rules.nrules, rules.nrules == 1 ? "" : "s",
		    index[0] != '\0' ? index : "(the server's)",
		    edoc[0] != '\0' ? edoc : "(the server's)");
	return 0;
}

/*
 * Read and check the website document at path, before anything is
 * uploaded.  A good one is noted with what it holds, so that the Job's log
 * shows what the servers will apply.
 */
int
seed_website_file(const char *path, char *err, size_t errsz)
{
	char *buf, summary[WEBSITE_STR * 3], why[512];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errsz, "--website-document %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SEED_WEBDOC_MAX) {
		snprintf(err, errsz, "--website-document %s: %s", path,
		    S_ISREG(st.st_mode) ? "larger than the 256 KiB the server reads" :
		    "not a regular file");
		close(fd);
		return -1;
	}
	if ((buf = malloc(SEED_WEBDOC_MAX + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		close(fd);
		return -1;
	}
	while (len <= SEED_WEBDOC_MAX && (n = read(fd, buf + len,
	    SEED_WEBDOC_MAX + 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errsz, "--website-document %s: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > SEED_WEBDOC_MAX) {
		snprintf(err, errsz, "--website-document %s: larger than the 256 KiB "
		    "the server reads", path);
	} else if (seed_website_check(buf, len, summary, sizeof(summary), why,
	    sizeof(why)) == -1) {
		snprintf(err, errsz, "--website-document %s: %s", path, why);
	} else {
		seed_note("website document %s: %s", path, summary);
		rc = 0;
	}
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * Backups.  An export writes each object's bytes to a file below the
 * backup directory, under its key when the key is a safe relative path,
 * and a manifest (SEED_BK_MANIFEST) naming each object's key, file, size,
 * SHA-256, ETag and header lines; a restore reads the manifest and
 * verifies every file before it changes anything in the bucket.
 *
 * Keys come from the bucket, which anybody with write access to it fills,
 * so a key never becomes a path unchecked: ".." and "." components, empty
 * ones (a leading, doubled or trailing '/'), control bytes, over-long
 * names, names of the tool's own (".s3wwwd-...") and a key that another
 * key needs as a directory ("a" next to "a/b") are all stored under
 * .s3wwwd-keys/ by the SHA-256 of the key instead.  Every directory is
 * then opened relative to the one above it without following symbolic
 * links, so a link planted in the backup directory cannot lead outside
 * it either.
 */
#define SEED_BK_KEYS ".s3wwwd-keys"
#define SEED_BK_MARK ".s3wwwd-export"
#define SEED_BK_OWN ".s3wwwd-"
#define SEED_BK_LINE_MAX (1024 * 1024)

/* Whether one path component (n bytes at c) can be a file name here. */
static int
seed_bk_name_ok(const char *c, size_t n, int allow_own)
{
	size_t i;

	if (n == 0 || n > 255 || (n == 1 && c[0] == '.') ||
	    (n == 2 && c[0] == '.' && c[1] == '.'))
		return 0;
	if (!allow_own && n >= strlen(SEED_BK_OWN) &&
	    memcmp(c, SEED_BK_OWN, strlen(SEED_BK_OWN)) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)c[i] < ' ' || c[i] == 0x7f || c[i] == '/')
			return 0;
	return 1;
}

static int
seed_bk_path_ok(const char *path, int allow_own)
{
	const char *p = path;
	size_t n;

	for (;;) {
		n = strcspn(p, "/");
		if (!seed_bk_name_ok(p, n, allow_own))
			return 0;
		if (p[n] == '\0')
			return 1;
		p += n + 1;
	}
}

/* The first of the sorted keys that is not below key (binary search). */
static size_t
seed_bk_lower(char **sorted, size_t n, const char *key)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(sorted[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
seed_bk_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether some key starts with key + "/": key must then be a directory. */
static int
seed_bk_is_dir(char **sorted, size_t n, const char *key)
{
	char dir[S3_KEY_MAX + 2];
	size_t i, len = strlen(key);

	if (len + 2 > sizeof(dir))
		return 0;
	memcpy(dir, key, len);
	dir[len] = '/';
	dir[len + 1] = '\0';
	i = seed_bk_lower(sorted, n, dir);
	return i < n && strncmp(sorted[i], dir, len + 1) == 0;
}

/* Add an object for each key, with the file it is to be stored in. */
int
seed_bk_paths(struct seed_bk *b, char **keys, size_t nkeys)
{
	char **sorted, hash[SEED_SHA256_HEX];
	struct seed_bk_obj *o;
	size_t i;
	int ret = -1;

	if (nkeys == 0)
		return 0;
	if ((sorted = malloc(nkeys * sizeof(*sorted))) == NULL)
		return -1;
	memcpy(sorted, keys, nkeys * sizeof(*sorted));
	qsort(sorted, nkeys, sizeof(*sorted), seed_bk_strcmp);
	if ((b->v = calloc(nkeys, sizeof(*b->v))) == NULL)
		goto out;
	b->cap = nkeys;
	for (i = 0; i < nkeys; i++) {
		o = &b->v[b->n++];
		o->size = -1;
		if ((o->key = strdup(keys[i])) == NULL)
			goto out;
		if (seed_bk_path_ok(keys[i], 0) &&
		    !seed_bk_is_dir(sorted, nkeys, keys[i])) {
			o->path = strdup(keys[i]);
		} else {
			sigv4_sha256_hex(keys[i], strlen(keys[i]), hash);
			o->path = seed_strjoin(SEED_BK_KEYS, "/", hash);
		}
		if (o->path == NULL)
			goto out;
	}
	ret = 0;
out:
	free(sorted);
	return ret;
}

/*
 * The directory that holds path's last component, below the backup
 * directory, made as needed when create is set.  No component is followed
 * if it is a symbolic link.  Returns a descriptor, with *leaf pointing
 * into path, or -1 with a message.
 */
static int
seed_bk_parent(struct seed_bk *b, const char *path, int create,
    const char **leaf, char *err, size_t errsz)
{
	const char *p = path, *slash;
	char comp[256];
	size_t n;
	int fd, nfd;

	if ((fd = fcntl(b->rootfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		snprintf(err, errsz, "%s: %s", b->dir, strerror(errno));
		return -1;
	}
	while ((slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof(comp)) {
			errno = EINVAL;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (create && mkdirat(fd, comp, 0777) == -1 && errno != EEXIST)
			goto fail;
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1)
			goto fail;
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
fail:
	snprintf(err, errsz, "%s/%.*s: %s", b->dir, (int)(slash - path), path,
	    errno == ELOOP || errno == ENOTDIR ? "not a directory (a file or "
	    "a symbolic link is in the way)" : strerror(errno));
	close(fd);
	return -1;
}

/*
 * Make dir ready for an export: created if missing, and refused when it
 * holds anything but an earlier export, so that a mistyped --export
 * cannot scatter a bucket over a home directory.  The marker file written
 * here doubles as the check that the directory is writable, before any
 * download; an earlier manifest is removed, so that an export that fails
 * half-way leaves no manifest to restore from.
 */
int
seed_bk_open_export(struct seed_bk *b, const char *dir, char *err,
    size_t errsz)
{
	static const char mark[] = "An export by s3wwwd-seed; it is complete "
	    "when " SEED_BK_MANIFEST " is here.\n";
	struct dirent *e;
	DIR *d;
	int fd, own = 0, other = 0;

	memset(b, 0, sizeof(*b));
	b->dir = dir;
	b->rootfd = -1;
	if (mkdir(dir, 0777) == -1 && errno != EEXIST) {
		snprintf(err, errsz, "cannot create the export directory %s: "
		    "%s", dir, strerror(errno));
		return -1;
	}
	fd = -1;
	if ((b->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (fd = fcntl(b->rootfd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		snprintf(err, errsz, "export directory %s: %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strcmp(e->d_name, SEED_BK_MANIFEST) == 0 ||
		    strcmp(e->d_name, SEED_BK_MARK) == 0)
			own = 1;
		else
			other = 1;
	}
	closedir(d);
	if (other && !own) {
		snprintf(err, errsz, "%s is not empty and holds no export: give "
		    "a new or empty directory, or an earlier export's", dir);
		return -1;
	}
	fd = openat(b->rootfd, SEED_BK_MARK, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd == -1 || write(fd, mark, sizeof(mark) - 1) !=
	    (ssize_t)(sizeof(mark) - 1)) {
		snprintf(err, errsz, "cannot write in the export directory %s: "
		    "%s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (unlinkat(b->rootfd, SEED_BK_MANIFEST, 0) == -1 && errno != ENOENT) {
		snprintf(err, errsz, "%s/%s: %s", dir, SEED_BK_MANIFEST,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A new file next to where path is to be, to download into and then rename
 * into place, so that no half-written file ever carries the key's name.
 * Returns its descriptor, with its directory in *pfd and its name in tmp.
 */
int
seed_bk_tmp_create(struct seed_bk *b, const char *path, int *pfd, char *tmp,
    size_t tmpsz, char *err, size_t errsz)
{
	const char *leaf;
	int fd = -1, tries;

	if ((*pfd = seed_bk_parent(b, path, 1, &leaf, err, errsz)) == -1)
		return -1;
	for (tries = 0; tries < 100; tries++) {
		snprintf(tmp, tmpsz, SEED_BK_OWN "tmp.%ld.%u", (long)getpid(),
		    b->tmpseq++);
		fd = openat(*pfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0666);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		snprintf(err, errsz, "cannot create a file in %s/%.*s: %s",
		    b->dir, (int)(leaf - path), path, strerror(errno));
		close(*pfd);
		*pfd = -1;
	}
	return fd;
}

/* Flush the finished download tmp and rename it to path; or remove it. */
int
seed_bk_tmp_commit(struct seed_bk *b, int pfd, const char *tmp,
    const char *path, int fd, char *err, size_t errsz)
{
	const char *leaf = strrchr(path, '/');

	leaf = leaf != NULL ? leaf + 1 : path;
	if (fsync(fd) == 0 && renameat(pfd, tmp, pfd, leaf) == 0)
		return 0;
	snprintf(err, errsz, "%s/%s: %s%s", b->dir, path, strerror(errno),
	    errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST ?
	    " (left by an earlier export? export into an empty directory)" :
	    "");
	unlinkat(pfd, tmp, 0);
	return -1;
}

/*
 * A manifest field: '\\', tab, CR, LF and other control bytes escaped
 * (\\ \t \r \n \xHH), and a '#' that starts the line, which would make it
 * a comment.  Other bytes, UTF-8 included, are written as they are.
 */
static void
seed_bk_esc(FILE *fp, const char *s, int first)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\r')
			fputs("\\r", fp);
		else if (*p < ' ' || *p == 0x7f || (first && *p == '#' &&
		    p == (const unsigned char *)s))
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
}

/* Undo seed_bk_esc() in place; -1 on a bad escape or an escaped NUL. */
static int
seed_bk_unesc(char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	while (*r != '\0') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		switch (r[1]) {
		case '\\':
			*w++ = '\\';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'x':
			if ((hi = seed_hexval((unsigned char)r[2])) == -1 ||
			    (lo = seed_hexval((unsigned char)r[3])) == -1 ||
			    hi * 16 + lo == 0)
				return -1;
			*w++ = (char)(hi * 16 + lo);
			r += 2;
			break;
		default:
			return -1;
		}
		r += 2;
	}
	*w = '\0';
	return 0;
}

static int
seed_bk_write_obj(FILE *fp, const struct seed_bk_obj *o)
{
	size_t i;

	seed_bk_esc(fp, o->key, 1);
	fputc('\t', fp);
	seed_bk_esc(fp, o->path, 0);
	fprintf(fp, "\t%lld\t%s\t", (long long)o->size, o->sha256);
	seed_bk_esc(fp, o->etag, 0);
	for (i = 0; i < o->nhdrs; i++) {
		fputc('\t', fp);
		seed_bk_esc(fp, o->hdrs[i], 0);
	}
	return fputc('\n', fp) == EOF ? -1 : 0;
}

/*
 * Write the manifest of the objects exported (size >= 0): to a temporary
 * file, flushed to disk, then renamed, so that a manifest, once there, is
 * whole.  Its last line counts the objects, which catches a manifest cut
 * short later on.
 */
int
seed_bk_write_manifest(struct seed_bk *b, const char *bucket,
    const char *prefix, char *err, size_t errsz)
{
	char tmp[64], when[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, n = 0;
	FILE *fp;
	int fd, bad;

	snprintf(tmp, sizeof(tmp), SEED_BK_OWN "tmp.manifest.%ld",
	    (long)getpid());
	fd = openat(b->rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0666);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsz, "%s/%s: %s", b->dir, tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(fp, "%s\n# bucket\t", SEED_BK_MAGIC);
	seed_bk_esc(fp, bucket, 0);
	fputs("\n# prefix\t", fp);
	seed_bk_esc(fp, prefix, 0);
	fprintf(fp, "\n# exported\t%s\n# fields\tkey\tpath\tsize\tsha256\t"
	    "etag\theader...\n", when);
	for (i = 0; i < b->n; i++) {
		if (b->v[i].size < 0)
			continue;
		seed_bk_write_obj(fp, &b->v[i]);
		n++;
	}
	fprintf(fp, "# end\t%zu\n", n);
	bad = fflush(fp) == EOF || ferror(fp) || fsync(fd) == -1;
	if (fclose(fp) == EOF)
		bad = 1;
	if (bad || renameat(b->rootfd, tmp, b->rootfd, SEED_BK_MANIFEST) ==
	    -1) {
		snprintf(err, errsz, "%s/%s: %s", b->dir, SEED_BK_MANIFEST,
		    strerror(errno));
		unlinkat(b->rootfd, tmp, 0);
		return -1;
	}
	fsync(b->rootfd);
	return 0;
}

/* Whether the unescaped header line is one a restore may send. */
static int
seed_bk_hdr_ok(const char *h)
{
	const char *p;
	size_t n = strcspn(h, ":");

	if (h[n] != ':' || h[n + 1] != ' ' || h[n + 2] == '\0' ||
	    !seed_hdr_kept(h, n))
		return 0;
	for (p = h; p < h + n; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '-'))
			return 0;
	for (p = h + n; *p != '\0'; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

static int
seed_bk_size(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int
seed_bk_sha_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return s[64] == '\0';
}

static void
seed_bk_obj_free(struct seed_bk_obj *o)
{
	size_t i;

	free(o->key);
	free(o->path);
	for (i = 0; i < o->nhdrs; i++)
		free(o->hdrs[i]);
	memset(o, 0, sizeof(*o));
}

/* Check the x-amz-* lines against what the signer can take (seed.h). */
static const char *
seed_bk_signable(const struct seed_bk_obj *o)
{
	size_t i, n = 0;

	for (i = 0; i < o->nhdrs; i++) {
		if (strncmp(o->hdrs[i], "x-amz-", 6) != 0)
			continue;
		if (++n > SEED_SIGNED_MAX)
			return "more than 4 x-amz-* metadata lines";
		if (strlen(o->hdrs[i]) > SEED_SIGNED_LINE_MAX ||
		    strcspn(o->hdrs[i], ":") > SEED_SIGNED_NAME_MAX)
			return "an x-amz-* metadata line too long to sign";
	}
	return NULL;
}

/*
 * One object line of the manifest into *o.  Returns 0, or -1 with what
 * is wrong in err.
 *
 * Long because each field is checked on its own, with its own message.
 */
static int
seed_bk_parse_obj(char *line, struct seed_bk_obj *o, char *err,
    size_t errsz)
{
	char *f[5], *p = line, *h;
	const char *why;
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < 5; i++) {
		if ((f[i] = strsep(&p, "\t")) == NULL) {
			snprintf(err, errsz, "fewer than 5 fields");
			return -1;
		}
		if (seed_bk_unesc(f[i]) == -1) {
			snprintf(err, errsz, "a bad escape in field %zu", i + 1);
			return -1;
		}
	}
	if (f[0][0] == '\0' || strlen(f[0]) > S3_KEY_MAX) {
		snprintf(err, errsz, "an empty or over-long key");
		return -1;
	}
	if (!seed_bk_path_ok(f[1], 1)) {
		snprintf(err, errsz, "the file name is not a relative path "
		    "inside the backup");
		return -1;
	}
	if (seed_bk_size(f[2], &o->size) == -1) {
		snprintf(err, errsz, "a bad size");
		return -1;
	}
	if (!seed_bk_sha_ok(f[3])) {
		snprintf(err, errsz, "a bad SHA-256 (64 lower-case hex digits)");
		return -1;
	}
	memcpy(o->sha256, f[3], SEED_SHA256_HEX);
	snprintf(o->etag, sizeof(o->etag), "%s", f[4]);
	if ((o->key = strdup(f[0])) == NULL || (o->path = strdup(f[1])) ==
	    NULL)
		goto oom;
	while ((h = strsep(&p, "\t")) != NULL) {
		if (seed_bk_unesc(h) == -1 || !seed_bk_hdr_ok(h)) {
			snprintf(err, errsz, "a header a restore cannot send "
			    "(\"name: value\", Content-*, Cache-Control, "
			    "Expires or x-amz-meta-*)");
			return -1;
		}
		if (o->nhdrs == SEED_OBJ_HDRS) {
			snprintf(err, errsz, "more than %d headers",
			    SEED_OBJ_HDRS);
			return -1;
		}
		if ((o->hdrs[o->nhdrs++] = strdup(h)) == NULL)
			goto oom;
	}
	if ((why = seed_bk_signable(o)) != NULL) {
		snprintf(err, errsz, "%s, which this tool cannot restore", why);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errsz, "out of memory");
	return -1;
}

static int
seed_bk_obj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seed_bk_obj *)a)->key,
	    ((const struct seed_bk_obj *)b)->key);
}

static int
seed_bk_add(struct seed_bk *b, struct seed_bk_obj *o)
{
	struct seed_bk_obj *nv;
	size_t ncap;

	if (b->n == b->cap) {
		ncap = b->cap != 0 ? b->cap * 2 : 64;
		if ((nv = realloc(b->v, ncap * sizeof(*nv))) == NULL)
			return -1;
		b->v = nv;
		b->cap = ncap;
	}
	b->v[b->n++] = *o;
	return 0;
}

/*
 * Read the manifest lines from fp into b, keeping the objects under
 * prefix.  Returns 0, or -1 with a message naming the line.
 */
static int
seed_bk_read(struct seed_bk *b, FILE *fp, const char *prefix, char *err,
    size_t errsz)
{
	struct seed_bk_obj o;
	char *line = NULL, why[256], *end;
	size_t cap = 0, lineno = 0, nobj = 0, plen = strlen(prefix);
	ssize_t len;
	long long count = -1;
	int ret = -1;

	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (count >= 0) {
			snprintf(why, sizeof(why), "a line after the end line");
			goto bad;
		}
		if (len > SEED_BK_LINE_MAX || len == 0 || line[len - 1] !=
		    '\n' || memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(why, sizeof(why), "not a whole line of text");
			goto bad;
		}
		line[len - 1] = '\0';
		if (lineno == 1) {
			if (strcmp(line, SEED_BK_MAGIC) != 0) {
				snprintf(why, sizeof(why), "not \"%s\"",
				    SEED_BK_MAGIC);
				goto bad;
			}
			continue;
		}
		if (strncmp(line, "# end\t", 6) == 0) {
			errno = 0;
			count = strtoll(line + 6, &end, 10);
			if (errno != 0 || *end != '\0' || count < 0 ||
			    (size_t)count != nobj) {
				snprintf(why, sizeof(why), "the end line "
				    "counts %s objects, the manifest has %zu",
				    line + 6, nobj);
				goto bad;
			}
			continue;
		}
		if (line[0] == '#')
			continue;
		nobj++;
		if (seed_bk_parse_obj(line, &o, why, sizeof(why)) == -1) {
			seed_bk_obj_free(&o);
			goto bad;
		}
		if (strncmp(o.key, prefix, plen) != 0) {
			seed_bk_obj_free(&o);
		} else if (seed_bk_add(b, &o) == -1) {
			seed_bk_obj_free(&o);
			snprintf(err, errsz, "out of memory");
			goto out;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "%s/%s: %s", b->dir, SEED_BK_MANIFEST,
		    strerror(errno));
		goto out;
	}
	if (lineno == 0 || count < 0) {
		snprintf(err, errsz, "%s/%s is %s: the export did not finish "
		    "or the file was damaged", b->dir, SEED_BK_MANIFEST,
		    lineno == 0 ? "empty" : "cut short (no end line)");
		goto out;
	}
	ret = 0;
	goto out;
bad:
	snprintf(err, errsz, "%s/%s:%zu: %s: the manifest is damaged",
	    b->dir, SEED_BK_MANIFEST, lineno, why);
out:
	free(line);
	return ret;
}

/*
 * Open the backup in dir and read its manifest, keeping the objects under
 * prefix, sorted by key.  Nothing is verified yet: see seed_bk_verify().
 */
int
seed_bk_open_restore(struct seed_bk *b, const char *dir, const char *prefix,
    char *err, size_t errsz)
{
	FILE *fp;
	size_t i;
	int fd, rc;

	memset(b, 0, sizeof(*b));
	b->dir = dir;
	if ((b->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "backup directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	fd = openat(b->rootfd, SEED_BK_MANIFEST, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (fp = fdopen(fd, "r")) == NULL) {
		if (errno == ENOENT)
			snprintf(err, errsz, "%s holds no manifest %s: not a "
			    "backup made by --export, or one that did not "
			    "finish", dir, SEED_BK_MANIFEST);
		else
			snprintf(err, errsz, "%s/%s: %s", dir,
			    SEED_BK_MANIFEST, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rc = seed_bk_read(b, fp, prefix, err, errsz);
	fclose(fp);
	if (rc == -1)
		return -1;
	qsort(b->v, b->n, sizeof(b->v[0]), seed_bk_obj_cmp);
	for (i = 1; i < b->n; i++) {
		if (strcmp(b->v[i - 1].key, b->v[i].key) == 0) {
			snprintf(err, errsz, "%s/%s names the key %s twice: the "
			    "manifest is damaged", dir, SEED_BK_MANIFEST,
			    b->v[i].key);
			return -1;
		}
	}
	return 0;
}

/* Open the file of an object, inside the backup and not through links. */
int
seed_bk_open_file(struct seed_bk *b, const struct seed_bk_obj *o, char *err,
    size_t errsz)
{
	const char *leaf;
	struct stat st;
	int pfd, fd;

	if ((pfd = seed_bk_parent(b, o->path, 0, &leaf, err, errsz)) == -1)
		return -1;
	fd = openat(pfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: %s/%s: %s", o->key, b->dir, o->path,
		    fd == -1 && errno == ELOOP ? "a symbolic link" :
		    fd == -1 ? strerror(errno) : "not a regular file");
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether the file of o has the size and SHA-256 the manifest records. */
int
seed_bk_verify(struct seed_bk *b, const struct seed_bk_obj *o, char *err,
    size_t errsz)
{
	char sha[SEED_SHA256_HEX];
	struct stat st;
	int fd, ret = -1;

	if ((fd = seed_bk_open_file(b, o, err, errsz)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s/%s: %s", o->key, b->dir, o->path,
		    strerror(errno));
	} else if ((int64_t)st.st_size != o->size) {
		snprintf(err, errsz, "%s: %s/%s has %lld bytes, the manifest "
		    "says %lld", o->key, b->dir, o->path,
		    (long long)st.st_size, (long long)o->size);
	} else if (seed_hash_range(fd, 0, o->size, NULL, NULL, sha) == -1) {
		snprintf(err, errsz, "%s: %s/%s: %s", o->key, b->dir, o->path,
		    errno != 0 ? strerror(errno) : "shrank while read");
	} else if (strcmp(sha, o->sha256) != 0) {
		snprintf(err, errsz, "%s: %s/%s does not match its SHA-256 in "
		    "the manifest (damaged or changed since the export)",
		    o->key, b->dir, o->path);
	} else {
		ret = 0;
	}
	close(fd);
	return ret;
}

/* The value of the recorded header name (lower-case), or NULL. */
const char *
seed_bk_hdr(const struct seed_bk_obj *o, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < o->nhdrs; i++)
		if (strncmp(o->hdrs[i], name, n) == 0 && o->hdrs[i][n] == ':')
			return o->hdrs[i] + n + 2;
	return NULL;
}

void
seed_bk_free(struct seed_bk *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		seed_bk_obj_free(&b->v[i]);
	free(b->v);
	if (b->dir != NULL && b->rootfd >= 0)
		close(b->rootfd);
	memset(b, 0, sizeof(*b));
	b->rootfd = -1;
}
