/*
 * check_cache.c - unit tests for the per-worker hot-object cache in
 * worker/cache.c: storage and replacement, LRU order and eviction within the
 * memory limit, TTLs, negative entries, entries held by responses while
 * they are evicted or removed, and cache_decide's decision table.
 *
 * Run it under valgrind or with the sanitizers too: the hold/release tests
 * are only complete when no leak and no use after free is reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cache.h"

#define KIB 1024
#define TTL 1000
#define T0 1000000

static struct cache c;

/* Headers with an ETag and a Last-Modified, the others absent. */
static const char *const hdr_etag[CH_N] = {
	[CH_CTYPE] = "text/html",
	[CH_ETAG] = "\"abc\"",
	[CH_LASTMOD] = "Sun, 06 Nov 1994 08:49:37 GMT",
};
static const char *const hdr_none[CH_N];
/* Something that is not NULL, to see cache_decide clear *e. */
static struct cache_entry dummy;

static struct cache_entry *
put(const char *key, const char *body, uint64_t now)
{
	return cache_put(&c, key, strlen(key), hdr_etag, body, strlen(body), now);
}

static struct cache_entry *
put_noetag(const char *key, const char *body, uint64_t now)
{
	return cache_put(&c, key, strlen(key), hdr_none, body, strlen(body), now);
}

static struct cache_entry *
get(const char *key)
{
	return cache_get(&c, key, strlen(key));
}

static enum cache_action
decide(const char *key, int plain_get, int get_or_head, uint64_t now, struct cache_entry **e)
{
	return cache_decide(&c, key, strlen(key), plain_get, get_or_head, now, e);
}

/* Does the LRU list hold exactly these keys, most recent first, both ways? */
static int
lru_is(const char *const *keys, size_t n)
{
	struct cache_entry *e, *prev = NULL;
	size_t i = 0;

	for (e = c.lru_head; e != NULL; prev = e, e = e->lnext, i++) {
		if (i == n || e->lprev != prev || strcmp(e->key, keys[i]) != 0)
			return 0;
	}
	return i == n && c.lru_tail == prev;
}

/* The bytes charged must be the sum of the entries' costs. */
static size_t
sum_costs(void)
{
	struct cache_entry *e;
	size_t sum = 0;

	for (e = c.lru_head; e != NULL; e = e->lnext)
		sum += e->cost;
	return sum;
}

static size_t
lru_len(void)
{
	struct cache_entry *e;
	size_t n = 0;

	for (e = c.lru_head; e != NULL; e = e->lnext)
		n++;
	return n;
}

/* The cost of one entry with this key, body and the hdr_etag headers. */
static size_t
cost_of(const char *key, const char *body)
{
	struct cache probe;
	struct cache_entry *e;
	size_t cost;

	ck_assert_int_eq(cache_init(&probe, 1024 * KIB, 64 * KIB, TTL), 0);
	e = cache_put(&probe, key, strlen(key), hdr_etag, body, strlen(body), T0);
	ck_assert_ptr_nonnull(e);
	cost = e->cost;
	cache_free(&probe);
	return cost;
}

static void
setup(void)
{
	ck_assert_int_eq(cache_init(&c, 64 * KIB, 8 * KIB, TTL), 0);
}

static void
teardown(void)
{
	cache_free(&c);
}

/* Storage */

START_TEST(test_init)
{
	struct cache big;

	ck_assert_ptr_nonnull(c.table);
	ck_assert_uint_ge(c.nbuckets, 1024);
	ck_assert_uint_eq(c.nbuckets & (c.nbuckets - 1), 0);
	ck_assert_uint_eq(c.limit, 64 * KIB);
	ck_assert_uint_eq(c.max_object, 8 * KIB);
	ck_assert_uint_eq(c.ttl_ms, TTL);
	ck_assert_uint_eq(c.used, 0);
	ck_assert_ptr_null(c.lru_head);
	ck_assert_ptr_null(c.lru_tail);
	ck_assert(c.hits == 0 && c.misses == 0 && c.revalidated == 0 && c.evictions == 0);
	ck_assert_ptr_null(get("nothing"));
	/* A larger cache gets more buckets, still a power of two. */
	ck_assert_int_eq(cache_init(&big, 64 * 1024 * KIB, KIB, TTL), 0);
	ck_assert_uint_eq(big.nbuckets, 16384);
	cache_free(&big);
	ck_assert_ptr_null(big.table);
	/* A freed cache stores and finds nothing. */
	ck_assert_ptr_null(cache_put(&big, "k", 1, hdr_etag, "b", 1, T0));
	ck_assert_ptr_null(cache_get(&big, "k", 1));
}
END_TEST

