/*
 * xml.c - finding elements in S3's XML answers and decoding their text.
 *
 * This is deliberately not a general XML parser.  S3 sends flat documents
 * whose elements we know by name, and what matters is that a hostile or
 * truncated body can neither make us read outside it nor smuggle a value
 * past the decoder: every scan is bounded by the end pointer or length the
 * caller gives, and anything that is not plainly right is refused rather
 * than guessed at.
 */
#include <limits.h>
#include <string.h>

#include "xml.h"

#define XML_CDATA_OPEN "<![CDATA["
#define XML_CDATA_CLOSE "]]>"
#define XML_COMMENT_OPEN "<!--"
#define XML_COMMENT_CLOSE "-->"
#define XML_CP_MAX 0x10ffffUL

static int
xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * s points at a '<'.  If a CDATA section or a comment starts there, return
 * the position after its end, or NULL when it does not end before end.
 * Otherwise return s itself.  Both are skipped because their content is
 * not markup: a "</Key>" inside CDATA is part of a value, not its end.
 */
static const char *
xml_skip(const char *s, const char *end)
{
	size_t left = (size_t)(end - s);
	const char *e;

	if (left >= sizeof(XML_CDATA_OPEN) - 1 &&
	    memcmp(s, XML_CDATA_OPEN, sizeof(XML_CDATA_OPEN) - 1) == 0) {
		s += sizeof(XML_CDATA_OPEN) - 1;
		e = memmem(s, (size_t)(end - s), XML_CDATA_CLOSE,
		    sizeof(XML_CDATA_CLOSE) - 1);
		return e != NULL ? e + sizeof(XML_CDATA_CLOSE) - 1 : NULL;
	}
	if (left >= sizeof(XML_COMMENT_OPEN) - 1 &&
	    memcmp(s, XML_COMMENT_OPEN, sizeof(XML_COMMENT_OPEN) - 1) == 0) {
		s += sizeof(XML_COMMENT_OPEN) - 1;
		e = memmem(s, (size_t)(end - s), XML_COMMENT_CLOSE,
		    sizeof(XML_COMMENT_CLOSE) - 1);
		return e != NULL ? e + sizeof(XML_COMMENT_CLOSE) - 1 : NULL;
	}
	return s;
}

/*
 * Find "</tag>" (white space is allowed before the '>') from s on.  Returns
 * the position after it, with its start in *cs, or NULL if there is none.
 */
static const char *
xml_close(const char *s, const char *end, const char *tag, size_t tl,
    const char **cs)
{
	const char *q, *sk;

	while (s < end && (s = memchr(s, '<', (size_t)(end - s))) != NULL) {
		if ((sk = xml_skip(s, end)) == NULL)
			return NULL;
		if (sk != s) {
			s = sk;
			continue;
		}
		q = s + 1;
		if (q < end && *q == '/' && (size_t)(end - q - 1) >= tl &&
		    memcmp(q + 1, tag, tl) == 0) {
			for (q += 1 + tl; q < end && xml_space(*q); q++)
				;
			if (q < end && *q == '>') {
				*cs = s;
				return q + 1;
			}
		}
		s++;
	}
	return NULL;
}

/*
 * Long because every way a hostile body can end early is checked where
 * it can happen, without reading past the end.
 */
const char *
xml_find(const char *p, const char *end, const char *tag, const char **val,
    size_t *vlen)
{
	const char *s, *q, *sk, *content, *cs, *after;
	size_t tl;
	char quote;

	if (p == NULL || end == NULL || tag == NULL || p >= end)
		return NULL;
	tl = strlen(tag);
	if (tl == 0)
		return NULL;
	for (s = p; s < end && (s = memchr(s, '<', (size_t)(end - s))) != NULL;
	    s++) {
		if ((sk = xml_skip(s, end)) == NULL)
			return NULL;
		if (sk != s) {
			/* Step back one: the loop steps forward again. */
			s = sk - 1;
			continue;
		}
		q = s + 1;
		if ((size_t)(end - q) < tl || memcmp(q, tag, tl) != 0)
			continue;
		q += tl;
		if (q == end)
			return NULL;
		if (*q == '/') {
			/* "<tag/>" is an empty element; "<tag/x" is no tag. */
			if (end - q >= 2 && q[1] == '>') {
				content = after = q + 2;
				goto found;
			}
			continue;
		}
		if (xml_space(*q)) {
			/*
			 * Attributes.  A '>' inside a quoted value does not
			 * end the tag; a '<' outside one means this was not a
			 * tag after all, and the search goes on from there.
			 */
			for (quote = '\0'; q < end; q++) {
				if (quote != '\0') {
					if (*q == quote)
						quote = '\0';
				} else if (*q == '"' || *q == '\'') {
					quote = *q;
				} else if (*q == '>' || *q == '<') {
					break;
				}
			}
			if (q == end)
				return NULL;
			if (*q == '<') {
				s = q - 1;
				continue;
			}
			if (q[-1] == '/') {
				content = after = q + 1;
				goto found;
			}
		} else if (*q != '>') {
			/* A longer name: <KeyCount> when looking for <Key>. */
			continue;
		}
		content = q + 1;
		if ((after = xml_close(content, end, tag, tl, &cs)) == NULL)
			return NULL;
		if (val != NULL)
			*val = content;
		if (vlen != NULL)
			*vlen = (size_t)(cs - content);
		return after;
	}
	return NULL;
found:
	/* A self-closing element: an empty value where it ends. */
	if (val != NULL)
		*val = content;
	if (vlen != NULL)
		*vlen = 0;
	return after;
}

