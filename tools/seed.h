/*
 * seed.h - the parts of s3wwwd-seed shared between its source files: the
 * list of files to upload, the S3 client built on the project's common signer
 * and the terminal output.
 *
 * The tool gathers every source first (walking directories and downloading
 * URLs) and only then talks to S3, so that a missing file or a failed
 * download stops it before anything in the bucket has changed.
 */
#ifndef S3WWWD_SEED_H
#define S3WWWD_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "s3.h"
#include "sigv4.h"

/* Exit codes, documented in s3wwwd-seed(1). */
#define SEED_EXIT_OK 0
#define SEED_EXIT_USAGE 1
#define SEED_EXIT_SOURCE 2
#define SEED_EXIT_S3 3
#define SEED_EXIT_UNREACHABLE 4

#define SEED_MIB (1024LL * 1024)
#define SEED_PART_MIN (5 * SEED_MIB)          /* S3's smallest non-last part */
#define SEED_PART_MAX (5 * 1024 * SEED_MIB)   /* and its largest part */
#define SEED_PUT_MAX (5 * 1024 * SEED_MIB)    /* largest single PUT */
#define SEED_PARTS_MAX 10000

#define SEED_MD5_HEX 33
#define SEED_MD5_B64 25
#define SEED_SHA256_HEX 65

/*
 * s3_request_build() signs at most four extra header lines, each short
 * enough for its line buffer (s3.h); a longer line or a fifth goes out
 * unsigned, which SigV4 allows for every header but x-amz-*.
 */
#define SEED_SIGNED_MAX 4
#define SEED_SIGNED_LINE_MAX (SIGV4_AUTH_MAX + 63)
#define SEED_SIGNED_NAME_MAX 63

/* Header lines kept per object in a backup (Content-*, x-amz-meta-*, ...). */
#define SEED_OBJ_HDRS 32

/* The manifest of a backup, in the top directory of the backup. */
#define SEED_BK_MANIFEST ".s3wwwd-backup.tsv"
#define SEED_BK_MAGIC "# s3wwwd-backup 1"

/* Set by the SIGINT/SIGTERM handler; transfers stop when they see it. */
extern volatile sig_atomic_t seed_interrupted;

/* One object to upload. */
struct seed_file {
	char *key;	/* full object key, prefix included */
	char *src;	/* the path or URL it came from, for messages */
	int fd;		/* an unlinked temporary file for URLs, else -1 */
	int64_t size;	/* as found while gathering, for the progress total */
	char *ctype;	/* Content-Type to store */
	size_t seq;	/* order given, so that a later source wins a clash */
	char *redirect;	/* a redirect's target: a zero-byte object, or NULL */
	int last;	/* a website document: uploaded after everything else */
};

struct seed_files {
	struct seed_file *v;
	size_t n;
	size_t cap;
};

/*
 * A per-object redirect (--redirect, --redirects): a zero-byte page whose
 * metadata names the target, which s3wwwd answers with a 301.  The daemon
 * keeps a header value below 256 bytes (worker/conn.h, uh[]); a longer
 * target would be stored and then ignored, so it is refused here.
 */
#define SEED_REDIRECT_MAX S3_REDIRECT_MAX

struct seed_redirect {
	char *key;	/* full object key, prefix included */
	char *target;
	char *src;	/* "--redirect" or "FILE:LINE", for messages */
};

struct seed_redirects {
	struct seed_redirect *v;
	size_t n;
	size_t cap;
};

/* seed_src.c: gathering sources. */
const char *seed_mime_type(const char *key);
int seed_src_dir(struct seed_files *fs, const char *dir, const char *prefix,
    char *err, size_t errsz);
int seed_url_split(const char *spec, char **url, char **key, char *err,
    size_t errsz);
int seed_src_url(struct seed_files *fs, const char *url, const char *key,
    const char *prefix, char *err, size_t errsz);
void seed_src_finish(struct seed_files *fs);
int seed_src_has_key(const struct seed_files *fs, const char *key);
void seed_files_free(struct seed_files *fs);
const char *seed_redirect_target_why(const char *target);
int seed_redirect_arg(struct seed_redirects *rs, const char *spec,
    const char *prefix, char *err, size_t errsz);
