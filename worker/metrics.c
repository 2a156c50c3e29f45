/*
 * metrics.c - the shared counter region and its Prometheus rendering.
 *
 * The region is one fixed struct in a MAP_SHARED anonymous mapping made by
 * the master before it forks, so every worker sees the same memory without
 * any IPC.  Each worker writes only the slot the master gave it, with
 * relaxed atomic adds: nothing orders one counter against another, we only
 * need each add to be indivisible, and relaxed adds cost no more than a
 * locked instruction.  A scrape sums every slot, so whichever worker answers
 * /metrics reports the whole server.
 *
 * Nothing here allocates after metrics_create(): accounting a request is a
 * handful of atomic adds, and rendering writes into the caller's buffer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "metrics.h"

/*
 * The counters are shared between processes.  An atomic that the compiler
 * implements with a lock (libatomic) would take a lock private to each
 * process and so protect nothing, hence the build must fail instead.
 */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
    "64-bit atomics must be lock-free to be shared between processes");

/* One index per tracked status code, then "other". */
enum metrics_status {
#define X(c) ST_##c,
	METRICS_STATUS_CODES
#undef X
	ST_OTHER,
	ST_N
};

static const char *const status_label[ST_N] = {
#define X(c) #c,
	METRICS_STATUS_CODES
#undef X
	"other"
};

static const char *const method_label[MET_NMETHODS] = {
	"GET", "HEAD", "OPTIONS", "other"
};

/* Upstream outcomes: no usable response, then one per status class. */
enum { UP_NONE = 0, UP_1XX, UP_2XX, UP_3XX, UP_4XX, UP_5XX, UP_N };

static const char *const upstream_label[UP_N] = {
	"0", "1xx", "2xx", "3xx", "4xx", "5xx"
};

/*
 * Bucket bounds in microseconds, so that placing an observation is an
 * integer comparison that gives the same answer on every platform; the
 * labels are the same bounds spelled the way Prometheus users expect.
 */
static const uint64_t bucket_us[METRICS_NBUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000
};

static const char *const bucket_label[METRICS_NBUCKETS + 1] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
	"0.5", "1", "2.5", "5", "+Inf"
};

/*
 * A histogram keeps one count per bucket, not cumulative ones: an
 * observation is then a single add, and the cumulative counts and the
 * total are derived at render time, which also guarantees that _count
 * always equals the +Inf bucket even when a scrape races an update.
 */
struct metrics_hist {
	uint64_t bucket[METRICS_NBUCKETS + 1];
	uint64_t sum_us;
};

/*
 * Per-worker counters.  A slot is aligned to a cache line so that two
 * workers counting at the same time never bounce one line between CPUs.
 */
struct metrics_slot {
	_Alignas(64) uint64_t requests[MET_NMETHODS][ST_N];
	uint64_t bytes;
	uint64_t cache[2];  /* misses, hits */
	struct metrics_hist req_time;
	uint64_t upstream[UP_N];
	struct metrics_hist up_time;
	int64_t conns;
	uint64_t heartbeat_ms; /* CLOCK_MONOTONIC of the worker's last tick */
	/* Per site: requests by status class (1xx-5xx) and bytes. */
	uint64_t site_requests[METRICS_MAX_SITES][5];
	uint64_t site_bytes[METRICS_MAX_SITES];
};

struct metrics_region {
	/* Written by the master only. */
	uint64_t worker_restarts;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	int64_t start_time;
	unsigned int next_slot;
	unsigned char in_use[METRICS_MAX_SLOTS];
	char site_name[METRICS_MAX_SITES][METRICS_SITE_NAME]; /* "" : free */
	struct metrics_slot slot[METRICS_MAX_SLOTS];
};

/* Totals over all slots, built on the stack by a scrape. */
struct metrics_totals {
	uint64_t requests[MET_NMETHODS][ST_N];
	uint64_t bytes;
	uint64_t cache[2];  /* misses, hits */
	struct metrics_hist req_time;
	uint64_t upstream[UP_N];
	struct metrics_hist up_time;
	int64_t conns;
};

/*
 * This process's view: the region it renders from and the slot it writes.
 * The master has a region but no slot, so anything it would count by
 * mistake is dropped rather than charged to some worker.
 */
static struct metrics_region *cur_region;
static struct metrics_slot *cur_slot;

/* Longest duration kept, about 31 years; it only bounds the conversion. */
#define METRICS_MAX_US UINT64_C(1000000000000000)

static void
counter_add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
counter_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * Seconds to whole microseconds, rounded to nearest so that a duration
 * given as exactly a bucket bound (0.001 is not exact in binary) lands in
 * that bucket.  Negative and NaN durations, which only a clock step could
 * produce, count as zero.
 */
