/* Physical memory maps: see lib/memmap.h. Built into -m16 stage 2, whose
 * stack is about 8 KiB, so the only sizeable locals are memmap_sanitize's
 * boundary and type arrays (1.5 KiB), and nothing divides a u64.
 *
 * A range may end exactly at 2^64 (base + len wraps to 0) or claim to end
 * beyond it; both are treated as ending at 2^64. Arithmetic below avoids
 * forming base + len where it could wrap: "a lies in r" is tested as
 * a - r.base < r.len, and ends are handled as inclusive last bytes. */
#include "memmap.h"
#include "string.h"

#define U64_MAX (~(u64)0)

/* The last byte of a non-empty range, clamped to 2^64 - 1. */
static u64 range_last(const struct mem_range *r)
{
	return r->len - 1 > U64_MAX - r->base ? U64_MAX : r->base + (r->len - 1);
}

static bool range_covers(const struct mem_range *r, u64 a)
{
	return a >= r->base && a - r->base < r->len;
}

/* Of two types covering one byte: anything beats RAM, then the larger
 * number wins (header). 0 means "nothing yet". */
static u32 type_winner(u32 cur, u32 t)
{
	if (cur == 0 || cur == E820_RAM)
		return t;
	if (t == E820_RAM)
		return cur;
	return t > cur ? t : cur;
}

static void sort_u64(u64 *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++) {
		u64 x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Collects the sorted, distinct start and end points of the non-empty
 * ranges. An end at 2^64 cannot be stored; *top says there is one. */
static int collect_points(const struct mem_range *m, int n, u64 *pts,
			  bool *top)
{
	int i, k = 0, d;

	*top = false;
	for (i = 0; i < n; i++) {
		if (m[i].len == 0 || m[i].type == 0)
			continue;
		pts[k++] = m[i].base;
		if (range_last(&m[i]) == U64_MAX)
			*top = true;
		else
			pts[k++] = m[i].base + m[i].len;
	}
	sort_u64(pts, k);
	for (i = 0, d = 0; i < k; i++)
		if (d == 0 || pts[i] != pts[d - 1])
			pts[d++] = pts[i];
	return d;
}

/* Boundary sweep: between two consecutive points every range either
 * covers the whole elementary interval or none of it, so its type is
 * decided by the ranges covering its first byte. Types are kept aside
 * (types[i] for [pts[i], pts[i+1])) because the output overwrites m. */
int memmap_sanitize(struct mem_range *m, int n, int max)
{
	u64 pts[2 * MEMMAP_MAX];
	u32 types[2 * MEMMAP_MAX];
	int i, j, k, nint, out;
	bool top;

	/* Type 0 is not an E820 type: such entries are dropped like empty
	 * ones. More than MEMMAP_MAX inputs do not fit the local arrays. */
	if (n < 0 || n > MEMMAP_MAX || max < 0)
		return -1;
	k = collect_points(m, n, pts, &top);
	/* The last point starts an interval only when it runs to 2^64. */
	nint = top ? k : k - 1;
	for (i = 0, out = 0; i < nint; i++) {
		types[i] = 0;
		for (j = 0; j < n; j++)
			if (m[j].len && m[j].type && range_covers(&m[j], pts[i]))
				types[i] = type_winner(types[i], m[j].type);
		/* An output entry starts where the type changes or a gap ends. */
		if (types[i] && (i == 0 || types[i] != types[i - 1]))
			out++;
	}
	if (out > max)
		return -1;
	for (i = 0, out = 0; i < nint; i++) {
		/* 0 - a is 2^64 - a: the length of an interval ending at 2^64. */
		u64 len = (i + 1 < k ? pts[i + 1] : 0) - pts[i];

		if (!types[i])
			continue;
		if (i > 0 && types[i] == types[i - 1]) {
			/* Only [0, 2^64) would overflow; it loses its last byte. */
			m[out - 1].len = len > U64_MAX - m[out - 1].len ?
				U64_MAX : m[out - 1].len + len;
			continue;
		}
		m[out].base = pts[i];
		m[out].len = len;
		m[out].type = types[i];
		out++;
	}
	return out;
}

static bool overlaps(const struct mem_range *r, u64 first, u64 last)
{
	return r->len && r->base <= last && range_last(r) >= first;
}

int memmap_carve(struct mem_range *m, int n, int max, u64 base, u64 len)
{
	struct mem_range cut = { base, len, 0 };
	u64 first = base, last;
	int i, splits = 0;

	if (n < 0 || max < n)
		return -1;
	if (len == 0)
		return n;
	last = range_last(&cut);
	/* Count the ranges that split in two first, so that a -1 leaves the
	 * map as it was. */
	for (i = 0; i < n; i++)
		if (overlaps(&m[i], first, last) && m[i].base < first &&
		    range_last(&m[i]) > last)
			splits++;
	if (n + splits > max)
		return -1;
	for (i = 0; i < n; i++) {
		u64 r_first = m[i].base, r_last;

		if (!overlaps(&m[i], first, last))
			continue;
		r_last = range_last(&m[i]);
		if (r_first < first && r_last > last) {
			/* Split: the right part goes in the next slot. */
			memmove(&m[i + 2], &m[i + 1], (size_t)(n - i - 1) * sizeof(*m));
			m[i + 1].base = last + 1;
			m[i + 1].len = r_last - last;
			m[i + 1].type = m[i].type;
			m[i].len = first - r_first;
			n++;
			i++;
		} else if (r_first < first) {
			m[i].len = first - r_first;
		} else if (r_last > last) {
			m[i].base = last + 1;
			m[i].len = r_last - last;
		} else {
			memmove(&m[i], &m[i + 1], (size_t)(n - i - 1) * sizeof(*m));
			n--;
			i--;
		}
	}
	return n;
}

int memmap_find_top(const struct mem_range *m, int n, u64 size, u64 align,
		    u64 floor, u64 limit, u64 *out)
{
	bool found = false;
	u64 best = 0;
	int i;

	if (align == 0)
		align = 1;
	/* Aligning by a mask needs a power of two (and u64 % is not
	 * available in -m16 code). */
	if (size == 0 || (align & (align - 1)) || size > limit)
		return -1;
	for (i = 0; i < n; i++) {
		u64 last, a;

		if (m[i].type != E820_RAM || m[i].len < size)
			continue;
		last = range_last(&m[i]);
		if (last > limit - 1)
			last = limit - 1;
		/* Highest start that keeps [a, a + size) within [base, last]. */
		if (last < m[i].base || last - m[i].base + 1 < size)
			continue;
		a = ALIGN_DOWN(last - (size - 1), align);
		if (a < m[i].base || a < floor)
			continue;
		if (!found || a > best) {
			best = a;
			found = true;
		}
	}
	if (!found)
		return -1;
	*out = best;
	return 0;
}

u64 memmap_ram_bytes(const struct mem_range *m, int n)
{
	u64 total = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (m[i].type != E820_RAM)
			continue;
		/* Saturate rather than wrap on a nonsensical map. */
		total = m[i].len > U64_MAX - total ? U64_MAX : total + m[i].len;
	}
	return total;
}
