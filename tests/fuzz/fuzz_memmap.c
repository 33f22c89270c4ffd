/* libFuzzer harness for lib/memmap.c (sanitize, carve, find_top, RAM
 * bytes) and hv/gpmap.c gpmap_build() on memory maps made of the input
 * (20 bytes per entry: base, len, type; then the parameters). Checks what
 * lib/memmap.h and hv/gpmap.h promise:
 *   sanitize: sorted, no empty, overlapping or mergeable neighbours;
 *   carve:    nothing covers [base, base+len) afterwards, the rest stays;
 *   find_top: the place is aligned, inside one RAM range, in [floor, limit];
 *   gpmap:    ascending, disjoint, page-aligned ranges, none touching Keel's
 *             region. */
#include <string.h>

#include "memmap.h"
#include "../hv/gpmap.h"
#include "fuzz_util.h"

#define PAGE 4096u

static bool covers(const struct mem_range *r, u64 a)
{
	return r->len && a >= r->base && a - r->base < r->len;
}

static void check_sane(const struct mem_range *m, int n)
{
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(m[i].len, "empty range %d", i);
		FUZZ_CHECK(m[i].base + m[i].len - 1 >= m[i].base, "range %d wraps", i);
		if (i) {
			const struct mem_range *p = &m[i - 1];
			u64 p_last = p->base + p->len - 1;

			FUZZ_CHECK(p_last < m[i].base, "ranges %d and %d overlap or are unsorted", i - 1, i);
			FUZZ_CHECK(!(p_last + 1 == m[i].base && p->type == m[i].type),
				   "ranges %d and %d should have merged", i - 1, i);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct mem_range m[MEMMAP_MAX], orig[MEMMAP_MAX], c[MEMMAP_MAX];
	struct pt_range out[64];
	int n = (int)(fuzz_take(&in, 1) % (MEMMAP_MAX + 1)), k;
	u64 base, len, align, floor, limit, want, at, top;

	for (int i = 0; i < n; i++) {
		m[i].base = fuzz_take(&in, 8);
		m[i].len = fuzz_take(&in, 8);
		m[i].type = (u32)fuzz_take(&in, 1) % 7;
	}
	memcpy(orig, m, sizeof(m));
	k = memmap_sanitize(m, n, MEMMAP_MAX);
	FUZZ_CHECK(k >= -1 && k <= MEMMAP_MAX, "sanitize gave %d", k);
	if (k < 0)
		return 0;
	check_sane(m, k);
	/* Every address of an input RAM range that no other range claims is
	 * still RAM: probe each range's first byte. (Not 2^64 - 1: a merged
	 * [0, 2^64) cannot be stored and loses that byte, as memmap.c says.) */
	for (int i = 0; i < n; i++) {
		bool other = false, ram = false;

		if (!orig[i].len || orig[i].type != E820_RAM || orig[i].base == ~0ull)
			continue;
		for (int j = 0; j < n; j++)
			if (j != i && orig[j].type != E820_RAM && covers(&orig[j], orig[i].base))
				other = true;
		for (int j = 0; j < k; j++)
			if (covers(&m[j], orig[i].base))
				ram = m[j].type == E820_RAM;
		FUZZ_CHECK(other || ram, "RAM at 0x%llx was lost", (unsigned long long)orig[i].base);
	}

	base = fuzz_take(&in, 8);
	len = fuzz_take(&in, 8) % (1ull << 40);
	memcpy(c, m, sizeof(m));
	n = memmap_carve(c, k, MEMMAP_MAX, base, len);
	FUZZ_CHECK(n >= -1 && n <= MEMMAP_MAX, "carve gave %d", n);
	if (n >= 0 && len) {
		u64 last = base + len - 1 < base ? ~0ull : base + len - 1;

		for (int i = 0; i < n; i++) {
			u64 r_last = c[i].base + c[i].len - 1;

			FUZZ_CHECK(c[i].len, "carve left an empty range");
			FUZZ_CHECK(r_last < base || c[i].base > last,
				   "range 0x%llx+0x%llx still covers the carved 0x%llx+0x%llx",
				   (unsigned long long)c[i].base, (unsigned long long)c[i].len,
				   (unsigned long long)base, (unsigned long long)len);
		}
	}

	want = fuzz_take(&in, 4) + 1;
	align = 1ull << (fuzz_take(&in, 1) % 32);
	floor = fuzz_take(&in, 8) % (1ull << 36);
	limit = fuzz_take(&in, 8);
	if (memmap_find_top(m, k, want, align, floor, limit, &at) == 0) {
		bool inside = false;

		FUZZ_CHECK(!(at & (align - 1)), "0x%llx not aligned to 0x%llx", (unsigned long long)at,
			   (unsigned long long)align);
		FUZZ_CHECK(at >= floor && at + want >= at && at + want <= limit,
			   "0x%llx+0x%llx outside [0x%llx, 0x%llx]", (unsigned long long)at,
			   (unsigned long long)want, (unsigned long long)floor, (unsigned long long)limit);
		for (int i = 0; i < k; i++)
			if (m[i].type == E820_RAM && covers(&m[i], at) && covers(&m[i], at + want - 1))
				inside = true;
		FUZZ_CHECK(inside, "0x%llx+0x%llx is not inside one RAM range", (unsigned long long)at,
			   (unsigned long long)want);
	}
	(void)memmap_ram_bytes(m, k);

	/* The guest-physical map, with Keel's region somewhere. */
	base = fuzz_take(&in, 8) % (1ull << 33);
	len = fuzz_take(&in, 4) * PAGE;
	top = fuzz_take(&in, 8);
	n = gpmap_build(m, k, base, len, top, out, 64);
	FUZZ_CHECK(n >= -1 && n <= 64, "gpmap gave %d", n);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(out[i].len && !(out[i].base % PAGE) && !(out[i].len % PAGE),
			   "gpmap range %d 0x%llx+0x%llx", i, (unsigned long long)out[i].base,
			   (unsigned long long)out[i].len);
		FUZZ_CHECK(!i || out[i - 1].base + out[i - 1].len <= out[i].base,
			   "gpmap ranges %d and %d overlap", i - 1, i);
		FUZZ_CHECK(out[i].base + out[i].len <= PT_ADDR_LIMIT,
			   "gpmap range 0x%llx+0x%llx passes 2^48", (unsigned long long)out[i].base,
			   (unsigned long long)out[i].len);
		FUZZ_CHECK(!len || out[i].base + out[i].len <= (base & ~(u64)(PAGE - 1)) ||
				   out[i].base >= base + len,
			   "gpmap range 0x%llx+0x%llx maps Keel's region 0x%llx+0x%llx",
			   (unsigned long long)out[i].base, (unsigned long long)out[i].len,
			   (unsigned long long)base, (unsigned long long)len);
	}
	return 0;
}
