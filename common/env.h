/*
 * env.h - the environment variables that the daemon and the seeding tool
 * both read, so that one environment (a Kubernetes Secret, a systemd
 * EnvironmentFile) configures both the same way.
 *
 * Each macro is a space-separated list of names, and the first one that is
 * set to a non-empty value wins.  The order is the same everywhere: the
 * project's own S3WWWD_* name, then s3www's S3WWW_* name (the daemon is a
 * drop-in replacement for s3www), then the generic S3_* or AWS_* name that
 * other tools use too.  The lists are the union of what each program read
 * before they were shared, so that no environment that worked stops
 * working.  daemon/config.c uses them in its option table, and
 * tools/s3wwwd-seed.c walks them itself; the manual pages and the README
 * list the same names.
 */
#ifndef S3WWWD_ENV_H
#define S3WWWD_ENV_H

#define ENV_ENDPOINT "S3WWWD_ENDPOINT S3WWW_ENDPOINT S3_ENDPOINT"
#define ENV_BUCKET "S3WWWD_BUCKET S3WWW_BUCKET"
#define ENV_REGION "S3WWWD_REGION S3WWW_REGION AWS_REGION"
#define ENV_ACCESS_KEY "S3WWWD_ACCESS_KEY S3WWW_ACCESS_KEY AWS_ACCESS_KEY_ID"
#define ENV_SECRET_KEY "S3WWWD_SECRET_KEY S3WWW_SECRET_KEY AWS_SECRET_ACCESS_KEY"
#define ENV_ACCESS_KEY_FILE "S3WWWD_ACCESS_KEY_FILE S3WWW_ACCESS_KEY_FILE"
#define ENV_SECRET_KEY_FILE "S3WWWD_SECRET_KEY_FILE S3WWW_SECRET_KEY_FILE"
/*
 * The tool sends a token only with an access key from a variable of the
 * same family (S3WWWD_* or AWS_*), the key it was issued with; see
 * s3wwwd-seed(1).
 */
#define ENV_SESSION_TOKEN "S3WWWD_SESSION_TOKEN AWS_SESSION_TOKEN"

#endif
