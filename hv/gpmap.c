/* The guest-physical map: see hv/gpmap.h.
 *
 * Keel is a passthrough hypervisor: guest-physical addresses map 1:1 onto
 * host-physical ones, so this only decides what is mapped and how. RAM is
 * cached (WB). Anything else below the top of the map may be a device, so
 * it is UC: with EPT the leaf's type replaces the MTRRs (Intel SDM vol. 3C
 * 29.3.7), and a BIOS guest runs without paging, so nothing else would
 * stop the CPU from caching MMIO. A page only partly RAM is treated as
 * not RAM. The top is the caller's (the CPU's physical-address width:
 * device memory above RAM, 64-bit BARs and high MMIO windows, lives up
 * there); addresses above it, and beyond the 48 bits that 4-level tables
 * translate, stay unmapped.
 *
 * Keel's region is absent: a guest access there is a nested-page fault
 * (an EPT violation or an NPF exit), never a read of Keel's memory. The
 * region wins over every other rule, the first MiB included. */
#include "gpmap.h"
#include "../lib/string.h"

#define PAGE 4096u

struct gpmap_out {
	struct pt_range *r;
	int n, max;
	u64 hole_lo, hole_hi;	/* Keel's region, rounded outward */
};

/* The end of a map entry, clamped to what the tables can translate (which
 * also keeps base + len from wrapping). */
static u64 entry_end(const struct mem_range *m)
{
	if (m->base >= PT_ADDR_LIMIT)
		return PT_ADDR_LIMIT;
	return m->len > PT_ADDR_LIMIT - m->base ? PT_ADDR_LIMIT : m->base + m->len;
}

static u64 clamp(u64 a)
{
	return a > PT_ADDR_LIMIT ? PT_ADDR_LIMIT : a;
}

/* Appends [base, end), merged into the last range when they touch and
 * share a type (ranges arrive in ascending order). */
static int put(struct gpmap_out *o, u64 base, u64 end, enum pt_mem_type type)
{
	struct pt_range *last = o->n ? &o->r[o->n - 1] : NULL;

	if (base >= end)
		return 0;
	if (last && last->type == type && last->base + last->len == base) {
		last->len += end - base;
		return 0;
	}
	if (o->n >= o->max)
		return -1;
	o->r[o->n].base = base;
	o->r[o->n].len = end - base;
	o->r[o->n].type = type;
	o->n++;
	return 0;
}

/* put() with Keel's region cut out of [base, end). */
static int emit(struct gpmap_out *o, u64 base, u64 end, enum pt_mem_type type)
{
	if (base >= end)
		return 0;
	if (o->hole_lo >= end || o->hole_hi <= base)
		return put(o, base, end, type);
	if (put(o, base, o->hole_lo > base ? o->hole_lo : base, type))
		return -1;
	return put(o, o->hole_hi < end ? o->hole_hi : end, end, type);
}

/* Sorted and non-overlapping, as memmap_sanitize() guarantees; the sweep
 * below relies on it. */
static bool map_ordered(const struct mem_range *map, int n)
{
	int i;

	for (i = 1; i < n; i++) {
		const struct mem_range *p = &map[i - 1];

		if (map[i].base < p->base || map[i].base - p->base < p->len)
			return false;
	}
	return true;
}

/* max(top, 4 GiB, end of the highest RAM rounded up to a page). */
static u64 map_top(const struct mem_range *map, int n, u64 top)
{
	top = top > GiB(4) ? ALIGN_UP(clamp(top), PAGE) : GiB(4);
	int i;

	for (i = 0; i < n; i++) {
		u64 end = ALIGN_UP(entry_end(&map[i]), PAGE);

		if (map[i].type == E820_RAM && map[i].len && end > top)
			top = end;
	}
	return clamp(top);
}

