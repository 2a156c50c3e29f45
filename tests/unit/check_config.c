/*
 * check_config.c - configuration loading: precedence of file, environment
 * and flags, s3www compatibility, credential files, and the messages that
 * point at the line that is wrong.
 */
#define _XOPEN_SOURCE 700
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char dir[] = "/tmp/check_config.XXXXXX";
static struct config cfg;
static char err[1024];

static const char *
write_file(const char *name, const char *text)
{
	static char path[4][512];
	static int n;
	char *p = path[n++ % 4];
	FILE *f;

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static int
load(const char *path, const char *const *args, const char *const *env)
{
	int argc = 0;

	while (args != NULL && args[argc] != NULL)
		argc++;
	config_wipe(&cfg); /* the sites of the load before */
	return config_load(&cfg, path, argc, (char *const *)args, (char *const *)env, err,
	    sizeof(err));
}

static const char *base =
    "s3: { endpoint = \"http://127.0.0.1:9000\"; bucket = \"site\"; };\n";

START_TEST(defaults_and_required)
{
	const char *p = write_file("a.conf", base);

	ck_assert_int_eq(load(p, NULL, NULL), 0);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:8080");
	ck_assert_str_eq(cfg.region, "us-east-1");
	ck_assert_str_eq(cfg.index_document, "index.html");
	ck_assert_int_eq(cfg.tls_verify, 1);
	ck_assert_int_eq(cfg.directory_listing, 0);
	ck_assert_int_eq(cfg.norigins, 0);
	p = write_file("b.conf", "s3: { endpoint = \"http://x:1\"; };\n");
	ck_assert_int_eq(load(p, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "no bucket"));
}
END_TEST

START_TEST(precedence)
{
	const char *p = write_file("a.conf", "listen = \"127.0.0.1:1111\";\n"
	    "s3: { endpoint = \"http://127.0.0.1:9000\"; bucket = \"fromfile\";\n"
	    "region = \"r1\"; };\n");
	const char *env[] = { "S3WWW_BUCKET=fromenv", "S3WWW_ADDRESS=127.0.0.1:2222", NULL };
	const char *args[] = { "-bucket", "fromflag", NULL };

	ck_assert_int_eq(load(p, NULL, NULL), 0);
	ck_assert_str_eq(cfg.bucket, "fromfile");
	ck_assert_int_eq(load(p, NULL, env), 0);
	ck_assert_str_eq(cfg.bucket, "fromenv");
	ck_assert_str_eq(cfg.listen, "127.0.0.1:2222");
	ck_assert_str_eq(cfg.region, "r1");
	ck_assert_int_eq(load(p, args, env), 0);
	ck_assert_str_eq(cfg.bucket, "fromflag");
	ck_assert_str_eq(cfg.listen, "127.0.0.1:2222");
}
END_TEST

START_TEST(s3www_flags)
{
	const char *args[] = { "-endpoint", "http://127.0.0.1:9000", "-bucket=bkt",
	    "-bucketPath", "/www/", "-accessKey", "AK", "-secretKey", "SK",
	    "-address", "0.0.0.0:8081", "-spaFile", "/index.html",
	    "-allowed-cors-origins", "https://a.example, https://b.example", NULL };

	ck_assert_int_eq(load("/nonexistent/default", NULL, NULL) == -1, 1);
	ck_assert_int_eq(config_load(&cfg, NULL, 15, (char *const *)args, NULL, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.bucket_path, "www/");
	ck_assert_str_eq(cfg.access_key, "AK");
	ck_assert_str_eq(cfg.secret_key, "SK");
	ck_assert_str_eq(cfg.listen, "0.0.0.0:8081");
	ck_assert_str_eq(cfg.spa_file, "index.html");
	ck_assert_int_eq(cfg.norigins, 2);
	ck_assert_str_eq(cfg.origins[1], "https://b.example");
	{
		static struct worker_conf wc;
		const struct site_conf *sc;

		ck_assert_int_eq(config_worker_conf(&cfg, &wc, NULL, NULL, err, sizeof(err)), 0);
		sc = &wc.sites[0].site;

		ck_assert_int_eq(site_origin_allowed(sc, "https://a.example", 17), 1);
		ck_assert_int_eq(site_origin_allowed(sc, "https://c.example", 17), 0);
		config_worker_conf_wipe(&wc);
	}
}
END_TEST

START_TEST(credential_files)
{
	const char *ak = write_file("ak", "filekey\n");
	const char *sk = write_file("sk", "filesecret\n");
	char text[2048];
	const char *p;
	const char *env[] = { "AWS_ACCESS_KEY_ID=envkey", "AWS_SECRET_ACCESS_KEY=envsecret",
	    NULL };
	const char *args[] = { "-accessKeyFile", ak, "-secretKeyFile", sk, NULL };

	snprintf(text, sizeof(text), "%s", base);
	p = write_file("c.conf", text);
	ck_assert_int_eq(load(p, NULL, env), 0);
	ck_assert_str_eq(cfg.access_key, "envkey");
	ck_assert_int_eq(chmod(ak, 0600), 0);
	ck_assert_int_eq(chmod(sk, 0600), 0);
	ck_assert_int_eq(load(p, args, env), 0);
	ck_assert_str_eq(cfg.access_key, "filekey");
	ck_assert_str_eq(cfg.secret_key, "filesecret");
	ck_assert_str_eq(cfg.warning, "");
	/* A world-readable secret is loaded, with a warning naming it. */
	ck_assert_int_eq(chmod(sk, 0644), 0);
	ck_assert_int_eq(load(p, args, env), 0);
	ck_assert_ptr_nonnull(strstr(cfg.warning, sk));
	ck_assert_ptr_nonnull(strstr(cfg.warning, "0644"));
	{
		const char *bad[] = { "-accessKeyFile", "/nonexistent/key", "-secretKey", "x",
		    NULL };

		ck_assert_int_eq(load(p, bad, NULL), -1);
		ck_assert_ptr_nonnull(strstr(err, "/nonexistent/key"));
	}
	{
		const char *half[] = { "-accessKey", "onlykey", NULL };

		ck_assert_int_eq(load(p, half, NULL), -1);
		ck_assert_ptr_nonnull(strstr(err, "secret"));
	}
}
END_TEST

START_TEST(errors_name_the_line)
{
	const char *p = write_file("e1.conf", "s3: {\n  endpoint = \"http://x:1\";\n"
	    "  bucket = 5;\n};\n");

	ck_assert_int_eq(load(p, NULL, NULL), -1);
	ck_assert_msg(strstr(err, "e1.conf:3:") != NULL, "got %s", err);
	p = write_file("e2.conf", "s3: { endpoint = \"http://x:1\"; bucket = \"bkt\"; };\n"
	    "limits: {\n max_header_size = 10;\n};\n");
	ck_assert_int_eq(load(p, NULL, NULL), -1);
	ck_assert_msg(strstr(err, "e2.conf:3:") != NULL, "got %s", err);
	p = write_file("e3.conf", "s3: { endpoint = ; bucket = \"bkt\"; };\n");
	ck_assert_int_eq(load(p, NULL, NULL), -1);
	ck_assert_msg(strstr(err, "e3.conf:1:") != NULL, "got %s", err);
	p = write_file("e4.conf", "s3: { endpoint = \"http://x:1\"; bucket = \"bkt\"; };\n"
	    "\nsite: { spa = \"x\"; };\n");
	ck_assert_int_eq(load(p, NULL, NULL), -1);
	ck_assert_msg(strstr(err, "e4.conf:3:") != NULL && strstr(err, "site.spa") != NULL,
	    "got %s", err);
	ck_assert_int_eq(load("/nonexistent/s3wwwd.conf", NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/s3wwwd.conf"));
}
END_TEST

START_TEST(flag_errors)
{
	const char *p = write_file("f.conf", base);
	const char *unknown[] = { "-nosuchflag", NULL };
	const char *missing[] = { "-bucket", NULL };
	const char *badnum[] = { "-workers", "many", NULL };
	const char *badms[] = { "-header-timeout", "10 parsecs", NULL };
	const char *ok[] = { "-header-timeout", "2s", "-keepalive-timeout=1m", "-workers=3",
	    "-virtual-host", "-tls-verify=false", NULL };

	ck_assert_int_eq(load(p, unknown, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "nosuchflag"));
	ck_assert_int_eq(load(p, missing, NULL), -1);
	ck_assert_int_eq(load(p, badnum, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "-workers"));
	ck_assert_int_eq(load(p, badms, NULL), -1);
	ck_assert_int_eq(load(p, ok, NULL), 0);
	ck_assert_int_eq(cfg.header_timeout_ms, 2000);
	ck_assert_int_eq(cfg.keepalive_timeout_ms, 60000);
	ck_assert_int_eq(cfg.workers, 3);
	ck_assert_int_eq(cfg.virtual_host, 1);
	ck_assert_int_eq(cfg.tls_verify, 0);
	ck_assert_int_eq(config_worker_count(&cfg), 3);
}
END_TEST

START_TEST(validation)
{
	const char *p = write_file("v.conf", base);
	const char *badlisten[] = { "-listen", "nonsense", NULL };
	const char *badep[] = { "-endpoint", "ftp://x", NULL };
	const char *tlshalf[] = { "-ssl-cert", "/x.pem", NULL };
	const char *path[] = { "-bucketPath", "a/b", NULL };

	ck_assert_int_eq(load(p, badlisten, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "listen"));
	ck_assert_int_eq(load(p, badep, NULL), -1);
	ck_assert_int_eq(load(p, tlshalf, NULL), -1);
	ck_assert_int_eq(load(p, path, NULL), 0);
	ck_assert_str_eq(cfg.bucket_path, "a/b/");
}
END_TEST


/* A site inherits the top level (after the flags) and overrides what it sets. */
START_TEST(sites_inherit_and_override)
{
	const char *p = write_file("s1.conf",
	    "s3: { endpoint = \"http://127.0.0.1:9000\"; bucket = \"top\"; access_key = \"AK\";\n"
	    "      secret_key = \"SK\"; };\n"
	    "site: { index = \"home.html\"; spa_file = \"app.html\";\n"
	    "  headers = ( { name = \"X-A\"; value = \"1\"; } );\n"
	    "  routing_rules = ( { key_prefix = \"old/\"; replace_key_prefix = \"new/\"; } ); };\n"
	    "cache: { enabled = true; ttl = \"5s\"; };\n"
	    "sites = (\n"
	    "  { name = \"blog\"; hosts = [ \"blog.test\", \"*.blog.test\" ];\n"
	    "    s3 = { bucket = \"blog\"; bucket_path = \"/pub\"; };\n"
	    "    site = { spa_file = \"\"; }; cache = { ttl = \"1s\"; }; },\n"
	    "  { hosts = [ \"*.docs.test\" ]; s3 = { bucket_path = \"docs\"; };\n"
	    "    cache = { enabled = false; }; }\n"
	    ");\n");
	const char *flags[] = { "-region", "eu-west-1", NULL };
	static struct worker_conf wc;

	ck_assert_msg(load(p, flags, NULL) == 0, "got %s", err);
	ck_assert_int_eq(cfg.nsites, 3);
	ck_assert_int_eq(cfg.multi_site, 1);
	ck_assert_int_eq(cfg.default_site, 0);
	ck_assert_str_eq(cfg.sites[0].site_name, "default");
	ck_assert_str_eq(cfg.sites[1].site_name, "blog");
	ck_assert_str_eq(cfg.sites[2].site_name, "docs.test");   /* from its first host */
	ck_assert_str_eq(cfg.sites[1].bucket, "blog");
	ck_assert_str_eq(cfg.sites[1].bucket_path, "pub/");
	ck_assert_str_eq(cfg.sites[1].region, "eu-west-1");      /* the flag, inherited */
	ck_assert_str_eq(cfg.sites[1].access_key, "AK");
	ck_assert_str_eq(cfg.sites[1].index_document, "home.html");
	ck_assert_str_eq(cfg.sites[1].spa_file, "");
	ck_assert_int_eq(cfg.sites[1].nheaders, 1);              /* inherited list */
	ck_assert_int_eq(cfg.sites[1].rules.nrules, 0);          /* rules are not */
	ck_assert_int_eq(cfg.sites[0].rules.nrules, 1);
	ck_assert_int_eq(cfg.sites[1].cache_ttl_ms, 1000);
	ck_assert_str_eq(cfg.sites[2].bucket, "top");
	ck_assert_int_eq(cfg.sites[2].cache_enabled, 0);

	ck_assert_msg(config_worker_conf(&cfg, &wc, NULL, NULL, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(wc.nsites, 3);
	ck_assert_int_eq(wc.multi_site, 1);
	ck_assert_int_eq(wc.caching, 1);
	ck_assert_int_eq(wc.sites[1].caching, 1);
	ck_assert_int_eq(wc.sites[2].caching, 0);
	ck_assert_uint_eq(wc.sites[1].cache_ttl_ms, 1000);
	/* Sites on the same bucket share their part of the cache, others do not. */
	ck_assert_uint_eq(wc.sites[2].cache_ns, wc.sites[0].cache_ns);
	ck_assert_uint_ne(wc.sites[1].cache_ns, wc.sites[0].cache_ns);
	ck_assert_str_eq(wc.sites[1].ep.bucket, "blog");
	ck_assert_int_eq(wc.sites[1].signing, 1);
	ck_assert_str_eq(wc.sites[1].site.prefix, "pub/");
	ck_assert_int_eq(wc.sites[0].metrics_site, -1);          /* no metrics region here */
	ck_assert_int_eq(site_hosts_find(&wc.hosts, "x.blog.test", 11), 1);
	ck_assert_int_eq(site_hosts_find(&wc.hosts, "a.docs.test", 11), 2);
	ck_assert_int_eq(site_hosts_find(&wc.hosts, "elsewhere", 9), 0);
	config_worker_conf_wipe(&wc);
	ck_assert_ptr_null(wc.sites);
}
END_TEST

/* Without a `sites` list there is one site, which answers every host. */
START_TEST(one_site_without_a_list)
{
	const char *p = write_file("s2.conf", base);
	static struct worker_conf wc;

	ck_assert_int_eq(load(p, NULL, NULL), 0);
	ck_assert_int_eq(cfg.nsites, 1);
	ck_assert_int_eq(cfg.multi_site, 0);
	ck_assert_str_eq(cfg.sites[0].bucket, "site");
	ck_assert_int_eq(config_worker_conf(&cfg, &wc, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(wc.hosts.n, 0);
	ck_assert_int_eq(site_hosts_find(&wc.hosts, "any.host", 8), 0);
	config_worker_conf_wipe(&wc);
}
END_TEST

/* Without a top-level bucket the listed sites are all there is. */
START_TEST(sites_without_a_top_level_site)
{
	const char *p = write_file("s3.conf",
	    "s3: { endpoint = \"http://127.0.0.1:9000\"; };\n"
	    "sites = ( { name = \"a\"; hosts = [ \"a.test\" ]; s3 = { bucket = \"aaa\"; }; } );\n");
	const char *q = write_file("s4.conf",
	    "s3: { endpoint = \"http://127.0.0.1:9000\"; };\n"
	    "sites = ( { name = \"a\"; hosts = [ \"a.test\" ]; s3 = { bucket = \"aaa\"; }; },\n"
	    "  { name = \"b\"; default = true; s3 = { bucket = \"bbb\"; }; } );\n");
	const char *r = write_file("s5.conf",
	    "s3: { endpoint = \"http://127.0.0.1:9000\"; };\nsites = ( );\n");
	const char *t = write_file("s6.conf",
	    "s3: { endpoint = \"http://127.0.0.1:9000\"; bucket = \"x\"; };\n"
	    "sites = ( { hosts = [ \"a.test\" ]; s3 = { timeout = \"1s\"; }; } );\n");

	ck_assert_msg(load(p, NULL, NULL) == 0, "%s", err);
	ck_assert_int_eq(cfg.nsites, 1);
	ck_assert_int_eq(cfg.default_site, -1);
	ck_assert_msg(load(q, NULL, NULL) == 0, "%s", err);
	ck_assert_int_eq(cfg.default_site, 1);
	ck_assert_int_eq(load(r, NULL, NULL), -1);
	ck_assert_msg(strstr(err, "s5.conf:2: sites must be a list") != NULL, "%s", err);
	ck_assert_int_eq(load(t, NULL, NULL), -1);
	ck_assert_msg(strstr(err, "s6.conf:2: \"s3.timeout\" is set for the whole server") !=
	    NULL, "%s", err);
}
END_TEST

/* Remove what the tests wrote, so runs leave nothing in /tmp. */
static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	SRunner *sr;
	int failed;

	if (mkdtemp(dir) == NULL)
		return EXIT_FAILURE;
	tcase_add_test(tc, defaults_and_required);
	tcase_add_test(tc, precedence);
	tcase_add_test(tc, s3www_flags);
	tcase_add_test(tc, credential_files);
	tcase_add_test(tc, errors_name_the_line);
	tcase_add_test(tc, flag_errors);
	tcase_add_test(tc, validation);
	tcase_add_test(tc, sites_inherit_and_override);
	tcase_add_test(tc, one_site_without_a_list);
	tcase_add_test(tc, sites_without_a_top_level_site);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
