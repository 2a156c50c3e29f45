/*
 * check_metrics.c - unit tests for the shared metrics region.
 *
 * The point of the region is that separate processes count into one piece
 * of memory, so the main tests fork real children that attach and count,
 * and only the parent renders: if the mapping were not really shared the
 * parent would see zeros.  The rest checks the exposition text itself,
 * since a scraper rejects a whole page over one malformed line.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "metrics.h"

static char page[METRICS_RENDER_MAX];

/* Render into the static page, failing the test if it does not fit. */
static const char *
render(void)
{
	ssize_t n;

	n = metrics_render(page, sizeof(page));
	ck_assert_msg(n > 0, "metrics_render failed");
	ck_assert_uint_eq(strlen(page), (size_t)n);
	return page;
}

/*
 * The value of the sample whose name and labels are exactly series, as
 * the text after it; NULL when the series is absent.
 */
static const char *
sample_text(const char *text, const char *series)
{
	size_t len = strlen(series);
	const char *p = text;

	while (*p != '\0') {
		if (strncmp(p, series, len) == 0 && p[len] == ' ')
			return p + len + 1;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return NULL;
}

static uint64_t
sample(const char *text, const char *series)
{
	const char *v;
	char *end;
	uint64_t n;

	v = sample_text(text, series);
	ck_assert_msg(v != NULL, "series %s missing", series);
	n = strtoull(v, &end, 10);
	ck_assert_msg(end != v && *end == '\n', "series %s not an integer",
	    series);
	return n;
}

/* Compare the value of series with an exact string (sums, gauges). */
static void
assert_sample_str(const char *text, const char *series, const char *want)
{
	const char *v;
	size_t len = strlen(want);

	v = sample_text(text, series);
	ck_assert_msg(v != NULL, "series %s missing", series);
	ck_assert_msg(strncmp(v, want, len) == 0 && v[len] == '\n',
	    "series %s: want %s, got %.30s", series, want, v);
}

static void
wait_children(const pid_t *pids, int n)
{
	int i, st;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child %d failed (status %d)", i, st);
	}
}

/* Four workers on four slots: the parent must see all their counts. */
START_TEST(test_fork_totals)
{
	struct metrics_region *m;
	const char *t;
	pid_t pids[4];
	int i, j, slot;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < 4; i++) {
		slot = metrics_slot_claim(m);
		ck_assert_int_eq(slot, i);
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0) {
			metrics_attach(m, slot);
			for (j = 0; j < 1000; j++) {
				metrics_request(MET_GET, 200, 100, 0.002);
				metrics_request(MET_HEAD, 404, 0, 0.0);
				metrics_upstream(200, 0.01);
				metrics_upstream(0, 0.3);
			}
			for (j = 0; j <= slot; j++)
				metrics_conn(1);
			_exit(0);
		}
	}
	wait_children(pids, 4);

	/* The parent is the master: it renders without a slot of its own. */
	t = render();
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_requests_total{method=\"GET\",code=\"200\"}"), 4000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_requests_total{method=\"HEAD\",code=\"404\"}"), 4000);
	ck_assert_uint_eq(sample(t, "s3wwwd_http_response_bytes_total"),
	    400000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_request_duration_seconds_bucket{le=\"0.001\"}"), 4000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_request_duration_seconds_bucket{le=\"0.0025\"}"),
	    8000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_request_duration_seconds_count"), 8000);
	assert_sample_str(t, "s3wwwd_http_request_duration_seconds_sum",
	    "8.000000");
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_requests_total{code=\"2xx\"}"), 4000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_requests_total{code=\"0\"}"), 4000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_requests_total{code=\"5xx\"}"), 0);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_duration_seconds_bucket{le=\"0.005\"}"), 0);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_duration_seconds_bucket{le=\"0.01\"}"), 4000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_duration_seconds_bucket{le=\"0.25\"}"), 4000);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_duration_seconds_bucket{le=\"0.5\"}"), 8000);
	assert_sample_str(t, "s3wwwd_upstream_duration_seconds_sum",
	    "1240.000000");
	ck_assert_uint_eq(sample(t, "s3wwwd_connections_open"), 10);
	metrics_destroy(m);
}
END_TEST