START_TEST(test_put_get)
{
	struct cache_entry *e = put("site/index.html", "<h1>hi</h1>", T0), *g;
	int i;

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->keylen, 15);
	ck_assert_str_eq(e->key, "site/index.html");
	ck_assert_uint_eq(e->size, 11);
	ck_assert_int_eq(memcmp(e->body, "<h1>hi</h1>", 11), 0);
	ck_assert_str_eq(e->hdr[CH_CTYPE], "text/html");
	ck_assert_str_eq(e->hdr[CH_ETAG], "\"abc\"");
	ck_assert_str_eq(e->hdr[CH_LASTMOD], "Sun, 06 Nov 1994 08:49:37 GMT");
	/* Absent headers read as "". */
	for (i = CH_CC; i < CH_N; i++)
		ck_assert_str_eq(e->hdr[i], "");
	ck_assert_int_eq(e->negative, 0);
	ck_assert_int_eq(e->refs, 0);
	ck_assert_int_eq(e->dead, 0);
	ck_assert_uint_ge(e->cost, sizeof(*e) + e->keylen + e->size);
	ck_assert_uint_eq(c.used, e->cost);
	g = get("site/index.html");
	ck_assert_ptr_eq(g, e);
	/* The key is compared whole, with its length. */
	ck_assert_ptr_null(get("site/index.htm"));
	ck_assert_ptr_null(get("site/index.html2"));
	ck_assert_ptr_null(get("Site/index.html"));
	ck_assert_ptr_null(cache_get(&c, "site/index.html", 14));
	/* cache_get counts nothing: only cache_decide does. */
	ck_assert(c.hits == 0 && c.misses == 0);
}
END_TEST

START_TEST(test_key_not_terminated)
{
	const char buf[] = "abcdef";
	struct cache_entry *e = cache_put(&c, buf, 3, hdr_etag, buf + 3, 3, T0);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, "abc");
	ck_assert_ptr_eq(cache_get(&c, "abc", 3), e);
	ck_assert_ptr_eq(cache_get(&c, buf, 3), e);
	ck_assert_int_eq(memcmp(e->body, "def", 3), 0);
}
END_TEST

START_TEST(test_hdr_null)
{
	struct cache_entry *e = put_noetag("k", "body", T0);
	int i;

	ck_assert_ptr_nonnull(e);
	for (i = 0; i < CH_N; i++) {
		ck_assert_ptr_nonnull(e->hdr[i]);
		ck_assert_str_eq(e->hdr[i], "");
	}
}
END_TEST

START_TEST(test_empty_body)
{
	struct cache_entry *e = cache_put(&c, "empty", 5, hdr_etag, NULL, 0, T0);

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->size, 0);
	ck_assert_int_eq(e->negative, 0);
	ck_assert_ptr_eq(get("empty"), e);
}
END_TEST

START_TEST(test_replace)
{
	struct cache_entry *a, *b;
	static const char *const order[] = { "k", "other" };

	a = put("k", "first", T0);
	ck_assert_ptr_nonnull(put("other", "x", T0));
	ck_assert_ptr_nonnull(a);
	b = cache_put(&c, "k", 1, hdr_none, "second version", 14, T0 + 5);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_eq(get("k"), b);
	ck_assert_uint_eq(b->size, 14);
	ck_assert_int_eq(memcmp(b->body, "second version", 14), 0);
	ck_assert_str_eq(b->hdr[CH_ETAG], "");
	ck_assert_uint_eq(b->fresh_until_ms, T0 + 5 + TTL);
	/* One entry per key; the old one's bytes are no longer charged. */
	ck_assert_uint_eq(lru_len(), 2);
	ck_assert_uint_eq(c.used, sum_costs());
	ck_assert(lru_is(order, 2));
	/* A replacement is no eviction. */
	ck_assert_uint_eq(c.evictions, 0);
}
END_TEST

