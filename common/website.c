/*
 * website.c - reading and checking a website configuration (see website.h).
 */
#include "website.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

/* A host name for a redirect: letters, digits, '-', '.', a port, IPv6 brackets. */
static int
host_ok(const char *h)
{
	size_t i;

	if (h[0] == '\0')
		return 1;
	for (i = 0; h[i] != '\0'; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

int
website_rule_check(const struct website_rule *r, char *err, size_t errsz)
{
	if (r->protocol[0] != '\0' && strcmp(r->protocol, "http") != 0 &&
	    strcmp(r->protocol, "https") != 0) {
		snprintf(err, errsz, "protocol must be http or https, not \"%s\"", r->protocol);
		return -1;
	}
	if (!host_ok(r->host)) {
		snprintf(err, errsz, "host name \"%s\" is not a plain host name", r->host);
		return -1;
	}
	if (r->has_replace_key && r->has_replace_prefix) {
		snprintf(err, errsz, "ReplaceKeyWith and ReplaceKeyPrefixWith exclude each other");
		return -1;
	}
	if (r->code != 0 && (r->code < 300 || r->code > 399 || r->code == 304)) {
		snprintf(err, errsz, "redirect code %d is not a redirect", r->code);
		return -1;
	}
	if (r->error_code != 0 && (r->error_code < 400 || r->error_code > 599)) {
		snprintf(err, errsz, "error code %d is not an HTTP error", r->error_code);
		return -1;
	}
	if (r->protocol[0] == '\0' && r->host[0] == '\0' && !r->has_replace_key &&
	    !r->has_replace_prefix && r->code == 0) {
		snprintf(err, errsz, "a redirect needs a protocol, a host name, a replacement or a "
		    "code");
		return -1;
	}
	return 0;
}

/* The text of <tag> in [p, end) into out; 1 found, 0 absent, -1 bad. */
static int
xml_value(const char *p, const char *end, const char *tag, char *out, size_t outsz)
{
	const char *v;
	size_t n;

	if (xml_find(p, end, tag, &v, &n) == NULL)
		return 0;
	return xml_text(v, n, out, outsz) < 0 ? -1 : 1;
}

/* A code of digits only (as AWS takes it), into *out; -1 if it is not one. */
static int
number(const char *s, int *out)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 6 || s[n] != '\0')
		return -1;
	*out = atoi(s);
	return 0;
}

/*
 * One <RoutingRule>.  Long because each of its seven fields is read and
 * checked in turn, with the field named in the message.
 */
static int
parse_rule(const char *p, const char *end, struct website_rule *r, char *err, size_t errsz)
{
	const char *c, *d, *rd;
	size_t clen = 0, rlen;
	char num[16];
	int rc;

	memset(r, 0, sizeof(*r));
	if (xml_find(p, end, "Redirect", &rd, &rlen) == NULL) {
		snprintf(err, errsz, "a RoutingRule without a Redirect");
		return -1;
	}
	if (xml_find(p, end, "Condition", &c, &clen) != NULL) {
		if (xml_value(c, c + clen, "KeyPrefixEquals", r->key_prefix,
		    sizeof(r->key_prefix)) < 0) {
			snprintf(err, errsz, "KeyPrefixEquals is malformed or too long");
			return -1;
		}
		rc = xml_value(c, c + clen, "HttpErrorCodeReturnedEquals", num, sizeof(num));
		if (rc < 0 || (rc == 1 && number(num, &r->error_code) == -1)) {
			snprintf(err, errsz, "HttpErrorCodeReturnedEquals is not a number");
			return -1;
		}
	}
	d = rd + rlen;
	if (xml_value(rd, d, "Protocol", r->protocol, sizeof(r->protocol)) < 0 ||
	    xml_value(rd, d, "HostName", r->host, sizeof(r->host)) < 0) {
		snprintf(err, errsz, "Protocol or HostName is malformed or too long");
		return -1;
	}
	rc = xml_value(rd, d, "ReplaceKeyPrefixWith", r->replace_prefix, sizeof(r->replace_prefix));
	if (rc < 0) {
		snprintf(err, errsz, "ReplaceKeyPrefixWith is malformed or too long");
		return -1;
	}
	r->has_replace_prefix = rc == 1;
	rc = xml_value(rd, d, "ReplaceKeyWith", r->replace_key, sizeof(r->replace_key));
	if (rc < 0) {
		snprintf(err, errsz, "ReplaceKeyWith is malformed or too long");
		return -1;
	}
	r->has_replace_key = rc == 1;
	rc = xml_value(rd, d, "HttpRedirectCode", num, sizeof(num));
	if (rc < 0 || (rc == 1 && number(num, &r->code) == -1)) {
		snprintf(err, errsz, "HttpRedirectCode is not a number");
		return -1;
	}
	return website_rule_check(r, err, errsz);
}