/*
 * Two processes hammer one slot at the same moment.  Non-atomic updates
 * would lose increments; the total must be exact.  The children meet at a
 * spinning barrier in a shared page so that their loops really overlap.
 */
START_TEST(test_shared_slot_exact)
{
	enum { PER_CHILD = 500000 };
	struct metrics_region *m;
	unsigned int *ready;
	pid_t pids[2];
	int i, j, slot;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ready, MAP_FAILED);
	slot = metrics_slot_claim(m);
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0) {
			metrics_attach(m, slot);
			__atomic_fetch_add(ready, 1, __ATOMIC_SEQ_CST);
			while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) < 2)
				;
			for (j = 0; j < PER_CHILD; j++) {
				metrics_request(MET_GET, 200, 1, 0.0);
				metrics_conn(1);
			}
			_exit(0);
		}
	}
	wait_children(pids, 2);
	munmap(ready, sizeof(*ready));
	metrics_attach(m, -1);
	render();
	ck_assert_uint_eq(sample(page,
	    "s3wwwd_http_requests_total{method=\"GET\",code=\"200\"}"),
	    2 * PER_CHILD);
	ck_assert_uint_eq(sample(page, "s3wwwd_http_response_bytes_total"),
	    2 * PER_CHILD);
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"),
	    2 * PER_CHILD);
	metrics_destroy(m);
}
END_TEST

#define REQ_BUCKET(le) "s3wwwd_http_request_duration_seconds_bucket{le=\"" \
	le "\"}"

/* Bounds are inclusive ("le"), decided on whole microseconds. */
START_TEST(test_bucket_boundaries)
{
	static const double obs[] = {
		0.0,        /* le 0.001 */
		0.001,      /* le 0.001: exactly the bound */
		0.0010004,  /* le 0.001: rounds to 1000 us */
		0.0010006,  /* le 0.0025: rounds to 1001 us */
		0.0025,     /* le 0.0025 */
		1.0,        /* le 1 */
		5.0,        /* le 5 */
		5.000001,   /* +Inf only */
		-1.0,       /* clock step: counted as 0 */
		NAN,        /* counted as 0 */
		INFINITY,   /* +Inf, clamped */
		1e300       /* +Inf, clamped */
	};
	struct metrics_region *m;
	const char *t;
	size_t i;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, metrics_slot_claim(m));
	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		metrics_request(MET_GET, 200, 0, obs[i]);
	t = render();
	ck_assert_uint_eq(sample(t, REQ_BUCKET("0.001")), 5);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("0.0025")), 7);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("0.005")), 7);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("0.5")), 7);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("1")), 8);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("2.5")), 8);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("5")), 9);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("+Inf")), 12);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_request_duration_seconds_count"), 12);
	/*
	 * 1000 + 1000 + 1001 + 2500 + 1000000 + 5000000 + 5000001 us, plus
	 * twice the clamp of 1e15 us.
	 */
	assert_sample_str(t, "s3wwwd_http_request_duration_seconds_sum",
	    "2000000011.005502");
	metrics_destroy(m);
}
END_TEST

/*
 * Walk a histogram family in the page: buckets must be cumulative (never
 * decreasing), end with +Inf, and +Inf must equal _count.
 */
static void
assert_histogram(const char *text, const char *name)
{
	char prefix[128], series[160];
	const char *p = text;
	uint64_t prev = 0, v = 0;
	int nb = 0, inf = 0;
	size_t plen;

	snprintf(prefix, sizeof(prefix), "%s_bucket{le=\"", name);
	plen = strlen(prefix);
	while ((p = strstr(p, prefix)) != NULL) {
		ck_assert_msg(!inf, "%s: bucket after +Inf", name);
		inf = strncmp(p + plen, "+Inf\"", 5) == 0;
		p = strchr(p, ' ');
		ck_assert_ptr_nonnull(p);
		v = strtoull(p + 1, NULL, 10);
		ck_assert_msg(v >= prev, "%s: buckets not cumulative", name);
		prev = v;
		nb++;
	}
	ck_assert_int_eq(nb, METRICS_NBUCKETS + 1);
	ck_assert_msg(inf, "%s: no +Inf bucket", name);
	snprintf(series, sizeof(series), "%s_count", name);
	ck_assert_uint_eq(sample(text, series), v);
}