int seed_redirects_file(struct seed_redirects *rs, const char *path,
    const char *prefix, char *err, size_t errsz);
int seed_src_redirects(struct seed_files *fs, const struct seed_redirects *rs,
    char *err, size_t errsz);
void seed_redirects_free(struct seed_redirects *rs);

/*
 * seed_src.c: single files (--put FILE=KEY) and website documents
 * (--website-document FILE=KEY), a WebsiteConfiguration that the daemon
 * reads from the bucket (site.website_document in s3wwwd.conf(5)).  It is
 * checked here with the daemon's reader (common/website.c), so that a
 * document the daemon would refuse fails the run instead of being logged
 * by every server later.  The
 * daemon reads at most 256 KiB of it (WEBDOC_MAX in daemon/webdoc.h).
 */
#define SEED_WEBDOC_MAX (256 * 1024)

int seed_put_split(const char *spec, const char *opt, char **file, char **key,
    char *err, size_t errsz);
int seed_src_put(struct seed_files *fs, const char *file, const char *key,
    const char *prefix, int website, char *err, size_t errsz);
int seed_website_check(const char *doc, size_t len, char *summary,
    size_t summarysz, char *err, size_t errsz);
int seed_website_file(const char *path, char *err, size_t errsz);

/*
 * seed_src.c: backups (--export, --restore).  An object of a backup: its
 * key, the file holding its bytes relative to the backup directory (the
 * key itself when that is a safe path, else under .s3wwwd-keys/), what
 * it holds and the header lines to store with it again.
 */
struct seed_bk_obj {
	char *key;
	char *path;
	int64_t size;
	char sha256[SEED_SHA256_HEX];
	char etag[128];
	char *hdrs[SEED_OBJ_HDRS + 1];	/* "name: value", NULL-terminated */
	size_t nhdrs;
};

struct seed_bk {
	int rootfd;		/* the backup directory */
	const char *dir;	/* its name, for messages */
	struct seed_bk_obj *v;
	size_t n;
	size_t cap;
	unsigned tmpseq;	/* for unique temporary names */
};

int seed_bk_open_export(struct seed_bk *b, const char *dir, char *err,
    size_t errsz);
int seed_bk_paths(struct seed_bk *b, char **keys, size_t nkeys);
int seed_bk_tmp_create(struct seed_bk *b, const char *path, int *pfd,
    char *tmp, size_t tmpsz, char *err, size_t errsz);
int seed_bk_tmp_commit(struct seed_bk *b, int pfd, const char *tmp,
    const char *path, int fd, char *err, size_t errsz);
int seed_bk_write_manifest(struct seed_bk *b, const char *bucket,
    const char *prefix, char *err, size_t errsz);
int seed_bk_open_restore(struct seed_bk *b, const char *dir,
    const char *prefix, char *err, size_t errsz);
int seed_bk_open_file(struct seed_bk *b, const struct seed_bk_obj *o,
    char *err, size_t errsz);
int seed_bk_verify(struct seed_bk *b, const struct seed_bk_obj *o, char *err,
    size_t errsz);
const char *seed_bk_hdr(const struct seed_bk_obj *o, const char *name);
void seed_bk_free(struct seed_bk *b);

/* seed_ui.c: messages and the progress line. */
struct seed_ui {
	int tty;	/* stderr is a terminal: draw the progress line */
	int quiet;
	int verbose;
	int drawn;	/* a progress line is on screen */
	size_t files_done;
	size_t files_total;
	int64_t bytes_done;	/* of finished objects */
	int64_t bytes_cur;	/* of the object in flight */
	int64_t bytes_total;
	const char *cur;	/* key in flight or NULL */
	double last_draw;
};

extern struct seed_ui seed_ui;

void seed_ui_init(int quiet, int verbose);
void seed_ui_draw(int force);
void seed_ui_clear(void);
void seed_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void seed_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void seed_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void seed_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void seed_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double seed_now(void);
void seed_human(int64_t n, char *out, size_t outsz);

