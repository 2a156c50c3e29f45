/*
 * listing.h - directory listings (site.directory_listing).
 *
 * One ListObjectsV2 request with a delimiter, so that a listing shows one
 * level and costs one request.  Its XML answer is gathered in the
 * request's output buffer, which is free until the page is built; max-keys
 * keeps it well inside that buffer.
 */
#ifndef S3WWWD_LISTING_H
#define S3WWWD_LISTING_H

#include <stddef.h>

#include "s3.h"

#define LISTING_MAX_KEYS 200

/* The ListObjectsV2 query string for the keys directly below dir. */
int listing_query(const char *dir, size_t dirlen, char *query, size_t qsz);

/*
 * The HTML page for the ListObjectsV2 answer doc: the subdirectories and
 * the objects below dir (dirlen bytes, ending in '/' or empty), shown
 * without the site's prefix (its first `skip` bytes), names escaped for
 * HTML and for URLs.  Returns 0 with the page's length in *hlen and the
 * number of entries in *entries, or -1 if the page does not fit hsz.
 */
int listing_html(const char *doc, size_t len, const char *dir, size_t dirlen, size_t skip,
    char *html, size_t hsz, size_t *hlen, int *entries);

#endif