int
website_parse(const char *doc, size_t len, struct website_rules *rules, char *index,
    char *error_document, char *err, size_t errsz)
{
	const char *end = doc + len, *w, *v, *rr, *p;
	size_t wlen, vlen, rrlen;
	struct website_rule *r;
	char tmp[WEBSITE_STR], why[200];

	memset(rules, 0, sizeof(*rules));
	if (memchr(doc, '\0', len) != NULL ||
	    xml_find(doc, end, "WebsiteConfiguration", &w, &wlen) == NULL) {
		snprintf(err, errsz, "not a WebsiteConfiguration document");
		return -1;
	}
	end = w + wlen;
	if (xml_find(w, end, "IndexDocument", &v, &vlen) != NULL) {
		if (xml_value(v, v + vlen, "Suffix", tmp, sizeof(tmp)) != 1 || tmp[0] == '\0' ||
		    strchr(tmp, '/') != NULL) {
			snprintf(err, errsz, "IndexDocument needs a Suffix without '/'");
			return -1;
		}
		memcpy(index, tmp, strlen(tmp) + 1);
	}
	if (xml_find(w, end, "ErrorDocument", &v, &vlen) != NULL) {
		if (xml_value(v, v + vlen, "Key", tmp, sizeof(tmp)) != 1 || tmp[0] == '\0') {
			snprintf(err, errsz, "ErrorDocument needs a Key");
			return -1;
		}
		memcpy(error_document, tmp, strlen(tmp) + 1);
	}
	if (xml_find(w, end, "RedirectAllRequestsTo", &v, &vlen) != NULL) {
		struct website_rule all;

		memset(&all, 0, sizeof(all));
		if (xml_value(v, v + vlen, "HostName", all.host, sizeof(all.host)) != 1 ||
		    all.host[0] == '\0' ||
		    xml_value(v, v + vlen, "Protocol", all.protocol, sizeof(all.protocol)) < 0 ||
		    website_rule_check(&all, why, sizeof(why)) == -1) {
			if (all.host[0] == '\0')
				snprintf(err, errsz, "RedirectAllRequestsTo needs a HostName");
			else
				snprintf(err, errsz, "RedirectAllRequestsTo: %s", why);
			return -1;
		}
		rules->redirect_all = 1;
		memcpy(rules->all_host, all.host, sizeof(all.host));
		memcpy(rules->all_protocol, all.protocol, sizeof(all.protocol));
	}
	if (xml_find(w, end, "RoutingRules", &rr, &rrlen) == NULL)
		rrlen = 0;
	if (rules->redirect_all && (rrlen > 0 || xml_find(w, end, "IndexDocument", &v, &vlen) ||
	    xml_find(w, end, "ErrorDocument", &v, &vlen))) {
		/* As in AWS: the other settings would never apply. */
		snprintf(err, errsz, "RedirectAllRequestsTo excludes IndexDocument, ErrorDocument "
		    "and RoutingRules");
		return -1;
	}
	if (rrlen == 0)
		return 0;
	for (p = rr; (p = xml_find(p, rr + rrlen, "RoutingRule", &v, &vlen)) != NULL;) {
		if (rules->nrules == WEBSITE_MAX_RULES) {
			snprintf(err, errsz, "more than %d routing rules", WEBSITE_MAX_RULES);
			return -1;
		}
		r = &rules->rule[rules->nrules];
		if (parse_rule(v, v + vlen, r, err, errsz) == -1) {
			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errsz, "routing rule %d: %s", rules->nrules + 1, why);
			return -1;
		}
		rules->nrules++;
	}
	return 0;
}

