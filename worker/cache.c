/*
 * cache.c - the per-worker hot-object cache: a chained hash table and an
 * LRU list over entries that each live in one allocation.
 *
 * Allocation happens only when an object is stored, never when it is
 * served.  An entry that is evicted while a response is still being sent
 * from it is unlinked at once and freed when that response lets go of it,
 * so a slow client never reads freed memory.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

/* Overhead charged per entry on top of its bytes, so tiny objects count. */
#define ENTRY_OVERHEAD 256

/* FNV-1a: the keys are short and this is the cheapest good spread. */
static uint64_t
hash_key(unsigned ns, const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ ((uint64_t)ns * 1099511628211ULL);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int
cache_init(struct cache *c, size_t limit, size_t max_object, uint64_t ttl_ms)
{
	size_t n = 1024;

	memset(c, 0, sizeof(*c));
	/* About one bucket per 4 KiB of cache, a power of two. */
	while (n < limit / 4096 && n < ((size_t)1 << 22))
		n <<= 1;
	c->table = calloc(n, sizeof(*c->table));
	if (c->table == NULL)
		return -1;
	c->nbuckets = n;
	c->limit = limit;
	c->max_object = max_object;
	c->ttl_ms = ttl_ms;
	return 0;
}

void
cache_select(struct cache *c, unsigned ns, uint64_t ttl_ms)
{
	c->ns = ns;
	c->ttl_ms = ttl_ms;
}

static void
lru_unlink(struct cache *c, struct cache_entry *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		c->lru_head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else
		c->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
lru_push(struct cache *c, struct cache_entry *e)
{
	e->lprev = NULL;
	e->lnext = c->lru_head;
	if (c->lru_head != NULL)
		c->lru_head->lprev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
}

/* Take e out of the table and the list; free it unless a response holds it. */
static void
unlink_entry(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->table[e->hash & (c->nbuckets - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(c, e);
	c->used -= e->cost;
	if (e->refs > 0)
		e->dead = 1;
	else
		free(e);
}

void
cache_free(struct cache *c)
{
	while (c->lru_head != NULL)
		unlink_entry(c, c->lru_head);
	free(c->table);
	c->table = NULL;
}

struct cache_entry *
cache_get(struct cache *c, const char *key, size_t keylen)
{
	uint64_t h;
	struct cache_entry *e;

	if (c->table == NULL)
		return NULL;
	h = hash_key(c->ns, key, keylen);
	for (e = c->table[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext) {
		if (e->hash == h && e->ns == c->ns && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0) {
			if (c->lru_head != e) {
				lru_unlink(c, e);
				lru_push(c, e);
			}
			return e;
		}
	}
	return NULL;
}

struct cache_entry *
cache_put(struct cache *c, const char *key, size_t keylen, const char *const *hdr,
    const char *body, size_t size, uint64_t now_ms)
{
	size_t hl[CH_N], total, cost, off;
	struct cache_entry *e, *old;
	char *p;
	int i;

	if (c->table == NULL || size > c->max_object)
		return NULL;
	total = sizeof(*e) + keylen + 1 + size;
	for (i = 0; i < CH_N; i++) {
		hl[i] = hdr[i] != NULL ? strlen(hdr[i]) : 0;
		total += hl[i] + 1;
	}
	cost = total + ENTRY_OVERHEAD;
	if (cost > c->limit)
		return NULL;
	if ((old = cache_get(c, key, keylen)) != NULL)
		unlink_entry(c, old);
	while (c->used + cost > c->limit && c->lru_tail != NULL) {
		unlink_entry(c, c->lru_tail);
		c->evictions++;
	}
	e = malloc(total);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	p = (char *)(e + 1);
	off = 0;
	e->key = p;
	memcpy(p, key, keylen);
	p[keylen] = '\0';
	off += keylen + 1;
	for (i = 0; i < CH_N; i++) {
		e->hdr[i] = p + off;
		if (hl[i] > 0)
			memcpy(p + off, hdr[i], hl[i]);
		p[off + hl[i]] = '\0';
		off += hl[i] + 1;
	}
	e->body = p + off;
	if (size > 0)
		memcpy(e->body, body, size);
	e->keylen = keylen;
	e->size = size;
	e->cost = cost;
	e->hash = hash_key(c->ns, key, keylen);
	e->ns = c->ns;
	e->fresh_until_ms = now_ms + c->ttl_ms;
	e->hnext = c->table[e->hash & (c->nbuckets - 1)];
	c->table[e->hash & (c->nbuckets - 1)] = e;
	lru_push(c, e);
	c->used += cost;
	return e;
}

struct cache_entry *
cache_put_negative(struct cache *c, const char *key, size_t keylen, uint64_t now_ms)
{
	static const char *const none[CH_N];
	struct cache_entry *e = cache_put(c, key, keylen, none, NULL, 0, now_ms);

	if (e != NULL)
		e->negative = 1;
	return e;
}

void
cache_refresh(struct cache *c, struct cache_entry *e, uint64_t now_ms)
{
	e->fresh_until_ms = now_ms + c->ttl_ms;
	c->revalidated++;
}

void
cache_remove(struct cache *c, struct cache_entry *e)
{
	if (!e->dead)
		unlink_entry(c, e);
}

void
cache_hold(struct cache_entry *e)
{
	e->refs++;
}

void
cache_release(struct cache *c, struct cache_entry *e)
{
	(void)c;
	if (--e->refs == 0 && e->dead)
		free(e);
}

enum cache_action
cache_decide(struct cache *c, const char *key, size_t keylen, int plain_get,
    int get_or_head, uint64_t now_ms, struct cache_entry **e)
{
	struct cache_entry *ce = cache_get(c, key, keylen);

	*e = NULL;
	if (ce != NULL && now_ms < ce->fresh_until_ms) {
		c->hits++;
		*e = ce;
		return ce->negative ? CACHE_HIT_MISSING : CACHE_HIT;
	}
	c->misses++;
	if (!plain_get) {
		if (ce != NULL && !ce->negative && ce->hdr[CH_ETAG][0] != '\0' && get_or_head) {
			*e = ce;
			return CACHE_REVALIDATE;
		}
		return CACHE_PASS;
	}
	if (ce != NULL && ce->hdr[CH_ETAG][0] != '\0')
		*e = ce;
	return CACHE_FILL;
}

/* A hash that is never 0, which marks an empty slot. */
static uint64_t
dir_hash(unsigned ns, const char *key, size_t keylen)
{
	uint64_t h = hash_key(ns, key, keylen);

	return h != 0 ? h : 1;
}

void
cache_dir_put(struct cache_dirs *d, unsigned ns, const char *key, size_t keylen, int exists,
    uint64_t until_ms)
{
	uint64_t h = dir_hash(ns, key, keylen);
	struct cache_dir_slot *s = &d->slot[h & (CACHE_DIR_SLOTS - 1)];

	s->hash = h;
	s->until_ms = until_ms;
	s->exists = exists;
}

int
cache_dir_get(const struct cache_dirs *d, unsigned ns, const char *key, size_t keylen,
    uint64_t now_ms)
{
	uint64_t h = dir_hash(ns, key, keylen);
	const struct cache_dir_slot *s = &d->slot[h & (CACHE_DIR_SLOTS - 1)];

	if (s->hash != h || now_ms >= s->until_ms)
		return -1;
	return s->exists;
}
