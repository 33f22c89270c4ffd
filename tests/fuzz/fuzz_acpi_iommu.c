/* libFuzzer harness for iommu/acpi_iommu.c (dmar_parse, ivrs_parse) and
 * iommu/dmamap.c dmamap_build() on what they return. The first input byte
 * picks the parser (even: DMAR, odd: IVRS); the rest is the table, given
 * as an exact-size heap copy with the signature written in (so that ASan
 * sees any read past it). Checks what iommu/acpi_iommu.h and
 * iommu/dmamap.h promise:
 *   parse:  -1 with a reason, or the unit count; units at non-zero,
 *           4 KiB-aligned bases with whole pages of registers; reserved
 *           ranges page-aligned and not empty; counts within the limits;
 *   dmamap: sorted, disjoint, page-aligned ranges below the limit that
 *           touch neither Keel's region nor any unit's registers. */
#include <string.h>

#include "memmap.h"
#include "../iommu/acpi_iommu.h"
#include "../iommu/dmamap.h"
#include "fuzz_util.h"

#define PAGE 4096u
#define REGION 0x1e800000ull
#define REGION_SIZE (22ull << 20)

static const struct mem_range q35_512[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xf0000, 0x10000, E820_RESERVED },
	{ 0x100000, 0x1fedf000, E820_RAM },
	{ 0x1ffdf000, 0x21000, E820_RESERVED },
	{ 0xb0000000, 0x10000000, E820_RESERVED },
	{ 0xfffc0000, 0x40000, E820_RESERVED },
	{ 0x100000000ull, 0x40000000ull, E820_RAM },
};

static bool overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iommu_acpi a;
	struct pt_range out[64];
	const char *why = NULL;
	bool ivrs;
	uint8_t *t;
	u64 limit;
	int n, refused;

	if (size < 1)
		return 0;
	ivrs = data[0] & 1;
	size--;
	t = malloc(size ? size : 1);
	memcpy(t, data + 1, size);
	if (size >= 4)
		memcpy(t, ivrs ? "IVRS" : "DMAR", 4);
	n = ivrs ? ivrs_parse(t, size, &a, &why) : dmar_parse(t, size, &a, &why);
	FUZZ_CHECK(n >= -1 && n <= IOMMU_MAX_UNITS, "parse gave %d", n);
	if (n < 0) {
		FUZZ_CHECK(why && *why, "refused without a reason");
		free(t);
		return 0;
	}
	FUZZ_CHECK(a.nunits == n, "%d units, returned %d", a.nunits, n);
	FUZZ_CHECK(a.nunity >= 0 && a.nunity <= IOMMU_MAX_UNITY, "%d reserved ranges", a.nunity);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(a.unit[i].base && !(a.unit[i].base % PAGE) && a.unit[i].size &&
				   !(a.unit[i].size % PAGE),
			   "unit %d at 0x%llx size 0x%llx", i, (unsigned long long)a.unit[i].base,
			   (unsigned long long)a.unit[i].size);
	for (int i = 0; i < a.nunity; i++)
		FUZZ_CHECK(!(a.unity[i].base % PAGE) && !(a.unity[i].end % PAGE) &&
				   a.unity[i].base < a.unity[i].end,
			   "reserved range %d [0x%llx, 0x%llx)", i,
			   (unsigned long long)a.unity[i].base, (unsigned long long)a.unity[i].end);

	/* The DMA map from that description, under a limit from the table's
	 * own bytes (its length field), as a unit's width would set it. */
	limit = size >= 8 ? (u64)t[4] << 33 | (u64)t[5] << 25 : 1ull << 39;
	n = dmamap_build(q35_512, 8, REGION, REGION_SIZE, limit, &a, out, 64, &refused);
	FUZZ_CHECK(n >= -1 && n <= 64, "dmamap gave %d", n);
	for (int i = 0; i < n; i++) {
		u64 lo = out[i].base, hi = out[i].base + out[i].len;

		FUZZ_CHECK(out[i].len && !(lo % PAGE) && !(out[i].len % PAGE) && hi > lo,
			   "range %d 0x%llx+0x%llx", i, (unsigned long long)lo,
			   (unsigned long long)out[i].len);
		FUZZ_CHECK(!i || out[i - 1].base + out[i - 1].len <= lo, "ranges %d and %d overlap",
			   i - 1, i);
		FUZZ_CHECK(hi <= (limit & ~(u64)(PAGE - 1)), "range %d ends at 0x%llx above 0x%llx",
			   i, (unsigned long long)hi, (unsigned long long)limit);
		FUZZ_CHECK(!overlaps(lo, hi, REGION, REGION + REGION_SIZE),
			   "range 0x%llx-0x%llx maps Keel's region", (unsigned long long)lo,
			   (unsigned long long)hi);
		for (int k = 0; k < a.nunits; k++)
			FUZZ_CHECK(!overlaps(lo, hi, a.unit[k].base, a.unit[k].base + a.unit[k].size),
				   "range 0x%llx-0x%llx maps unit %d's registers",
				   (unsigned long long)lo, (unsigned long long)hi, k);
	}
	free(t);
	return 0;
}
