/*
 * check_config.c - configuration loading: precedence of file, environment
 * and flags, s3www compatibility, credential files, and the messages that
 * point at the line that is wrong.
 */
#include <check.h>
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

		ck_assert_int_eq(config_worker_conf(&cfg, &wc, NULL, NULL, err, sizeof(err)), 0);
		ck_assert_int_eq(site_origin_allowed(&wc.site, "https://a.example", 17), 1);
		ck_assert_int_eq(site_origin_allowed(&wc.site, "https://c.example", 17), 0);
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
