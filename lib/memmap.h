/* Physical memory maps (the BIOS E820 view): sanitizing, carving Keel's
 * region out, and finding where that region goes. Used by stage 2 (to place
 * the region), the hypervisor (to give guests a map without it) and the
 * guest loaders (Linux e820 table, Multiboot map, INT 15h answers). */
#ifndef KEEL_MEMMAP_H
#define KEEL_MEMMAP_H

#include "types.h"

/* ACPI / E820 address range types. */
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_UNUSABLE 5

#define MEMMAP_MAX 64

struct mem_range {
	u64 base;
	u64 len;
	u32 type;
};

/* Sorts by base, drops empty ranges, resolves overlaps (the non-RAM type
 * wins over RAM; of two non-RAM types the larger number wins) and merges
 * adjacent ranges of one type. Returns the new count (<= max), or -1 when
 * splitting would need more than max entries. */
int memmap_sanitize(struct mem_range *m, int n, int max);

/* Removes [base, base+len) from the map: no range of any type covers it
 * afterwards. Returns the new count, or -1 if more than max entries would
 * be needed. */
int memmap_carve(struct mem_range *m, int n, int max, u64 base, u64 len);

/* The highest address A, aligned to align, with [A, A+size) inside one RAM
 * range and A+size <= limit and A >= floor. Returns 0 and sets *out, or -1
 * when no such place exists. */
int memmap_find_top(const struct mem_range *m, int n, u64 size, u64 align,
		    u64 floor, u64 limit, u64 *out);

/* Total bytes of RAM (type 1) in the map. */
u64 memmap_ram_bytes(const struct mem_range *m, int n);

#endif
