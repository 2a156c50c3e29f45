/*
 * check_site.c - unit tests for the website rules in worker/site.c.
 *
 * Each test is one row of the README's "What it serves" list or of the
 * fallback chain in site.h: which key a path maps to, and what the server
 * does next when S3 answers (fetch another key, list, redirect, or an error
 * page), including when a miss is worth a negative cache entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "site.h"

#define NOT_FOUND "The requested URL was not found."

static struct site_conf conf;
static struct site_next next;

/* The defaults of the man page: index.html, no SPA, no error document. */
static void
conf_reset(const char *prefix)
{
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.prefix, sizeof(conf.prefix), "%s", prefix);
	snprintf(conf.index, sizeof(conf.index), "%s", "index.html");
	conf.dir_redirect = SITE_DIR_AUTO;
}

static void
set_spa(const char *spa)
{
	snprintf(conf.spa_file, sizeof(conf.spa_file), "%s", spa);
}

static void
set_errdoc(const char *doc)
{
	snprintf(conf.error_document, sizeof(conf.error_document), "%s", doc);
}

static struct site_req
req_of(const char *key, int is_dir, int head, int caching, int known_missing)
{
	struct site_req r;

	r.key = key;
	r.keylen = strlen(key);
	r.is_dir = is_dir;
	r.head = head;
	r.caching = caching;
	r.known_missing = known_missing;
	return r;
}

/* Fill next with garbage so that every field a test reads is set by the call. */
static void
scribble(void)
{
	memset(&next, 0x5a, sizeof(next));
}

static void
not_found(const struct site_req *r, enum site_phase after)
{
	scribble();
	site_not_found(&conf, r, after, &next);
}

static void
answer(const struct site_req *r, enum site_phase phase, int status, const char *code)
{
	scribble();
	site_answer(&conf, r, phase, status, code, &next);
}

/* next is a fetch of exactly `key` in `phase`, with HEAD if `head`. */
static void
assert_fetch(enum site_phase phase, int head, const char *key)
{
	ck_assert_int_eq(next.action, SITE_FETCH);
	ck_assert_int_eq(next.phase, phase);
	ck_assert_int_eq(next.head, head);
	ck_assert_uint_eq(next.keylen, strlen(key));
	ck_assert_str_eq(next.key, key);
}

static void
assert_error(int status)
{
	ck_assert_int_eq(next.action, SITE_ERROR);
	ck_assert_int_eq(next.status, status);
	ck_assert_ptr_nonnull(next.detail);
}

static void
assert_not_found(void)
{
	assert_error(404);
	ck_assert_str_eq(next.detail, NOT_FOUND);
	ck_assert_int_eq(next.upstream_fault, 0);
}

/* site_key() of path into a buffer of keysz bytes. */
static char key[S3_KEY_MAX + 1];
static size_t keylen;
static int is_dir;

static int
key_of(const char *path, size_t keysz)
{
	memset(key, 0x5a, sizeof(key));
	keylen = 0;
	is_dir = -1;
	return site_key(&conf, path, strlen(path), key, keysz, &keylen, &is_dir);
}

static void
assert_key(const char *path, const char *want, int want_dir)
{
	ck_assert_int_eq(key_of(path, sizeof(key)), 0);
	ck_assert_str_eq(key, want);
	ck_assert_uint_eq(keylen, strlen(want));
	ck_assert_int_eq(is_dir, want_dir);
}

/* --- site_key ----------------------------------------------------------- */

START_TEST(test_key_root)
{
	conf_reset("");
	assert_key("/", "index.html", 1);
	conf_reset("www/");
	assert_key("/", "www/index.html", 1);
	/* A climb back to the root is the root. */
	assert_key("/docs/..", "www/index.html", 1);
}
END_TEST

START_TEST(test_key_dir)
{
	conf_reset("");
	assert_key("/docs/", "docs/index.html", 1);
	assert_key("/a/b/", "a/b/index.html", 1);
	conf_reset("www/");
	assert_key("/docs/", "www/docs/index.html", 1);
	/* The index document is the configured one. */
	snprintf(conf.index, sizeof(conf.index), "%s", "default.htm");
	assert_key("/docs/", "www/docs/default.htm", 1);
}
END_TEST

START_TEST(test_key_plain)
{
	conf_reset("");
	assert_key("/a/b.txt", "a/b.txt", 0);
	assert_key("/docs", "docs", 0);
	/* No index document appended to a name that merely contains it. */
	assert_key("/index.html", "index.html", 0);
	conf_reset("www/");
	assert_key("/a/b.txt", "www/a/b.txt", 0);
}
END_TEST

START_TEST(test_key_decoding)
{
	conf_reset("");
	assert_key("/a%20b/c%2Bd", "a b/c+d", 0);
	assert_key("/a+b", "a+b", 0);
	assert_key("/100%25", "100%", 0);
	assert_key("/q%3Fx%23y", "q?x#y", 0);
	assert_key("/caf%C3%A9/", "caf\xc3\xa9/index.html", 1);
	assert_key("/a/%2E%2E/b", "b", 0);
	conf_reset("www/");
	assert_key("/x%2Fy", "www/x/y", 0);
}
END_TEST

START_TEST(test_key_refused)
{
	conf_reset("");
	ck_assert_int_eq(key_of("/../x", sizeof(key)), 400);
	ck_assert_int_eq(key_of("/a/../../x", sizeof(key)), 400);
	ck_assert_int_eq(key_of("/%2e%2e/x", sizeof(key)), 400);
	ck_assert_int_eq(key_of("/%zz", sizeof(key)), 400);
	ck_assert_int_eq(key_of("/a%00b", sizeof(key)), 400);
	ck_assert_int_eq(key_of("", sizeof(key)), 400);
	conf_reset("www/");
	/* The prefix is not a level the path may climb out of. */
	ck_assert_int_eq(key_of("/../x", sizeof(key)), 400);
}
END_TEST

START_TEST(test_key_index_too_long)
{
	conf_reset("");
	/* "docs/" + "index.html" is 15 bytes: with the NUL, exactly 16. */
	ck_assert_int_eq(key_of("/docs/", 16), 0);
	ck_assert_str_eq(key, "docs/index.html");
	ck_assert_uint_eq(keylen, 15);
	/* One byte more: the key fits, the key and the index do not. */
	ck_assert_int_eq(key_of("/docs1/", 16), 414);
	ck_assert_int_eq(key_of("/", 10), 414);
	ck_assert_int_eq(key_of("/", 11), 0);
	ck_assert_str_eq(key, "index.html");
	/* A plain name of the same length needs no index. */
	ck_assert_int_eq(key_of("/abcdefghijklmn", 16), 0);
	ck_assert_int_eq(is_dir, 0);
	ck_assert_uint_eq(keylen, 14);
	/* The prefix counts: "www/index.html" and its NUL are 15 bytes. */
	conf_reset("www/");
	ck_assert_int_eq(key_of("/", 15), 0);
	ck_assert_str_eq(key, "www/index.html");
	ck_assert_int_eq(key_of("/", 14), 414);
	ck_assert_int_eq(key_of("/d/", 16), 414);
}
END_TEST

/* --- site_not_found / site_answer: the fallback chain --------------------- */

START_TEST(test_object_missing_dircheck)
{
	struct site_req r;

	conf_reset("");
	r = req_of("docs", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "docs/index.html");
	ck_assert_int_eq(next.remember_missing, 0);
	ck_assert_int_eq(next.upstream_fault, 0);
	/* The same through S3's 404, with or without an error code. */
	answer(&r, SITE_OBJECT, 404, "NoSuchKey");
	assert_fetch(SITE_DIRCHECK, 1, "docs/index.html");
	answer(&r, SITE_OBJECT, 404, "");
	assert_fetch(SITE_DIRCHECK, 1, "docs/index.html");
	/* The check is a HEAD for a HEAD request too. */
	r = req_of("docs", 0, 1, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "docs/index.html");
	/* A dot in an earlier segment does not count. */
	r = req_of("v1.2/docs", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "v1.2/docs/index.html");
	conf_reset("www/");
	r = req_of("www/docs", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "www/docs/index.html");
}
END_TEST

