/*
 * fuzz_config.c - libFuzzer harness for the configuration loader
 * (daemon/config.c on libconfig, with common/creds.c and common/s3.c).
 *
 * The input up to its first NUL byte is the configuration file; it is
 * written to a memfd and loaded through its /proc/self/fd path, exactly as
 * config_load() reads a real file.  The rest, cut at NUL bytes, is used
 * twice: as command-line flags (argv) and as the environment (env), so the
 * flag parser, the NAME=value reader and the precedence between the three
 * levels all get exercised.
 *
 * Checks besides the sanitizers: config_load() returns 0 or -1; on failure
 * it says why and leaves no secret behind; on success every string is
 * NUL-terminated inside its field, numbers are within the documented
 * ranges, and loading the same input again gives the same struct.
 *
 * Run it with stdin redirected from /dev/null (run.sh does): a fuzzed
 * "access_key_file = /dev/stdin" must not wait for a terminal.
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

#define MAXARGS 32
#define TERMINATED(field) CHECK(strnlen((field), sizeof(field)) < sizeof(field))

static int memfd = -1;
static char path[64];

/*
 * What a loaded configuration promises.  Long because it is one check per
 * field and per site, in the order of struct config.
 */
static void
check_loaded(const struct config *c)
{
	int i;

	TERMINATED(c->path);
	TERMINATED(c->listen);
	TERMINATED(c->user);
	TERMINATED(c->group);
	TERMINATED(c->tls_cert);
	TERMINATED(c->tls_key);
	TERMINATED(c->endpoint);
	TERMINATED(c->bucket);
	TERMINATED(c->bucket_path);
	TERMINATED(c->region);
	TERMINATED(c->access_key);
	TERMINATED(c->secret_key);
	TERMINATED(c->session_token);
	TERMINATED(c->access_key_file);
	TERMINATED(c->secret_key_file);
	TERMINATED(c->session_token_file);
	TERMINATED(c->ca_bundle);
	TERMINATED(c->index_document);
	TERMINATED(c->spa_file);
	TERMINATED(c->error_document);
	TERMINATED(c->healthz_path);
	TERMINATED(c->readyz_path);
	TERMINATED(c->metrics_path);
	TERMINATED(c->internal_listen);
	TERMINATED(c->error_log);
	TERMINATED(c->access_log);
	CHECK(c->norigins >= 0 && c->norigins <= CONFIG_MAX_ORIGINS);
	for (i = 0; i < c->norigins; i++)
		TERMINATED(c->origins[i]);
	/* The ranges config.c documents for each number. */
	CHECK(c->workers >= 0 && c->workers <= 1024);
	CHECK(config_worker_count(c) >= 1);
	CHECK(c->max_header_size >= 1024 && c->max_header_size <= 65536);
	CHECK(c->max_connections >= 1 && c->max_connections <= 1000000);
	CHECK(c->connect_timeout_ms >= 1 && c->upstream_timeout_ms >= 1);
	CHECK(c->header_timeout_ms >= 1 && c->send_timeout_ms >= 1);
	CHECK(c->keepalive_timeout_ms >= 0 && c->drain_timeout_ms >= 0);
	CHECK(c->keepalive_requests >= 1);
	CHECK(c->virtual_host == 0 || c->virtual_host == 1);
	CHECK(c->tls_verify == 0 || c->tls_verify == 1);
	CHECK(c->directory_listing == 0 || c->directory_listing == 1);
	/* What the workers take for granted, for every site. */
	CHECK(c->nsites >= 1 && c->nsites <= CONFIG_MAX_SITES);
	CHECK(c->default_site >= -1 && c->default_site < c->nsites);
	for (i = 0; i < c->nsites; i++) {
		const struct config *sc = &c->sites[i];
		int j;

		CHECK(sc->endpoint[0] != '\0' && sc->bucket[0] != '\0');
		CHECK(sc->bucket_path[0] == '\0' ||
		    sc->bucket_path[strlen(sc->bucket_path) - 1] == '/');
		CHECK(sc->bucket_path[0] != '/');
		TERMINATED(sc->site_name);
		CHECK(sc->site_name[0] != '\0');
		CHECK(sc->nhosts >= 0 && sc->nhosts <= CONFIG_MAX_HOSTS);
		for (j = 0; j < sc->nhosts; j++)
			TERMINATED(sc->hosts[j]);
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->sites[j].site_name, sc->site_name) != 0);
	}
	/* Settings that load make a worker configuration (wconf.h). */
	{
		static struct worker_conf wc;
		const struct site_conf *site;
		char err[256];

		CHECK(config_worker_conf(c, &wc, NULL, NULL, err, sizeof(err)) == 0);
		CHECK(wc.nsites == c->nsites);
		site = &wc.sites[0].site;
		/* CORS matching on arbitrary origins never reads out of bounds. */
		(void)site_origin_allowed(site, "https://a.example", 17);
		(void)site_origin_allowed(site, "", 0);
		if (c->sites[0].norigins > 0)
			CHECK(site_origin_allowed(site, c->sites[0].origins[0],
			    strlen(c->sites[0].origins[0])) == 1);
		/* Every configured host name finds its own site. */
		for (i = 0; i < c->nsites; i++) {
			int j;

			for (j = 0; j < c->sites[i].nhosts; j++) {
				const char *h = c->sites[i].hosts[j];

				if (h[0] != '*')
					CHECK(site_hosts_find(&wc.hosts, h, strlen(h)) == i);
			}
		}
		CHECK(site_hosts_find(&wc.hosts, "", 0) == c->default_site);
		config_worker_conf_wipe(&wc);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg, cfg2;
	static char err[512], err2[512];
	char *rest, *argv[MAXARGS + 1];
	const uint8_t *nul;
	size_t flen, i, start;
	int argc, rc, rc2;

	if (memfd == -1) {
		memfd = memfd_create("fuzz_config", 0);
		CHECK(memfd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	nul = memchr(data, '\0', size);
	flen = nul != NULL ? (size_t)(nul - data) : size;
	CHECK(ftruncate(memfd, 0) == 0);
	CHECK(pwrite(memfd, data, flen, 0) == (ssize_t)flen);

	/* The rest, NUL-separated: flags, and also NAME=value env entries. */
	argc = 0;
	rest = NULL;
	if (nul != NULL) {
		size_t rlen = size - flen - 1;

		rest = malloc(rlen + 1);
		CHECK(rest != NULL);
		memcpy(rest, nul + 1, rlen);
		rest[rlen] = '\0';
		for (i = 0, start = 0; i <= rlen && argc < MAXARGS; i++) {
			if (i == rlen || rest[i] == '\0') {
				argv[argc++] = rest + start;
				start = i + 1;
			}
		}
	}
	argv[argc] = NULL;

	err[0] = '\0';
	rc = config_load(&cfg, path, argc, argv, argv, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		check_loaded(&cfg);
		/* Loading is deterministic (credential files aside). */
		rc2 = config_load(&cfg2, path, argc, argv, argv, err2, sizeof(err2));
		CHECK(rc2 == 0);
		CHECK(strcmp(cfg.listen, cfg2.listen) == 0 && strcmp(cfg.bucket, cfg2.bucket) == 0);
		CHECK(cfg.max_connections == cfg2.max_connections);
		config_wipe(&cfg2);
	} else {
		/* Every refusal says why, in a bounded, terminated message. */
		CHECK(err[0] != '\0' && strnlen(err, sizeof(err)) < sizeof(err));
	}
	config_wipe(&cfg);
	/* Wiped means wiped: no secret survives in the struct. */
	CHECK(cfg.secret_key[0] == '\0' && cfg.access_key[0] == '\0' &&
	    cfg.session_token[0] == '\0');

	/* Flags alone, without any file (path of an empty file). */
	if (argc > 0) {
		CHECK(ftruncate(memfd, 0) == 0);
		rc = config_load(&cfg, path, argc, argv, NULL, err, sizeof(err));
		CHECK(rc == 0 || rc == -1);
		if (rc == 0)
			check_loaded(&cfg);
		config_wipe(&cfg);
	}
	free(rest);
	return 0;
}