START_TEST(test_cumulative_buckets)
{
	struct metrics_region *m;
	const char *t;
	int i;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, metrics_slot_claim(m));
	/* Spread over every bucket, several times over. */
	for (i = 0; i < 700; i++) {
		metrics_request(MET_GET, 200, 0, (double)i * 0.009);
		metrics_upstream(200, (double)i * 0.0001);
	}
	t = render();
	assert_histogram(t, "s3wwwd_http_request_duration_seconds");
	assert_histogram(t, "s3wwwd_upstream_duration_seconds");
	ck_assert_uint_eq(sample(t, REQ_BUCKET("+Inf")), 700);
	/* 0.009 * 0..111 fit within 1 s; 0.009 * 556 = 5.004 does not. */
	ck_assert_uint_eq(sample(t, REQ_BUCKET("1")), 112);
	ck_assert_uint_eq(sample(t, REQ_BUCKET("5")), 556);
	metrics_destroy(m);
}
END_TEST

#define GET200 "s3wwwd_http_requests_total{method=\"GET\",code=\"200\"}"

/*
 * A restarted worker may land on a slot used before: the counts of the dead
 * worker stay (counters never go down), its open connections do not.
 */
START_TEST(test_slot_reuse)
{
	struct metrics_region *m;
	int i, slot, s;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	slot = metrics_slot_claim(m);
	ck_assert_int_eq(slot, 0);
	metrics_attach(m, slot);
	for (i = 0; i < 5; i++)
		metrics_request(MET_GET, 200, 10, 0.0);
	metrics_conn(3);
	render();
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"), 3);

	/* The worker dies; the master reaps it and releases its slot. */
	metrics_attach(m, -1);
	metrics_slot_release(m, slot);
	render();
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"), 0);
	ck_assert_uint_eq(sample(page, GET200), 5);

	/* Round-robin: every other slot comes first, then slot 0 again. */
	for (i = 1; i < METRICS_MAX_SLOTS; i++) {
		s = metrics_slot_claim(m);
		ck_assert_int_eq(s, i);
		metrics_slot_release(m, s);
	}
	/*
	 * A write that raced the release (the dying worker) must not leak
	 * into the next owner's gauge either: claiming zeroes it again.
	 */
	metrics_attach(m, slot);
	metrics_conn(4);
	metrics_attach(m, -1);
	ck_assert_int_eq(metrics_slot_claim(m), slot);
	render();
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"), 0);
	ck_assert_uint_eq(sample(page, GET200), 5);

	/* The new owner adds to the old counts. */
	metrics_attach(m, slot);
	metrics_request(MET_GET, 200, 10, 0.0);
	metrics_request(MET_GET, 200, 10, 0.0);
	metrics_conn(1);
	render();
	ck_assert_uint_eq(sample(page, GET200), 7);
	ck_assert_uint_eq(sample(page, "s3wwwd_http_response_bytes_total"),
	    70);
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"), 1);
	metrics_destroy(m);
}
END_TEST

/*
 * With every slot held by a live worker, a claim shares a slot and must
 * leave its gauge alone, since its owner's connections are still open.
 */
START_TEST(test_slots_exhausted)
{
	struct metrics_region *m;
	int i, s;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < METRICS_MAX_SLOTS; i++)
		ck_assert_int_eq(metrics_slot_claim(m), i);
	metrics_attach(m, 0);
	metrics_conn(2);
	metrics_request(MET_GET, 200, 0, 0.0);
	s = metrics_slot_claim(m);
	ck_assert_int_eq(s, 0);
	metrics_attach(m, s);
	metrics_conn(1);
	metrics_request(MET_GET, 200, 0, 0.0);
	render();
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"), 3);
	ck_assert_uint_eq(sample(page, GET200), 2);
	/* Releasing one makes it the next claim. */
	metrics_slot_release(m, 17);
	ck_assert_int_eq(metrics_slot_claim(m), 17);
	metrics_destroy(m);
}
END_TEST

