/*
 * listing.c - the HTML index of a directory (site.directory_listing),
 * made from one ListObjectsV2 answer.  No I/O: serve.c fetches the XML
 * and sends the page.
 */
#include "listing.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sigv4.h"
#include "xml.h"

/*
 * Append to the page; a page that does not fit ends at hsz - 1, which
 * listing_html() reports as "does not fit" rather than sending a cut page.
 */
static size_t __attribute__((format(printf, 4, 5)))
put(char *buf, size_t off, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= sz - 1)
		return sz - 1;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, sz - off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sz - off)
		return sz - 1;
	return off + (size_t)n;
}

int
listing_query(const char *dir, size_t dirlen, char *query, size_t qsz)
{
	int n = snprintf(query, qsz, "delimiter=%%2F&list-type=2&max-keys=%d&prefix=",
	    LISTING_MAX_KEYS);

	if (n < 0 || (size_t)n >= qsz)
		return -1;
	return sigv4_uri_encode(dir, dirlen, query + n, qsz - (size_t)n, 0) < 0 ? -1 : 0;
}

/* Append s to buf, escaped for HTML text and attribute values. */
static size_t
html_put(char *buf, size_t off, size_t sz, const char *s, int href)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0' && off + 8 < sz; s++) {
		unsigned char ch = (unsigned char)*s;

		if (href && !(ch == '/' || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
		    (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z'))) {
			buf[off++] = '%';
			buf[off++] = hex[ch >> 4];
			buf[off++] = hex[ch & 15];
		} else if (ch == '<') {
			memcpy(buf + off, "&lt;", 4);
			off += 4;
		} else if (ch == '>') {
			memcpy(buf + off, "&gt;", 4);
			off += 4;
		} else if (ch == '&') {
			memcpy(buf + off, "&amp;", 5);
			off += 5;
		} else if (ch == '"') {
			memcpy(buf + off, "&quot;", 6);
			off += 6;
		} else {
			buf[off++] = (char)ch;
		}
	}
	buf[off] = '\0';
	return off;
}

int
listing_html(const char *doc, size_t len, const char *dir, size_t plen, size_t skip,
    char *html, size_t hsz, size_t *hlen, int *entries)
{
	const char *p, *end = doc + len, *v;
	size_t off, vlen;
	char name[S3_KEY_MAX + 1], size[32];

	*entries = 0;
	off = put(html, 0, hsz, "<!DOCTYPE html>\n<html><head>"
	    "<meta charset=\"utf-8\"><title>Index of /");
	off = html_put(html, off, hsz, dir + skip, 0);
	off = put(html, off, hsz, "</title></head><body><h1>"
	    "Index of /");
	off = html_put(html, off, hsz, dir + skip, 0);
	off = put(html, off, hsz, "</h1><ul>\n");
	if (plen > skip)
		off += (size_t)snprintf(html + off, hsz - off,
		    "<li><a href=\"../\">../</a></li>\n");
	for (p = doc; (p = xml_find(p, end, "Prefix", &v, &vlen)) != NULL;) {
		/* CommonPrefixes hold subdirectories; the first Prefix is ours. */
		if (xml_text(v, vlen, name, sizeof(name)) < 0 || strlen(name) <= plen ||
		    strncmp(name, dir, plen) != 0)
			continue;
		off = put(html, off, hsz, "<li><a href=\"");
		off = html_put(html, off, hsz, name + plen, 1);
		off = put(html, off, hsz, "\">");
		off = html_put(html, off, hsz, name + plen, 0);
		off = put(html, off, hsz, "</a></li>\n");
		(*entries)++;
	}
	for (p = doc; (p = xml_find(p, end, "Key", &v, &vlen)) != NULL;) {
		const char *sv;
		size_t slen;

		if (xml_text(v, vlen, name, sizeof(name)) < 0 || strlen(name) <= plen ||
		    xml_find(p, end, "Size", &sv, &slen) == NULL ||
		    xml_text(sv, slen, size, sizeof(size)) < 0)
			continue;
		off = put(html, off, hsz, "<li><a href=\"");
		off = html_put(html, off, hsz, name + plen, 1);
		off = put(html, off, hsz, "\">");
		off = html_put(html, off, hsz, name + plen, 0);
		off = put(html, off, hsz, "</a> %s bytes</li>\n",
		    size);
		(*entries)++;
	}
	if (memmem(doc, len, "<IsTruncated>true</IsTruncated>", 31) != NULL)
		off += (size_t)snprintf(html + off, hsz - off,
		    "<li>(only the first %d entries are shown)</li>\n", LISTING_MAX_KEYS);
	off = put(html, off, hsz, "</ul></body></html>\n");
	if (off >= hsz - 1)
		return -1;
	*hlen = off;
	return 0;
}
