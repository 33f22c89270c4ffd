/* Counting I/O exits by port (hv/iocount.h): the slots, and the line. */
#include "hv.h"
#include "iocount.h"
#include "../lib/format.h"

/* The slot for key, taken if new; -1 when all are taken. */
static int slot_of(struct io_counts *c, u32 key)
{
	int i;

	for (i = 0; i < c->used && c->slot[i].key != key; i++)
		;
	if (i == c->used) {
		if (c->used == IO_COUNT_SLOTS)
			return -1;
		c->slot[c->used++].key = key;
	}
	return i;
}

void io_count_slow(struct io_counts *c, u32 key)
{
	int i = slot_of(c, key);

	if (i < 0) {
		c->other++;
		return;
	}
	c->slot[i].n++;
	c->last = i;
}

void io_count_add(struct io_counts *into, const struct io_counts *from)
{
	into->other += from->other;
	for (int k = 0; k < from->used; k++) {
		int i = slot_of(into, from->slot[k].key);

		if (i < 0)
			into->other += from->slot[k].n;
		else
			into->slot[i].n += from->slot[k].n;
	}
}

/* `keel: io exits out:0xcf8/4=16570 in:0x64/1=73 ...`, most first. */
void io_count_log(const struct io_counts *c)
{
	char buf[IO_COUNT_SLOTS * 40 + 40]; /* " out:0xffff/4=" and 20 digits each */
	bool done[IO_COUNT_SLOTS] = { false };
	int n = 0;

	for (int k = 0; k < c->used; k++) {
		const struct io_count *s;
		int best = -1;

		for (int i = 0; i < c->used; i++)
			if (!done[i] && (best < 0 || c->slot[i].n > c->slot[best].n))
				best = i;
		done[best] = true;
		s = &c->slot[best];
		n += fmt_snprintf(buf + n, sizeof(buf) - n, " %s:0x%x/%u=%llu",
				  (s->key >> 24) ? "in" : "out", s->key & 0xFFFF,
				  (s->key >> 16) & 0xFF, (unsigned long long)s->n);
	}
	if (c->other)
		n += fmt_snprintf(buf + n, sizeof(buf) - n, " other=%llu",
				  (unsigned long long)c->other);
	log_line("io exits%s", n ? buf : " none");
}