START_TEST(test_object_missing_dotted)
{
	struct site_req r;

	conf_reset("");
	r = req_of("logo.png", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 1);
	r = req_of("a/wp-login.php", 0, 0, 0, 0);
	answer(&r, SITE_OBJECT, 404, "NoSuchKey");
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 0);
	/* Straight to the SPA file: one S3 request saved. */
	set_spa("app.html");
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "app.html");
}
END_TEST

START_TEST(test_dircheck_always)
{
	struct site_req r;

	conf_reset("");
	conf.dir_redirect = SITE_DIR_ALWAYS;
	r = req_of("logo.png", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "logo.png/index.html");
	ck_assert_int_eq(next.remember_missing, 0);
	r = req_of("docs", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "docs/index.html");
}
END_TEST

START_TEST(test_dircheck_off)
{
	struct site_req r;

	conf_reset("");
	conf.dir_redirect = SITE_DIR_OFF;
	r = req_of("docs", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 1);
	set_errdoc("404.html");
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 0, "404.html");
}
END_TEST

START_TEST(test_dircheck_never_for_dir)
{
	struct site_req r;

	conf_reset("");
	conf.dir_redirect = SITE_DIR_ALWAYS;
	r = req_of("docs/index.html", 1, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	/* Nor after the check itself, or later in the chain. */
	r = req_of("docs", 0, 0, 0, 0);
	not_found(&r, SITE_DIRCHECK);
	assert_not_found();
	not_found(&r, SITE_LIST);
	assert_not_found();
}
END_TEST

START_TEST(test_dircheck_found)
{
	struct site_req r;

	conf_reset("");
	set_spa("app.html");
	r = req_of("docs", 0, 0, 1, 0);
	answer(&r, SITE_DIRCHECK, 200, "");
	ck_assert_int_eq(next.action, SITE_REDIRECT);
	ck_assert_int_eq(next.status, 301);
	ck_assert_int_eq(next.remember_missing, 0);
	ck_assert_int_eq(next.upstream_fault, 0);
}
END_TEST

START_TEST(test_dircheck_missing)
{
	static const int statuses[] = { 404, 403 };
	struct site_req r;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		conf_reset("");
		r = req_of("docs", 0, 0, 1, 0);
		/* A HEAD has no body: no error code. */
		answer(&r, SITE_DIRCHECK, statuses[i], "");
		assert_not_found();
		ck_assert_int_eq(next.remember_missing, 1);
		set_errdoc("404.html");
		answer(&r, SITE_DIRCHECK, statuses[i], "");
		assert_fetch(SITE_ERRDOC, 0, "404.html");
		set_spa("app.html");
		answer(&r, SITE_DIRCHECK, statuses[i], "");
		assert_fetch(SITE_SPA, 0, "app.html");
		ck_assert_int_eq(next.remember_missing, 1);
		r = req_of("docs", 0, 1, 0, 0);
		answer(&r, SITE_DIRCHECK, statuses[i], "");
		assert_fetch(SITE_SPA, 1, "app.html");
		ck_assert_int_eq(next.remember_missing, 0);
	}
}
END_TEST

START_TEST(test_listing)
{
	struct site_req r;

	conf_reset("");
	conf.directory_listing = 1;
	set_spa("app.html");
	r = req_of("docs/index.html", 1, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.action, SITE_LISTING);
	ck_assert_int_eq(next.remember_missing, 0);
	answer(&r, SITE_OBJECT, 404, "NoSuchKey");
	ck_assert_int_eq(next.action, SITE_LISTING);
	/* The root is a directory too. */
	r = req_of("index.html", 1, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.action, SITE_LISTING);
	/* HEAD: no listing, the rest of the chain. */
	r = req_of("docs/index.html", 1, 1, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 1, "app.html");
	ck_assert_int_eq(next.remember_missing, 0);
	conf.spa_file[0] = '\0';
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 0);
	/* Listing off: the directory gets the fallbacks. */
	conf.directory_listing = 0;
	r = req_of("docs/index.html", 1, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 1);
	/* A name that is not a directory is never listed. */
	conf.directory_listing = 1;
	conf.dir_redirect = SITE_DIR_OFF;
	r = req_of("docs", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
}
END_TEST

/* A failed directory check that is no "not found" is not remembered. */
START_TEST(test_dircheck_error_not_remembered)
{
	static const int statuses[] = { 500, 502, 503 };
	struct site_req r;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		conf_reset("");
		r = req_of("docs", 0, 0, 1, 0);
		answer(&r, SITE_DIRCHECK, statuses[i], "");
		assert_not_found();
		ck_assert_int_eq(next.remember_missing, 0);
	}
}
END_TEST

/* A directory whose index the cache knows to be missing is still listed. */
START_TEST(test_listing_known_missing)
{
	struct site_req r;

	conf_reset("");
	conf.directory_listing = 1;
	r = req_of("docs/index.html", 1, 0, 1, 1);
	not_found(&r, SITE_DIRCHECK);
	ck_assert_int_eq(next.action, SITE_LISTING);
	ck_assert_int_eq(next.remember_missing, 0);
	/* A HEAD is not listed, and a plain name never. */
	r = req_of("docs/index.html", 1, 1, 1, 1);
	not_found(&r, SITE_DIRCHECK);
	assert_not_found();
	r = req_of("docs", 0, 0, 1, 1);
	not_found(&r, SITE_DIRCHECK);
	assert_not_found();
}
END_TEST

START_TEST(test_list_empty)
{
	struct site_req r;

	conf_reset("");
	conf.directory_listing = 1;
	r = req_of("docs/index.html", 1, 0, 1, 0);
	not_found(&r, SITE_LIST);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 0);
	set_errdoc("404.html");
	not_found(&r, SITE_LIST);
	assert_fetch(SITE_ERRDOC, 0, "404.html");
	set_spa("app.html");
	not_found(&r, SITE_LIST);
	assert_fetch(SITE_SPA, 0, "app.html");
	ck_assert_int_eq(next.remember_missing, 0);
}
END_TEST

START_TEST(test_spa)
{
	struct site_req r;

	conf_reset("");
	set_spa("app.html");
	set_errdoc("404.html");
	conf.dir_redirect = SITE_DIR_OFF;
	/* The SPA file comes before the error document. */
	r = req_of("route/x", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "app.html");
	r = req_of("route/x", 0, 1, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 1, "app.html");
	/* Below the prefix, even if it is the index document. */
	conf_reset("www/");
	set_spa("index.html");
	r = req_of("www/route/x.json", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "www/index.html");
	r = req_of("www/route/", 1, 0, 0, 0);
	not_found(&r, SITE_DIRCHECK);
	assert_fetch(SITE_SPA, 0, "www/index.html");
}
END_TEST

START_TEST(test_spa_missing)
{
	static const int statuses[] = { 404, 403, 500, 503 };
	struct site_req r;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		conf_reset("www/");
		set_spa("app.html");
		set_errdoc("404.html");
		r = req_of("www/x.png", 0, 0, 1, 0);
		answer(&r, SITE_SPA, statuses[i], "");
		assert_fetch(SITE_ERRDOC, 0, "www/404.html");
		ck_assert_int_eq(next.remember_missing, 0);
		r = req_of("www/x.png", 0, 1, 1, 0);
		answer(&r, SITE_SPA, statuses[i], "");
		assert_fetch(SITE_ERRDOC, 1, "www/404.html");
		conf.error_document[0] = '\0';
		answer(&r, SITE_SPA, statuses[i], "");
		assert_not_found();
		ck_assert_int_eq(next.remember_missing, 0);
	}
	/* site_not_found after the SPA file: never the SPA file again. */
	conf_reset("");
	set_spa("app.html");
	r = req_of("x", 0, 0, 0, 0);
	not_found(&r, SITE_SPA);
	assert_not_found();
}
END_TEST

