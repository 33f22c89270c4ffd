/* Helpers shared by the libFuzzer harnesses (tests/fuzz/README.md). They
 * are built with -Ilib like the unit tests, so <string.h> is Keel's own
 * (lib/string.h) and the C library provides its functions. */
#ifndef KEEL_FUZZ_UTIL_H
#define KEEL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* -Ilib makes <string.h> Keel's own, which lacks this one. */
void *memchr(const void *s, int c, size_t n);

/* A property the code under test promises does not hold: report it as a
 * crash so that libFuzzer saves the input. */
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, \
				__LINE__, #cond);                           \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)

/* Reads little-endian values from the input, zeros past its end. */
struct fuzz_in {
	const uint8_t *p;
	size_t n, off;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++, in->off++)
		if (in->off < in->n)
			v |= (uint64_t)in->p[in->off] << (8 * i);
	return v;
}

#endif
