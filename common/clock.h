/*
 * clock.h - the monotonic clock every process reads, in milliseconds.
 */
#ifndef S3WWWD_CLOCK_H
#define S3WWWD_CLOCK_H

#include <stdint.h>

/* Milliseconds since boot (CLOCK_MONOTONIC): for deadlines, not dates. */
uint64_t clock_ms(void);

#endif