START_TEST(test_errdoc)
{
	struct site_req r;

	conf_reset("");
	set_errdoc("errors/404.html");
	r = req_of("x.png", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 0, "errors/404.html");
	r = req_of("x.png", 0, 1, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 1, "errors/404.html");
	conf_reset("www/");
	set_errdoc("404.html");
	r = req_of("www/x.png", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 0, "www/404.html");
}
END_TEST

START_TEST(test_errdoc_missing)
{
	static const int statuses[] = { 404, 403, 500 };
	struct site_req r;
	size_t i;

	conf_reset("");
	set_spa("app.html");
	set_errdoc("404.html");
	r = req_of("x.png", 0, 0, 1, 0);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		answer(&r, SITE_ERRDOC, statuses[i], "");
		assert_not_found();
		ck_assert_int_eq(next.remember_missing, 0);
	}
	/* No loop back to the error document. */
	not_found(&r, SITE_ERRDOC);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 0);
}
END_TEST

START_TEST(test_no_fallbacks)
{
	struct site_req r;

	conf_reset("");
	r = req_of("x.png", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	r = req_of("docs", 0, 0, 0, 0);
	answer(&r, SITE_DIRCHECK, 404, "");
	assert_not_found();
	r = req_of("x.png", 0, 1, 0, 0);
	answer(&r, SITE_OBJECT, 404, "");
	assert_not_found();
}
END_TEST

/* --- site_answer: what S3 said, for the object itself --------------------- */

START_TEST(test_answer_client_errors)
{
	struct site_req r;

	conf_reset("");
	set_spa("app.html");
	r = req_of("a.txt", 0, 0, 1, 0);
	answer(&r, SITE_OBJECT, 412, "PreconditionFailed");
	assert_error(412);
	ck_assert_int_eq(next.upstream_fault, 0);
	ck_assert_int_eq(next.remember_missing, 0);
	answer(&r, SITE_OBJECT, 416, "InvalidRange");
	assert_error(416);
	ck_assert_int_eq(next.upstream_fault, 0);
	ck_assert_int_eq(next.remember_missing, 0);
}
END_TEST

START_TEST(test_answer_access_denied)
{
	struct site_req r;

	conf_reset("");
	set_spa("app.html");
	r = req_of("secret.txt", 0, 0, 1, 0);
	answer(&r, SITE_OBJECT, 403, "AccessDenied");
	assert_error(403);
	ck_assert_int_eq(next.upstream_fault, 0);
	ck_assert_int_eq(next.remember_missing, 0);
	/* A HEAD answer has no body, so no code. */
	r = req_of("secret.txt", 0, 1, 1, 0);
	answer(&r, SITE_OBJECT, 403, "");
	assert_error(403);
	ck_assert_int_eq(next.upstream_fault, 0);
}
END_TEST

START_TEST(test_answer_our_fault)
{
	static const char *const codes[] = {
		"SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed",
		"accessdenied", "AccessDeniedX"
	};
	static const int statuses[] = { 500, 400, 501, 301, 307 };
	struct site_req r;
	size_t i;

	conf_reset("");
	set_spa("app.html");
	set_errdoc("404.html");
	r = req_of("a.txt", 0, 0, 1, 0);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		answer(&r, SITE_OBJECT, 403, codes[i]);
		assert_error(502);
		ck_assert_int_eq(next.upstream_fault, 1);
		ck_assert_int_eq(next.remember_missing, 0);
	}
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		answer(&r, SITE_OBJECT, statuses[i], "InternalError");
		assert_error(502);
		ck_assert_int_eq(next.upstream_fault, 1);
		ck_assert_int_eq(next.remember_missing, 0);
		answer(&r, SITE_OBJECT, statuses[i], "");
		assert_error(502);
		ck_assert_int_eq(next.upstream_fault, 1);
	}
}
END_TEST

START_TEST(test_answer_busy)
{
	struct site_req r;

	conf_reset("");
	r = req_of("a.txt", 0, 0, 1, 0);
	answer(&r, SITE_OBJECT, 503, "SlowDown");
	assert_error(503);
	ck_assert_int_eq(next.upstream_fault, 0);
	ck_assert_int_eq(next.remember_missing, 0);
	answer(&r, SITE_OBJECT, 503, "");
	assert_error(503);
	ck_assert_int_eq(next.upstream_fault, 0);
}
END_TEST

/* --- negative caching ------------------------------------------------------ */

START_TEST(test_remember_caching_off)
{
	struct site_req r;

	conf_reset("");
	r = req_of("x.png", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 0);
	r = req_of("docs", 0, 0, 0, 0);
	not_found(&r, SITE_DIRCHECK);
	ck_assert_int_eq(next.remember_missing, 0);
	r = req_of("docs/index.html", 1, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 0);
}
END_TEST

START_TEST(test_remember_phases)
{
	struct site_req r;

	conf_reset("");
	set_spa("app.html");
	set_errdoc("404.html");
	/* OBJECT with no check to follow, or the check itself: remembered. */
	r = req_of("x.png", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 1);
	r = req_of("docs", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 0);
	not_found(&r, SITE_DIRCHECK);
	ck_assert_int_eq(next.remember_missing, 1);
	/* Neither for HEAD nor GET does the method matter. */
	r = req_of("x.png", 0, 1, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 1);
	/* Not after the later phases, which are other keys. */
	r = req_of("x.png", 0, 0, 1, 0);
	not_found(&r, SITE_LIST);
	ck_assert_int_eq(next.remember_missing, 0);
	not_found(&r, SITE_SPA);
	ck_assert_int_eq(next.remember_missing, 0);
	not_found(&r, SITE_ERRDOC);
	ck_assert_int_eq(next.remember_missing, 0);
	answer(&r, SITE_SPA, 404, "");
	ck_assert_int_eq(next.remember_missing, 0);
	answer(&r, SITE_ERRDOC, 404, "");
	ck_assert_int_eq(next.remember_missing, 0);
	/* "off": the object miss is the whole answer. */
	conf.dir_redirect = SITE_DIR_OFF;
	r = req_of("docs", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 1);
}
END_TEST

START_TEST(test_remember_listable_dir)
{
	struct site_req r;

	conf_reset("");
	conf.directory_listing = 1;
	r = req_of("docs/index.html", 1, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 0);
	r = req_of("docs/index.html", 1, 1, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 0);
	not_found(&r, SITE_DIRCHECK);
	ck_assert_int_eq(next.remember_missing, 0);
	conf.directory_listing = 0;
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.remember_missing, 1);
}
END_TEST

START_TEST(test_remember_known_missing)
{
	struct site_req r;

	conf_reset("");
	set_spa("app.html");
	/* The cache said so: the chain goes on, without a second entry. */
	r = req_of("docs", 0, 0, 1, 1);
	not_found(&r, SITE_DIRCHECK);
	assert_fetch(SITE_SPA, 0, "app.html");
	ck_assert_int_eq(next.remember_missing, 0);
	r = req_of("x.png", 0, 0, 1, 1);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "app.html");
	ck_assert_int_eq(next.remember_missing, 0);
	conf.spa_file[0] = '\0';
	not_found(&r, SITE_DIRCHECK);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 0);
}
END_TEST

/* --- the directory check key ------------------------------------------------ */

