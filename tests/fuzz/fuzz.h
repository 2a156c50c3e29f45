/*
 * fuzz.h - what every libFuzzer harness here shares: the entry point's
 * prototype (libFuzzer declares none) and CHECK, which aborts with the
 * failed property so that libFuzzer keeps the input that broke it.
 * Include it first: it asks for the GNU extensions (memmem) the harnesses use.
 */
#ifndef S3WWWD_FUZZ_H
#define S3WWWD_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