static uint64_t
seconds_to_us(double seconds)
{
	double us;

	if (!(seconds > 0.0))
		return 0;
	us = seconds * 1e6 + 0.5;
	if (!(us < (double)METRICS_MAX_US))
		return METRICS_MAX_US;
	return (uint64_t)us;
}

static void
hist_observe(struct metrics_hist *h, double seconds)
{
	uint64_t us;
	size_t i;

	us = seconds_to_us(seconds);
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (us <= bucket_us[i])
			break;
	counter_add(&h->bucket[i], 1);
	counter_add(&h->sum_us, us);
}

static int
status_index(int status)
{
	switch (status) {
#define X(c) case c: return ST_##c;
	METRICS_STATUS_CODES
#undef X
	default:
		return ST_OTHER;
	}
}

struct metrics_region *
metrics_create(void)
{
	struct metrics_region *m;
	struct timespec ts;

	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* An anonymous mapping is zero-filled, which is every counter at 0. */
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		m->start_time = (int64_t)ts.tv_sec;
	if (cur_region == NULL)
		cur_region = m;
	return m;
}

void
metrics_destroy(struct metrics_region *m)
{
	if (m == NULL)
		return;
	if (cur_region == m) {
		cur_region = NULL;
		cur_slot = NULL;
	}
	munmap(m, sizeof(*m));
}

/*
 * The gauge of a slot whose worker is gone must drop to zero, since that
 * worker's connections died with it.  The master only does this when no
 * process writes the slot, so a plain store cannot lose a live update.
 */
static void
slot_reset_gauge(struct metrics_region *m, unsigned int i)
{
	__atomic_store_n(&m->slot[i].conns, 0, __ATOMIC_RELAXED);
}

int
metrics_slot_claim(struct metrics_region *m)
{
	unsigned int i, n;

	if (m == NULL)
		return -1;
	/*
	 * Round-robin over the free slots, so a restarted worker rarely gets
	 * the slot of the worker it replaces and both stay visible as long
	 * as possible.  Counters are never cleared: a reused slot keeps what
	 * its earlier owners counted and the new worker adds to it.
	 */
	for (n = 0; n < METRICS_MAX_SLOTS; n++) {
		i = (m->next_slot + n) % METRICS_MAX_SLOTS;
		if (!m->in_use[i]) {
			m->in_use[i] = 1;
			m->next_slot = (i + 1) % METRICS_MAX_SLOTS;
			slot_reset_gauge(m, i);
			return (int)i;
		}
	}
	/*
	 * Every slot belongs to a live worker (or the master forgot to
	 * release dead ones).  Share one: the adds are atomic, so the counts
	 * stay exact, but the gauge is left alone as its owner may be alive.
	 */
	i = m->next_slot % METRICS_MAX_SLOTS;
	m->next_slot = (i + 1) % METRICS_MAX_SLOTS;
	return (int)i;
}

void
metrics_slot_release(struct metrics_region *m, int slot)
{
	if (m == NULL || slot < 0 || slot >= METRICS_MAX_SLOTS)
		return;
	m->in_use[slot] = 0;
	slot_reset_gauge(m, (unsigned int)slot);
}

void
metrics_worker_restart(struct metrics_region *m)
{
	if (m != NULL)
		counter_add(&m->worker_restarts, 1);
}

void
metrics_reload(struct metrics_region *m, int ok)
{
	if (m != NULL)
		counter_add(ok ? &m->reloads_ok : &m->reloads_failed, 1);
}

void
metrics_attach(struct metrics_region *m, int slot)
{
	cur_region = m;
	if (m == NULL || slot < 0 || slot >= METRICS_MAX_SLOTS)
		cur_slot = NULL;
	else
		cur_slot = &m->slot[slot];
}

void
metrics_request(enum metrics_method method, int status, uint64_t bytes_sent,
    double seconds)
{
	struct metrics_slot *s = cur_slot;
	unsigned int mi = (unsigned int)method;

	if (s == NULL)
		return;
	if (mi >= MET_NMETHODS)
		mi = MET_OTHER;
	counter_add(&s->requests[mi][status_index(status)], 1);
	counter_add(&s->bytes, bytes_sent);
	hist_observe(&s->req_time, seconds);
}

int
metrics_site(struct metrics_region *m, const char *name)
{
	int i, free_at = -1;

	if (m == NULL || name[0] == '\0' || strlen(name) >= METRICS_SITE_NAME)
		return -1;
	for (i = 0; i < METRICS_MAX_SITES; i++) {
		if (strcmp(m->site_name[i], name) == 0)
			return i;
		if (m->site_name[i][0] == '\0' && free_at == -1)
			free_at = i;
	}
	/* Written before any worker that counts under the index is forked. */
	if (free_at != -1)
		snprintf(m->site_name[free_at], METRICS_SITE_NAME, "%s", name);
	return free_at;
}

