/* See hv/mtrr.h. Intel SDM vol. 3A 12.11 (section numbers of the 2023 and
 * later editions, chapter 12 "Memory Cache Control"); AMD APM vol. 2 7.7
 * describes the same registers. */
#include "mtrr.h"

#define GRANULE 0x1000ull
/* Points a non-contiguous variable range may add before mtrr_types()
 * gives up (hv/mtrr.h). */
#define MAX_PIECES 64

void mtrr_set_fixed(struct mtrr_state *m, const u64 msr[11])
{
	for (unsigned i = 0; i < MTRR_FIXED_RANGES; i++)
		m->fixed[i] = (u8)(msr[i / 8] >> (8 * (i % 8)));
}

/* 12.11.2.2: the fixed range holding addr (below 1 MiB), and where each
 * range starts. */
static unsigned fixed_index(u64 addr)
{
	if (addr < 0x80000)
		return (unsigned)(addr >> 16);
	if (addr < 0xC0000)
		return 8 + (unsigned)((addr - 0x80000) >> 14);
	return 24 + (unsigned)((addr - 0xC0000) >> 12);
}

static u64 fixed_start(unsigned i)
{
	if (i < 8)
		return (u64)i << 16;
	if (i < 24)
		return 0x80000 + ((u64)(i - 8) << 14);
	return 0xC0000 + ((u64)(i - 24) << 12);
}

/* Bits 51:12 of an address that the CPU implements. */
static u64 addr_bits(const struct mtrr_state *m)
{
	unsigned bits = m->phys_bits >= 36 && m->phys_bits <= 52 ? m->phys_bits : 36;

	return ((1ull << bits) - 1) & ~(GRANULE - 1);
}

/* A type as a bit of a set; types are 0-6, the mask keeps the shift
 * defined for any byte. */
static unsigned bit(u8 type)
{
	return 1u << (type & 31);
}

static bool var_valid(const struct mtrr_state *m, unsigned i)
{
	return m->var[i].mask & MTRR_PHYSMASK_V;
}

/* 12.11.3: addr is in range i when it agrees with PHYSBASE on every bit
 * PHYSMASK sets. */
static bool var_match(const struct mtrr_state *m, unsigned i, u64 addr)
{
	u64 mask = m->var[i].mask & addr_bits(m);

	return ((addr ^ m->var[i].base) & mask) == 0;
}

u8 mtrr_type(const struct mtrr_state *m, u64 addr)
{
	unsigned set = 0;

	/* 12.11.4.1: with the MTRRs off every access is UC; the fixed
	 * ranges, when on, decide the first MiB; then the variable ranges;
	 * then the default type. */
	if (!m->enabled)
		return MTRR_TYPE_UC;
	if (m->fixed_enabled && addr < MTRR_FIXED_END)
		return m->fixed[fixed_index(addr)];
	for (unsigned i = 0; i < m->nvar && i < MTRR_VAR_MAX; i++)
		if (var_valid(m, i) && var_match(m, i, addr))
			set |= bit((u8)m->var[i].base);
	if (!set)
		return m->def_type;
	/* Overlapping ranges: one type stays itself, UC wins, WT beats WB;
	 * any other mix is undefined, and UC is never wrong. */
	if (!(set & (set - 1)))
		return (u8)__builtin_ctz(set);
	if (set == (1u << MTRR_TYPE_WT | 1u << MTRR_TYPE_WB))
		return MTRR_TYPE_WT;
	return MTRR_TYPE_UC;
}

/* Adds the type at p to *set when p lies in (base, end). */
static void point(const struct mtrr_state *m, u64 p, u64 base, u64 end, unsigned *set)
{
	if (p > base && p < end)
		*set |= bit(mtrr_type(m, p));
}

unsigned mtrr_types(const struct mtrr_state *m, u64 base, u64 len)
{
	u64 end = base + len, bits = addr_bits(m);
	unsigned set;

	if (!len || end < base)
		return 0;
	/* The type is constant between the points where some range starts
	 * or ends, so looking at base and at each such point inside the
	 * range sees every type there is. */
	set = bit(mtrr_type(m, base));
	if (!m->enabled)
		return set;
	if (m->fixed_enabled && base < MTRR_FIXED_END) {
		for (unsigned i = fixed_index(base) + 1; i < MTRR_FIXED_RANGES; i++)
			point(m, fixed_start(i), base, end, &set);
		point(m, MTRR_FIXED_END, base, end, &set);
	}
	for (unsigned i = 0; i < m->nvar && i < MTRR_VAR_MAX; i++) {
		u64 mask = m->var[i].mask & bits, low = mask & -mask, start;

		if (!var_valid(m, i) || !mask)
			continue;	/* unused, or matching every address */
		start = m->var[i].base & mask;
		if (mask == (bits & ~(low - 1))) {
			/* Contiguous (12.11.4): one block [start, start+low). */
			point(m, start, base, end, &set);
			point(m, start + low, base, end, &set);
			continue;
		}
		/* Not contiguous: a union of aligned blocks of low bytes; each
		 * block edge inside the range may change the type. */
		if (ALIGN_DOWN(base, low) == ALIGN_DOWN(end - 1, low))
			continue;
		if ((end - 1 - base) / low > MAX_PIECES)
			return 0;
		for (u64 p = ALIGN_UP(base + 1, low); p < end; p += low)
			point(m, p, base, end, &set);
	}
	return set;
}

bool mtrr_one_type(const struct mtrr_state *m, u64 base, u64 len)
{
	unsigned set = mtrr_types(m, base, len);

	return set && !(set & (set - 1));
}

const char *mtrr_type_name(u8 type)
{
	switch (type) {
	case MTRR_TYPE_UC: return "UC";
	case MTRR_TYPE_WC: return "WC";
	case MTRR_TYPE_WT: return "WT";
	case MTRR_TYPE_WP: return "WP";
	case MTRR_TYPE_WB: return "WB";
	default: return "reserved";
	}
}