/* seed_s3.c: the S3 client. */
struct seed_resp {
	long status;
	char *body;
	size_t len;
	size_t cap;
	char etag[128];
	char meta_md5[80];
	char ctype[256];
	char cache_control[256];
	int has_cache_control;
	char web_redirect[512];		/* x-amz-website-redirect-location */
	char meta_redirect[512];	/* x-amz-meta-website-redirect-location */
	long hdr_status;	/* of the status line seen last, for the sink */
	struct seed_got *got;	/* keep an object's headers here, or NULL */
	struct seed_sink *sink;	/* a 200 body goes here instead, or NULL */
};

/*
 * What a GET tells of an object besides its bytes: the header lines that
 * are stored with it and given back on a restore, lower-case "name: value"
 * (Content-Type, Cache-Control, Content-Encoding, Content-Disposition,
 * Content-Language, Expires, x-amz-website-redirect-location and every
 * x-amz-meta-*), NULL-terminated.
 */
struct seed_got {
	char etag[128];
	int64_t length;		/* Content-Length, -1 if none */
	char *hdrs[SEED_OBJ_HDRS + 1];
	size_t nhdrs;
	int dropped;		/* headers beyond SEED_OBJ_HDRS */
};

struct seed_s3 {
	CURL *curl;
	struct s3_endpoint ep;
	struct sigv4_ctx sig;
	const char *token;	/* session token or NULL */
	const char *ca_bundle;
	int insecure;
	double wait;		/* seconds to wait for the first request */
	int first_done;		/* the first request got an answer */
	int fail;		/* SEED_EXIT_* of the last failure */
	struct seed_resp resp;
	char errbuf[CURL_ERROR_SIZE];
};

/* What HEAD on an object says, for --only-changed. */
struct seed_head {
	int exists;
	char etag[128];
	char meta_md5[80];
	char ctype[256];
	char cache_control[256];
	int has_cache_control;
	/* Longer than SEED_REDIRECT_MAX: a cut value never equals a target. */
	char web_redirect[512];
	char meta_redirect[512];
};

/* One upload: the open source and what is to be stored with it. */
struct seed_put {
	const char *key;
	int fd;
	int64_t size;
	const char *ctype;
	const char *cache_control;	/* NULL for none */
	const char *redirect;		/* a redirect's target, or NULL */
	/*
	 * A restore's header lines as recorded ("name: value", NULL-ended);
	 * when set they replace ctype, cache_control and the MD5 metadata.
	 */
	const char *const *hdrs;
	char md5_hex[SEED_MD5_HEX];
	char md5_b64[SEED_MD5_B64];
	char sha256[SEED_SHA256_HEX];	/* of the whole file, single PUT only */
};

int seed_s3_init(struct seed_s3 *s, const char *endpoint, const char *bucket,
    const char *region, int virtual_host, const char *access_key,
    const char *secret_key, const char *token, char *err, size_t errsz);
void seed_s3_free(struct seed_s3 *s);
int seed_s3_bucket_exists(struct seed_s3 *s, int *exists);
int seed_s3_bucket_create(struct seed_s3 *s);
int seed_s3_head(struct seed_s3 *s, const char *key, struct seed_head *h);
int seed_s3_put(struct seed_s3 *s, const struct seed_put *p);
int seed_s3_multipart(struct seed_s3 *s, const struct seed_put *p,
    int64_t part_size);
int seed_s3_list(struct seed_s3 *s, const char *prefix, char ***keys,
    size_t *nkeys);
int seed_s3_delete(struct seed_s3 *s, const char *key);
int seed_s3_get(struct seed_s3 *s, const char *key, int fd,
    struct seed_got *got, char *sha256_hex);
void seed_got_free(struct seed_got *g);
int seed_hdr_kept(const char *name, size_t nlen);
int seed_hash_range(int fd, int64_t off, int64_t len, char *md5_hex,
    char *md5_b64, char *sha256_hex);

#endif