START_TEST(test_dircheck_key_exact)
{
	static const char buf[] = "a/bXXXX";
	struct site_req r;

	conf_reset("");
	snprintf(conf.index, sizeof(conf.index), "%s", "home.htm");
	/* key is not NUL-terminated: only keylen bytes count. */
	r = req_of(buf, 0, 0, 0, 0);
	r.keylen = 3;
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_DIRCHECK, 1, "a/b/home.htm");
	ck_assert_uint_eq(next.keylen, 12);
	ck_assert_int_eq(next.key[12], '\0');
	ck_assert_int_eq(memcmp(next.key, "a/b/home.htm", 13), 0);
}
END_TEST

START_TEST(test_dircheck_key_max)
{
	static char big[S3_KEY_MAX + 1];
	size_t il = strlen("/index.html");
	struct site_req r;

	conf_reset("");
	/* key + "/" + "index.html" is exactly S3_KEY_MAX bytes: checked. */
	memset(big, 'a', sizeof(big) - 1);
	big[S3_KEY_MAX - il] = '\0';
	r = req_of(big, 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_eq(next.action, SITE_FETCH);
	ck_assert_int_eq(next.phase, SITE_DIRCHECK);
	ck_assert_uint_eq(next.keylen, S3_KEY_MAX);
	ck_assert_uint_eq(strlen(next.key), S3_KEY_MAX);
	ck_assert_int_eq(memcmp(next.key, big, S3_KEY_MAX - il), 0);
	ck_assert_str_eq(next.key + S3_KEY_MAX - il, "/index.html");
	ck_assert_int_eq(next.remember_missing, 0);
	/* One byte more would not fit: no check, the miss is final. */
	memset(big, 'a', sizeof(big) - 1);
	big[S3_KEY_MAX - il + 1] = '\0';
	r = req_of(big, 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_not_found();
	ck_assert_int_eq(next.remember_missing, 1);
	memset(big, 'a', sizeof(big) - 1);
	big[S3_KEY_MAX] = '\0';
	r = req_of(big, 0, 0, 1, 0);
	conf.dir_redirect = SITE_DIR_ALWAYS;
	set_spa("app.html");
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "app.html");
	ck_assert_int_eq(next.remember_missing, 1);
}
END_TEST

/* --- site_dir_location -------------------------------------------------------- */

static char loc[64];

static int
location(const char *path, const char *query, size_t outsz)
{
	memset(loc, 0x5a, sizeof(loc));
	return site_dir_location(path, strlen(path), query, strlen(query), loc, outsz);
}

START_TEST(test_location_basic)
{
	ck_assert_int_eq(location("/docs", "", sizeof(loc)), 6);
	ck_assert_str_eq(loc, "/docs/");
	ck_assert_int_eq(location("/docs", "a=1", sizeof(loc)), 10);
	ck_assert_str_eq(loc, "/docs/?a=1");
	ck_assert_int_eq(location("/a/b%20c", "x=%2F&y", sizeof(loc)), 17);
	ck_assert_str_eq(loc, "/a/b%20c/?x=%2F&y");
	/* path and query need not be NUL-terminated. */
	ck_assert_int_eq(site_dir_location("/docsXX", 5, "a=1YY", 3, loc, sizeof(loc)), 10);
	ck_assert_str_eq(loc, "/docs/?a=1");
}
END_TEST

START_TEST(test_location_no_other_host)
{
	ck_assert_int_eq(location("//evil.example/x", "", sizeof(loc)), 16);
	ck_assert_str_eq(loc, "/evil.example/x/");
	ck_assert_int_eq(location("///evil.example/x", "q", sizeof(loc)), 18);
	ck_assert_str_eq(loc, "/evil.example/x/?q");
	ck_assert_int_eq(location("////a", "", sizeof(loc)), 3);
	ck_assert_str_eq(loc, "/a/");
	/* Slashes later in the path are the client's business. */
	ck_assert_int_eq(location("/a//b", "", sizeof(loc)), 6);
	ck_assert_str_eq(loc, "/a//b/");
	/* Browsers read "/\\host" as "//host": backslashes are collapsed too. */
	ck_assert_int_eq(location("/\\evil.example/../docs", "", sizeof(loc)), 22);
	ck_assert_str_eq(loc, "/evil.example/../docs/");
	ck_assert_int_eq(location("/\\/\\\\x", "a=1", sizeof(loc)), 7);
	ck_assert_str_eq(loc, "/x/?a=1");
}
END_TEST

START_TEST(test_location_too_long)
{
	ck_assert_int_eq(location("/docs", "", 4), -1);
	ck_assert_int_eq(location("/docs", "", 6), -1);
	/* "/docs/" and its NUL: exactly 7 bytes. */
	ck_assert_int_eq(location("/docs", "", 7), 6);
	ck_assert_int_eq(location("/docs", "", 8), 6);
	ck_assert_str_eq(loc, "/docs/");
	/* "/docs/?a=1" and its NUL: exactly 11 bytes. */
	ck_assert_int_eq(location("/docs", "a=1", 11), 10);
	ck_assert_str_eq(loc, "/docs/?a=1");
	ck_assert_int_eq(location("/docs", "a=1", 10), -1);
	/* Collapsed slashes do not count. */
	ck_assert_int_eq(location("//docs", "a=1", 11), 10);
	ck_assert_str_eq(loc, "/docs/?a=1");
}
END_TEST

/* --- site_origin_allowed ------------------------------------------------------ */

static int
origin_ok(const char *origin)
{
	return site_origin_allowed(&conf, origin, strlen(origin));
}

START_TEST(test_origin_listed)
{
	conf_reset("");
	conf.norigins = 2;
	snprintf(conf.origins[0], sizeof(conf.origins[0]), "%s", "https://a.example");
	snprintf(conf.origins[1], sizeof(conf.origins[1]), "%s", "http://b.example:8080");
	ck_assert_int_eq(origin_ok("https://a.example"), 1);
	ck_assert_int_eq(origin_ok("HTTPS://A.Example"), 1);
	ck_assert_int_eq(origin_ok("http://b.example:8080"), 1);
	ck_assert_int_eq(origin_ok("https://c.example"), 0);
	ck_assert_int_eq(origin_ok("http://a.example"), 0);
	ck_assert_int_eq(origin_ok("http://b.example"), 0);
	ck_assert_int_eq(origin_ok(""), 0);
	ck_assert_int_eq(origin_ok("null"), 0);
	/* A prefix of an allowed origin, or one that extends it, is another. */
	ck_assert_int_eq(origin_ok("https://a.exampl"), 0);
	ck_assert_int_eq(origin_ok("https://a.example.evil"), 0);
	ck_assert_int_eq(origin_ok("https://a.example:443"), 0);
	/* The origin is a slice: only len bytes count. */
	ck_assert_int_eq(site_origin_allowed(&conf, "https://a.exampleXYZ", 17), 1);
	ck_assert_int_eq(site_origin_allowed(&conf, "https://a.example", 16), 0);
}
END_TEST

START_TEST(test_origin_any)
{
	conf_reset("");
	conf.norigins = 2;
	snprintf(conf.origins[0], sizeof(conf.origins[0]), "%s", "https://a.example");
	snprintf(conf.origins[1], sizeof(conf.origins[1]), "%s", "*");
	ck_assert_int_eq(origin_ok("https://a.example"), 1);
	ck_assert_int_eq(origin_ok("https://anything.example"), 1);
	ck_assert_int_eq(origin_ok("null"), 1);
}
END_TEST

START_TEST(test_origin_none)
{
	conf_reset("");
	ck_assert_int_eq(origin_ok("https://a.example"), 0);
	ck_assert_int_eq(origin_ok("*"), 0);
	ck_assert_int_eq(origin_ok(""), 0);
	/* Entries past norigins are not in the list. */
	snprintf(conf.origins[0], sizeof(conf.origins[0]), "%s", "https://a.example");
	ck_assert_int_eq(origin_ok("https://a.example"), 0);
}
END_TEST

/* --- site_dir_redirect_applies ------------------------------------------------ */

static int
applies(const char *k)
{
	return site_dir_redirect_applies(&conf, k, strlen(k));
}

START_TEST(test_applies_auto)
{
	conf_reset("");
	ck_assert_int_eq(applies("a/b"), 1);
	ck_assert_int_eq(applies("b"), 1);
	ck_assert_int_eq(applies("a/b.c"), 0);
	ck_assert_int_eq(applies("b.c"), 0);
	ck_assert_int_eq(applies("a.b/c"), 1);
	ck_assert_int_eq(applies("www/v1.2/docs"), 1);
	ck_assert_int_eq(applies("www/v1.2"), 0);
	ck_assert_int_eq(applies("a/.hidden"), 0);
	ck_assert_int_eq(applies("a/b."), 0);
	ck_assert_int_eq(applies("wp-login.php"), 0);
	/* Only keylen bytes count. */
	ck_assert_int_eq(site_dir_redirect_applies(&conf, "a/b.c", 3), 1);
}
END_TEST

START_TEST(test_applies_always_off)
{
	conf_reset("");
	conf.dir_redirect = SITE_DIR_ALWAYS;
	ck_assert_int_eq(applies("a/b"), 1);
	ck_assert_int_eq(applies("a/b.c"), 1);
	ck_assert_int_eq(applies("logo.png"), 1);
	conf.dir_redirect = SITE_DIR_OFF;
	ck_assert_int_eq(applies("a/b"), 0);
	ck_assert_int_eq(applies("a/b.c"), 0);
	ck_assert_int_eq(applies("a.b/c"), 0);
}
END_TEST


/* --- routing rules (site_route) ------------------------------------------ */

static char rloc[2048];

static int
route(const char *k, const char *query, int error)
{
	rloc[0] = '\0';
	return site_route(&conf, k, strlen(k), query, strlen(query), error, rloc, sizeof(rloc));
}

static struct website_rule *
add_rule(const char *prefix, int error_code)
{
	struct website_rule *r = &conf.rules.rule[conf.rules.nrules++];

	memset(r, 0, sizeof(*r));
	snprintf(r->key_prefix, sizeof(r->key_prefix), "%s", prefix);
	r->error_code = error_code;
	return r;
}

START_TEST(test_route_none)
{
	conf_reset("");
	ck_assert_int_eq(route("docs/a.html", "", 0), 0);
	ck_assert_int_eq(route("docs/a.html", "", 404), 0);
}
END_TEST

START_TEST(test_route_replace_prefix)
{
	struct website_rule *r;

	conf_reset("");
	r = add_rule("docs/", 0);
	r->has_replace_prefix = 1;
	snprintf(r->replace_prefix, sizeof(r->replace_prefix), "documents/");
	ck_assert_int_eq(route("docs/a b.html", "", 0), 301);
	ck_assert_str_eq(rloc, "/documents/a%20b.html");
	/* The prefix must match from the start. */
	ck_assert_int_eq(route("old/docs/a.html", "", 0), 0);
	ck_assert_int_eq(route("doc", "", 0), 0);
	/* A rule without an error condition does not apply to an error. */
	ck_assert_int_eq(route("docs/a.html", "", 404), 0);
	/* The query stays. */
	ck_assert_int_eq(route("docs/x", "v=1", 0), 301);
	ck_assert_str_eq(rloc, "/documents/x?v=1");
	/* An empty replacement strips the prefix. */
	r->replace_prefix[0] = '\0';
	ck_assert_int_eq(route("docs/x", "", 0), 301);
	ck_assert_str_eq(rloc, "/x");
}
END_TEST

START_TEST(test_route_replace_key_host_protocol_code)
{
	struct website_rule *r;

	conf_reset("");
	r = add_rule("images/", 0);
	r->has_replace_key = 1;
	snprintf(r->replace_key, sizeof(r->replace_key), "error.html");
	snprintf(r->host, sizeof(r->host), "example.com");
	snprintf(r->protocol, sizeof(r->protocol), "https");
	r->code = 302;
	ck_assert_int_eq(route("images/cat.png", "", 0), 302);
	ck_assert_str_eq(rloc, "https://example.com/error.html");
	/* A host without a protocol: http, as AWS does. */
	r->protocol[0] = '\0';
	ck_assert_int_eq(route("images/cat.png", "", 0), 302);
	ck_assert_str_eq(rloc, "http://example.com/error.html");
	/* Only a host: the same key there. */
	r->has_replace_key = 0;
	r->code = 0;
	ck_assert_int_eq(route("images/cat.png", "", 0), 301);
	ck_assert_str_eq(rloc, "http://example.com/images/cat.png");
}
END_TEST

START_TEST(test_route_error_condition)
{
	struct website_rule *r;

	conf_reset("");
	r = add_rule("", 404);
	snprintf(r->host, sizeof(r->host), "old.example.com");
	r->code = 302;
	/* Not before the object was asked for; only after a 404. */
	ck_assert_int_eq(route("gone.html", "", 0), 0);
	ck_assert_int_eq(route("gone.html", "", 403), 0);
	ck_assert_int_eq(route("gone.html", "", 404), 302);
	ck_assert_str_eq(rloc, "http://old.example.com/gone.html");
	/* Both conditions must hold. */
	snprintf(r->key_prefix, sizeof(r->key_prefix), "blog/");
	ck_assert_int_eq(route("gone.html", "", 404), 0);
	ck_assert_int_eq(route("blog/gone.html", "", 404), 302);
}
END_TEST

START_TEST(test_route_first_match_wins)
{
	struct website_rule *r;

	conf_reset("");
	r = add_rule("a/", 0);
	r->has_replace_key = 1;
	snprintf(r->replace_key, sizeof(r->replace_key), "first");
	r = add_rule("a/b/", 0);
	r->has_replace_key = 1;
	snprintf(r->replace_key, sizeof(r->replace_key), "second");
	ck_assert_int_eq(route("a/b/c", "", 0), 301);
	ck_assert_str_eq(rloc, "/first");
}
END_TEST

START_TEST(test_route_redirect_all)
{
	conf_reset("");
	conf.rules.redirect_all = 1;
	snprintf(conf.rules.all_host, sizeof(conf.rules.all_host), "www.example.com");
	snprintf(conf.rules.all_protocol, sizeof(conf.rules.all_protocol), "https");
	ck_assert_int_eq(route("a/b.html", "x=1", 0), 301);
	ck_assert_str_eq(rloc, "https://www.example.com/a/b.html?x=1");
	ck_assert_int_eq(route("", "", 0), 301);
	ck_assert_str_eq(rloc, "https://www.example.com/");
	ck_assert_int_eq(route("a", "", 404), 0);
}
END_TEST

/* No key, replacement or query can make a Location leave the rule's host. */
START_TEST(test_route_no_open_redirect)
{
	struct website_rule *r;

	conf_reset("");
	r = add_rule("", 0);
	r->code = 302;
	ck_assert_int_eq(route("/evil.example/x", "", 0), 302);
	ck_assert_str_eq(rloc, "/evil.example/x");
	ck_assert_int_eq(route("\\evil.example", "", 0), 302);
	ck_assert_str_eq(rloc, "/%5Cevil.example");
	ck_assert_int_eq(route("a\r\nSet-Cookie: x", "", 0), 302);
	ck_assert_ptr_null(strchr(rloc, '\r'));
	ck_assert_ptr_null(strchr(rloc, ' '));
	r->has_replace_key = 1;
	snprintf(r->replace_key, sizeof(r->replace_key), "//evil.example/");
	ck_assert_int_eq(route("x", "", 0), 302);
	ck_assert_str_eq(rloc, "/evil.example/");
	/* Too long for the buffer: -1, never a cut Location. */
	{
		char big[1100];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		r->has_replace_key = 0;
		ck_assert_int_eq(site_route(&conf, big, strlen(big), "", 0, 0, rloc, 64), -1);
	}
}
END_TEST

START_TEST(test_rule_check)
{
	struct website_rule r;
	char err[256];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1); /* redirects nowhere */
	r.code = 302;
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), 0);
	r.code = 200;
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	r.code = 304;
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	r.code = 0;
	snprintf(r.protocol, sizeof(r.protocol), "ftp");
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	snprintf(r.protocol, sizeof(r.protocol), "https");
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), 0);
	snprintf(r.host, sizeof(r.host), "evil.example/x");
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	snprintf(r.host, sizeof(r.host), "a@b");
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	snprintf(r.host, sizeof(r.host), "example.com:8443");
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), 0);
	r.has_replace_key = r.has_replace_prefix = 1;
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	r.has_replace_prefix = 0;
	r.error_code = 200;
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), -1);
	r.error_code = 404;
	ck_assert_int_eq(website_rule_check(&r, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_redirect_target)
{
	ck_assert_int_eq(site_redirect_target_ok("/new/page.html"), 1);
	ck_assert_int_eq(site_redirect_target_ok("https://example.com/x"), 1);
	ck_assert_int_eq(site_redirect_target_ok("http://[::1]:8080/"), 1);
	ck_assert_int_eq(site_redirect_target_ok("//evil.example/"), 0);
	ck_assert_int_eq(site_redirect_target_ok("/\\evil.example/"), 0);
	ck_assert_int_eq(site_redirect_target_ok("page.html"), 0);
	ck_assert_int_eq(site_redirect_target_ok("javascript:alert(1)"), 0);
	ck_assert_int_eq(site_redirect_target_ok("ftp://example.com/"), 0);
	ck_assert_int_eq(site_redirect_target_ok("https:///x"), 0);
	ck_assert_int_eq(site_redirect_target_ok("/a\r\nSet-Cookie: x"), 0);
	ck_assert_int_eq(site_redirect_target_ok("/a b"), 0);
	ck_assert_int_eq(site_redirect_target_ok(""), 0);
}
END_TEST

/* --- the WebsiteConfiguration document ----------------------------------- */

static struct website_rules wrules;
static char windex[SITE_STR], werrdoc[SITE_STR], werr[256];

static int
wparse(const char *doc)
{
	windex[0] = werrdoc[0] = werr[0] = '\0';
	return website_parse(doc, strlen(doc), &wrules, windex, werrdoc, werr, sizeof(werr));
}

START_TEST(test_website_full)
{
	const char *doc =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<WebsiteConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<IndexDocument><Suffix>home.html</Suffix></IndexDocument>"
	    "<ErrorDocument><Key>errors/404.html</Key></ErrorDocument>"
	    "<RoutingRules>"
	    "<RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>"
	    "<Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect>"
	    "</RoutingRule>"
	    "<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals>"
	    "</Condition><Redirect><Protocol>https</Protocol><HostName>ex.com</HostName>"
	    "<ReplaceKeyWith>a&amp;b.html</ReplaceKeyWith><HttpRedirectCode>302</HttpRedirectCode>"
	    "</Redirect></RoutingRule>"
	    "<RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition>"
	    "<Redirect><ReplaceKeyPrefixWith/></Redirect></RoutingRule>"
	    "</RoutingRules></WebsiteConfiguration>";

	ck_assert_int_eq(wparse(doc), 0);
	ck_assert_str_eq(windex, "home.html");
	ck_assert_str_eq(werrdoc, "errors/404.html");
	ck_assert_int_eq(wrules.redirect_all, 0);
	ck_assert_int_eq(wrules.nrules, 3);
	ck_assert_str_eq(wrules.rule[0].key_prefix, "docs/");
	ck_assert_int_eq(wrules.rule[0].has_replace_prefix, 1);
	ck_assert_str_eq(wrules.rule[0].replace_prefix, "documents/");
	ck_assert_int_eq(wrules.rule[1].error_code, 404);
	ck_assert_str_eq(wrules.rule[1].protocol, "https");
	ck_assert_str_eq(wrules.rule[1].host, "ex.com");
	ck_assert_str_eq(wrules.rule[1].replace_key, "a&b.html");
	ck_assert_int_eq(wrules.rule[1].code, 302);
	ck_assert_int_eq(wrules.rule[2].has_replace_prefix, 1);
	ck_assert_str_eq(wrules.rule[2].replace_prefix, "");
}
END_TEST

START_TEST(test_website_redirect_all)
{
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RedirectAllRequestsTo>"
	    "<HostName>www.example.com</HostName><Protocol>https</Protocol>"
	    "</RedirectAllRequestsTo></WebsiteConfiguration>"), 0);
	ck_assert_int_eq(wrules.redirect_all, 1);
	ck_assert_str_eq(wrules.all_host, "www.example.com");
	ck_assert_str_eq(wrules.all_protocol, "https");
	ck_assert_str_eq(windex, "");
}
END_TEST

