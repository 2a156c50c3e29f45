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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "seed.h"

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
