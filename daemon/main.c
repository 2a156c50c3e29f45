/*
 * main.c - command line handling for s3wwwd: -t checks the configuration,
 * -h and -version inform, anything else runs the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "master.h"
#include "tls.h"

extern char **environ;

/* The question and answer of an upgrade's check, as in daemon/master.c. */
#define UPGRADE_PROBE_ENV "S3WWWD_UPGRADE_PROBE"
#define UPGRADE_PROBE_ANSWER "s3wwwd-upgrade: fdnames"

/* Flags whose values are secrets. */
static const char *const secret_flags[] = {
	"accessKey", "access-key", "secretKey", "secret-key", "session-token", NULL
};

/*
 * The arguments are kept (a reload parses them again), but a secret given
 * as a flag would stay readable by every local user in /proc/PID/cmdline of
 * the master and of each worker.  Work on a private copy and blank the
 * values in the real argv.  Returns the copy, or NULL when out of memory.
 */
static char **
hide_secrets(int argc, char *argv[])
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int i, j, warned = 0;

	if (copy == NULL)
		return NULL;
	for (i = 0; i < argc; i++)
		if ((copy[i] = strdup(argv[i])) == NULL)
			return NULL;
	for (i = 1; i < argc; i++) {
		const char *name = argv[i] + (argv[i][0] == '-' && argv[i][1] == '-' ? 2 : 1);
		char *val = NULL;

		if (argv[i][0] != '-')
			continue;
		for (j = 0; secret_flags[j] != NULL; j++) {
			size_t n = strlen(secret_flags[j]);

			if (strncmp(name, secret_flags[j], n) != 0)
				continue;
			if (name[n] == '=')
				val = (char *)name + n + 1;
			else if (name[n] == '\0' && i + 1 < argc)
				val = argv[i + 1];
		}
		if (val == NULL)
			continue;
		memset(val, 'x', strlen(val));
		if (!warned++)
			fprintf(stderr, "s3wwwd: warning: secrets given as flags are visible to "
			    "other users until this point; prefer -accessKeyFile/-secretKeyFile\n");
	}
	return copy;
}

static int
is_flag(const char *a, const char *name)
{
	if (a[0] != '-')
		return 0;
	a += a[1] == '-' ? 2 : 1;
	return strcmp(a, name) == 0;
}

static int run(int argc, char *argv[]);

int
main(int argc, char *argv[])
{
	char **args = hide_secrets(argc, argv);
	int i, rc;

	if (args == NULL) {
		fprintf(stderr, "s3wwwd: out of memory\n");
		return 1;
	}
	rc = run(argc, args);
	for (i = 0; i < argc; i++)
		free(args[i]);
	free(args);
	return rc;
}

static int
run(int argc, char *argv[])
{
	static struct config cfg;
	const char *path = NULL;
	char err[1024];
	int i, test = 0;

	for (i = 1; i < argc; i++) {
		if (is_flag(argv[i], "h") || is_flag(argv[i], "help")) {
			config_usage(argv[0]);
			return 0;
		}
		if (is_flag(argv[i], "version") || is_flag(argv[i], "v")) {
			printf("s3wwwd %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (is_flag(argv[i], "t"))
			test = 1;
		if ((is_flag(argv[i], "c") || is_flag(argv[i], "config")) && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "-c=", 3) == 0)
			path = argv[i] + 3;
		else if (strncmp(argv[i], "-config=", 8) == 0 ||
		    strncmp(argv[i], "--config=", 9) == 0)
			path = strchr(argv[i], '=') + 1;
	}
	if (config_load(&cfg, path, argc - 1, argv + 1, environ, err, sizeof(err)) == -1) {
		fprintf(stderr, "s3wwwd: %s\n", err);
		if (test)
			fprintf(stderr, "s3wwwd: configuration test failed\n");
		return 1;
	}
	if (test) {
		if (cfg.tls_cert[0] != '\0') {
			SSL_CTX *ctx = tls_ctx_new(cfg.tls_cert, cfg.tls_key, err, sizeof(err));

			if (ctx == NULL) {
				fprintf(stderr, "s3wwwd: %s\n"
				    "s3wwwd: configuration test failed\n", err);
				return 1;
			}
			tls_ctx_free(ctx);
		}
		if (cfg.warning[0] != '\0')
			fprintf(stderr, "s3wwwd: warning: %s\n", cfg.warning);
		fprintf(stderr, "s3wwwd: configuration %s is valid\n",
		    cfg.path[0] != '\0' ? cfg.path : "(no file)");
		/*
		 * A master upgrading to this program asks whether it takes its
		 * sockets by name (daemon/master.c, upgrade()); an older one
		 * would not answer, and gets them the old way.
		 */
		if (getenv(UPGRADE_PROBE_ENV) != NULL)
			printf("%s\n", UPGRADE_PROBE_ANSWER);
		config_wipe(&cfg);
		return 0;
	}
	if (log_open("s3wwwd", cfg.error_log, cfg.log_level) == -1) {
		fprintf(stderr, "s3wwwd: cannot open error log %s\n", cfg.error_log);
		return 1;
	}
	if (cfg.warning[0] != '\0')
		log_warn("%s", cfg.warning);
	return master_run(&cfg, path, argc - 1, argv + 1);
}