START_TEST(test_website_refused)
{
	ck_assert_int_eq(wparse(""), -1);
	ck_assert_int_eq(wparse("<html>not it</html>"), -1);
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RoutingRules><RoutingRule>"
	    "<Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition>"
	    "</RoutingRule></RoutingRules></WebsiteConfiguration>"), -1);  /* no Redirect */
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RoutingRules><RoutingRule>"
	    "<Redirect><Protocol>gopher</Protocol></Redirect>"
	    "</RoutingRule></RoutingRules></WebsiteConfiguration>"), -1);
	ck_assert_ptr_nonnull(strstr(werr, "routing rule 1"));
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RoutingRules><RoutingRule>"
	    "<Redirect><HttpRedirectCode>abc</HttpRedirectCode></Redirect>"
	    "</RoutingRule></RoutingRules></WebsiteConfiguration>"), -1);
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RoutingRules><RoutingRule>"
	    "<Redirect><ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b"
	    "</ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules>"
	    "</WebsiteConfiguration>"), -1);
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RedirectAllRequestsTo>"
	    "<Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>"), -1);
	ck_assert_int_eq(wparse("<WebsiteConfiguration><IndexDocument><Suffix>a/b.html"
	    "</Suffix></IndexDocument></WebsiteConfiguration>"), -1);
	ck_assert_int_eq(wparse("<WebsiteConfiguration><RoutingRules>"), -1);
}
END_TEST

