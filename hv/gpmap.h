/* The guest-physical map every guest gets: which ranges the EPT/NPT
 * tables identity-map, and with which memory type. */
#ifndef KEEL_GPMAP_H
#define KEEL_GPMAP_H

#include "../lib/memmap.h"
#include "ptbuild.h"

/* From the machine's sanitized E820 map (sorted, non-overlapping, as
 * memmap_sanitize() leaves it) and Keel's region [region,
 * region+region_size), fills out[] with the ranges to map:
 * - RAM as PT_MEM_WB, rounded inward to 4 KiB pages;
 * - everything else from 0 up to max(top, 4 GiB, end of the highest RAM)
 *   as PT_MEM_UC, rounded outward: reserved, ACPI, NVS and unusable
 *   ranges, holes, the legacy VGA and BIOS ROM areas, the PCI hole, the
 *   LAPIC and IOAPIC pages, device memory above RAM; so the first MiB is
 *   always mapped in full (top is clamped to 2^48, what the tables
 *   translate; 0 asks for nothing beyond 4 GiB and RAM);
 * - Keel's region (rounded outward) not at all.
 * The result is sorted, non-overlapping, 4 KiB aligned, with adjacent
 * ranges of one type merged. Returns the count, or -1 when max is too
 * small or the map is not sorted and non-overlapping. */
int gpmap_build(const struct mem_range *map, int n, hpa_t region,
		u64 region_size, u64 top, struct pt_range *out, int max);

/* Splits the range of r[0..n) that holds the 4 KiB page at page so the
 * page is a range of its own, which pt_map_identity() then maps with a
 * 4 KiB leaf (for pt_write_protect()). Returns the new count, n when no
 * range holds the page, or -1 when max is too small. */
int gpmap_isolate_page(struct pt_range *r, int n, int max, u64 page);

/* Takes [base, base+len), rounded outward to 4 KiB pages, out of the
 * sorted, non-overlapping r[0..n): ranges inside it go, ranges across its
 * ends are cut, a range around it is split in two. What is taken out is
 * not mapped at all, so a guest access there is a nested-page fault (the
 * IOMMU's registers: iommu/iommu.c). Returns the new count, or -1 when a
 * split needs more than max entries (r is then unchanged). */
int gpmap_remove(struct pt_range *r, int n, int max, u64 base, u64 len);

#endif
