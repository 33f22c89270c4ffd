/* Sizing and placing Keel's region (lib/region.h). Built with -m16 for
 * stage 2 too: shifts, no 64-bit division. */
#include "region.h"

#define PAGE KiB(4)

/* Pages of a 4-level identity map of [0, top) with 2 MiB leaves: one
 * PML4, a PDPT per 512 GiB, a page directory per GiB. */
static u64 identity_pages(u64 top)
{
	u64 gib = (top + GiB(1) - 1) >> 30;

	return 1 + ((gib + 511) >> 9) + gib;
}

/* The end of the address space the tables map: the top of RAM, at least
 * 4 GiB (the guests see the PCI hole and the firmware below it). */
static u64 map_top(const struct mem_range *map, int nmap)
{
	u64 top = GiB(4);

	for (int i = 0; i < nmap; i++)
		if (map[i].type == E820_RAM && map[i].base + map[i].len > top)
			top = map[i].base + map[i].len;
	return top;
}

u64 region_iommu_bytes(enum region_iommu iommu, const struct mem_range *map, int nmap)
{
	u64 top = map_top(map, nmap), pages = identity_pages(top) + 2 * (u64)nmap + 3 + 8;

	switch (iommu) {
	case REGION_IOMMU_VTD:
		return PAGE * pages;
	case REGION_IOMMU_VTD_4K:
		return PAGE * (pages + (ALIGN_UP(top, MiB(2)) >> 21));
	case REGION_IOMMU_AMDVI:
		return REGION_AMDVI_DEVTAB + PAGE * pages;
	default:
		return 0;
	}
}

u64 region_tables_bytes(const struct mem_range *map, int nmap, unsigned nfiles)
{
	u64 top = map_top(map, nmap);

	/* Keel's own tables: the identity map and the PDPT and page directory
	 * that map its image at HV_VIRT_BASE. The guests' tables: the same
	 * shape, plus a 4 KiB table wherever a boundary falls inside a 2 MiB
	 * block -- at most two per range of the map, the region's end, the
	 * local APIC and ROM pages Keel maps on their own, and each file the
	 * region gives back. */
	return PAGE * (identity_pages(top) + 2) +
	       PAGE * (identity_pages(top) + 2 * (u64)nmap + 3 + nfiles);
}

u64 region_guest_map_top(unsigned phys_bits, bool large_1g)
{
	u64 top = phys_bits >= 48 ? (u64)1 << 48 : (u64)1 << (phys_bits ? phys_bits : 36);

	if (!large_1g && top > REGION_MAP_TOP_2M_ONLY)
		top = REGION_MAP_TOP_2M_ONLY;
	return top;
}

u64 region_mmio_tables_bytes(const struct mem_range *map, int nmap, unsigned phys_bits,
			     bool large_1g)
{
	u64 ram = map_top(map, nmap), top = region_guest_map_top(phys_bits, large_1g);

	if (top <= ram)
		return 0;
	if (large_1g)
		return PAGE * (((top - 1) >> 39) + 1);
	return PAGE * (identity_pages(top) - identity_pages(ram) + 1);
}

int region_place(struct region_plan *p, const struct mem_range *map, int nmap)
{
	unsigned cpus = p->cpus ? p->cpus : 1;

	if (cpus > HV_CPUS_MAX)
		cpus = HV_CPUS_MAX;
	p->image = ALIGN_UP(p->image_mem, PAGE);
	p->bootinfo = HV_BOOTINFO_SIZE;
	p->tables = region_tables_bytes(map, nmap, p->nfiles) +
		    region_mmio_tables_bytes(map, nmap, p->phys_bits, p->nested_1g);
	p->iommu_tables = region_iommu_bytes(p->iommu, map, nmap);
	p->percpu = HV_PERCPU_SIZE * cpus;
	p->margin = HV_REGION_MARGIN;
	p->size = ALIGN_UP(p->image + p->bootinfo + p->tables + p->iommu_tables + p->percpu +
			   p->margin + p->files, HV_REGION_ALIGN);
	if (memmap_find_top(map, nmap, p->size, HV_REGION_ALIGN, HV_REGION_FLOOR, GiB(4),
			    &p->base))
		return -1;
	p->files_at = p->base + p->size - p->files;
	return 0;
}