void
metrics_site_request(int site, int status, uint64_t bytes_sent)
{
	struct metrics_slot *s = cur_slot;
	int cls = status / 100;

	if (s == NULL || site < 0 || site >= METRICS_MAX_SITES || cls < 1 || cls > 5)
		return;
	counter_add(&s->site_requests[site][cls - 1], 1);
	counter_add(&s->site_bytes[site], bytes_sent);
}

void
metrics_upstream(int status, double seconds)
{
	struct metrics_slot *s = cur_slot;
	int cls;

	if (s == NULL)
		return;
	/* A status outside 1xx-5xx is no usable HTTP response either. */
	cls = (status >= 100 && status <= 599) ? status / 100 : UP_NONE;
	counter_add(&s->upstream[cls], 1);
	hist_observe(&s->up_time, seconds);
}

void
metrics_cache(int hit)
{
	if (cur_slot != NULL)
		counter_add(&cur_slot->cache[hit ? 1 : 0], 1);
}

void
metrics_conn(int delta)
{
	struct metrics_slot *s = cur_slot;

	if (s != NULL)
		__atomic_fetch_add(&s->conns, (int64_t)delta, __ATOMIC_RELAXED);
}

static void
hist_sum(struct metrics_hist *dst, const struct metrics_hist *src)
{
	size_t i;

	for (i = 0; i <= METRICS_NBUCKETS; i++)
		dst->bucket[i] += counter_get(&src->bucket[i]);
	dst->sum_us += counter_get(&src->sum_us);
}

static void
totals_collect(const struct metrics_region *m, struct metrics_totals *t)
{
	const struct metrics_slot *s;
	size_t i, j, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < METRICS_MAX_SLOTS; i++) {
		s = &m->slot[i];
		for (j = 0; j < MET_NMETHODS; j++)
			for (k = 0; k < ST_N; k++)
				t->requests[j][k] += counter_get(&s->requests[j][k]);
		t->bytes += counter_get(&s->bytes);
		t->cache[0] += counter_get(&s->cache[0]);
		t->cache[1] += counter_get(&s->cache[1]);
		hist_sum(&t->req_time, &s->req_time);
		for (k = 0; k < UP_N; k++)
			t->upstream[k] += counter_get(&s->upstream[k]);
		hist_sum(&t->up_time, &s->up_time);
		t->conns += __atomic_load_n(&s->conns, __ATOMIC_RELAXED);
	}
}

/* A bounded writer: once something does not fit, everything after fails. */
struct out {
	char *buf;
	size_t len;
	size_t size;
	int overflow;
};

static void out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