START_TEST(test_website_too_many_rules)
{
	static char doc[64 * 1024];
	size_t off = 0;
	int i;

	off += (size_t)snprintf(doc + off, sizeof(doc) - off,
	    "<WebsiteConfiguration><RoutingRules>");
	for (i = 0; i < SITE_MAX_RULES + 1; i++)
		off += (size_t)snprintf(doc + off, sizeof(doc) - off,
		    "<RoutingRule><Redirect><HttpRedirectCode>302</HttpRedirectCode></Redirect>"
		    "</RoutingRule>");
	snprintf(doc + off, sizeof(doc) - off, "</RoutingRules></WebsiteConfiguration>");
	ck_assert_int_eq(wparse(doc), -1);
}
END_TEST


/* --- response headers (site.headers) ------------------------------------- */

static struct site_header *
add_header(const char *prefix, const char *name, const char *value, int override)
{
	struct site_header *h = &conf.headers[conf.nheaders++];

	memset(h, 0, sizeof(*h));
	snprintf(h->prefix, sizeof(h->prefix), "%s", prefix);
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->value, sizeof(h->value), "%s", value);
	h->override = override;
	return h;
}

START_TEST(test_headers_for)
{
	const struct site_header *hs[SITE_MAX_HEADERS];

	conf_reset("");
	add_header("", "X-Frame-Options", "DENY", 0);
	add_header("embed/", "x-frame-options", "SAMEORIGIN", 0);
	add_header("assets/", "Cache-Control", "immutable", 1);
	add_header("", "Strict-Transport-Security", "max-age=1", 0);
	ck_assert_int_eq(site_headers_for(&conf, "a.html", 6, hs), 2);
	ck_assert_str_eq(hs[0]->value, "DENY");
	ck_assert_str_eq(hs[1]->name, "Strict-Transport-Security");
	/* The longest prefix wins for a name, whatever its case. */
	ck_assert_int_eq(site_headers_for(&conf, "embed/w.html", 12, hs), 2);
	ck_assert_str_eq(hs[0]->value, "SAMEORIGIN");
	ck_assert_int_eq(site_headers_for(&conf, "assets/a.js", 11, hs), 3);
	/* A prefix longer than the key never matches. */
	ck_assert_int_eq(site_headers_for(&conf, "asset", 5, hs), 2);
}
END_TEST

