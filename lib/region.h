/* Keel's region: how big it is and where it goes (DESIGN.md "Boot chain",
 * docs/disk.md "Keel's region"). Every loader (stage 2, the EFI loader)
 * sizes and places it with region_place(), so the rule lives here only.
 *
 * The region holds, from its base up: the hypervisor image (with .bss),
 * the hand-off (HV_BOOTINFO_SIZE), the heap (page tables, per-CPU state)
 * and, at its top, the entry's files -- the first guest's files topmost,
 * so that Keel can give the files of finished guests back from the top
 * (hv/mem.c). Its size is what Keel uses, plus a stated margin, rounded
 * up to HV_REGION_ALIGN; its base is HV_REGION_ALIGN-aligned, at the top
 * of RAM below 4 GiB and not below HV_REGION_FLOOR. */
#ifndef KEEL_REGION_H
#define KEEL_REGION_H

#include "types.h"
#include "memmap.h"
#include "hvimage.h"

/* Per CPU: VMXON region and VMCS, or host save area, VMCB and the host's
 * VMCB; I/O and MSR permission maps; a stack (measured use on SVM, the
 * larger: 32 KiB, docs/performance.md). */
#define HV_PERCPU_SIZE KiB(64)
/* What else Keel may allocate, beyond the estimate below. */
#define HV_REGION_MARGIN KiB(512)
/* At most this many CPUs are budgeted for when the MADT lists more. */
#define HV_CPUS_MAX 1024

/* The IOMMU the ACPI tables describe (iommu/): its tables come out of
 * the region too. */
enum region_iommu {
	REGION_IOMMU_NONE,
	REGION_IOMMU_VTD,       /* a DMAR whose units map 2 MiB pages */
	REGION_IOMMU_VTD_4K,    /* a DMAR with a unit that maps 4 KiB pages only */
	REGION_IOMMU_AMDVI,     /* an IVRS: a 2 MiB device table, 2 MiB pages */
};

/* AMD-Vi's device table: 65,536 entries of 32 bytes (iommu/amdvi.c). */
#define REGION_AMDVI_DEVTAB MiB(2)

struct region_plan {
	/* What the loader knows (inputs). */
	u32 image_mem;          /* the image's size in memory (header mem_size) */
	unsigned cpus;          /* processors the MADT lists; 0 means 1 */
	u64 files;              /* the entry's files, each rounded up to 4 KiB */
	unsigned nfiles;
	enum region_iommu iommu;
	unsigned phys_bits;     /* the CPU's physical-address width; 0 means 36 */
	bool nested_1g;         /* the EPT/NPT has 1 GiB leaves (loader_cpu()) */
	/* The budget (outputs), bytes. */
	u64 image;              /* image_mem rounded up to 4 KiB */
	u64 bootinfo;           /* HV_BOOTINFO_SIZE */
	u64 tables;             /* Keel's page tables and the guests' EPT/NPT */
	u64 iommu_tables;       /* the IOMMU's tables and buffers */
	u64 percpu;             /* HV_PERCPU_SIZE per CPU */
	u64 margin;             /* HV_REGION_MARGIN */
	u64 size;               /* all of it, rounded up to HV_REGION_ALIGN */
	hpa_t base;             /* where it goes */
	hpa_t files_at;         /* the first byte of the files: base + size - files */
};

/* Page-table pages for Keel's own identity map and the guests' nested
 * tables over the machine's map, at most (2 MiB pages, 4 KiB ones at every
 * boundary a range of the map puts inside a 2 MiB block). */
u64 region_tables_bytes(const struct mem_range *map, int nmap, unsigned nfiles);

/* Where the guests' nested map ends (hv/guest.c): at the CPU's
 * physical-address width, where devices above RAM live, as far as 4-level
 * tables translate (256 TiB); without 1 GiB leaves every GiB costs a page
 * directory, so it stops at 1 TiB (4 MiB of tables). */
#define REGION_MAP_TOP_2M_ONLY ((u64)1 << 40)
u64 region_guest_map_top(unsigned phys_bits, bool large_1g);

/* The nested tables' pages for device space between the top of RAM and
 * region_guest_map_top(): a PDPT per 512 GiB with 1 GiB leaves, else a
 * page directory per GiB as well. */
u64 region_mmio_tables_bytes(const struct mem_range *map, int nmap, unsigned phys_bits,
			     bool large_1g);

/* The IOMMU's tables and buffers for that map: a set of DMA tables of
 * the guests' shape (4 KiB leaves throughout for REGION_IOMMU_VTD_4K), a
 * few pages of root, context, command and event buffers, and AMD-Vi's
 * device table. */
u64 region_iommu_bytes(enum region_iommu iommu, const struct mem_range *map, int nmap);

/* Fills the budget from the inputs in *p and places the region in map
 * (sanitized): 0, or -1 when no RAM range between HV_REGION_FLOOR and
 * 4 GiB holds p->size bytes. */
int region_place(struct region_plan *p, const struct mem_range *map, int nmap);

#endif