int gpmap_build(const struct mem_range *map, int n, hpa_t region,
		u64 region_size, u64 top_wanted, struct pt_range *out, int max)
{
	struct gpmap_out o = { out, 0, max, 0, 0 };
	u64 top, cursor = 0;
	int i;

	if (n < 0 || max < 0 || !map_ordered(map, n))
		return -1;
	top = map_top(map, n, top_wanted);
	if (region_size && region < PT_ADDR_LIMIT) {
		o.hole_lo = ALIGN_DOWN(region, PAGE);
		o.hole_hi = region_size >= PT_ADDR_LIMIT - region ?
			PT_ADDR_LIMIT : ALIGN_UP(region + region_size, PAGE);
	}
	/* Sweep upwards: a gap before each run of RAM is UC, the run WB. */
	for (i = 0; i < n; i++) {
		u64 start, end, lo, hi;

		if (map[i].type != E820_RAM || !map[i].len)
			continue;
		start = clamp(map[i].base);
		end = entry_end(&map[i]);
		/* Touching RAM entries are one run: rounding each inward
		 * alone would lose the page they share. */
		while (i + 1 < n && map[i + 1].type == E820_RAM &&
		       map[i + 1].base == end && map[i + 1].len)
			end = entry_end(&map[++i]);
		lo = ALIGN_UP(start, PAGE);
		hi = ALIGN_DOWN(end, PAGE);
		if (lo >= hi)
			continue;
		if (emit(&o, cursor, lo, PT_MEM_UC) ||
		    emit(&o, lo, hi, PT_MEM_WB))
			return -1;
		cursor = hi;
	}
	if (emit(&o, cursor, top, PT_MEM_UC))
		return -1;
	return o.n;
}

int gpmap_isolate_page(struct pt_range *r, int n, int max, u64 page)
{
	int i, extra;

	page = ALIGN_DOWN(page, PAGE);
	for (i = 0; i < n; i++)
		if (page >= r[i].base && page - r[i].base < r[i].len)
			break;
	if (i == n)
		return n;
	/* Up to two new ranges: the part before the page and the part after. */
	extra = (page > r[i].base) + (page + PAGE < r[i].base + r[i].len);
	if (n + extra > max)
		return -1;
	memmove(&r[i + 1 + extra], &r[i + 1], (size_t)(n - i - 1) * sizeof(*r));
	if (page > r[i].base) {
		r[i + 1] = r[i];
		r[i].len = page - r[i].base;
		i++;
		r[i].base = page;
		r[i].len -= r[i - 1].len;
	}
	if (page + PAGE < r[i].base + r[i].len) {
		r[i + 1] = r[i];
		r[i + 1].base = page + PAGE;
		r[i + 1].len = r[i].base + r[i].len - (page + PAGE);
	}
	r[i].len = PAGE;
	return n + extra;
}

int gpmap_remove(struct pt_range *r, int n, int max, u64 base, u64 len)
{
	u64 end;
	int i;

	if (!len || base >= PT_ADDR_LIMIT)
		return n;
	base = ALIGN_DOWN(base, PAGE);
	end = len > PT_ADDR_LIMIT - base ? PT_ADDR_LIMIT : ALIGN_UP(base + len, PAGE);
	for (i = 0; i < n; i++) {
		u64 lo = r[i].base, hi = r[i].base + r[i].len;

		if (hi <= base || lo >= end)
			continue;
		if (lo < base && hi > end) {
			/* The hole is inside this range: split it in two. */
			if (n >= max)
				return -1;
			memmove(&r[i + 1], &r[i], (size_t)(n - i) * sizeof(*r));
			n++;
			r[i].len = base - lo;
			r[i + 1].base = end;
			r[i + 1].len = hi - end;
			return n;
		}
		if (lo < base) {
			r[i].len = base - lo;
		} else if (hi > end) {
			r[i].base = end;
			r[i].len = hi - end;
		} else {
			memmove(&r[i], &r[i + 1], (size_t)(n - i - 1) * sizeof(*r));
			n--;
			i--;
		}
	}
	return n;
}
