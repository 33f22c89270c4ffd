/* Counting I/O exits by port. A guest's I/O exits come in bursts on one
 * port (a PCI bus scan through 0xCF8, the i8042 driver polling 0x64), so
 * the slot hit last is tried first: the count costs a compare or two on
 * the exit path. */
#include "hv.h"
#include "iocount.h"
#include "../lib/format.h"

void io_count(struct io_counts *c, u16 port, u8 size, bool in)
{
	struct io_count *s = &c->slot[c->last];
	int i;

	if (c->used && s->port == port && s->size == size && s->in == in) {
		s->n++;
		return;
	}
	for (i = 0; i < c->used; i++) {
		s = &c->slot[i];
		if (s->port == port && s->size == size && s->in == in)
			break;
	}
	if (i == c->used) {
		if (c->used == IO_COUNT_SLOTS) {
			c->other++;
			return;
		}
		c->slot[c->used++] = (struct io_count){ .port = port, .size = size, .in = in };
	}
	c->slot[i].n++;
	c->last = i;
}

/* `keel: io exits out:0xcf8/4=16570 in:0x64/1=73 ...`, most first. */
void io_count_log(const struct io_counts *c)
{
	char buf[IO_COUNT_SLOTS * 40 + 40]; /* " out:0xffff/4=" and 20 digits each */
	bool done[IO_COUNT_SLOTS] = { false };
	int n = 0;

	for (int k = 0; k < c->used; k++) {
		int best = -1;

		for (int i = 0; i < c->used; i++)
			if (!done[i] && (best < 0 || c->slot[i].n > c->slot[best].n))
				best = i;
		done[best] = true;
		n += fmt_snprintf(buf + n, sizeof(buf) - n, " %s:0x%x/%u=%llu",
				  c->slot[best].in ? "in" : "out", c->slot[best].port,
				  c->slot[best].size, (unsigned long long)c->slot[best].n);
	}
	if (c->other)
		n += fmt_snprintf(buf + n, sizeof(buf) - n, " other=%llu",
				  (unsigned long long)c->other);
	log_line("io exits%s", n ? buf : " none");
}