START_TEST(test_header_check)
{
	struct site_header h;
	char err[256];

	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), -1);
	snprintf(h.name, sizeof(h.name), "Content-Security-Policy");
	snprintf(h.value, sizeof(h.value), "default-src 'self'");
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), 0);
	snprintf(h.value, sizeof(h.value), "a\r\nSet-Cookie: x");
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), -1);
	snprintf(h.value, sizeof(h.value), "ok");
	snprintf(h.name, sizeof(h.name), "content-length");
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), -1);
	snprintf(h.name, sizeof(h.name), "Location");
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), -1);
	snprintf(h.name, sizeof(h.name), "X Y");
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), -1);
	snprintf(h.name, sizeof(h.name), "X:Y");
	ck_assert_int_eq(site_header_check(&h, err, sizeof(err)), -1);
}
END_TEST


/* --- clean URLs and per-prefix fallbacks ---------------------------------- */

START_TEST(test_suffixes)
{
	struct site_req r;

	conf_reset("www/");
	conf.nsuffixes = 2;
	snprintf(conf.suffixes[0], sizeof(conf.suffixes[0]), ".html");
	snprintf(conf.suffixes[1], sizeof(conf.suffixes[1]), ".htm");
	r = req_of("www/about", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SUFFIX, 0, "www/about.html");
	ck_assert_int_eq(next.remember_missing, 0);
	r.suffix_next = 1;
	answer(&r, SITE_SUFFIX, 404, "NoSuchKey");
	assert_fetch(SITE_SUFFIX, 0, "www/about.htm");
	/* All tried: on to the directory check, as for the object. */
	r.suffix_next = 2;
	answer(&r, SITE_SUFFIX, 404, "NoSuchKey");
	assert_fetch(SITE_DIRCHECK, 1, "www/about/index.html");
	/* A dotted name, a directory: no suffix. */
	r = req_of("www/logo.png", 0, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_ne(next.phase, SITE_SUFFIX);
	r = req_of("www/docs/index.html", 1, 0, 1, 0);
	not_found(&r, SITE_OBJECT);
	ck_assert_int_ne(next.phase, SITE_SUFFIX);
	/* A storage error on a suffix is an error, not a miss. */
	r = req_of("www/about", 0, 0, 1, 0);
	r.suffix_next = 1;
	answer(&r, SITE_SUFFIX, 500, "InternalError");
	ck_assert_int_eq(next.action, SITE_ERROR);
	ck_assert_int_eq(next.status, 502);
}
END_TEST

START_TEST(test_suffix_redirect)
{
	char l[256];

	conf_reset("");
	conf.nsuffixes = 1;
	snprintf(conf.suffixes[0], sizeof(conf.suffixes[0]), ".html");
	ck_assert_int_eq(site_suffix_redirect(&conf, "/a.html", 7, "", 0, l, sizeof(l)), 0);
	conf.redirect_suffixes = 1;
	ck_assert_int_eq(site_suffix_redirect(&conf, "/a.html", 7, "", 0, l, sizeof(l)), 301);
	ck_assert_str_eq(l, "/a");
	ck_assert_int_eq(site_suffix_redirect(&conf, "/d/a.html", 9, "q=1", 3, l, sizeof(l)), 301);
	ck_assert_str_eq(l, "/d/a?q=1");
	ck_assert_int_eq(site_suffix_redirect(&conf, "/d/index.html", 13, "", 0, l, sizeof(l)),
	    301);
	ck_assert_str_eq(l, "/d/");
	ck_assert_int_eq(site_suffix_redirect(&conf, "/index.html", 11, "", 0, l, sizeof(l)), 301);
	ck_assert_str_eq(l, "/");
	ck_assert_int_eq(site_suffix_redirect(&conf, "//evil/a.html", 13, "", 0, l, sizeof(l)),
	    301);
	ck_assert_str_eq(l, "/evil/a");
	ck_assert_int_eq(site_suffix_redirect(&conf, "/\\evil/a.html", 13, "", 0, l, sizeof(l)),
	    301);
	ck_assert_str_eq(l, "/evil/a");
	ck_assert_int_eq(site_suffix_redirect(&conf, "/.html", 6, "", 0, l, sizeof(l)), 0);
	ck_assert_int_eq(site_suffix_redirect(&conf, "/d/.html", 8, "", 0, l, sizeof(l)), 0);
	ck_assert_int_eq(site_suffix_redirect(&conf, "/a.htm", 6, "", 0, l, sizeof(l)), 0);
	ck_assert_int_eq(site_suffix_redirect(&conf, "/a.html", 7, "", 0, l, 2), 0);
}
END_TEST

START_TEST(test_fallbacks)
{
	struct site_req r;

	conf_reset("www/");
	set_errdoc("404.html");
	conf.nfallbacks = 3;
	snprintf(conf.fallbacks[0].prefix, SITE_STR, "app1/");
	snprintf(conf.fallbacks[0].spa_file, SITE_STR, "app1/index.html");
	snprintf(conf.fallbacks[1].prefix, SITE_STR, "app1/admin/");
	snprintf(conf.fallbacks[1].spa_file, SITE_STR, "app1/admin/index.html");
	snprintf(conf.fallbacks[2].prefix, SITE_STR, "docs/");
	snprintf(conf.fallbacks[2].error_document, SITE_STR, "docs/404.html");
	r = req_of("www/app1/x.js", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "www/app1/index.html");
	r = req_of("www/app1/admin/x.js", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_SPA, 0, "www/app1/admin/index.html");
	/* The SPA file missing: the error document of that prefix, or the site's. */
	answer(&r, SITE_SPA, 404, "NoSuchKey");
	assert_fetch(SITE_ERRDOC, 0, "www/404.html");
	r = req_of("www/docs/x.txt", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 0, "www/docs/404.html");
	r = req_of("www/other.txt", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 0, "www/404.html");
	/* The prefix is relative to the site's: "www/app1" is not "app1/". */
	r = req_of("www/app10/x.js", 0, 0, 0, 0);
	not_found(&r, SITE_OBJECT);
	assert_fetch(SITE_ERRDOC, 0, "www/404.html");
}
END_TEST

/* Host names as nginx compares them: case, port and one trailing dot ignored. */
START_TEST(test_host_norm)
{
	char out[SITE_HOST_LEN];

	ck_assert_int_eq(site_host_norm("WWW.Example.COM.:8080", 21, out, sizeof(out)), 15);
	ck_assert_str_eq(out, "www.example.com");
	ck_assert_int_eq(site_host_norm("[::1]:443", 9, out, sizeof(out)), 5);
	ck_assert_str_eq(out, "[::1]");
	ck_assert_int_eq(site_host_norm("[::1]x", 6, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("[::1", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("", 0, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm(":80", 3, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("a b", 3, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("a/b", 3, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("a\0b", 3, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("abcdef", 6, out, 4), -1);
	/* Empty labels: found by fuzz_website. */
	ck_assert_int_eq(site_host_norm("a..", 3, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm(".a", 2, out, sizeof(out)), -1);
	ck_assert_int_eq(site_host_norm("a..b", 4, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_hosts_find)
{
	struct site_hosts t;
	char err[256];
	int other = -1;

	memset(&t, 0, sizeof(t));
	t.default_site = 7;
	/* An empty table sends everything to the default. */
	ck_assert_int_eq(site_hosts_find(&t, "a.example", 9), 7);
	ck_assert_int_eq(site_hosts_add(&t, "*.example.com", 1, &other, err, sizeof(err)), 0);
	ck_assert_int_eq(site_hosts_add(&t, "*.docs.example.com", 2, &other, err, sizeof(err)), 0);
	ck_assert_int_eq(site_hosts_add(&t, "www.docs.example.com", 3, &other, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(site_hosts_add(&t, "Example.com", 4, &other, err, sizeof(err)), 0);
	site_hosts_sort(&t);
	ck_assert_int_eq(site_hosts_find(&t, "a.example.com", 13), 1);
	ck_assert_int_eq(site_hosts_find(&t, "a.b.example.com", 15), 1);
	ck_assert_int_eq(site_hosts_find(&t, "x.docs.example.com", 18), 2);   /* longest */
	ck_assert_int_eq(site_hosts_find(&t, "WWW.docs.example.com.", 21), 3); /* exact */
	ck_assert_int_eq(site_hosts_find(&t, "example.com:80", 14), 4);
	ck_assert_int_eq(site_hosts_find(&t, "docs.example.com", 16), 1);
	ck_assert_int_eq(site_hosts_find(&t, "badexample.com", 14), 7);  /* no label match */
	ck_assert_int_eq(site_hosts_find(&t, "example.com.evil", 16), 7);
	ck_assert_int_eq(site_hosts_find(&t, "", 0), 7);
	ck_assert_int_eq(site_hosts_find(&t, "bad host", 8), 7);
	t.default_site = -1;
	ck_assert_int_eq(site_hosts_find(&t, "other.test", 10), -1);
	site_hosts_free(&t);
	ck_assert_int_eq(t.n, 0);
}
END_TEST

START_TEST(test_hosts_add_refuses)
{
	struct site_hosts t;
	char err[256];
	int other = -1;

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(site_hosts_add(&t, "a.test", 0, &other, err, sizeof(err)), 0);
	/* The same name however written, for any site, is a duplicate. */
	ck_assert_int_eq(site_hosts_add(&t, "A.TEST.", 5, &other, err, sizeof(err)), 1);
	ck_assert_int_eq(other, 0);
	ck_assert_int_eq(site_hosts_add(&t, "*.a.test", 1, &other, err, sizeof(err)), 0);
	ck_assert_int_eq(site_hosts_add(&t, "*.A.test", 2, &other, err, sizeof(err)), 1);
	ck_assert_int_eq(other, 1);
	ck_assert_int_eq(site_hosts_add(&t, "a.*.test", 1, &other, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "may only begin"));
	ck_assert_int_eq(site_hosts_add(&t, "*a.test", 1, &other, err, sizeof(err)), -1);
	ck_assert_int_eq(site_hosts_add(&t, "*.", 1, &other, err, sizeof(err)), -1);
	ck_assert_int_eq(site_hosts_add(&t, "*.*.test", 1, &other, err, sizeof(err)), -1);
	ck_assert_int_eq(site_hosts_add(&t, "a.test:8080", 1, &other, err, sizeof(err)), 1);
	ck_assert_int_eq(site_hosts_add(&t, "a/b", 1, &other, err, sizeof(err)), -1);
	ck_assert_int_eq(site_hosts_add(&t, "", 1, &other, err, sizeof(err)), -1);
	ck_assert_int_eq(t.n, 2);
	site_hosts_free(&t);
}
END_TEST

/* Long because it lists every test case, one line each. */
static Suite *
site_suite(void)
{
	Suite *s = suite_create("site");
	TCase *tc;

	tc = tcase_create("key");
	tcase_add_test(tc, test_key_root);
	tcase_add_test(tc, test_key_dir);
	tcase_add_test(tc, test_key_plain);
	tcase_add_test(tc, test_key_decoding);
	tcase_add_test(tc, test_key_refused);
	tcase_add_test(tc, test_key_index_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("chain");
	tcase_add_test(tc, test_object_missing_dircheck);
	tcase_add_test(tc, test_object_missing_dotted);
	tcase_add_test(tc, test_dircheck_always);
	tcase_add_test(tc, test_dircheck_off);
	tcase_add_test(tc, test_dircheck_never_for_dir);
	tcase_add_test(tc, test_dircheck_found);
	tcase_add_test(tc, test_dircheck_missing);
	tcase_add_test(tc, test_listing);
	tcase_add_test(tc, test_listing_known_missing);
	tcase_add_test(tc, test_dircheck_error_not_remembered);
	tcase_add_test(tc, test_list_empty);
	tcase_add_test(tc, test_spa);
	tcase_add_test(tc, test_spa_missing);
	tcase_add_test(tc, test_errdoc);
	tcase_add_test(tc, test_errdoc_missing);
	tcase_add_test(tc, test_no_fallbacks);
	tcase_add_test(tc, test_dircheck_key_exact);
	tcase_add_test(tc, test_dircheck_key_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_test(tc, test_answer_client_errors);
	tcase_add_test(tc, test_answer_access_denied);
	tcase_add_test(tc, test_answer_our_fault);
	tcase_add_test(tc, test_answer_busy);
	suite_add_tcase(s, tc);

	tc = tcase_create("negative_cache");
	tcase_add_test(tc, test_remember_caching_off);
	tcase_add_test(tc, test_remember_phases);
	tcase_add_test(tc, test_remember_listable_dir);
	tcase_add_test(tc, test_remember_known_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("location");
	tcase_add_test(tc, test_location_basic);
	tcase_add_test(tc, test_location_no_other_host);
	tcase_add_test(tc, test_location_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("origin");
	tcase_add_test(tc, test_origin_listed);
	tcase_add_test(tc, test_origin_any);
	tcase_add_test(tc, test_origin_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("routing");
	tcase_add_test(tc, test_route_none);
	tcase_add_test(tc, test_route_replace_prefix);
	tcase_add_test(tc, test_route_replace_key_host_protocol_code);
	tcase_add_test(tc, test_route_error_condition);
	tcase_add_test(tc, test_route_first_match_wins);
	tcase_add_test(tc, test_route_redirect_all);
	tcase_add_test(tc, test_route_no_open_redirect);
	tcase_add_test(tc, test_rule_check);
	tcase_add_test(tc, test_redirect_target);
	suite_add_tcase(s, tc);

	tc = tcase_create("website_document");
	tcase_add_test(tc, test_website_full);
	tcase_add_test(tc, test_website_redirect_all);
	tcase_add_test(tc, test_website_refused);
	tcase_add_test(tc, test_website_too_many_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("headers");
	tcase_add_test(tc, test_headers_for);
	tcase_add_test(tc, test_header_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("pages");
	tcase_add_test(tc, test_suffixes);
	tcase_add_test(tc, test_suffix_redirect);
	tcase_add_test(tc, test_fallbacks);
	suite_add_tcase(s, tc);

	tc = tcase_create("hosts");
	tcase_add_test(tc, test_host_norm);
	tcase_add_test(tc, test_hosts_find);
	tcase_add_test(tc, test_hosts_add_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("dir_redirect");
	tcase_add_test(tc, test_applies_auto);
	tcase_add_test(tc, test_applies_always_off);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(site_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