/* Encode a code point the caller has checked as UTF-8; returns its length. */
static size_t
xml_utf8(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
xml_digit(char c, int hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the reference that starts at v[i] (an '&') into buf.  Returns its
 * length in v, with the decoded bytes' length in *blen, or 0 if it is not
 * a reference we accept.
 */
static size_t
xml_ref(const char *v, size_t n, size_t i, char buf[4], size_t *blen)
{
	static const struct {
		const char *name;	/* with its ';' */
		char c;
	} named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	unsigned long cp = 0;
	size_t j = i + 1, k, nl, ndigits = 0;
	int hex = 0, d;

	if (j < n && v[j] == '#') {
		j++;
		/* XML spells the hexadecimal form with a lower-case x only. */
		if (j < n && v[j] == 'x') {
			hex = 1;
			j++;
		}
		/*
		 * Leading zeros are legal, so the digits are not counted
		 * against a limit; the value simply stops growing once it is
		 * out of range, which keeps it from wrapping around into a
		 * valid code point.
		 */
		for (; j < n && (d = xml_digit(v[j], hex)) >= 0; j++) {
			if (cp <= XML_CP_MAX)
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			ndigits++;
		}
		if (ndigits == 0 || j >= n || v[j] != ';')
			return 0;
		if (cp == 0 || cp > XML_CP_MAX ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		*blen = xml_utf8(cp, buf);
		return j + 1 - i;
	}
	for (k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		nl = strlen(named[k].name);
		if (n - j >= nl && memcmp(v + j, named[k].name, nl) == 0) {
			buf[0] = named[k].c;
			*blen = 1;
			return 1 + nl;
		}
	}
	return 0;
}

int
xml_text(const char *v, size_t n, char *out, size_t outsz)
{
	const char *s, *e;
	size_t i = 0, o = 0, len, rl;
	char buf[4];

	if (out == NULL || outsz == 0)
		return -1;
	/* The length is returned as an int, so longer text cannot fit. */
	if (outsz > (size_t)INT_MAX)
		outsz = (size_t)INT_MAX;
	if (v == NULL && n > 0)
		goto bad;
	/* Throughout, o < outsz: there is always room left for the NUL. */
	while (i < n) {
		if (v[i] == '<') {
			if (n - i < sizeof(XML_CDATA_OPEN) - 1 ||
			    memcmp(v + i, XML_CDATA_OPEN,
			    sizeof(XML_CDATA_OPEN) - 1) != 0)
				goto bad;
			s = v + i + sizeof(XML_CDATA_OPEN) - 1;
			e = memmem(s, n - (size_t)(s - v), XML_CDATA_CLOSE,
			    sizeof(XML_CDATA_CLOSE) - 1);
			if (e == NULL)
				goto bad;
			len = (size_t)(e - s);
			if (len >= outsz - o || memchr(s, '\0', len) != NULL)
				goto bad;
			memcpy(out + o, s, len);
			o += len;
			i = (size_t)(e - v) + sizeof(XML_CDATA_CLOSE) - 1;
			continue;
		}
		if (v[i] == '\0')
			goto bad;
		if (v[i] != '&') {
			if (outsz - o < 2)
				goto bad;
			out[o++] = v[i++];
			continue;
		}
		if ((rl = xml_ref(v, n, i, buf, &len)) == 0 ||
		    len >= outsz - o)
			goto bad;
		memcpy(out + o, buf, len);
		o += len;
		i += rl;
	}
	out[o] = '\0';
	return (int)o;
bad:
	out[0] = '\0';
	return -1;
}