/* A buffer too small fails and never writes a byte past its end. */
START_TEST(test_buffer_too_small)
{
	static char big[METRICS_RENDER_MAX + 64];
	static char want[METRICS_RENDER_MAX];
	struct metrics_region *m;
	size_t sizes[8], i, j, len;
	ssize_t n;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, metrics_slot_claim(m));
	metrics_request(MET_OPTIONS, 204, 5, 0.01);
	n = metrics_render(want, sizeof(want));
	ck_assert_int_gt(n, 0);
	len = (size_t)n;

	sizes[0] = 0;
	sizes[1] = 1;
	sizes[2] = 2;
	sizes[3] = len / 2;
	sizes[4] = len - 1;
	sizes[5] = len;      /* no room for the NUL */
	sizes[6] = len + 1;  /* exactly enough */
	sizes[7] = len + 2;
	for (i = 0; i < 8; i++) {
		memset(big, 0xa5, sizeof(big));
		n = metrics_render(big, sizes[i]);
		if (sizes[i] <= len) {
			ck_assert_msg(n == -1, "size %zu: got %zd", sizes[i], n);
		} else {
			ck_assert_int_eq(n, (ssize_t)len);
			ck_assert_str_eq(big, want);
		}
		for (j = sizes[i]; j < sizeof(big); j++)
			ck_assert_msg((unsigned char)big[j] == 0xa5,
			    "size %zu: byte %zu written", sizes[i], j);
	}
	/* Every size in between, coarsely, must fail cleanly too. */
	for (i = 3; i < len; i += 97) {
		big[i] = (char)0xa5;
		ck_assert_int_eq(metrics_render(big, i), -1);
		ck_assert_int_eq((unsigned char)big[i], 0xa5);
	}
	ck_assert_int_eq(metrics_render(NULL, 100), -1);
	metrics_destroy(m);
}
END_TEST

static int
is_name_start(int c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == ':';
}

/*
 * Check one sample line: name, optional {label="value",...}, one space,
 * a number.  Returns the length of the metric name, 0 if malformed.
 */
static size_t
parse_sample(const char *line, size_t len)
{
	size_t i = 0, namelen;
	char num[64], *end;

	if (len == 0 || !is_name_start((unsigned char)line[0]))
		return 0;
	while (i < len && is_name_char((unsigned char)line[i]))
		i++;
	namelen = i;
	if (i < len && line[i] == '{') {
		i++;
		for (;;) {
			if (i >= len || !(isalpha((unsigned char)line[i]) ||
			    line[i] == '_'))
				return 0;
			while (i < len && (isalnum((unsigned char)line[i]) ||
			    line[i] == '_'))
				i++;
			if (i + 1 >= len || line[i] != '=' || line[i + 1] != '"')
				return 0;
			i += 2;
			while (i < len && line[i] != '"' && line[i] != '\\')
				i++;
			if (i >= len || line[i] != '"')
				return 0;
			i++;
			if (i < len && line[i] == ',') {
				i++;
				continue;
			}
			if (i < len && line[i] == '}') {
				i++;
				break;
			}
			return 0;
		}
	}
	if (i >= len || line[i] != ' ')
		return 0;
	i++;
	if (len - i == 0 || len - i >= sizeof(num))
		return 0;
	memcpy(num, line + i, len - i);
	num[len - i] = '\0';
	if (!(isdigit((unsigned char)num[0]) || num[0] == '+' || num[0] == '-'))
		return 0;
	(void)strtod(num, &end);
	if (*end != '\0')
		return 0;
	return namelen;
}

/*
 * Every line is a HELP, a TYPE or a sample, and every sample belongs to
 * the family of the last TYPE line (histogram samples add a suffix).
 */
