/*
 * website.h - AWS S3's website configuration: routing rules and
 * RedirectAllRequestsTo, and the WebsiteConfiguration XML document that
 * carries them (what PutBucketWebsite takes).
 *
 * In common/ because two programs read it by the same rules: the daemon,
 * which applies a document stored in the bucket (site.website_document),
 * and the seeding tool, which checks one before uploading it, so that a
 * document the daemon would refuse fails the upload instead of being
 * logged by every server later.  No I/O.
 */
#ifndef S3WWWD_WEBSITE_H
#define S3WWWD_WEBSITE_H

#include <stddef.h>

#define WEBSITE_STR 256
#define WEBSITE_MAX_RULES 50 /* as many as AWS allows in one configuration */

/*
 * S3 website routing rules, with AWS's semantics: conditions on the key's
 * prefix and on the HTTP error the object's request returned, redirects
 * that replace the host, the protocol, the whole key or its prefix.  The
 * first rule that matches wins.
 */

struct website_rule {
	char key_prefix[WEBSITE_STR];     /* Condition KeyPrefixEquals; "" matches any */
	int error_code;                /* Condition HttpErrorCodeReturnedEquals; 0: none */
	char protocol[8];              /* Redirect Protocol: "", "http" or "https" */
	char host[WEBSITE_STR];           /* Redirect HostName; "": this host */
	char replace_prefix[WEBSITE_STR]; /* ReplaceKeyPrefixWith (has_replace_prefix) */
	char replace_key[WEBSITE_STR];    /* ReplaceKeyWith (has_replace_key) */
	int has_replace_prefix;
	int has_replace_key;
	int code;                      /* HttpRedirectCode; 301 if not given */
};

struct website_rules {
	int redirect_all;              /* RedirectAllRequestsTo */
	char all_host[WEBSITE_STR];
	char all_protocol[8];
	int nrules;
	struct website_rule rule[WEBSITE_MAX_RULES];
};

/*
 * Read an AWS WebsiteConfiguration XML document (what PutBucketWebsite
 * takes): RoutingRules and RedirectAllRequestsTo into rules; IndexDocument
 * and ErrorDocument, if present, into index and error_document (WEBSITE_STR
 * bytes each, left alone if absent).  Returns 0, or -1 with the reason in
 * err for a document that is not one, or holds what AWS would refuse.
 */
int website_parse(const char *doc, size_t len, struct website_rules *rules, char *index,
    char *error_document, char *err, size_t errsz);

/*
 * Check one rule as AWS would: a redirect needs at least one of its
 * fields, ReplaceKeyWith and ReplaceKeyPrefixWith exclude each other, the
 * code is 3xx, the protocol http or https, the host a plain host name.
 * Returns 0, or -1 with the reason in err.
 */
int website_rule_check(const struct website_rule *r, char *err, size_t errsz);

#endif
