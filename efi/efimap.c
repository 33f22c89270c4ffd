/* The UEFI memory map as E820 ranges: see efi/efimap.h. */
#include "efimap.h"
#include "../lib/string.h"

#define MAX_PAGES (~0ull >> UEFI_PAGE_SHIFT)

u32 efimap_e820_type(u32 efi_type, u64 attribute)
{
	if (attribute & UEFI_MEMORY_RUNTIME)
		return E820_RESERVED;
	switch (efi_type) {
	case UEFI_LOADER_CODE:
	case UEFI_LOADER_DATA:
	case UEFI_BOOT_SERVICES_CODE:
	case UEFI_BOOT_SERVICES_DATA:
	case UEFI_CONVENTIONAL_MEMORY:
		return E820_RAM;
	case UEFI_ACPI_RECLAIM_MEMORY:
		return E820_ACPI;
	case UEFI_ACPI_MEMORY_NVS:
		return E820_NVS;
	case UEFI_UNUSABLE_MEMORY:
		return E820_UNUSABLE;
	case UEFI_PERSISTENT_MEMORY:
		return E820_PMEM;
	default:
		return E820_RESERVED;
	}
}

static bool joins(const struct mem_range *a, const struct mem_range *b)
{
	return a->type == b->type && a->base + a->len == b->base;
}

/* Puts r at its sorted place in out[0..n) and merges it with the ranges
 * on either side that it touches. Returns the new count, or -1 when out is
 * full and r joins neither neighbour. */
static int insert_merged(struct mem_range *out, int n, int max, const struct mem_range *r)
{
	int i = 0;

	while (i < n && out[i].base < r->base)
		i++;
	if (i > 0 && joins(&out[i - 1], r)) {
		out[i - 1].len += r->len;
		if (i < n && joins(&out[i - 1], &out[i])) {
			out[i - 1].len += out[i].len;
			memmove(&out[i], &out[i + 1], (size_t)(n - i - 1) * sizeof(*out));
			n--;
		}
		return n;
	}
	if (i < n && joins(r, &out[i])) {
		out[i].base = r->base;
		out[i].len += r->len;
		return n;
	}
	if (n == max)
		return -1;
	memmove(&out[i + 1], &out[i], (size_t)(n - i) * sizeof(*out));
	out[i] = *r;
	return n + 1;
}

int efimap_convert(const void *buf, u64 size, u64 dsize, enum efimap_view view,
		   struct mem_range *out, int max)
{
	const u8 *p = buf;
	int n = 0;

	if (dsize < sizeof(struct efi_mem_desc))
		return -1;
	for (u64 off = 0; off + dsize <= size; off += dsize) {
		const struct efi_mem_desc *d = (const void *)(p + off);
		struct mem_range r;
		u64 pages = d->pages > MAX_PAGES ? MAX_PAGES : d->pages;

		if (!pages)
			continue;
		if (view == EFIMAP_FREE_NOW) {
			if (d->type != UEFI_CONVENTIONAL_MEMORY)
				continue;
			r.type = E820_RAM;
		} else {
			r.type = efimap_e820_type(d->type, d->attribute);
		}
		r.base = d->phys_start;
		r.len = pages << UEFI_PAGE_SHIFT;
		/* A range claiming to run past 2^64 ends there. */
		if (r.len > ~0ull - r.base + 1 && r.base)
			r.len = ~0ull - r.base + 1;
		n = insert_merged(out, n, max, &r);
		if (n < 0)
			return -1;
	}
	return n;
}
