/*
 * metrics.h - counters shared by all workers, rendered as Prometheus text.
 *
 * The master maps one shared anonymous region before it forks, with a slot
 * per worker process.  A worker only ever writes its own slot (relaxed
 * atomics, no locks), and whichever worker answers /metrics sums all slots,
 * so the numbers cover the whole server whatever worker a scrape lands on.
 * Slots outlive the process that wrote them, so counters survive a worker
 * restart and a reload.
 */
#ifndef S3WWWD_METRICS_H
#define S3WWWD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define METRICS_MAX_SLOTS 256  /* worker slots, reused round-robin */
#define METRICS_NBUCKETS 12    /* latency histogram buckets (+Inf extra) */
#define METRICS_MAX_SITES 64   /* site names counted apart, over the server's life */
#define METRICS_SITE_NAME 64

/* Methods and status classes are folded to keep the table fixed-size. */
enum metrics_method { MET_GET = 0, MET_HEAD, MET_OPTIONS, MET_OTHER, MET_NMETHODS };

/* Status codes tracked individually; anything else lands in "other". */
#define METRICS_STATUS_CODES \
	X(200) X(204) X(206) X(301) X(304) X(400) X(403) X(404) X(405) \
	X(408) X(412) X(414) X(416) X(421) X(431) X(500) X(501) X(502) X(503) \
	X(504) X(505)

struct metrics_region; /* opaque, shared */

/* Master: create the shared region (mmap MAP_SHARED|MAP_ANONYMOUS). */
struct metrics_region *metrics_create(void);
void metrics_destroy(struct metrics_region *m);

/*
 * Master: claim a slot for a new worker; returns its index.  Free slots are
 * taken round-robin and keep their counters; the open-connections gauge is
 * zeroed.  When every slot is taken, a slot is shared (counts stay exact).
 */
int metrics_slot_claim(struct metrics_region *m);
/*
 * Master: the worker on this slot has exited (reaped).  Its open
 * connections are gone, so the gauge drops to zero, and the slot, counters
 * kept, becomes free for metrics_slot_claim().
 */
void metrics_slot_release(struct metrics_region *m, int slot);
/* Master-wide counters. */
void metrics_worker_restart(struct metrics_region *m);
void metrics_reload(struct metrics_region *m, int ok);

/*
 * Master: the counter index of a site name, the same across reloads so a
 * site's counters never go back; a new name takes a free index.  Returns
 * -1 when METRICS_MAX_SITES names were seen already (the site's requests
 * are then counted in the totals only).
 */
int metrics_site(struct metrics_region *m, const char *name);

/* Worker: select the slot this process writes. */
void metrics_attach(struct metrics_region *m, int slot);

/* Worker: account for one finished request. */
void metrics_request(enum metrics_method method, int status,
    uint64_t bytes_sent, double seconds);
/* Worker: the same request, counted for its site (an index of metrics_site()). */
void metrics_site_request(int site, int status, uint64_t bytes_sent);
/* Worker: one upstream (MinIO) request finished; status 0 = no response. */
void metrics_upstream(int status, double seconds);
/* Worker: one lookup in the hot-object cache. */
void metrics_cache(int hit);
/* Worker: connection opened (+1) or closed (-1). */
void metrics_conn(int delta);

/*
 * Render everything in Prometheus text exposition format 0.0.4 into buf,
 * NUL-terminated, from the region of metrics_attach() (or, in the master,
 * metrics_create()).  Returns the length without the NUL, or -1 if buf is
 * too small or there is no region.  METRICS_RENDER_MAX bytes always fit.
 */
#define METRICS_RENDER_MAX 49152
ssize_t metrics_render(char *buf, size_t bufsz);

/* Worker: stamp this slot with the monotonic time (once per loop tick). */
void metrics_heartbeat(void);
/* Master: the last stamp of a slot in ms (CLOCK_MONOTONIC), 0 if never. */
uint64_t metrics_slot_heartbeat(const struct metrics_region *m, int slot);

#endif