START_TEST(test_too_large)
{
	static char body[8 * KIB + 1];
	struct cache_entry *e;
	struct cache small;

	memset(body, 'x', sizeof(body));
	/* max_object itself is fine, one byte more is refused. */
	e = cache_put(&c, "max", 3, hdr_etag, body, 8 * KIB, T0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->size, 8 * KIB);
	ck_assert_ptr_null(cache_put(&c, "over", 4, hdr_etag, body, 8 * KIB + 1, T0));
	ck_assert_ptr_null(get("over"));
	/* A refused replacement leaves the old entry in place. */
	ck_assert_ptr_null(cache_put(&c, "max", 3, hdr_etag, body, 8 * KIB + 1, T0 + 1));
	ck_assert_ptr_eq(get("max"), e);
	ck_assert_uint_eq(c.used, e->cost);
	ck_assert_uint_eq(c.evictions, 0);

	/*
	 * An object within max_object whose cost (with the entry and its
	 * headers) exceeds the whole limit is refused too, evicting nothing.
	 */
	ck_assert_int_eq(cache_init(&small, 2 * KIB, 8 * KIB, TTL), 0);
	ck_assert_ptr_nonnull(cache_put(&small, "a", 1, hdr_etag, body, 10, T0));
	ck_assert_ptr_null(cache_put(&small, "b", 1, hdr_etag, body, 2 * KIB, T0));
	ck_assert_ptr_nonnull(cache_get(&small, "a", 1));
	ck_assert_uint_eq(small.evictions, 0);
	cache_free(&small);
}
END_TEST

START_TEST(test_many_keys)
{
	/* More keys than buckets: chains form, and each key is still found. */
	char k[32];
	struct cache big;
	struct cache_entry *e;
	int i, n = 5000;

	ck_assert_int_eq(cache_init(&big, 8 * 1024 * KIB, KIB, TTL), 0);
	ck_assert_uint_lt(big.nbuckets, (size_t)n);
	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key/%d", i);
		ck_assert_ptr_nonnull(cache_put(&big, k, strlen(k), hdr_etag, k, strlen(k), T0));
	}
	ck_assert_uint_eq(big.evictions, 0);
	/* Remove every third key, from the middle of chains as well. */
	for (i = 0; i < n; i += 3) {
		snprintf(k, sizeof(k), "key/%d", i);
		e = cache_get(&big, k, strlen(k));
		ck_assert_ptr_nonnull(e);
		cache_remove(&big, e);
	}
	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key/%d", i);
		e = cache_get(&big, k, strlen(k));
		if (i % 3 == 0) {
			ck_assert_msg(e == NULL, "%s still found", k);
		} else {
			ck_assert_msg(e != NULL, "%s lost", k);
			ck_assert_uint_eq(e->size, strlen(k));
			ck_assert_int_eq(memcmp(e->body, k, e->size), 0);
		}
	}
	cache_free(&big);
	ck_assert_uint_eq(big.used, 0);
}
END_TEST

/* LRU and eviction */

START_TEST(test_lru_order)
{
	static const char *const o1[] = { "c", "b", "a" };
	static const char *const o2[] = { "a", "c", "b" };
	static const char *const o3[] = { "b", "a", "c" };
	static const char *const o4[] = { "b", "c" };
	struct cache_entry *e;

	put("a", "1", T0);
	put("b", "2", T0);
	put("c", "3", T0);
	ck_assert(lru_is(o1, 3));
	/* A hit moves the entry to the front; a hit on the front changes nothing. */
	ck_assert_ptr_nonnull(get("a"));
	ck_assert(lru_is(o2, 3));
	ck_assert_ptr_nonnull(get("a"));
	ck_assert(lru_is(o2, 3));
	ck_assert_ptr_nonnull(get("b"));
	ck_assert(lru_is(o3, 3));
	/* A miss changes nothing. */
	ck_assert_ptr_null(get("d"));
	ck_assert(lru_is(o3, 3));
	/* Removing from the middle keeps the list linked. */
	e = get("a");
	cache_remove(&c, e);
	ck_assert(lru_is(o4, 2));
	ck_assert_uint_eq(c.used, sum_costs());
}
END_TEST

START_TEST(test_evict_lru)
{
	size_t cost = cost_of("k1", "0123456789");
	static const char *const o1[] = { "k3", "k2", "k1" };
	static const char *const o2[] = { "k4", "k3", "k2" };
	static const char *const o3[] = { "k5", "k2", "k4" };

	/* Room for exactly three such entries. */
	cache_free(&c);
	ck_assert_int_eq(cache_init(&c, 3 * cost, KIB, TTL), 0);
	put("k1", "0123456789", T0);
	put("k2", "0123456789", T0);
	put("k3", "0123456789", T0);
	ck_assert(lru_is(o1, 3));
	ck_assert_uint_eq(c.used, 3 * cost);
	ck_assert_uint_eq(c.evictions, 0);
	/* The least recently used goes first. */
	put("k4", "0123456789", T0);
	ck_assert(lru_is(o2, 3));
	ck_assert_ptr_null(get("k1"));
	ck_assert_uint_eq(c.evictions, 1);
	/* k2 is used again, so k3 is now the oldest. */
	ck_assert_ptr_nonnull(get("k2"));
	put("k5", "0123456789", T0);
	ck_assert(lru_is(o3, 3));
	ck_assert_ptr_null(get("k3"));
	ck_assert_uint_eq(c.evictions, 2);
	ck_assert_uint_eq(c.used, 3 * cost);
	ck_assert_uint_eq(c.used, sum_costs());
	ck_assert_uint_le(c.used, c.limit);
}
END_TEST

