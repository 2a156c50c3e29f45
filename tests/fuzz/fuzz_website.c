/*
 * fuzz_website.c - libFuzzer harness for the WebsiteConfiguration reader
 * and the routing rules (worker/site.c): the document comes from the
 * bucket, so whoever can write to it controls these bytes.
 *
 * Build and run (tests/fuzz/run.sh website does both).
 *
 * The input is split at the first NUL byte: before it the document, after
 * it a request key.  The harness parses the document, and when it is
 * accepted checks what the server relies on: every rule passes
 * website_rule_check (the checks for the settings file and the document are
 * the same); and for the key, before the fetch and after a 404, a redirect
 * is a 3xx with a Location that is a path with one leading '/' or an
 * http(s) URL to a rule's host, with no byte that could end the header.
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

static void
check_location(const struct site_conf *s, const char *loc)
{
	const char *p;
	int i, ok = 0;

	for (p = loc; *p != '\0'; p++)
		CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
	if (loc[0] == '/') {
		CHECK(loc[1] != '/' && loc[1] != '\\');
		return;
	}
	/* An absolute URL names the host of a rule, or of RedirectAllRequestsTo. */
	for (i = 0; i < s->rules.nrules; i++) {
		const struct website_rule *r = &s->rules.rule[i];
		size_t hl = strlen(r->host);
		const char *h = strstr(loc, "://");

		if (hl > 0 && h != NULL && strncmp(h + 3, r->host, hl) == 0 && h[3 + hl] == '/')
			ok = 1;
	}
	if (s->rules.redirect_all) {
		const char *h = strstr(loc, "://");
		size_t hl = strlen(s->rules.all_host);

		if (h != NULL && strncmp(h + 3, s->rules.all_host, hl) == 0 && h[3 + hl] == '/')
			ok = 1;
	}
	CHECK(ok);
	CHECK(strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0);
}

/*
 * The host table on whatever a Host header holds: a known site or the
 * default, and a normal form without upper case, port or trailing dot.
 */
static void
check_hosts(const char *h, size_t len)
{
	static struct site_hosts t;
	char out[SITE_HOST_LEN], err[128];
	int n, other, i;

	if (t.n == 0) {
		static const char *const names[] = { "a.example.com", "*.example.com",
		    "*.b.example.com", "[::1]" };

		for (i = 0; i < 4; i++)
			CHECK(site_hosts_add(&t, names[i], i, &other, err, sizeof(err)) == 0);
		site_hosts_sort(&t);
		t.default_site = 9;
	}
	n = site_hosts_find(&t, h, len);
	CHECK((n >= 0 && n <= 3) || n == 9);
	n = site_host_norm(h, len, out, sizeof(out));
	if (n >= 0) {
		CHECK((size_t)n == strlen(out) && (size_t)n < sizeof(out));
		for (i = 0; i < n; i++)
			CHECK(!(out[i] >= 'A' && out[i] <= 'Z'));
		CHECK(out[n - 1] != '.' && strstr(out, "..") == NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct site_conf s;
	static char loc[2048];
	char err[256], index[SITE_STR] = "", errdoc[SITE_STR] = "";
	const char *doc = (const char *)data, *nul = memchr(data, '\0', size);
	size_t dlen = nul != NULL ? (size_t)(nul - doc) : size;
	const char *key = nul != NULL ? nul + 1 : "";
	size_t klen = nul != NULL ? size - dlen - 1 : 0;
	int i, e, code;
	static const int errors[] = { 0, 404, 403 };

	check_hosts(key, klen);
	memset(&s, 0, sizeof(s));
	if (website_parse(doc, dlen, &s.rules, index, errdoc, err, sizeof(err)) == -1) {
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK(s.rules.nrules >= 0 && s.rules.nrules <= SITE_MAX_RULES);
	for (i = 0; i < s.rules.nrules; i++)
		CHECK(website_rule_check(&s.rules.rule[i], err, sizeof(err)) == 0);
	CHECK(strchr(index, '/') == NULL);
	for (e = 0; e < 3; e++) {
		code = site_route(&s, key, klen, "q=1", 3, errors[e], loc, sizeof(loc));
		if (code > 0) {
			CHECK(code >= 300 && code <= 399 && code != 304);
			check_location(&s, loc);
		}
		/* A small buffer gives -1, never a cut Location. */
		code = site_route(&s, key, klen, "", 0, errors[e], loc, 16);
		if (code > 0)
			CHECK(strlen(loc) < 16);
	}
	return 0;
}