static int
check_page(const char *text, size_t *nsamples)
{
	char family[128] = "";
	const char *p = text, *nl;
	size_t len, namelen, flen;
	char *sp;

	*nsamples = 0;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return -1; /* last line unterminated */
		len = (size_t)(nl - p);
		if (len == 0)
			return -1;
		if (strncmp(p, "# TYPE ", 7) == 0) {
			if (len - 7 >= sizeof(family))
				return -1;
			memcpy(family, p + 7, len - 7);
			family[len - 7] = '\0';
			sp = strchr(family, ' ');
			if (sp == NULL)
				return -1;
			*sp = '\0';
		} else if (strncmp(p, "# HELP ", 7) == 0) {
			/* Help comes first, before its TYPE. */
		} else if (p[0] == '#') {
			return -1;
		} else {
			namelen = parse_sample(p, len);
			flen = strlen(family);
			if (namelen == 0 || flen == 0 || namelen < flen ||
			    strncmp(p, family, flen) != 0)
				return -1;
			if (namelen != flen &&
			    strncmp(p + flen, "_bucket", namelen - flen) != 0 &&
			    strncmp(p + flen, "_sum", namelen - flen) != 0 &&
			    strncmp(p + flen, "_count", namelen - flen) != 0)
				return -1;
			(*nsamples)++;
		}
		p = nl + 1;
	}
	return 0;
}

static void
fill_everything(void)
{
	static const int codes[] = {
		200, 204, 206, 301, 304, 400, 403, 404, 405, 408, 412, 414,
		416, 431, 500, 501, 502, 503, 504, 505, 418
	};
	static const double times[] = {
		0.0005, 0.002, 0.004, 0.008, 0.02, 0.04, 0.08, 0.2, 0.4,
		0.8, 2.0, 4.0, 8.0
	};
	size_t i, j;

	for (i = 0; i < MET_NMETHODS; i++)
		for (j = 0; j < sizeof(codes) / sizeof(codes[0]); j++)
			metrics_request((enum metrics_method)i, codes[j],
			    UINT64_C(1) << 40, 0.1);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		metrics_request(MET_GET, 200, 1, times[i]);
		metrics_upstream(100 + (int)(i % 5) * 100, times[i]);
	}
	metrics_upstream(0, 1.0);
	metrics_conn(5);
}

START_TEST(test_output_parses)
{
	struct metrics_region *m;
	size_t n;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	/* Empty region first: must already be a valid page. */
	ck_assert_int_eq(check_page(render(), &n), 0);
	ck_assert_msg(sample_text(page, GET200) != NULL,
	    "GET 200 series must always be there");
	metrics_attach(m, metrics_slot_claim(m));
	fill_everything();
	metrics_worker_restart(m);
	metrics_reload(m, 1);
	metrics_reload(m, 0);
	ck_assert_msg(check_page(render(), &n) == 0, "bad page:\n%s", page);
	ck_assert_uint_gt(n, 100);
	metrics_destroy(m);
}
END_TEST

/*
 * METRICS_RENDER_MAX must hold the largest page: every series present and
 * every value at 20 digits, the most a uint64_t prints.
 */
START_TEST(test_render_max_fits)
{
	struct metrics_region *m;
	size_t n, len;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, metrics_slot_claim(m));
	fill_everything();
	len = strlen(render());
	ck_assert_int_eq(check_page(page, &n), 0);
	/* Every series shows now (4 x 21 + the rest), each could grow. */
	ck_assert_uint_ge(n, MET_NMETHODS * 21);
	ck_assert_msg(len + n * 21 < METRICS_RENDER_MAX,
	    "worst case %zu bytes", len + n * 21);
	metrics_destroy(m);
}
END_TEST

