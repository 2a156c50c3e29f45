#!/bin/sh
# The entry point the MinIO chart calls by this name (docker-entrypoint.sh).
# The chart passes the whole command line and the credentials through the
# environment, so there is nothing to prepare: run the command.
set -e
exec "$@"
