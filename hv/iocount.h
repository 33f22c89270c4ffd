/* I/O exits by port, size and direction, for the `keel: io exits` line
 * (docs/log.md) and `make bench` (docs/performance.md). */
#ifndef KEEL_IOCOUNT_H
#define KEEL_IOCOUNT_H

#include "../lib/types.h"

/* Distinct (port, size, direction) triples counted one by one; the rest
 * are summed under other=. Keel intercepts only a handful of ports. */
#define IO_COUNT_SLOTS 16

struct io_count {
	u16 port;
	u8 size;
	bool in;
	u64 n;
};

struct io_counts {
	struct io_count slot[IO_COUNT_SLOTS];
	int used;
	int last;                             /* the slot hit last: bursts repeat it */
	u64 other;
};

struct vcpu;

void io_count(struct io_counts *c, u16 port, u8 size, bool in);
/* Prints `keel: io exits ...` for the guest that stopped. */
void io_count_log(const struct io_counts *c);

#endif
