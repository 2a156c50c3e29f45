/*
 * webdoc.h - the site's WebsiteConfiguration document, read from the
 * bucket by the master.
 *
 * A site leaving AWS S3 brings its website configuration as the XML
 * document PutBucketWebsite takes (routing rules, RedirectAllRequestsTo,
 * index and error document).  MinIO has no website configuration of its
 * own, so the document is an object in the bucket (site.website_document).
 * The master reads it on start and every site.website_ttl with one signed
 * GET; when it changed and is valid, the master reloads and the new
 * workers serve with its rules.  A document that cannot be read or is not
 * valid is logged and the last good one stays, so a bad upload never takes
 * the site's redirects away; a document that is gone (404) takes them away.
 */
#ifndef S3WWWD_WEBDOC_H
#define S3WWWD_WEBDOC_H

#include <stdint.h>

#include "config.h"
#include "site.h"
#include "wconf.h"

#define WEBDOC_MAX (256 * 1024)

struct webdoc {
	int valid;                   /* the fields below hold a good document */
	char site[CONFIG_SITE_NAME]; /* the site it is for; "" : a free slot */
	char key[CONFIG_STR];        /* the key it was read from */
	char sum[65];                /* SHA-256 (hex) of it */
	struct website_rules rules;
	char index[SITE_STR];        /* "" if the document names none */
	char error_document[SITE_STR];
	uint64_t next_ms;            /* when to read it again; 0: now */
};

/* Every site's document, matched to its site by name across reloads. */
struct webdocs {
	struct webdoc doc[CONFIG_MAX_SITES];
};

/*
 * Read again each site's document that is due, keeping one if it is valid
 * and new.  Returns 1 when what the workers should serve changed (a new
 * good document, or a document gone), 0 otherwise.  Logs what it did.
 */
int webdoc_refresh(struct webdocs *w, const struct config *cfg, uint64_t now_ms);

/* Put each site's good document into a worker configuration built from cfg. */
void webdoc_apply(const struct webdocs *w, const struct config *cfg, struct worker_conf *wc);

/* The poll timeout, shortened to the next document due (-1: none). */
int webdoc_timeout(const struct webdocs *w, const struct config *cfg, uint64_t now_ms,
    int timeout);

/* Read every document again at the next turn (the settings changed). */
void webdoc_soon(struct webdocs *w);

#endif
