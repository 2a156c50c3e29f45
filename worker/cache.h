/*
 * cache.h - a hot-object cache for small objects, one per worker.
 *
 * Each worker keeps its own cache.  A cache shared between the workers would
 * need locks or a lock-free table in shared memory on the hottest path; with
 * one worker per CPU the duplication costs at most (workers - 1) copies of
 * the hottest objects, which the memory limit already accounts for (the
 * limit is divided among the workers).  Entries are revalidated with S3
 * (If-None-Match) once their TTL has passed, so an object replaced in the
 * bucket is served fresh after at most one TTL.
 */
#ifndef S3WWWD_CACHE_H
#define S3WWWD_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Response headers kept with an object (the ones S3 sends that we pass on). */
enum cache_hdr {
	CH_CTYPE, CH_ETAG, CH_LASTMOD, CH_CC, CH_CENC, CH_CDISP, CH_CLANG, CH_EXPIRES, CH_N
};

struct cache_entry {
	struct cache_entry *hnext;          /* hash chain */
	struct cache_entry *lprev, *lnext;  /* LRU list, most recent first */
	uint64_t hash;
	unsigned ns;                        /* the part of the cache it is in */
	uint64_t fresh_until_ms;
	int refs;                           /* responses being sent from it */
	int dead;                           /* evicted while referenced */
	int negative;                       /* "no such object": no body */
	size_t keylen;
	size_t size;                        /* body bytes */
	size_t cost;                        /* bytes charged to the cache */
	char *hdr[CH_N];                    /* NUL-terminated, "" if absent */
	char *key;
	char *body;
	/* The key, the header values and the body follow in one allocation. */
};

struct cache {
	struct cache_entry **table;
	size_t nbuckets;
	struct cache_entry *lru_head, *lru_tail;
	size_t used;        /* bytes charged */
	size_t limit;       /* bytes this worker may use */
	size_t max_object;  /* largest body kept */
	uint64_t ttl_ms;
	unsigned ns;        /* cache_select() */
	uint64_t hits, misses, revalidated, evictions;
};

int cache_init(struct cache *c, size_t limit, size_t max_object, uint64_t ttl_ms);
void cache_free(struct cache *c);

/*
 * Several sites share a worker's cache, each with its own bucket and TTL:
 * the serving code selects the site's part (ns, one number per bucket) and
 * TTL before it looks up, stores or refreshes anything, so that the same
 * key in two buckets is two entries, and every call below stays as it is
 * for one site (ns 0, the TTL given to cache_init()).
 */
void cache_select(struct cache *c, unsigned ns, uint64_t ttl_ms);

/* Find key; NULL if absent.  A hit moves the entry to the front. */
struct cache_entry *cache_get(struct cache *c, const char *key, size_t keylen);

/*
 * Insert an object (replacing any entry for the same key), evicting the
 * least recently used entries to stay within the limit.  hdr[i] may be NULL.
 * Returns the entry, or NULL if the object is too large or memory is short.
 */
struct cache_entry *cache_put(struct cache *c, const char *key, size_t keylen,
    const char *const *hdr, const char *body, size_t size, uint64_t now_ms);

/*
 * Remember that key does not exist (and is no directory), so that repeated
 * requests for a missing page cost no S3 request until the TTL passes.
 */
struct cache_entry *cache_put_negative(struct cache *c, const char *key, size_t keylen,
    uint64_t now_ms);

/* The entry was confirmed unchanged by S3: fresh for another TTL. */
void cache_refresh(struct cache *c, struct cache_entry *e, uint64_t now_ms);

/* Drop an entry (S3 says it is gone). */
void cache_remove(struct cache *c, struct cache_entry *e);

/*
 * What to do with a request for key, decided from the cache alone (the
 * caller does the I/O).  plain_get is a GET for the whole object without
 * conditionals; get_or_head is a GET or a HEAD.  A stale copy is never
 * served unchecked: a plain GET fetches the object again (and keeps it),
 * anything else asks S3 with a HEAD whether the copy is current, because
 * passing such requests on would leave the copy stale for as long as only
 * they come (media players send nothing but ranges).  Counts hits and
 * misses.  *e is the entry to answer from or to revalidate, else NULL.
 */
enum cache_action {
	CACHE_HIT,         /* fresh: answer from *e */
	CACHE_HIT_MISSING, /* fresh negative entry: the object does not exist */
	CACHE_REVALIDATE,  /* stale: HEAD If-None-Match, then answer from *e */
	CACHE_FILL,        /* fetch the whole object and keep it; *e, if set, is
	                    * the stale copy that a 304 would refresh */
	CACHE_PASS         /* fetch from S3 and keep nothing */
};
enum cache_action cache_decide(struct cache *c, const char *key, size_t keylen,
    int plain_get, int get_or_head, uint64_t now_ms, struct cache_entry **e);

/* A response is sent from e: keep it alive until cache_release. */
void cache_hold(struct cache_entry *e);
void cache_release(struct cache *c, struct cache_entry *e);

/*
 * What the directory checks found, kept apart from the object cache so
 * that it works with the cache off.  A miss on a name without a dot costs
 * two S3 requests, the object and then dir/index to see whether the name
 * is a directory; the answer to the second is remembered here for the
 * site's cache TTL, so a repeated miss (an SPA route, a probing bot) costs
 * one.  A hit on dir/index (a request for /dir/) teaches the same.  The
 * table is direct-mapped over a 64-bit hash of (part, key): bounded,
 * allocation-free, and a collision only evicts; the hash decides identity,
 * so two keys would have to collide in 64 bits to be confused.
 */
#define CACHE_DIR_SLOTS 2048

struct cache_dir_slot {
	uint64_t hash;         /* 0: empty */
	uint64_t until_ms;
	int exists;
};

struct cache_dirs {
	struct cache_dir_slot slot[CACHE_DIR_SLOTS];
};

/* Remember whether key (a directory's index) exists, until until_ms. */
void cache_dir_put(struct cache_dirs *d, unsigned ns, const char *key, size_t keylen,
    int exists, uint64_t until_ms);

/* 1: it exists, 0: it does not, -1: not known (or no longer). */
int cache_dir_get(const struct cache_dirs *d, unsigned ns, const char *key, size_t keylen,
    uint64_t now_ms);

#endif
