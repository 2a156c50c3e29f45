/*
 * creds.h - reading credentials from files, the way Kubernetes secrets and
 * systemd credentials hand them over.
 */
#ifndef S3WWWD_CREDS_H
#define S3WWWD_CREDS_H

#include <stddef.h>

/*
 * Read a secret from path into out.  A trailing newline (and trailing
 * white space) is removed, since editors and `kubectl create secret
 * --from-file` commonly leave one.  Fails with a message in err when the
 * file cannot be read, is empty, does not fit, or holds a NUL or an inner
 * newline.  Returns 0 or -1.
 */
int creds_read_file(const char *path, char *out, size_t outsz, char *err,
    size_t errsz);

#endif