START_TEST(test_evict_several)
{
	static char body[3 * KIB];
	size_t small = cost_of("s0", "x");
	struct cache_entry *e;
	char k[16];
	int i;

	memset(body, 'y', sizeof(body));
	cache_free(&c);
	ck_assert_int_eq(cache_init(&c, 4 * KIB, 4 * KIB, TTL), 0);
	for (i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "s%d", i);
		ck_assert_ptr_nonnull(put(k, "x", T0));
	}
	ck_assert_uint_eq(c.used, 8 * small);
	ck_assert_uint_le(c.used, c.limit);
	/* One big object pushes out as many small ones as it needs, oldest first. */
	e = cache_put(&c, "big", 3, hdr_etag, body, sizeof(body), T0);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(c.lru_head, e);
	ck_assert_uint_le(c.used, c.limit);
	ck_assert_uint_eq(c.used, sum_costs());
	ck_assert_uint_eq(c.evictions, 8 - (lru_len() - 1));
	ck_assert_uint_gt(c.evictions, 1);
	/* Whatever is left is the most recent of the small ones. */
	for (i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "s%d", i);
		ck_assert_int_eq(get(k) != NULL, i >= (int)c.evictions);
	}
	/* Only as much as needed was evicted: one more small entry would not fit. */
	ck_assert_uint_gt(c.used + small, c.limit);
}
END_TEST

START_TEST(test_used_accounting)
{
	char k[16], body[64];
	struct cache_entry *e;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(k, sizeof(k), "k%d", i % 13);
		memset(body, 'a' + i % 26, sizeof(body));
		if (i % 2 == 0)
			e = cache_put(&c, k, strlen(k), hdr_etag, body, (size_t)i, T0);
		else if (i % 5 == 0)
			e = cache_put_negative(&c, k, strlen(k), T0);
		else
			e = cache_put(&c, k, strlen(k), hdr_none, body, (size_t)i, T0);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(c.used, sum_costs());
		if (i % 7 == 0) {
			cache_remove(&c, e);
			ck_assert_uint_eq(c.used, sum_costs());
		}
	}
	/* Larger bodies and headers cost more. */
	ck_assert_uint_gt(cost_of("k", "0123456789"), cost_of("k", "012345678"));
	ck_assert_uint_gt(cost_of("key", "x"), cost_of("k", "x"));
	while (c.lru_head != NULL)
		cache_remove(&c, c.lru_tail);
	ck_assert_uint_eq(c.used, 0);
	ck_assert_ptr_null(c.lru_tail);
}
END_TEST

/* TTL, negative entries, refresh */

START_TEST(test_ttl)
{
	struct cache_entry *e = put("k", "v", T0);

	ck_assert_uint_eq(e->fresh_until_ms, T0 + TTL);
	e = put("k", "v", T0 + 123);
	ck_assert_uint_eq(e->fresh_until_ms, T0 + 123 + TTL);
	e = cache_put_negative(&c, "n", 1, T0 + 7);
	ck_assert_uint_eq(e->fresh_until_ms, T0 + 7 + TTL);
}
END_TEST

START_TEST(test_negative)
{
	struct cache_entry *e = cache_put_negative(&c, "missing.html", 12, T0), *p;
	int i;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->negative, 1);
	ck_assert_uint_eq(e->size, 0);
	for (i = 0; i < CH_N; i++)
		ck_assert_str_eq(e->hdr[i], "");
	ck_assert_ptr_eq(get("missing.html"), e);
	ck_assert_uint_eq(c.used, e->cost);
	/* The object appears: a real entry replaces the negative one. */
	p = put("missing.html", "now here", T0 + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->negative, 0);
	ck_assert_ptr_eq(get("missing.html"), p);
	ck_assert_uint_eq(lru_len(), 1);
	/* And it goes away again. */
	e = cache_put_negative(&c, "missing.html", 12, T0 + 2);
	ck_assert_int_eq(e->negative, 1);
	ck_assert_ptr_eq(get("missing.html"), e);
	ck_assert_uint_eq(lru_len(), 1);
	ck_assert_uint_eq(c.used, sum_costs());
}
END_TEST

