/*
 * s3wwwd-seed - create a bucket and upload a website into it, for the demo,
 * the integration tests and as a Kubernetes Job next to s3wwwd.
 *
 * The run has three steps, each finished before the next begins: gather the
 * sources (so that a missing file or a failed download changes nothing in
 * the bucket), upload (assets before HTML pages, so that a page never refers
 * to an asset that is not there yet), and with --sync delete what the
 * sources no longer have (only when everything before succeeded).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "creds.h"
#include "env.h"
#include "log.h"
#include "s3.h"
#include "seed.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define SEED_CRED_MAX 128
#define SEED_ENV_NAME_MAX 64

/* The MD5 of nothing, the body of a redirect. */
#define SEED_MD5_EMPTY_HEX "d41d8cd98f00b204e9800998ecf8427e"
#define SEED_MD5_EMPTY_B64 "1B2M2Y8AsgTpgAmY7PhCfg=="

volatile sig_atomic_t seed_interrupted;

struct seed_source {
	int is_url;
	const char *arg;
	char *url;	/* for a URL: what to download */
	char *key;	/* and the key to store it under, before the prefix */
};

/*
 * A --put or --website-document: split and checked before any request,
 * gathered with the other sources.
 */
struct seed_putarg {
	int website;	/* --website-document: checked, application/xml, last */
	const char *arg;
	char *file;
	char *key;	/* before the prefix */
};

/* A --redirect or --redirects, read in order once the prefix is known. */
struct seed_rdarg {
	int is_file;
	const char *arg;
};

struct seed_opts {
	const char *endpoint;
	const char *bucket;
	const char *region;
	int virtual_host;
	const char *access_key;
	const char *access_key_file;
	const char *secret_key;
	const char *secret_key_file;
	const char *ca_bundle;
	int insecure;
	struct seed_source *src;
	size_t nsrc;
	struct seed_rdarg *rdarg;
	size_t nrdarg;
	struct seed_putarg *put;
	size_t nput;
	struct seed_redirects redirects;	/* checked, keys prefixed */
	char prefix[S3_KEY_MAX + 1];
	const char *cache_control;
	int only_changed;
	int sync;
	double wait;
	int64_t threshold;
	int64_t part_size;
	int quiet;
	int verbose;
	int dry_run;
	const char *export_dir;		/* --export */
	const char *restore_dir;	/* --restore */
};

struct seed_run {
	struct seed_opts *o;
	struct seed_s3 s3;
	struct seed_files files;
	int bucket_existed;
	size_t uploaded;
	size_t unchanged;
	size_t deleted;
	int64_t bytes;
	struct seed_bk bk;	/* --export, --restore */
};

enum {
	OPT_VIRTUAL_HOST = 256,
	OPT_ACCESS_KEY,
	OPT_ACCESS_KEY_FILE,
	OPT_SECRET_KEY,
	OPT_SECRET_KEY_FILE,
	OPT_CA_BUNDLE,
	OPT_ONLY_CHANGED,
	OPT_SYNC,
	OPT_THRESHOLD,
	OPT_PART_SIZE,
	OPT_EXPORT,
	OPT_RESTORE,
	OPT_REDIRECT,
	OPT_REDIRECTS,
	OPT_PUT,
	OPT_WEBSITE_DOCUMENT,
};