START_TEST(test_methods_and_codes)
{
	struct metrics_region *m;
	const char *t;

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, metrics_slot_claim(m));
	metrics_request(MET_OTHER, 200, 0, 0.0);
	metrics_request((enum metrics_method)42, 200, 0, 0.0);
	metrics_request(MET_GET, 418, 0, 0.0);
	metrics_request(MET_GET, -1, 0, 0.0);
	metrics_request(MET_HEAD, 304, 0, 0.0);
	metrics_upstream(199, 0.0);
	metrics_upstream(404, 0.0);
	metrics_upstream(600, 0.0);
	metrics_upstream(-5, 0.0);
	t = render();
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_requests_total{method=\"other\",code=\"200\"}"), 2);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_requests_total{method=\"GET\",code=\"other\"}"), 2);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_http_requests_total{method=\"HEAD\",code=\"304\"}"), 1);
	/* Zero series are left out, except GET 200. */
	ck_assert_uint_eq(sample(t, GET200), 0);
	ck_assert_ptr_null(sample_text(t,
	    "s3wwwd_http_requests_total{method=\"HEAD\",code=\"200\"}"));
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_requests_total{code=\"1xx\"}"), 1);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_requests_total{code=\"4xx\"}"), 1);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_upstream_requests_total{code=\"0\"}"), 2);
	metrics_destroy(m);
}
END_TEST

START_TEST(test_global_counters)
{
	struct metrics_region *m;
	struct timespec ts;
	time_t before, after;
	uint64_t start;
	const char *t;

	/*
	 * The same clock as metrics_create(): time(NULL) reads the coarse
	 * clock, which can still show the previous second.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	before = ts.tv_sec;
	m = metrics_create();
	clock_gettime(CLOCK_REALTIME, &ts);
	after = ts.tv_sec;
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, -1);
	metrics_worker_restart(m);
	metrics_worker_restart(m);
	metrics_worker_restart(m);
	metrics_reload(m, 1);
	metrics_reload(m, 1);
	metrics_reload(m, 0);
	t = render();
	ck_assert_uint_eq(sample(t, "s3wwwd_worker_restarts_total"), 3);
	ck_assert_uint_eq(sample(t, "s3wwwd_reloads_total{result=\"ok\"}"), 2);
	ck_assert_uint_eq(sample(t,
	    "s3wwwd_reloads_total{result=\"failed\"}"), 1);
	start = sample(t, "s3wwwd_start_time_seconds");
	ck_assert_uint_ge(start, (uint64_t)before);
	ck_assert_uint_le(start, (uint64_t)after);
	metrics_destroy(m);
}
END_TEST

/* Without a slot (the master, or a bad index) counting is a no-op. */
START_TEST(test_unattached)
{
	struct metrics_region *m;

	metrics_attach(NULL, -1);
	metrics_request(MET_GET, 200, 1, 0.1);
	metrics_upstream(200, 0.1);
	metrics_conn(1);
	ck_assert_int_eq(metrics_render(page, sizeof(page)), -1);

	m = metrics_create();
	ck_assert_ptr_nonnull(m);
	metrics_attach(m, METRICS_MAX_SLOTS);
	metrics_request(MET_GET, 200, 1, 0.1);
	metrics_conn(1);
	render();
	ck_assert_uint_eq(sample(page, GET200), 0);
	ck_assert_uint_eq(sample(page, "s3wwwd_connections_open"), 0);
	metrics_destroy(m);
	/* Destroying the current region leaves nothing to render. */
	ck_assert_int_eq(metrics_render(page, sizeof(page)), -1);
	ck_assert_int_eq(metrics_slot_claim(NULL), -1);
	metrics_slot_release(NULL, 0);
	metrics_destroy(NULL);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("metrics");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fork_totals);
	tcase_add_test(tc, test_shared_slot_exact);
	tcase_add_test(tc, test_bucket_boundaries);
	tcase_add_test(tc, test_cumulative_buckets);
	tcase_add_test(tc, test_slot_reuse);
	tcase_add_test(tc, test_slots_exhausted);
	tcase_add_test(tc, test_buffer_too_small);
	tcase_add_test(tc, test_output_parses);
	tcase_add_test(tc, test_render_max_fits);
	tcase_add_test(tc, test_methods_and_codes);
	tcase_add_test(tc, test_global_counters);
	tcase_add_test(tc, test_unattached);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(metrics_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