START_TEST(test_refresh)
{
	struct cache_entry *e = put("k", "v", T0), *x;

	ck_assert_uint_eq(c.revalidated, 0);
	cache_refresh(&c, e, T0 + 5000);
	ck_assert_uint_eq(e->fresh_until_ms, T0 + 5000 + TTL);
	ck_assert_uint_eq(c.revalidated, 1);
	ck_assert_int_eq(decide("k", 1, 1, T0 + 5000 + TTL - 1, &x), CACHE_HIT);
	ck_assert_ptr_eq(x, e);
	cache_refresh(&c, e, T0 + 9000);
	ck_assert_uint_eq(c.revalidated, 2);
	/* The body and headers are untouched. */
	ck_assert_int_eq(memcmp(e->body, "v", 1), 0);
	ck_assert_str_eq(e->hdr[CH_ETAG], "\"abc\"");
}
END_TEST

START_TEST(test_remove)
{
	struct cache_entry *a = put("a", "1", T0), *b = put("b", "22", T0);
	size_t used = c.used, acost = a->cost;

	cache_remove(&c, a);
	ck_assert_ptr_null(get("a"));
	ck_assert_ptr_eq(get("b"), b);
	ck_assert_uint_eq(c.used, used - acost);
	ck_assert_uint_eq(c.used, b->cost);
	/* A removal is no eviction. */
	ck_assert_uint_eq(c.evictions, 0);
	cache_remove(&c, b);
	ck_assert_uint_eq(c.used, 0);
	ck_assert_ptr_null(c.lru_head);
	ck_assert_ptr_null(c.lru_tail);
	/* The key can be stored again. */
	ck_assert_ptr_nonnull(put("a", "3", T0));
	ck_assert_ptr_nonnull(get("a"));
}
END_TEST

/* Entries held by responses */

START_TEST(test_hold_evicted)
{
	size_t cost = cost_of("k1", "held body!");
	struct cache_entry *e;

	cache_free(&c);
	ck_assert_int_eq(cache_init(&c, 2 * cost, KIB, TTL), 0);
	e = put("k1", "held body!", T0);
	cache_hold(e);
	ck_assert_int_eq(e->refs, 1);
	put("k2", "0123456789", T0);
	put("k3", "0123456789", T0);
	/* Evicted: out of the table, the list and the accounting... */
	ck_assert_uint_eq(c.evictions, 1);
	ck_assert_ptr_null(get("k1"));
	ck_assert_uint_eq(lru_len(), 2);
	ck_assert_uint_eq(c.used, 2 * cost);
	ck_assert_uint_eq(c.used, sum_costs());
	/* ...but still readable by the response that holds it. */
	ck_assert_int_eq(e->dead, 1);
	ck_assert_str_eq(e->key, "k1");
	ck_assert_int_eq(memcmp(e->body, "held body!", 10), 0);
	ck_assert_str_eq(e->hdr[CH_ETAG], "\"abc\"");
	/* Removing it again does nothing (it is already gone). */
	cache_remove(&c, e);
	ck_assert_uint_eq(c.used, 2 * cost);
	ck_assert_uint_eq(lru_len(), 2);
	/* The last release frees it (valgrind and ASan check that). */
	cache_release(&c, e);
}
END_TEST

START_TEST(test_hold_removed)
{
	struct cache_entry *e = put("k", "body", T0);

	cache_hold(e);
	cache_hold(e);
	ck_assert_int_eq(e->refs, 2);
	cache_remove(&c, e);
	ck_assert_ptr_null(get("k"));
	ck_assert_uint_eq(c.used, 0);
	ck_assert_int_eq(e->dead, 1);
	ck_assert_int_eq(memcmp(e->body, "body", 4), 0);
	cache_release(&c, e);
	/* One response still holds it. */
	ck_assert_int_eq(e->refs, 1);
	ck_assert_int_eq(memcmp(e->body, "body", 4), 0);
	cache_release(&c, e);
}
END_TEST

START_TEST(test_hold_replaced)
{
	struct cache_entry *old = put("k", "old body", T0), *nw;

	cache_hold(old);
	nw = put("k", "new body", T0 + 1);
	ck_assert_ptr_ne(nw, old);
	ck_assert_ptr_eq(get("k"), nw);
	ck_assert_int_eq(old->dead, 1);
	ck_assert_int_eq(memcmp(old->body, "old body", 8), 0);
	ck_assert_uint_eq(c.used, nw->cost);
	/* A dead entry must not be removed a second time. */
	cache_remove(&c, old);
	ck_assert_ptr_eq(get("k"), nw);
	cache_release(&c, old);
	ck_assert_int_eq(memcmp(nw->body, "new body", 8), 0);
}
END_TEST

