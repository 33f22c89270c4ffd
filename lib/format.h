/* A small formatted-print routine for stage 2 and the hypervisor.
 * Conversions: %d %i %u %x %X %p %s %c %%; flags '-' '0'; a width (or *);
 * a precision for %s (or .*); length modifiers hh h l ll z.
 * u64 division is done without libgcc, so it runs in -m16 stage 2 too. */
#ifndef KEEL_FORMAT_H
#define KEEL_FORMAT_H

#include <stdarg.h>
#include "types.h"

/* Like C's vsnprintf: always NUL-terminates when n > 0 and returns the
 * length the full output would have had. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
