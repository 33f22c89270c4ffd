/* Which addresses device DMA may reach: the identity map every IOMMU
 * unit's tables are built from (iommu/iommu.c). */
#ifndef KEEL_DMAMAP_H
#define KEEL_DMAMAP_H

#include "../lib/memmap.h"
#include "../hv/ptbuild.h"
#include "acpi_iommu.h"

/* From the machine's sanitized E820 map, Keel's region [region,
 * region+region_size) and what the firmware's tables say (a), fills
 * out[] with the ranges device DMA may reach, sorted and disjoint:
 * - what guests may reach (gpmap_build(): RAM, the holes and device
 *   windows below 4 GiB), but only up to max(4 GiB, end of RAM) and below
 *   limit (what the units translate): DMA targets memory, and peer
 *   devices above RAM are left out rather than mapped at great cost;
 * - plus the firmware's reserved ranges (a->unity) below limit, outside
 *   Keel's region (*refused counts those that reached into it);
 * - minus every unit's register window.
 * Keel's region is never in it. Returns the count, or -1 when max is too
 * small or the map is not sorted and disjoint. Memory types do not
 * matter to an IOMMU; ranges keep the guest map's. */
int dmamap_build(const struct mem_range *map, int n, hpa_t region, u64 region_size,
		 u64 limit, const struct iommu_acpi *a, struct pt_range *out, int max,
		 int *refused);

#endif