START_TEST(test_hold_live)
{
	/* Released while still cached: it stays cached. */
	struct cache_entry *e = put("k", "body", T0);

	cache_hold(e);
	cache_release(&c, e);
	ck_assert_int_eq(e->refs, 0);
	ck_assert_int_eq(e->dead, 0);
	ck_assert_ptr_eq(get("k"), e);
	ck_assert_int_eq(memcmp(e->body, "body", 4), 0);
}
END_TEST

START_TEST(test_hold_past_free)
{
	/* A response may outlive the cache (worker shutdown). */
	struct cache_entry *e = put("k", "body", T0);

	cache_hold(e);
	cache_free(&c);
	ck_assert_int_eq(e->dead, 1);
	ck_assert_int_eq(memcmp(e->body, "body", 4), 0);
	cache_release(&c, e);
	/* teardown frees the cache a second time: that must be harmless. */
	ck_assert_ptr_null(c.table);
	ck_assert_ptr_null(c.lru_head);
}
END_TEST

/* cache_decide */

START_TEST(test_decide_fresh)
{
	struct cache_entry *e = put("k", "v", T0), *x = NULL;

	/* A fresh copy answers everything a GET or HEAD can ask. */
	ck_assert_int_eq(decide("k", 1, 1, T0, &x), CACHE_HIT);
	ck_assert_ptr_eq(x, e);
	ck_assert_int_eq(decide("k", 0, 1, T0 + TTL - 1, &x), CACHE_HIT);
	ck_assert_ptr_eq(x, e);
	ck_assert_uint_eq(c.hits, 2);
	ck_assert_uint_eq(c.misses, 0);
	/* A hit moves the entry to the front. */
	put("other", "w", T0);
	ck_assert_ptr_eq(c.lru_tail, e);
	ck_assert_int_eq(decide("k", 1, 1, T0, &x), CACHE_HIT);
	ck_assert_ptr_eq(c.lru_head, e);
	/* Without an ETag a fresh copy is still a hit. */
	e = put_noetag("n", "v", T0);
	ck_assert_int_eq(decide("n", 0, 1, T0, &x), CACHE_HIT);
	ck_assert_ptr_eq(x, e);
	ck_assert_uint_eq(c.hits, 4);
}
END_TEST

START_TEST(test_decide_fresh_negative)
{
	struct cache_entry *e = cache_put_negative(&c, "gone", 4, T0), *x = NULL;

	ck_assert_int_eq(decide("gone", 1, 1, T0, &x), CACHE_HIT_MISSING);
	ck_assert_ptr_eq(x, e);
	ck_assert_int_eq(decide("gone", 0, 1, T0 + TTL - 1, &x), CACHE_HIT_MISSING);
	ck_assert_ptr_eq(x, e);
	ck_assert_uint_eq(c.hits, 2);
	ck_assert_uint_eq(c.misses, 0);
}
END_TEST

START_TEST(test_decide_stale_plain)
{
	struct cache_entry *e = put("k", "v", T0), *x = NULL;

	/* A stale copy with an ETag: fetch again, a 304 would refresh it. */
	ck_assert_int_eq(decide("k", 1, 1, T0 + TTL + 1, &x), CACHE_FILL);
	ck_assert_ptr_eq(x, e);
	ck_assert_uint_eq(c.hits, 0);
	ck_assert_uint_eq(c.misses, 1);
	/* Without an ETag there is nothing to revalidate with. */
	put_noetag("n", "v", T0);
	x = e;
	ck_assert_int_eq(decide("n", 1, 1, T0 + TTL, &x), CACHE_FILL);
	ck_assert_ptr_null(x);
	/* A stale negative entry: fetch, nothing to refresh. */
	cache_put_negative(&c, "gone", 4, T0);
	x = e;
	ck_assert_int_eq(decide("gone", 1, 1, T0 + TTL, &x), CACHE_FILL);
	ck_assert_ptr_null(x);
	ck_assert_uint_eq(c.misses, 3);
	/* A stale copy is not dropped by the decision. */
	ck_assert_ptr_nonnull(get("k"));
	ck_assert_ptr_nonnull(get("n"));
	ck_assert_ptr_nonnull(get("gone"));
}
END_TEST