static void
out_family(struct out *o, const char *name, const char *type,
    const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
out_hist(struct out *o, const char *name, const char *help,
    const struct metrics_hist *h)
{
	uint64_t cum = 0;
	size_t i;

	out_family(o, name, "histogram", help);
	for (i = 0; i <= METRICS_NBUCKETS; i++) {
		cum += h->bucket[i];
		out_printf(o, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
		    bucket_label[i], cum);
	}
	/* Microseconds printed as exact decimal seconds, no float rounding. */
	out_printf(o, "%s_sum %" PRIu64 ".%06" PRIu64 "\n", name,
	    h->sum_us / 1000000, h->sum_us % 1000000);
	out_printf(o, "%s_count %" PRIu64 "\n", name, cum);
}

/*
 * The per-site families, for every site name the server has had: summed
 * over the slots here rather than in metrics_totals, which would grow by
 * the whole site table on every scrape's stack.
 */
static void
render_sites(struct out *o, const struct metrics_region *m)
{
	static const char *const cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	size_t i, j, k;

	out_family(o, "s3wwwd_site_requests_total", "counter",
	    "HTTP requests answered for each site, by status class.");
	for (i = 0; i < METRICS_MAX_SITES; i++) {
		if (m->site_name[i][0] == '\0')
			continue;
		for (k = 0; k < 5; k++) {
			uint64_t v = 0;

			for (j = 0; j < METRICS_MAX_SLOTS; j++)
				v += counter_get(&m->slot[j].site_requests[i][k]);
			out_printf(o, "s3wwwd_site_requests_total{site=\"%s\",code=\"%s\"} %"
			    PRIu64 "\n", m->site_name[i], cls[k], v);
		}
	}
	out_family(o, "s3wwwd_site_response_bytes_total", "counter",
	    "Bytes of HTTP responses sent for each site, headers and body.");
	for (i = 0; i < METRICS_MAX_SITES; i++) {
		uint64_t v = 0;

		if (m->site_name[i][0] == '\0')
			continue;
		for (j = 0; j < METRICS_MAX_SLOTS; j++)
			v += counter_get(&m->slot[j].site_bytes[i]);
		out_printf(o, "s3wwwd_site_response_bytes_total{site=\"%s\"} %" PRIu64 "\n",
		    m->site_name[i], v);
	}
}

ssize_t
metrics_render(char *buf, size_t bufsz)
{
	const struct metrics_region *m = cur_region;
	struct metrics_totals t;
	struct out o;
	size_t j, k;
	uint64_t v;

	if (m == NULL || buf == NULL || bufsz == 0)
		return -1;
	totals_collect(m, &t);
	o.buf = buf;
	o.len = 0;
	o.size = bufsz;
	o.overflow = 0;

	out_family(&o, "s3wwwd_http_requests_total", "counter",
	    "HTTP requests answered, by method and status code.");
	for (j = 0; j < MET_NMETHODS; j++) {
		for (k = 0; k < ST_N; k++) {
			v = t.requests[j][k];
			/* GET 200 always, so the family is never empty. */
			if (v == 0 && !(j == MET_GET && k == ST_200))
				continue;
			out_printf(&o, "s3wwwd_http_requests_total{method=\"%s\","
			    "code=\"%s\"} %" PRIu64 "\n", method_label[j],
			    status_label[k], v);
		}
	}
	out_family(&o, "s3wwwd_http_response_bytes_total", "counter",
	    "Bytes of HTTP responses sent, headers and body.");
	out_printf(&o, "s3wwwd_http_response_bytes_total %" PRIu64 "\n",
	    t.bytes);
	out_family(&o, "s3wwwd_cache_lookups_total", "counter",
	    "Lookups in the hot-object cache, by result (a stale copy counts as a miss).");
	out_printf(&o, "s3wwwd_cache_lookups_total{result=\"hit\"} %" PRIu64 "\n"
	    "s3wwwd_cache_lookups_total{result=\"miss\"} %" PRIu64 "\n", t.cache[1],
	    t.cache[0]);
	out_hist(&o, "s3wwwd_http_request_duration_seconds",
	    "Time from the start of a request to the end of its response.",
	    &t.req_time);

	out_family(&o, "s3wwwd_upstream_requests_total", "counter",
	    "Requests to the S3 backend, by status class; code 0 means no "
	    "response.");
	for (k = 0; k < UP_N; k++)
		out_printf(&o, "s3wwwd_upstream_requests_total{code=\"%s\"} %"
		    PRIu64 "\n", upstream_label[k], t.upstream[k]);
	out_hist(&o, "s3wwwd_upstream_duration_seconds",
	    "Duration of requests to the S3 backend.", &t.up_time);

	render_sites(&o, m);

	out_family(&o, "s3wwwd_connections_open", "gauge",
	    "Client connections currently open.");
	out_printf(&o, "s3wwwd_connections_open %" PRId64 "\n",
	    t.conns > 0 ? t.conns : 0);
	out_family(&o, "s3wwwd_worker_restarts_total", "counter",
	    "Worker processes started again after one exited.");
	out_printf(&o, "s3wwwd_worker_restarts_total %" PRIu64 "\n",
	    counter_get(&m->worker_restarts));
	out_family(&o, "s3wwwd_reloads_total", "counter",
	    "Configuration reloads, by result.");
	out_printf(&o, "s3wwwd_reloads_total{result=\"ok\"} %" PRIu64 "\n"
	    "s3wwwd_reloads_total{result=\"failed\"} %" PRIu64 "\n",
	    counter_get(&m->reloads_ok), counter_get(&m->reloads_failed));
	out_family(&o, "s3wwwd_start_time_seconds", "gauge",
	    "Start time of the server since the Unix epoch, in seconds.");
	out_printf(&o, "s3wwwd_start_time_seconds %" PRId64 "\n",
	    m->start_time);

	if (o.overflow)
		return -1;
	return (ssize_t)o.len;
}

/*
 * The worker's loop stamps its slot on every tick; the master reads the
 * stamp to tell a worker that is alive from one that is stuck, without
 * any message passing.
 */
void
metrics_heartbeat(void)
{
	struct timespec ts;

	if (cur_slot == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	__atomic_store_n(&cur_slot->heartbeat_ms,
	    (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, __ATOMIC_RELAXED);
}

uint64_t
metrics_slot_heartbeat(const struct metrics_region *m, int slot)
{
	if (m == NULL || slot < 0 || slot >= METRICS_MAX_SLOTS)
		return 0;
	return __atomic_load_n(&m->slot[slot].heartbeat_ms, __ATOMIC_RELAXED);
}
