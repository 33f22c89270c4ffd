/* I/O exits by port, size and direction, for the `keel: io exits` line
 * (docs/log.md) and `make bench` (docs/performance.md). */
#ifndef KEEL_IOCOUNT_H
#define KEEL_IOCOUNT_H

#include "../lib/types.h"

/* Distinct (port, size, direction) triples counted one by one; the rest
 * are summed under other=. Keel intercepts only a handful of ports. */
#define IO_COUNT_SLOTS 16

/* port | size << 16 | in << 24: one compare tells a slot. (The first
 * four bytes of struct vmexit_io, hv/vmexit.h, read as one u32.) */
static inline u32 io_count_key(u16 port, u8 size, bool in)
{
	return port | (u32)size << 16 | (u32)in << 24;
}

struct io_count {
	u32 key;                              /* io_count_key(); 0 in an unused slot */
	u64 n;
};

struct io_counts {
	struct io_count slot[IO_COUNT_SLOTS];
	int used;
	int last;                             /* the slot hit last: bursts repeat it */
	u64 other;
};

void io_count_slow(struct io_counts *c, u32 key);

/* Counts one exit. A guest's I/O exits come in bursts on one port (a PCI
 * bus scan through 0xCF8, the i8042 driver polling 0x64): the slot hit
 * last is tried first, inline, so that the exit path pays one compare. */
static inline void io_count(struct io_counts *c, u32 key)
{
	if (c->slot[c->last].key == key)
		c->slot[c->last].n++;
	else
		io_count_slow(c, key);
}

/* Adds the counts of one vCPU to a guest's (its vCPUs' sum). */
void io_count_add(struct io_counts *into, const struct io_counts *from);

/* Prints `keel: io exits ...` for the guest that stopped. */
void io_count_log(const struct io_counts *c);

#endif