START_TEST(test_decide_absent)
{
	struct cache_entry *x = &dummy;

	ck_assert_int_eq(decide("nothing", 1, 1, T0, &x), CACHE_FILL);
	ck_assert_ptr_null(x);
	x = &dummy;
	ck_assert_int_eq(decide("nothing", 0, 1, T0, &x), CACHE_PASS);
	ck_assert_ptr_null(x);
	x = &dummy;
	ck_assert_int_eq(decide("nothing", 0, 0, T0, &x), CACHE_PASS);
	ck_assert_ptr_null(x);
	ck_assert_uint_eq(c.hits, 0);
	ck_assert_uint_eq(c.misses, 3);
	/* Deciding stores nothing. */
	ck_assert_ptr_null(get("nothing"));
	ck_assert_uint_eq(c.used, 0);
}
END_TEST

START_TEST(test_decide_revalidate)
{
	struct cache_entry *e = put("k", "v", T0), *x = NULL;

	/* A range, a conditional GET or a HEAD on a stale copy with an ETag. */
	ck_assert_int_eq(decide("k", 0, 1, T0 + TTL, &x), CACHE_REVALIDATE);
	ck_assert_ptr_eq(x, e);
	x = NULL;
	ck_assert_int_eq(decide("k", 0, 1, T0 + 10 * TTL, &x), CACHE_REVALIDATE);
	ck_assert_ptr_eq(x, e);
	ck_assert_uint_eq(c.misses, 2);
	ck_assert_uint_eq(c.hits, 0);
	/* Once refreshed it is a hit again. */
	cache_refresh(&c, e, T0 + 10 * TTL);
	ck_assert_int_eq(decide("k", 0, 1, T0 + 10 * TTL, &x), CACHE_HIT);
	ck_assert_ptr_eq(x, e);
}
END_TEST

START_TEST(test_decide_pass)
{
	struct cache_entry *x = &dummy;

	/* A stale copy without an ETag cannot be revalidated: pass. */
	put_noetag("n", "v", T0);
	ck_assert_int_eq(decide("n", 0, 1, T0 + TTL, &x), CACHE_PASS);
	ck_assert_ptr_null(x);
	/* A stale negative entry and a range or conditional request: pass. */
	cache_put_negative(&c, "gone", 4, T0);
	x = &dummy;
	ck_assert_int_eq(decide("gone", 0, 1, T0 + TTL, &x), CACHE_PASS);
	ck_assert_ptr_null(x);
	/* Neither GET nor HEAD, with a stale copy that has an ETag: pass. */
	put("k", "v", T0);
	x = &dummy;
	ck_assert_int_eq(decide("k", 0, 0, T0 + TTL, &x), CACHE_PASS);
	ck_assert_ptr_null(x);
	ck_assert_uint_eq(c.misses, 3);
	ck_assert_uint_eq(c.hits, 0);
	ck_assert_ptr_nonnull(get("n"));
	ck_assert_ptr_nonnull(get("gone"));
	ck_assert_ptr_nonnull(get("k"));
}
END_TEST

START_TEST(test_decide_boundary)
{
	struct cache_entry *e = put("k", "v", T0), *x;

	cache_put_negative(&c, "gone", 4, T0);
	/* One millisecond before fresh_until_ms: fresh. */
	ck_assert_int_eq(decide("k", 1, 1, T0 + TTL - 1, &x), CACHE_HIT);
	ck_assert_int_eq(decide("gone", 1, 1, T0 + TTL - 1, &x), CACHE_HIT_MISSING);
	/* now == fresh_until_ms: stale. */
	ck_assert_uint_eq(e->fresh_until_ms, T0 + TTL);
	ck_assert_int_eq(decide("k", 1, 1, T0 + TTL, &x), CACHE_FILL);
	ck_assert_ptr_eq(x, e);
	ck_assert_int_eq(decide("k", 0, 1, T0 + TTL, &x), CACHE_REVALIDATE);
	ck_assert_ptr_eq(x, e);
	ck_assert_int_eq(decide("gone", 1, 1, T0 + TTL, &x), CACHE_FILL);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(decide("gone", 0, 1, T0 + TTL, &x), CACHE_PASS);
	ck_assert_ptr_null(x);
	ck_assert_uint_eq(c.hits, 2);
	ck_assert_uint_eq(c.misses, 4);
}
END_TEST

START_TEST(test_decide_zero_ttl)
{
	struct cache_entry *e, *x;

	/* With a TTL of 0 every entry is stale at once. */
	cache_free(&c);
	ck_assert_int_eq(cache_init(&c, 64 * KIB, KIB, 0), 0);
	e = put("k", "v", T0);
	ck_assert_uint_eq(e->fresh_until_ms, T0);
	ck_assert_int_eq(decide("k", 1, 1, T0, &x), CACHE_FILL);
	ck_assert_ptr_eq(x, e);
	ck_assert_uint_eq(c.hits, 0);
	ck_assert_uint_eq(c.misses, 1);
}
END_TEST