static const struct option seed_longopts[] = {
	{ "endpoint", required_argument, NULL, 'e' },
	{ "bucket", required_argument, NULL, 'b' },
	{ "region", required_argument, NULL, 'r' },
	{ "virtual-host", no_argument, NULL, OPT_VIRTUAL_HOST },
	{ "access-key", required_argument, NULL, OPT_ACCESS_KEY },
	{ "access-key-file", required_argument, NULL, OPT_ACCESS_KEY_FILE },
	{ "secret-key", required_argument, NULL, OPT_SECRET_KEY },
	{ "secret-key-file", required_argument, NULL, OPT_SECRET_KEY_FILE },
	{ "ca-bundle", required_argument, NULL, OPT_CA_BUNDLE },
	{ "insecure", no_argument, NULL, 'k' },
	{ "dir", required_argument, NULL, 'd' },
	{ "url", required_argument, NULL, 'u' },
	{ "redirect", required_argument, NULL, OPT_REDIRECT },
	{ "redirects", required_argument, NULL, OPT_REDIRECTS },
	{ "put", required_argument, NULL, OPT_PUT },
	{ "website-document", required_argument, NULL, OPT_WEBSITE_DOCUMENT },
	{ "prefix", required_argument, NULL, 'p' },
	{ "cache-control", required_argument, NULL, 'c' },
	{ "only-changed", no_argument, NULL, OPT_ONLY_CHANGED },
	{ "sync", no_argument, NULL, OPT_SYNC },
	{ "wait", required_argument, NULL, 'w' },
	{ "multipart-threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "part-size", required_argument, NULL, OPT_PART_SIZE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
seed_usage(FILE *fp)
{
	fputs(
"usage: s3wwwd-seed --endpoint URL --bucket NAME [options] [--dir DIR]...\n"
"                   [--url URL[=KEY]]... [--put FILE[=KEY]]...\n"
"                   [--website-document FILE[=KEY]]...\n"
"                   [--redirect KEY=TARGET]... [--redirects FILE]...\n"
"       s3wwwd-seed --endpoint URL --bucket NAME [options] --export DIR\n"
"       s3wwwd-seed --endpoint URL --bucket NAME [options] --restore DIR\n"
"\n"
"Create the bucket if needed and upload a website into it; or back the\n"
"bucket up into DIR, or restore it from such a backup.\n"
"\n"
"  -e, --endpoint URL         S3 endpoint ($S3WWWD_ENDPOINT, $S3WWW_ENDPOINT,\n"
"                             $S3_ENDPOINT)\n"
"  -b, --bucket NAME          bucket ($S3WWWD_BUCKET, $S3WWW_BUCKET)\n"
"  -r, --region REGION        signing region ($S3WWWD_REGION, $S3WWW_REGION,\n"
"                             $AWS_REGION; default us-east-1)\n"
"      --virtual-host         address the bucket as NAME.host\n"
"      --access-key KEY       ($S3WWWD_ACCESS_KEY, $S3WWW_ACCESS_KEY,\n"
"                             $AWS_ACCESS_KEY_ID)\n"
"      --access-key-file F    ($S3WWWD_ACCESS_KEY_FILE, $S3WWW_ACCESS_KEY_FILE)\n"
"      --secret-key KEY       ($S3WWWD_SECRET_KEY, $S3WWW_SECRET_KEY,\n"
"                             $AWS_SECRET_ACCESS_KEY)\n"
"      --secret-key-file F    ($S3WWWD_SECRET_KEY_FILE, $S3WWW_SECRET_KEY_FILE)\n"
"      --ca-bundle FILE       trust these CAs for the endpoint\n"
"  -k, --insecure             do not verify the endpoint's certificate\n"
"  -d, --dir DIR              upload every file below DIR (repeatable)\n"
"  -u, --url URL[=KEY]        download URL and upload it (repeatable)\n"
"      --put FILE[=KEY]       upload FILE under KEY (default: its name)\n"
"                             (repeatable)\n"
"      --website-document FILE[=KEY]\n"
"                             check FILE is a WebsiteConfiguration the\n"
"                             server accepts, then upload it as\n"
"                             application/xml after everything else\n"
"      --redirect KEY=TARGET  store a redirect: a page at KEY that s3wwwd\n"
"                             answers with 301 to TARGET, a /path or an\n"
"                             http(s) URL (repeatable)\n"
"      --redirects FILE       a redirect a line, KEY TARGET or KEY=TARGET\n"
"  -p, --prefix P             put every key under P/\n"
"  -c, --cache-control VALUE  Cache-Control to store with each object\n"
"      --only-changed         skip objects whose content is already there\n"
"      --sync                 delete objects under the prefix that no\n"
"                             source has\n"
"  -w, --wait SECONDS         wait this long for the endpoint (default 60)\n"
"      --multipart-threshold BYTES  multipart from this size (default 16M)\n"
"      --part-size BYTES      multipart part size (default 8M, min 5M)\n"
"  -q, --quiet                only errors\n"
"  -v, --verbose              every request\n"
"  -n, --dry-run              say what would change, change nothing\n"
"      --export DIR           write every object (under the prefix) and a\n"
"                             manifest of checksums and metadata to DIR\n"
"      --restore DIR          verify the backup in DIR, then upload it with\n"
"                             its metadata, creating the bucket if needed\n"
"  -h, --help                 this text\n"
"  -V, --version              the version\n"
"\n"
"Exit status: 0 ok, 1 usage or configuration, 2 source (missing file,\n"
"failed download) or backup directory (unwritable, damaged backup), 3 S3\n"
"error, 4 endpoint unreachable.\n", fp);
}

static void
seed_on_signal(int sig)
{
	seed_interrupted = sig;
}

/* "16M", "8MiB", "5242880": binary multiples, as S3's part limits are. */
static int
seed_parse_size(const char *s, int64_t *out)
{
	static const struct {
		const char *sfx;
		int64_t mul;
	} sfx[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1024 }, { "k", 1024 }, { "KiB", 1024 },
		{ "M", SEED_MIB }, { "m", SEED_MIB }, { "MiB", SEED_MIB },
		{ "G", 1024 * SEED_MIB }, { "g", 1024 * SEED_MIB },
		{ "GiB", 1024 * SEED_MIB },
	};
	long long v;
	char *end;
	size_t i;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (strcmp(end, sfx[i].sfx) != 0)
			continue;
		if (v > INT64_MAX / sfx[i].mul)
			return -1;
		*out = (int64_t)v * sfx[i].mul;
		return 0;
	}
	return -1;
}

