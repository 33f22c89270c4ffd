/* The DMA identity map: see iommu/dmamap.h. */
#include "dmamap.h"
#include "../hv/gpmap.h"
#include "../lib/string.h"

#define PAGE 4096u

/* The end of the highest RAM entry, at least 4 GiB. */
static u64 ram_top(const struct mem_range *map, int n)
{
	u64 top = GiB(4);

	for (int i = 0; i < n; i++) {
		u64 end = map[i].len > ~0ull - map[i].base ? ~0ull : map[i].base + map[i].len;

		if (map[i].type == E820_RAM && map[i].len && end > top)
			top = end;
	}
	return ALIGN_UP(top > PT_ADDR_LIMIT ? PT_ADDR_LIMIT : top, PAGE);
}

/* Puts [base, end), which no range of r covers, in its sorted place. */
static int insert(struct pt_range *r, int n, int max, u64 base, u64 end)
{
	int i = 0;

	if (base >= end)
		return n;
	if (n >= max)
		return -1;
	while (i < n && r[i].base < base)
		i++;
	memmove(&r[i + 1], &r[i], (size_t)(n - i) * sizeof(*r));
	r[i].base = base;
	r[i].len = end - base;
	r[i].type = PT_MEM_UC;
	return n + 1;
}

int dmamap_build(const struct mem_range *map, int n, hpa_t region, u64 region_size,
		 u64 limit, const struct iommu_acpi *a, struct pt_range *out, int max,
		 int *refused)
{
	u64 top, hole_lo = 0, hole_hi = 0;
	int k, i;

	*refused = 0;
	k = gpmap_build(map, n, region, region_size, 0, out, max);
	if (k < 0)
		return -1;
	if (limit > PT_ADDR_LIMIT)
		limit = PT_ADDR_LIMIT;
	limit = ALIGN_DOWN(limit, PAGE);
	top = ram_top(map, n);
	if (top > limit)
		top = limit;
	k = gpmap_remove(out, k, max, top, PT_ADDR_LIMIT - top);
	if (region_size) {
		hole_lo = ALIGN_DOWN(region, PAGE);
		hole_hi = region_size > PT_ADDR_LIMIT - hole_lo ? PT_ADDR_LIMIT
							       : ALIGN_UP(region + region_size, PAGE);
	}
	for (i = 0; i < a->nunity && k >= 0; i++) {
		u64 base = a->unity[i].base, end = a->unity[i].end;

		if (end > limit)
			end = limit;
		if (base >= end)
			continue;
		k = gpmap_remove(out, k, max, base, end - base);
		if (k < 0)
			break;
		if (hole_lo < end && base < hole_hi) {
			/* Keel's region wins over the firmware's wish. */
			(*refused)++;
			k = insert(out, k, max, base, hole_lo > base ? hole_lo : base);
			if (k >= 0)
				k = insert(out, k, max, hole_hi < end ? hole_hi : end, end);
		} else {
			k = insert(out, k, max, base, end);
		}
	}
	for (i = 0; i < a->nunits && k >= 0; i++)
		k = gpmap_remove(out, k, max, a->unit[i].base, a->unit[i].size);
	return k;
}
