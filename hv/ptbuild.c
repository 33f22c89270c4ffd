/* The page-table builder shared by EPT and NPT: see hv/ptbuild.h.
 *
 * Both formats index a 48-bit guest-physical address the same way (Intel
 * SDM vol. 3C 29.3.2, AMD APM vol. 2 15.25.5 with 5.3.3): bits 47:39 pick
 * the PML4 entry, 38:30 the PDPT entry, 29:21 the PD entry, 20:12 the PT
 * entry. Every loop below runs at most PT_LEVELS times per page; nothing
 * recurses. */
#include "ptbuild.h"
#include "../lib/string.h"

static unsigned level_shift(int level)
{
	return 12 + 9 * (unsigned)(level - 1);
}

static u64 level_size(int level)
{
	return (u64)1 << level_shift(level);
}

static unsigned level_index(u64 addr, int level)
{
	return (unsigned)(addr >> level_shift(level)) & (PT_ENTRIES - 1);
}

/* 4 KiB leaves exist in every format; PD (2 MiB) and PDPT (1 GiB) leaves
 * only when the hardware supports them, which the format says; never at
 * the PML4. */
static bool leaf_allowed(const struct pt_format *fmt, int level)
{
	return level == 1 || (level == 2 && fmt->large_2m) || (level == 3 && fmt->large_1g);
}

static u64 *table_ptr(const struct pt_builder *b, hpa_t pa)
{
	return b->ptr(pa, b->ctx);
}

/* A fresh table, zeroed here as well as by the allocator: a stale entry in
 * a table would map whatever it happens to hold. */
static hpa_t new_table(struct pt_builder *b)
{
	hpa_t pa = b->alloc(b->ctx);
	u64 *t;

	if (!pa || (pa & (PT_PAGE_SIZE - 1)) || (pa & ~b->fmt->addr_mask))
		return 0;
	t = table_ptr(b, pa);
	if (!t)
		return 0;
	memset(t, 0, PT_PAGE_SIZE);
	b->tables++;
	return pa;
}

int pt_init(struct pt_builder *b, const struct pt_format *fmt,
	    pt_alloc_fn alloc, pt_ptr_fn ptr, void *ctx)
{
	b->fmt = fmt;
	b->alloc = alloc;
	b->ptr = ptr;
	b->ctx = ctx;
	b->tables = 0;
	b->leaf_ok = NULL;
	b->leaf_ctx = NULL;
	b->root = new_table(b);
	return b->root ? 0 : -1;
}

/* Maps one page at addr, as large as alignment, the remaining length and
 * the tables already there allow, and returns its size in *size.
 *
 * A slot that already points at a table (built for a neighbouring range
 * that shares this 2 MiB or 1 GiB block) is descended into rather than
 * replaced, so the new range is split into smaller pages around the
 * existing ones. A present leaf in the way means the ranges overlap. */
static int map_page(struct pt_builder *b, u64 addr, u64 end,
		    enum pt_mem_type type, u64 *size)
{
	const struct pt_format *fmt = b->fmt;
	u64 *table = table_ptr(b, b->root);
	int level;

	for (level = PT_LEVELS; level >= 1; level--) {
		u64 *e = &table[level_index(addr, level)];
		u64 sz = level_size(level);
		hpa_t next;

		if (!fmt->present(*e)) {
			if (leaf_allowed(fmt, level) && !(addr & (sz - 1)) &&
			    end - addr >= sz &&
			    (level == 1 || !b->leaf_ok || b->leaf_ok(addr, sz, b->leaf_ctx))) {
				*e = fmt->leaf_entry(addr, level, type);
				*size = sz;
				return 0;
			}
			next = new_table(b);
			if (!next)
				return -1;
			*e = fmt->table_entry(next, level);
		} else if (level == 1 || fmt->is_leaf(*e, level)) {
			return -1;
		}
		table = table_ptr(b, *e & fmt->addr_mask);
	}
	return -1;
}

int pt_map_identity(struct pt_builder *b, u64 base, u64 len,
		    enum pt_mem_type type)
{
	u64 addr, end, size;

	if ((base | len) & (PT_PAGE_SIZE - 1))
		return -1;
	if (base > PT_ADDR_LIMIT || len > PT_ADDR_LIMIT - base)
		return -1;
	end = base + len;
	for (addr = base; addr < end; addr += size)
		if (map_page(b, addr, end, type, &size))
			return -1;
	return 0;
}

int pt_map_ranges(struct pt_builder *b, const struct pt_range *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (pt_map_identity(b, r[i].base, r[i].len, r[i].type))
			return -1;
	return 0;
}

/* The leaf entry that maps gpa, and its level in *level; NULL when
 * nothing does. */
static u64 *leaf_of(const struct pt_builder *b, u64 gpa, int *level)
{
	const struct pt_format *fmt = b->fmt;
	u64 *table;
	int l;

	if (!b->root || gpa >= PT_ADDR_LIMIT)
		return NULL;
	table = table_ptr(b, b->root);
	for (l = PT_LEVELS; l >= 1; l--) {
		u64 *e = &table[level_index(gpa, l)];

		if (!fmt->present(*e))
			return NULL;
		if (l == 1 || fmt->is_leaf(*e, l)) {
			*level = l;
			return e;
		}
		table = table_ptr(b, *e & fmt->addr_mask);
	}
	return NULL;
}

int pt_walk(const struct pt_builder *b, u64 gpa, hpa_t *pa, int *level,
	    u64 *entry)
{
	int l;
	u64 *e = leaf_of(b, gpa, &l);
	u64 off;

	if (!e)
		return -1;
	off = level_size(l) - 1;
	/* Bits below the page size are flags (the large-page PAT bit on
	 * NPT) or reserved, never address. */
	if (pa)
		*pa = (*e & b->fmt->addr_mask & ~off) | (gpa & off);
	if (level)
		*level = l;
	if (entry)
		*entry = *e;
	return 0;
}

int pt_set_page(struct pt_builder *b, u64 gpa, hpa_t pa, bool writable)
{
	const struct pt_format *fmt = b->fmt;
	int l;
	u64 *e = leaf_of(b, gpa, &l);

	if (!e || l != 1 || (pa & (PT_PAGE_SIZE - 1)) || (pa & ~fmt->addr_mask))
		return -1;
	*e = (*e & ~fmt->addr_mask & ~fmt->write_bit) | pa | (writable ? fmt->write_bit : 0);
	return 0;
}
