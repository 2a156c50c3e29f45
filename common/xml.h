/*
 * xml.h - reading the few values the daemon and the seeding tool need out
 * of S3's XML answers: error bodies, ListObjectsV2 pages and the answers
 * to multipart uploads.
 *
 * S3 answers are XML of a fixed, flat shape, so there is no tree and no
 * allocation here: xml_find() locates one element in a byte range and
 * xml_text() turns its content into a C string.  Both take a length and
 * never read past it, because the bodies come straight from the network
 * and are not NUL-terminated.  Keeping the one reader here means the
 * daemon and the tool decode a key the same way, character references
 * included.
 */
#ifndef S3WWWD_XML_H
#define S3WWWD_XML_H

#include <stddef.h>

/*
 * Find the next element <tag> ... </tag> in [p, end).  The open tag may
 * carry attributes (<tag xmlns="...">), but a longer name that starts with
 * the same letters is a different element (<KeyCount> is not <Key>).  A
 * self-closing <tag/> has an empty value.  CDATA sections and comments are
 * skipped while searching, so that a "</tag>" inside them ends nothing.
 * The first close tag ends the element: S3 never nests an element inside
 * one of the same name.
 *
 * On success *val and *vlen (either may be NULL) get the raw content,
 * still escaped, and the position after the element is returned, ready
 * for the next call.  Returns NULL if there is no such element, or if it
 * or its open tag is not terminated before end.
 */
const char *xml_find(const char *p, const char *end, const char *tag,
    const char **val, size_t *vlen);

/*
 * Decode the raw content of an element (v, n bytes) into out, with a
 * terminating NUL: the five named entities (&amp; &lt; &gt; &quot;
 * &apos;), decimal and hexadecimal character references (&#38; &#x26;)
 * as UTF-8, and CDATA sections copied verbatim.  Bytes that are neither
 * pass through unchanged.
 *
 * Returns the length of the decoded text (>= 0), or -1 if it does not fit
 * in outsz bytes with its NUL, or if the content is malformed: an unknown
 * entity, an '&' without its ';', a character reference to 0, to a
 * surrogate (D800-DFFF) or beyond 10FFFF, an unterminated CDATA section, a
 * child element (a '<' outside CDATA) or a NUL byte.  The last two keep
 * what a caller gets a plain C string: a NUL would cut it short, and
 * markup in a value means the caller asked for the wrong element.  Never
 * writes past outsz; after a failure out holds an empty string.
 */
int xml_text(const char *v, size_t n, char *out, size_t outsz);

#endif