static int
seed_add_rdarg(struct seed_opts *o, int is_file, const char *arg)
{
	struct seed_rdarg *n;

	n = realloc(o->rdarg, (o->nrdarg + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	o->rdarg = n;
	o->rdarg[o->nrdarg].is_file = is_file;
	o->rdarg[o->nrdarg].arg = arg;
	o->nrdarg++;
	return 0;
}

static int
seed_add_put(struct seed_opts *o, int website, const char *arg)
{
	struct seed_putarg *n;

	n = realloc(o->put, (o->nput + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	o->put = n;
	memset(&o->put[o->nput], 0, sizeof(o->put[0]));
	o->put[o->nput].website = website;
	o->put[o->nput].arg = arg;
	o->nput++;
	return 0;
}

static int
seed_add_source(struct seed_opts *o, int is_url, const char *arg)
{
	struct seed_source *n;

	n = realloc(o->src, (o->nsrc + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	o->src = n;
	memset(&o->src[o->nsrc], 0, sizeof(o->src[0]));
	o->src[o->nsrc].is_url = is_url;
	o->src[o->nsrc].arg = arg;
	o->nsrc++;
	return 0;
}

/*
 * The value of the first variable in list (a space-separated list from
 * env.h) that is set and not empty, or NULL.  With family non-NULL, only
 * names that start with it count.  name, when not NULL, gets the name of
 * the variable used ("" if none).  Walking the shared lists instead of
 * naming variables here keeps the tool reading what the daemon reads, in
 * the same order.
 */
static const char *
seed_env(const char *list, const char *family, char *name, size_t namesz)
{
	char var[SEED_ENV_NAME_MAX];
	const char *p, *v;
	size_t n;

	if (name != NULL && namesz > 0)
		name[0] = '\0';
	for (p = list; *p != '\0'; p += strspn(p, " ")) {
		n = strcspn(p, " ");
		if (n > 0 && n < sizeof(var)) {
			memcpy(var, p, n);
			var[n] = '\0';
			v = getenv(var);
			if (v != NULL && *v != '\0' && (family == NULL ||
			    strncmp(var, family, strlen(family)) == 0)) {
				if (name != NULL && namesz > 0)
					snprintf(name, namesz, "%s", var);
				return v;
			}
		}
		p += n;
	}
	return NULL;
}

/* list as "A, B or C", for messages that say which variables are read. */
static void
seed_env_names(const char *list, char *out, size_t outsz)
{
	const char *p, *sep;
	size_t n, o = 0, left;
	int k;

	out[0] = '\0';
	for (p = list; *p != '\0' && o < outsz; p += strspn(p, " ")) {
		n = strcspn(p, " ");
		left = strspn(p + n, " ");
		sep = o == 0 ? "" : p[n + left] == '\0' ? " or " : ", ";
		k = snprintf(out + o, outsz - o, "%s%.*s", sep, (int)n, p);
		if (k < 0)
			break;
		o += (size_t)k;
		p += n;
	}
}

/*
 * A secret given on the command line shows in ps(1) to every user of the
 * machine.  Overwriting it shortens that window; the manual page steers
 * people to files and the environment instead.
 */
static void
seed_scrub(char *arg)
{
	memset(arg, 'x', strlen(arg));
}

/*
 * Long because it is the tool's option table, one case per option.
 */
static int
seed_parse(struct seed_opts *o, int argc, char **argv)
{
	const char *v;
	char *end;
	size_t n;
	int c;

	memset(o, 0, sizeof(*o));
	o->wait = 60;
	o->threshold = 16 * SEED_MIB;
	o->part_size = 8 * SEED_MIB;
	while ((c = getopt_long(argc, argv, "e:b:r:kd:u:p:c:w:qvnhV",
	    seed_longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o->endpoint = optarg;
			break;
		case 'b':
			o->bucket = optarg;
			break;
		case 'r':
			o->region = optarg;
			break;
		case OPT_VIRTUAL_HOST:
			o->virtual_host = 1;
			break;
		case OPT_ACCESS_KEY:
			o->access_key = optarg;
			break;
		case OPT_ACCESS_KEY_FILE:
			o->access_key_file = optarg;
			break;
		case OPT_SECRET_KEY:
			if ((o->secret_key = strdup(optarg)) == NULL)
				return -1;
			seed_scrub(optarg);
			break;
		case OPT_SECRET_KEY_FILE:
			o->secret_key_file = optarg;
			break;
		case OPT_CA_BUNDLE:
			o->ca_bundle = optarg;
			break;
		case 'k':
			o->insecure = 1;
			break;
		case 'd':
		case 'u':
			if (seed_add_source(o, c == 'u', optarg) == -1)
				return -1;
			break;
		case OPT_REDIRECT:
		case OPT_REDIRECTS:
			if (seed_add_rdarg(o, c == OPT_REDIRECTS, optarg) == -1)
				return -1;
			break;
		case OPT_PUT:
		case OPT_WEBSITE_DOCUMENT:
			if (seed_add_put(o, c == OPT_WEBSITE_DOCUMENT, optarg) == -1)
				return -1;
			break;
		case 'p':
			/* Keys are relative to the bucket: no leading slash. */
			v = optarg + strspn(optarg, "/");
			n = strlen(v);
			if (n + 2 > sizeof(o->prefix)) {
				seed_err("--prefix too long");
				return -1;
			}
			memcpy(o->prefix, v, n + 1);
			/* A prefix names a directory: "docs" means "docs/". */
			if (n > 0 && v[n - 1] != '/') {
				o->prefix[n] = '/';
				o->prefix[n + 1] = '\0';
			}
			break;
		case 'c':
			o->cache_control = optarg;
			break;
		case OPT_ONLY_CHANGED:
			o->only_changed = 1;
			break;
		case OPT_SYNC:
			o->sync = 1;
			break;
		case 'w':
			errno = 0;
			o->wait = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !isfinite(o->wait) || o->wait < 0 ||
			    o->wait > 86400) {
				seed_err("--wait takes seconds from 0 to "
				    "86400");
				return -1;
			}
			break;
		case OPT_THRESHOLD:
			if (seed_parse_size(optarg, &o->threshold) == -1) {
				seed_err("bad --multipart-threshold: %s",
				    optarg);
				return -1;
			}
			break;
		case OPT_PART_SIZE:
			if (seed_parse_size(optarg, &o->part_size) == -1) {
				seed_err("bad --part-size: %s", optarg);
				return -1;
			}
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case OPT_EXPORT:
			o->export_dir = optarg;
			break;
		case OPT_RESTORE:
			o->restore_dir = optarg;
			break;
		case 'h':
			seed_usage(stdout);
			exit(SEED_EXIT_OK);
		case 'V':
			printf("s3wwwd-seed %s\n", PACKAGE_VERSION);
			exit(SEED_EXIT_OK);
		default:
			/* getopt_long has said what was wrong. */
			fprintf(stderr, "Try 's3wwwd-seed --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		seed_err("unexpected argument \"%s\"; sources are given with "
		    "--dir, --url, --put, --website-document, --redirect and "
		    "--redirects", argv[optind]);
		return -1;
	}
	return 0;
}

/*
 * Settings from the environment and checks across options.  Long because
 * it is a list of independent checks, each a few lines with its message.
 */
static int
seed_check(struct seed_opts *o)
{
	char err[1024];
	const char *p;
	size_t i;

	if (o->endpoint == NULL)
		o->endpoint = seed_env(ENV_ENDPOINT, NULL, NULL, 0);
	if (o->bucket == NULL)
		o->bucket = seed_env(ENV_BUCKET, NULL, NULL, 0);
	if (o->region == NULL)
		o->region = seed_env(ENV_REGION, NULL, NULL, 0);
	if (o->region == NULL)
		o->region = "us-east-1";
	if (o->endpoint == NULL) {
		seed_env_names(ENV_ENDPOINT, err, sizeof(err));
		seed_err("no endpoint: give --endpoint or set %s", err);
		return -1;
	}
	if (o->bucket == NULL) {
		seed_env_names(ENV_BUCKET, err, sizeof(err));
		seed_err("no bucket: give --bucket or set %s", err);
		return -1;
	}
	if (o->part_size < SEED_PART_MIN || o->part_size > SEED_PART_MAX) {
		seed_err("--part-size must be between 5 MiB and 5 GiB, as S3 "
		    "requires for every part but the last");
		return -1;
	}
	if (o->threshold < 1 || o->threshold > SEED_PUT_MAX) {
		seed_err("--multipart-threshold must be between 1 byte and "
		    "5 GiB, the largest single PUT");
		return -1;
	}
	if (o->ca_bundle != NULL && access(o->ca_bundle, R_OK) == -1) {
		seed_err("--ca-bundle %s: %s", o->ca_bundle, strerror(errno));
		return -1;
	}
	if (o->cache_control != NULL) {
		for (p = o->cache_control; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				break;
		if (*p != '\0' || *o->cache_control == '\0' ||
		    strlen(o->cache_control) > 256) {
			seed_err("--cache-control must be a non-empty header "
			    "value of printable characters");
			return -1;
		}
	}
	/* A URL that names no key is a usage error, found before any work. */
	for (i = 0; i < o->nsrc; i++) {
		if (o->src[i].is_url && seed_url_split(o->src[i].arg,
		    &o->src[i].url, &o->src[i].key, err, sizeof(err)) == -1) {
			seed_err("%s", err);
			return -1;
		}
	}
	if (o->export_dir != NULL && o->restore_dir != NULL) {
		seed_err("give --export or --restore, not both");
		return -1;
	}
	if ((o->export_dir != NULL || o->restore_dir != NULL) &&
	    (o->nsrc > 0 || o->nrdarg > 0 || o->nput > 0 || o->sync ||
	    o->only_changed || o->cache_control != NULL)) {
		/* A backup is copied as it is, with its own metadata. */
		seed_err("--export and --restore take no --dir, --url, --put, "
		    "--website-document, --redirect, --redirects, --sync, "
		    "--only-changed or --cache-control");
		return -1;
	}
	if ((o->export_dir != NULL && *o->export_dir == '\0') ||
	    (o->restore_dir != NULL && *o->restore_dir == '\0')) {
		seed_err("--export and --restore need a directory");
		return -1;
	}
	if (o->sync && o->nsrc == 0) {
		/*
		 * With nothing to keep, --sync would empty the prefix; with
		 * redirects or single files only, all but them, which is
		 * hardly what a run that adds a few of them means.
		 */
		seed_err("--sync needs at least one --dir or --url");
		return -1;
	}
	/*
	 * A key that names no object and a website document the server would
	 * refuse are found here, before any request, so that they change
	 * nothing in the bucket.
	 */
	for (i = 0; i < o->nput; i++) {
		struct seed_putarg *pa = &o->put[i];

		if (seed_put_split(pa->arg, pa->website ? "--website-document" :
		    "--put", &pa->file, &pa->key, err, sizeof(err)) == -1 ||
		    (pa->website && seed_website_file(pa->file, err,
		    sizeof(err)) == -1)) {
			seed_err("%s; nothing was uploaded", err);
			return -1;
		}
	}
	/*
	 * Every redirect is checked here, before any request or download, so
	 * that a bad one changes nothing in the bucket.
	 */
	for (i = 0; i < o->nrdarg; i++) {
		if ((o->rdarg[i].is_file ? seed_redirects_file :
		    seed_redirect_arg)(&o->redirects, o->rdarg[i].arg, o->prefix,
		    err, sizeof(err)) == -1) {
			seed_err("%s; nothing was uploaded", err);
			return -1;
		}
	}
	return 0;
}

/*
 * One credential, from the first place that has it: the option, the
 * option's file, a file variable (env_file), then a value variable
 * (env_val), each list walked in its order (env.h).  A file wins over a
 * value at the same level, as in the daemon.  from gets the name of the
 * variable used, "" for an option: the session token is paired by it.
 */
static int
seed_cred(const char *what, const char *opt, const char *val,
    const char *file, const char *env_file, const char *env_val, char *out,
    size_t outsz, char *from, size_t fromsz)
{
	char err[512], names[256];
	const char *v = NULL;

	from[0] = '\0';
	if (val != NULL && file != NULL) {
		seed_err("give the %s or its file, not both", what);
		return -1;
	}
	if (val == NULL && file == NULL) {
		file = seed_env(env_file, NULL, from, fromsz);
		if (file == NULL)
			v = seed_env(env_val, NULL, from, fromsz);
	} else {
		v = val;
	}
	if (file != NULL) {
		if (creds_read_file(file, out, outsz, err, sizeof(err)) == -1) {
			seed_err("%s: %s", what, err);
			return -1;
		}
		return 0;
	}
	if (v == NULL) {
		snprintf(err, sizeof(err), "%s %s", env_file, env_val);
		seed_env_names(err, names, sizeof(names));
		seed_err("no %s: give --%s-file or set %s", what, opt, names);
		return -1;
	}
	if (strlen(v) >= outsz) {
		seed_err("the %s is too long", what);
		return -1;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static void
seed_strip_quotes(const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);

	if (n >= 2 && in[0] == '"' && in[n - 1] == '"') {
		in++;
		n -= 2;
	}
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

/*
 * Whether the object names the redirect want ("" for none).  MinIO keeps
 * only the user metadata, AWS both headers: each must be absent or want,
 * and for a redirect one must be there.  A page that was a redirect before
 * has changed, and so has a redirect given a new target.
 */
static int
seed_redirect_same(const struct seed_head *h, const char *want)
{
	if (h->web_redirect[0] != '\0' && strcmp(h->web_redirect, want) != 0)
		return 0;
	if (h->meta_redirect[0] != '\0' && strcmp(h->meta_redirect, want) != 0)
		return 0;
	return want[0] == '\0' || h->web_redirect[0] != '\0' ||
	    h->meta_redirect[0] != '\0';
}

/*
 * Whether the object already holds this content with these headers.  A
 * single-part ETag is the MD5 of the content; a multipart one is not, and
 * neither is one under SSE-KMS, which is what the MD5 stored in the
 * metadata at upload time is for.  A changed Content-Type, Cache-Control or
 * redirect counts as a change, so that new options reach every object.
 */
static int
seed_same(const struct seed_head *h, const struct seed_put *p)
{
	char etag[128];

	if (!h->exists)
		return 0;
	seed_strip_quotes(h->etag, etag, sizeof(etag));
	if (strcasecmp(etag, p->md5_hex) != 0 &&
	    strcasecmp(h->meta_md5, p->md5_hex) != 0)
		return 0;
	if (strcmp(h->ctype, p->ctype) != 0)
		return 0;
	if (!seed_redirect_same(h, p->redirect != NULL ? p->redirect : ""))
		return 0;
	if (p->cache_control == NULL)
		return !h->has_cache_control;
	return h->has_cache_control &&
	    strcmp(h->cache_control, p->cache_control) == 0;
}

/*
 * A redirect: zero bytes, so nothing to open or read, the hashes of an
 * empty body, and its target in the metadata (seed_object_headers()).
 */
static int
seed_upload_redirect(struct seed_run *r, struct seed_file *f)
{
	struct seed_opts *o = r->o;
	struct seed_head head;
	struct seed_put p;
	int ret = 0;

	memset(&p, 0, sizeof(p));
	p.key = f->key;
	p.fd = -1;
	p.ctype = f->ctype;
	p.cache_control = o->cache_control;
	p.redirect = f->redirect;
	snprintf(p.md5_hex, sizeof(p.md5_hex), "%s", SEED_MD5_EMPTY_HEX);
	snprintf(p.md5_b64, sizeof(p.md5_b64), "%s", SEED_MD5_EMPTY_B64);
	snprintf(p.sha256, sizeof(p.sha256), "%s", SIGV4_EMPTY_SHA256);
	seed_ui.cur = f->key;
	seed_ui.bytes_cur = 0;
	seed_ui_draw(1);
	if (o->only_changed && r->bucket_existed) {
		ret = seed_s3_head(&r->s3, f->key, &head);
		if (ret == 0 && seed_same(&head, &p)) {
			r->unchanged++;
			seed_say("unchanged %s (redirect to %s)", f->key,
			    f->redirect);
			goto out;
		}
	}
	if (ret == 0 && o->dry_run) {
		r->uploaded++;
		seed_note("would upload %s (redirect to %s)", f->key,
		    f->redirect);
	} else if (ret == 0 && (ret = seed_s3_put(&r->s3, &p)) == 0) {
		r->uploaded++;
		seed_say("uploaded %s (redirect to %s)", f->key, f->redirect);
	}
out:
	seed_ui.files_done++;
	seed_ui.cur = NULL;
	seed_ui_draw(1);
	return ret;
}

static int
seed_upload_one(struct seed_run *r, struct seed_file *f)
{
	struct seed_opts *o = r->o;
	struct seed_head head;
	struct seed_put p;
	struct stat st;
	int fd, ret = -1, single;

	if (f->redirect != NULL)
		return seed_upload_redirect(r, f);
	fd = f->fd != -1 ? f->fd : open(f->src, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		seed_err("%s: %s", f->src, strerror(errno));
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		seed_err("%s: %s", f->src, strerror(errno));
		r->s3.fail = SEED_EXIT_SOURCE;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		seed_err("%s: no longer a regular file", f->src);
		r->s3.fail = SEED_EXIT_SOURCE;
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.key = f->key;
	p.fd = fd;
	p.size = (int64_t)st.st_size;
	p.ctype = f->ctype;
	p.cache_control = o->cache_control;
	single = p.size < o->threshold;
	seed_ui.cur = f->key;
	seed_ui.bytes_cur = 0;
	seed_ui_draw(1);
	if (seed_hash_range(fd, 0, p.size, p.md5_hex, p.md5_b64,
	    single ? p.sha256 : NULL) == -1) {
		seed_err("%s: %s", f->src, errno != 0 ? strerror(errno) :
		    "the file shrank while it was read");
		r->s3.fail = SEED_EXIT_SOURCE;
		goto out;
	}
	if (o->only_changed && r->bucket_existed) {
		if (seed_s3_head(&r->s3, f->key, &head) == -1)
			goto out;
		if (seed_same(&head, &p)) {
			r->unchanged++;
			seed_say("unchanged %s", f->key);
			ret = 0;
			goto out;
		}
	}
	if (o->dry_run) {
		r->uploaded++;
		r->bytes += p.size;
		seed_note("would upload %s (%lld bytes, %s)", f->key,
		    (long long)p.size, p.ctype);
		ret = 0;
		goto out;
	}
	if (single)
		ret = seed_s3_put(&r->s3, &p);
	else
		ret = seed_s3_multipart(&r->s3, &p, o->part_size);
	if (ret == 0) {
		r->uploaded++;
		r->bytes += p.size;
		seed_say("uploaded %s (%lld bytes, %s%s)", f->key,
		    (long long)p.size, p.ctype, single ? "" : ", multipart");
	}
out:
	seed_ui.files_done++;
	seed_ui.bytes_done += f->size;
	seed_ui.bytes_cur = 0;
	seed_ui.cur = NULL;
	seed_ui_draw(1);
	if (f->fd == -1)
		close(fd);
	return ret;
}

/*
 * The pass an object goes up in: assets, then pages, which refer to the
 * assets and not the other way round, then website documents, whose rules
 * may send a request to any page.
 */
static int
seed_pass(const struct seed_file *f)
{
	if (f->last)
		return 2;
	return strncmp(f->ctype, "text/html", 9) == 0;
}

static int
seed_upload_all(struct seed_run *r)
{
	size_t i;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < r->files.n; i++) {
			if (seed_pass(&r->files.v[i]) != pass)
				continue;
			if (seed_interrupted) {
				seed_err("interrupted");
				r->s3.fail = 128 + (int)seed_interrupted;
				return -1;
			}
			if (seed_upload_one(r, &r->files.v[i]) == -1)
				return -1;
		}
	}
	return 0;
}

static int
seed_sync(struct seed_run *r)
{
	char **keys;
	size_t n, i;
	int ret = 0;

	if (!r->bucket_existed)
		return 0; /* a bucket created just now holds only our files */
	if (seed_s3_list(&r->s3, r->o->prefix, &keys, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (ret == -1 || seed_src_has_key(&r->files, keys[i]))
			continue;
		if (seed_interrupted) {
			seed_err("interrupted");
			r->s3.fail = 128 + (int)seed_interrupted;
			ret = -1;
			continue;
		}
		if (r->o->dry_run) {
			seed_note("would delete %s", keys[i]);
		} else if (seed_s3_delete(&r->s3, keys[i]) == -1) {
			ret = -1;
			continue;
		} else {
			seed_note("deleted %s", keys[i]);
		}
		r->deleted++;
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return ret;
}

static int
seed_gather(struct seed_run *r)
{
	struct seed_opts *o = r->o;
	char err[1024];
	size_t i;

	for (i = 0; i < o->nsrc; i++) {
		if (seed_interrupted)
			return -1;
		if (!o->src[i].is_url) {
			if (seed_src_dir(&r->files, o->src[i].arg, o->prefix,
			    err, sizeof(err)) == -1) {
				seed_err("%s", err);
				return -1;
			}
			continue;
		}
		if (seed_src_url(&r->files, o->src[i].url, o->src[i].key,
		    o->prefix, err, sizeof(err)) == -1) {
			seed_err("%s", err);
			return -1;
		}
	}
	for (i = 0; i < o->nput; i++) {
		if (seed_src_put(&r->files, o->put[i].file, o->put[i].key,
		    o->prefix, o->put[i].website, err, sizeof(err)) == -1) {
			seed_err("%s", err);
			return -1;
		}
	}
	if (seed_src_redirects(&r->files, &o->redirects, err, sizeof(err)) ==
	    -1) {
		seed_err("%s", err);
		return -1;
	}
	seed_src_finish(&r->files);
	return 0;
}

/* Find the bucket, creating it when missing. */
static int
seed_bucket_ready(struct seed_run *r)
{
	struct seed_opts *o = r->o;
	int exists;

	if (seed_s3_bucket_exists(&r->s3, &exists) == -1)
		return -1;
	r->bucket_existed = exists;
	if (!exists) {
		if (o->dry_run) {
			seed_note("would create bucket %s", o->bucket);
		} else {
			if (seed_s3_bucket_create(&r->s3) == -1)
				return -1;
			seed_note("created bucket %s", o->bucket);
		}
	}
	return 0;
}

static int
seed_run(struct seed_run *r)
{
	size_t i;

	if (seed_bucket_ready(r) == -1)
		return -1;
	seed_ui.files_total = r->files.n;
	for (i = 0; i < r->files.n; i++)
		seed_ui.bytes_total += r->files.v[i].size;
	if (seed_upload_all(r) == -1)
		return -1;
	if (r->o->sync && seed_sync(r) == -1)
		return -1;
	return 0;
}

static int
seed_check_interrupt(struct seed_run *r)
{
	if (!seed_interrupted)
		return 0;
	seed_err("interrupted");
	r->s3.fail = 128 + (int)seed_interrupted;
	return -1;
}

/* Move what the GET said into the object's manifest entry. */
static void
seed_export_keep(struct seed_bk_obj *ob, struct seed_got *got)
{
	size_t n = strlen(got->etag);
	const char *e = got->etag;

	/* The ETag is recorded without its quotes, as S3 lists it. */
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
		e++;
		n -= 2;
	}
	snprintf(ob->etag, sizeof(ob->etag), "%.*s", (int)n, e);
	ob->size = got->length;
	memcpy(ob->hdrs, got->hdrs, sizeof(ob->hdrs));
	ob->nhdrs = got->nhdrs;
	got->nhdrs = 0;
}

/*
 * Download one object into a temporary file next to its place, then
 * rename it there: a file with the key's name is always whole.
 */
static int
seed_export_one(struct seed_run *r, struct seed_bk_obj *ob)
{
	struct seed_got got;
	char tmp[64], err[1024];
	int pfd, fd, rc;

	if (r->o->dry_run) {
		seed_note("would export %s to %s/%s", ob->key, r->bk.dir,
		    ob->path);
		r->uploaded++;
		return 0;
	}
	seed_ui.cur = ob->key;
	seed_ui.bytes_cur = 0;
	seed_ui_draw(1);
	fd = seed_bk_tmp_create(&r->bk, ob->path, &pfd, tmp, sizeof(tmp), err,
	    sizeof(err));
	if (fd == -1) {
		seed_err("%s", err);
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	memset(&got, 0, sizeof(got));
	rc = seed_s3_get(&r->s3, ob->key, fd, &got, ob->sha256);
	if (rc == 0 && got.dropped > 0) {
		/* A backup that silently lost metadata would restore wrong. */
		seed_err("%s: more than %d headers to keep", ob->key,
		    SEED_OBJ_HDRS);
		r->s3.fail = SEED_EXIT_S3;
		rc = -1;
	}
	if (rc == 0 && seed_bk_tmp_commit(&r->bk, pfd, tmp, ob->path, fd, err,
	    sizeof(err)) == -1) {
		seed_err("%s", err);
		r->s3.fail = SEED_EXIT_SOURCE;
		rc = -1;
	} else if (rc != 0) {
		unlinkat(pfd, tmp, 0);
	}
	close(fd);
	close(pfd);
	if (rc == 0) {
		seed_export_keep(ob, &got);
		r->uploaded++;
		r->bytes += ob->size;
		seed_ui.bytes_done += ob->size;
		seed_ui.bytes_total += ob->size;
		seed_say("exported %s (%lld bytes)", ob->key,
		    (long long)ob->size);
	} else if (rc == 1) {
		seed_warn("%s was deleted during the export; not in the backup",
		    ob->key);
		rc = 0;
	}
	seed_got_free(&got);
	seed_ui.files_done++;
	seed_ui.bytes_cur = 0;
	seed_ui.cur = NULL;
	seed_ui_draw(1);
	return rc;
}

/*
 * --export: the bucket must exist (an export never creates one); the
 * directory is made ready before the listing, so that a directory that
 * cannot be written is reported before anything is downloaded.  The
 * manifest is written last: without it the directory is no backup.
 */
static int
seed_export(struct seed_run *r)
{
	struct seed_opts *o = r->o;
	char err[1024], **keys;
	size_t n, i;
	int exists, rc;

	if (seed_s3_bucket_exists(&r->s3, &exists) == -1)
		return -1;
	if (!exists) {
		seed_err("bucket %s does not exist: nothing to export",
		    o->bucket);
		r->s3.fail = SEED_EXIT_S3;
		return -1;
	}
	memset(&r->bk, 0, sizeof(r->bk));
	r->bk.dir = o->export_dir;
	r->bk.rootfd = -1;
	if (!o->dry_run && seed_bk_open_export(&r->bk, o->export_dir, err,
	    sizeof(err)) == -1) {
		seed_err("%s", err);
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	if (seed_s3_list(&r->s3, o->prefix, &keys, &n) == -1)
		return -1;
	rc = seed_bk_paths(&r->bk, keys, n);
	while (n > 0)
		free(keys[--n]);
	free(keys);
	if (rc == -1) {
		seed_err("out of memory");
		return -1;
	}
	seed_ui.files_total = r->bk.n;
	for (i = 0; i < r->bk.n; i++) {
		if (seed_check_interrupt(r) == -1 ||
		    seed_export_one(r, &r->bk.v[i]) == -1)
			return -1;
	}
	if (o->dry_run)
		return 0;
	if (seed_bk_write_manifest(&r->bk, o->bucket, o->prefix, err,
	    sizeof(err)) == -1) {
		seed_err("%s", err);
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	return 0;
}

static int
seed_restore_one(struct seed_run *r, struct seed_bk_obj *ob)
{
	struct seed_opts *o = r->o;
	struct seed_put p;
	struct stat st;
	char err[1024];
	int fd, ret = -1, single;

	if ((fd = seed_bk_open_file(&r->bk, ob, err, sizeof(err))) == -1) {
		seed_err("%s", err);
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	if (fstat(fd, &st) == -1 || (int64_t)st.st_size != ob->size) {
		seed_err("%s: %s/%s changed after it was verified", ob->key,
		    r->bk.dir, ob->path);
		r->s3.fail = SEED_EXIT_SOURCE;
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.key = ob->key;
	p.fd = fd;
	p.size = ob->size;
	p.ctype = "";
	p.hdrs = (const char *const *)ob->hdrs;
	/*
	 * A single PUT is signed over the SHA-256 just verified: should the
	 * file change now, S3 refuses it rather than store something else.
	 */
	memcpy(p.sha256, ob->sha256, sizeof(p.sha256));
	single = p.size < o->threshold;
	seed_ui.cur = ob->key;
	seed_ui.bytes_cur = 0;
	seed_ui_draw(1);
	if (o->dry_run) {
		seed_note("would restore %s (%lld bytes)", ob->key,
		    (long long)p.size);
		ret = 0;
	} else if (single) {
		ret = seed_s3_put(&r->s3, &p);
	} else {
		ret = seed_s3_multipart(&r->s3, &p, o->part_size);
	}
	if (ret == 0) {
		r->uploaded++;
		r->bytes += p.size;
		if (!o->dry_run)
			seed_say("restored %s (%lld bytes%s)", ob->key,
			    (long long)p.size, single ? "" : ", multipart");
	}
out:
	seed_ui.files_done++;
	seed_ui.bytes_done += ob->size;
	seed_ui.bytes_cur = 0;
	seed_ui.cur = NULL;
	seed_ui_draw(1);
	close(fd);
	return ret;
}

static int
seed_bk_is_html(const struct seed_bk_obj *ob)
{
	const char *t = seed_bk_hdr(ob, "content-type");

	return t != NULL && strncmp(t, "text/html", 9) == 0;
}

/*
 * --restore: the manifest is read and every file checked against it
 * before the bucket is touched, so that a damaged backup changes nothing.
 * Then, as for an upload, assets go before pages.
 */
static int
seed_restore(struct seed_run *r)
{
	struct seed_opts *o = r->o;
	char err[1024];
	size_t i, bad = 0;
	int pass;

	if (seed_bk_open_restore(&r->bk, o->restore_dir, o->prefix, err,
	    sizeof(err)) == -1) {
		seed_err("%s", err);
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	for (i = 0; i < r->bk.n; i++) {
		if (seed_check_interrupt(r) == -1)
			return -1;
		if (seed_bk_verify(&r->bk, &r->bk.v[i], err, sizeof(err)) ==
		    -1) {
			seed_err("%s", err);
			bad++;
		}
		seed_ui.bytes_total += r->bk.v[i].size;
	}
	if (bad > 0) {
		seed_err("the backup in %s is damaged: %zu of %zu files do not "
		    "match its manifest; nothing was restored", r->bk.dir, bad,
		    r->bk.n);
		r->s3.fail = SEED_EXIT_SOURCE;
		return -1;
	}
	seed_note("verified %zu files of %s against the manifest (size and "
	    "SHA-256)", r->bk.n, r->bk.dir);
	if (seed_bucket_ready(r) == -1)
		return -1;
	seed_ui.files_total = r->bk.n;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->bk.n; i++) {
			if (seed_bk_is_html(&r->bk.v[i]) != pass)
				continue;
			if (seed_check_interrupt(r) == -1 ||
			    seed_restore_one(r, &r->bk.v[i]) == -1)
				return -1;
		}
	}
	return 0;
}

/* The last line of a run: what was done, or done before the error. */
static void
seed_summary(struct seed_run *r, int status)
{
	struct seed_opts *o = r->o;
	const char *dir = o->export_dir != NULL ? o->export_dir :
	    o->restore_dir;
	char total[32];

	seed_human(r->bytes, total, sizeof(total));
	if (dir == NULL && status == SEED_EXIT_OK)
		log_info("%s: %s %zu, unchanged %zu, %s %zu, %lld bytes (%s)",
		    o->dry_run ? "dry run" : "done",
		    o->dry_run ? "would upload" : "uploaded", r->uploaded,
		    r->unchanged, o->dry_run ? "would delete" : "deleted",
		    r->deleted, (long long)r->bytes, total);
	else if (dir == NULL)
		log_error("failed: uploaded %zu, unchanged %zu, deleted %zu, "
		    "%lld bytes, before the error above", r->uploaded,
		    r->unchanged, r->deleted, (long long)r->bytes);
	else if (status == SEED_EXIT_OK)
		log_info("%s: %s %zu objects, %lld bytes (%s), %s %s",
		    o->dry_run ? "dry run" : "done",
		    o->export_dir != NULL ? (o->dry_run ? "would export" :
		    "exported") : (o->dry_run ? "would restore" : "restored"),
		    r->uploaded, (long long)r->bytes, total,
		    o->export_dir != NULL ? "to" : "from", dir);
	else if (o->export_dir != NULL)
		log_error("failed: exported %zu objects before the error above; "
		    "%s has no manifest and is no backup", r->uploaded, dir);
	else
		log_error("failed: restored %zu objects, %lld bytes, before the "
		    "error above", r->uploaded, (long long)r->bytes);
}

/*
 * Long because it is the tool's run in order: options, credentials, the
 * bucket, the upload and the report, each with its exit status.
 */
int
main(int argc, char **argv)
{
	static struct seed_opts o;
	static struct seed_run r;
	static char ak[SEED_CRED_MAX], sk[SEED_CRED_MAX];
	struct sigaction sa;
	const char *token = NULL;
	char err[512];
	char ak_from[SEED_ENV_NAME_MAX], sk_from[SEED_ENV_NAME_MAX];
	char family[SEED_ENV_NAME_MAX];
	int status = SEED_EXIT_USAGE, rc;
	size_t i;

	log_open("s3wwwd-seed", NULL, LOG_L_INFO);
	seed_ui_init(0, 0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		seed_err("curl_global_init failed");
		return SEED_EXIT_USAGE;
	}
	if (seed_parse(&o, argc, argv) == -1)
		goto out;
	log_set_level(o.verbose ? LOG_L_DEBUG : o.quiet ? LOG_L_ERROR :
	    LOG_L_INFO);
	seed_ui_init(o.quiet, o.verbose);
	if (seed_check(&o) == -1)
		goto out;
	if (seed_cred("access key", "access-key", o.access_key,
	    o.access_key_file, ENV_ACCESS_KEY_FILE, ENV_ACCESS_KEY, ak,
	    sizeof(ak), ak_from, sizeof(ak_from)) == -1 ||
	    seed_cred("secret key", "secret-key", o.secret_key,
	    o.secret_key_file, ENV_SECRET_KEY_FILE, ENV_SECRET_KEY, sk,
	    sizeof(sk), sk_from, sizeof(sk_from)) == -1)
		goto out;
	/*
	 * A session token belongs to the access key it was issued with, so
	 * it is taken only from the family of variables the key came from:
	 * AWS_SESSION_TOKEN with AWS_ACCESS_KEY_ID, S3WWWD_SESSION_TOKEN with
	 * S3WWWD_ACCESS_KEY or S3WWWD_ACCESS_KEY_FILE.  A token left over in
	 * the environment from an AWS session then never goes out with a key
	 * for another server given on the command line or as S3WWW_*.
	 */
	if (ak_from[0] != '\0') {
		snprintf(family, sizeof(family), "%.*s_",
		    (int)strcspn(ak_from, "_"), ak_from);
		token = seed_env(ENV_SESSION_TOKEN, family, NULL, 0);
	}
	r.o = &o;
	if (seed_s3_init(&r.s3, o.endpoint, o.bucket, o.region,
	    o.virtual_host, ak, sk, token, err, sizeof(err)) == -1) {
		seed_err("%s", err);
		goto out;
	}
	/* The signer keeps its own copy, which seed_s3_free() wipes. */
	explicit_bzero(sk, sizeof(sk));
	r.s3.ca_bundle = o.ca_bundle;
	r.s3.insecure = o.insecure;
	r.s3.wait = o.wait;

	/*
	 * SIGINT and SIGTERM (Kubernetes deleting the Job) stop the transfer
	 * in flight, so that a multipart upload can still be aborted.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = seed_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	status = SEED_EXIT_OK;
	if (o.export_dir != NULL) {
		rc = seed_export(&r);
	} else if (o.restore_dir != NULL) {
		rc = seed_restore(&r);
	} else if (seed_gather(&r) == -1) {
		status = seed_interrupted ? 128 + (int)seed_interrupted :
		    SEED_EXIT_SOURCE;
		goto out;
	} else {
		rc = seed_run(&r);
	}
	if (rc == -1)
		status = r.s3.fail != 0 ? r.s3.fail : SEED_EXIT_S3;
	seed_ui_clear();
	seed_summary(&r, status);
out:
	seed_ui_clear();
	seed_s3_free(&r.s3);
	seed_files_free(&r.files);
	seed_bk_free(&r.bk);
	for (i = 0; i < o.nsrc; i++) {
		free(o.src[i].url);
		free(o.src[i].key);
	}
	free(o.src);
	for (i = 0; i < o.nput; i++) {
		free(o.put[i].file);
		free(o.put[i].key);
	}
	free(o.put);
	free(o.rdarg);
	seed_redirects_free(&o.redirects);
	if (o.secret_key != NULL) {
		explicit_bzero((char *)o.secret_key, strlen(o.secret_key));
		free((char *)o.secret_key);
	}
	explicit_bzero(sk, sizeof(sk));
	curl_global_cleanup();
	return status;
}