START_TEST(test_decide_counters)
{
	struct cache_entry *x;
	uint64_t now = T0;
	int i;

	put("hot", "v", now);
	cache_put_negative(&c, "gone", 4, now);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(decide("hot", 1, 1, now, &x), CACHE_HIT);
		ck_assert_int_eq(decide("gone", 0, 1, now, &x), CACHE_HIT_MISSING);
		ck_assert_int_eq(decide("cold", i % 2, 1, now, &x),
		    i % 2 ? CACHE_FILL : CACHE_PASS);
	}
	ck_assert_uint_eq(c.hits, 20);
	ck_assert_uint_eq(c.misses, 10);
	/* Revalidations and evictions are counted elsewhere. */
	ck_assert_uint_eq(c.revalidated, 0);
	ck_assert_uint_eq(c.evictions, 0);
}
END_TEST


/* Directory checks remembered for a TTL, per part of the cache. */
START_TEST(test_dirs)
{
	static struct cache_dirs d;

	ck_assert_int_eq(cache_dir_get(&d, 0, "a/index.html", 12, 0), -1);
	cache_dir_put(&d, 0, "a/index.html", 12, 1, 1000);
	cache_dir_put(&d, 0, "b/index.html", 12, 0, 1000);
	ck_assert_int_eq(cache_dir_get(&d, 0, "a/index.html", 12, 999), 1);
	ck_assert_int_eq(cache_dir_get(&d, 0, "b/index.html", 12, 999), 0);
	/* Expired at the deadline, not after it. */
	ck_assert_int_eq(cache_dir_get(&d, 0, "a/index.html", 12, 1000), -1);
	/* Another bucket's part does not see it. */
	ck_assert_int_eq(cache_dir_get(&d, 1, "a/index.html", 12, 10), -1);
	/* A newer answer replaces the older. */
	cache_dir_put(&d, 0, "a/index.html", 12, 0, 2000);
	ck_assert_int_eq(cache_dir_get(&d, 0, "a/index.html", 12, 1500), 0);
	/* A key that is a prefix of another is another key. */
	ck_assert_int_eq(cache_dir_get(&d, 0, "a/index.htm", 11, 10), -1);
}
END_TEST

/* Many keys: the table stays bounded and each slot answers for one key. */
START_TEST(test_dirs_bounded)
{
	static struct cache_dirs d;
	char key[32];
	int i, n, known = 0;

	for (i = 0; i < 4 * CACHE_DIR_SLOTS; i++) {
		n = snprintf(key, sizeof(key), "d%d/index.html", i);
		cache_dir_put(&d, 0, key, (size_t)n, i % 2, 100);
	}
	for (i = 0; i < 4 * CACHE_DIR_SLOTS; i++) {
		int r;

		n = snprintf(key, sizeof(key), "d%d/index.html", i);
		r = cache_dir_get(&d, 0, key, (size_t)n, 10);
		if (r != -1) {
			ck_assert_int_eq(r, i % 2);
			known++;
		}
	}
	ck_assert_int_le(known, CACHE_DIR_SLOTS);
	ck_assert_int_gt(known, CACHE_DIR_SLOTS / 2);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc;

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_key_not_terminated);
	tcase_add_test(tc, test_hdr_null);
	tcase_add_test(tc, test_empty_body);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_many_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("lru");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lru_order);
	tcase_add_test(tc, test_evict_lru);
	tcase_add_test(tc, test_evict_several);
	tcase_add_test(tc, test_used_accounting);
	suite_add_tcase(s, tc);

	tc = tcase_create("ttl");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ttl);
	tcase_add_test(tc, test_negative);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_remove);
	suite_add_tcase(s, tc);

	tc = tcase_create("hold");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hold_evicted);
	tcase_add_test(tc, test_hold_removed);
	tcase_add_test(tc, test_hold_replaced);
	tcase_add_test(tc, test_hold_live);
	tcase_add_test(tc, test_hold_past_free);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_decide_fresh);
	tcase_add_test(tc, test_decide_fresh_negative);
	tcase_add_test(tc, test_decide_stale_plain);
	tcase_add_test(tc, test_decide_absent);
	tcase_add_test(tc, test_decide_revalidate);
	tcase_add_test(tc, test_decide_pass);
	tcase_add_test(tc, test_decide_boundary);
	tcase_add_test(tc, test_decide_zero_ttl);
	tcase_add_test(tc, test_decide_counters);
	suite_add_tcase(s, tc);

	tc = tcase_create("dirs");
	tcase_add_test(tc, test_dirs);
	tcase_add_test(tc, test_dirs_bounded);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cache_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
