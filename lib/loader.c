/* The loaders' shared part: see lib/loader.h. */
#include "loader.h"
#include "format.h"
#include "hvimage.h"
#include "io.h"
#include "string.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7) /* a 2 MiB page in a page directory */

int loader_place_region(struct region_plan *p, const struct mem_range *map, int n,
			char *why, size_t len)
{
	if (!region_place(p, map, n))
		return 0;
	fmt_snprintf(why, len, "not enough memory: Keel needs %u MiB of RAM in one piece "
		     "between 16 MiB and 4 GiB for itself and the entry's files",
		     (unsigned)(p->size >> 20));
	return -1;
}

void loader_place_files(const struct cfg_entry *e, const char *const names[], const u64 *sizes,
			int n, u64 top, u64 *addrs)
{
	for (int last = 0; last < e->nguests; last++)
		for (int i = 0; i < n; i++)
			if (cfg_file_last_guest(e, names[i]) == last) {
				top -= ALIGN_UP(sizes[i], 4096);
				addrs[i] = top;
			}
}

void loader_cpu(struct region_plan *p)
{
	u32 a, b, c, d, max_ext;

	cpuid(0x80000000, 0, &max_ext, &b, &c, &d);
	p->phys_bits = 36;              /* SDM vol. 3A 4.1.4, where the leaf is missing */
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, &a, &b, &c, &d);
		p->phys_bits = a & 0xFF;
	}
	p->nested_1g = false;
	cpuid(0, 0, &a, &b, &c, &d);
	if (b == 0x756E6547) {          /* "Genu"ineIntel: VT-x's EPT */
		cpuid(1, 0, &a, &b, &c, &d);
		/* IA32_VMX_EPT_VPID_CAP (48Ch) exists where the secondary
		 * controls allow EPT (SDM vol. 3D A.3.3, A.10); bit 17 is
		 * 1 GiB pages. Each MSR is read only once the one before says
		 * it exists. */
		if ((c & (1u << 5)) && (rdmsr(0x482) >> 63) && ((rdmsr(0x48B) >> 33) & 1))
			p->nested_1g = (rdmsr(0x48C) >> 17) & 1;
	} else if (max_ext >= 0x80000001) {
		/* AMD-V's nested tables have the host's format: CPUID
		 * 8000_0001h EDX[26], 1 GiB pages (APM vol. 2 15.25.3). */
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		p->nested_1g = (d >> 26) & 1;
	}
}

void loader_acpi(struct region_plan *p, u64 rsdp, acpi_phys_fn phys, void *ctx)
{
	const struct acpi_header *dmar = acpi_rsdp_table(rsdp, "DMAR", phys, ctx);
	unsigned n = acpi_madt_cpu_count(acpi_rsdp_table(rsdp, "APIC", phys, ctx));

	p->cpus = n ? n : 1;
	/* iommu/iommu.c drives the first of the two it finds, VT-d first. */
	if (dmar)
		p->iommu = acpi_dmar_4k_only(dmar, phys, ctx) ? REGION_IOMMU_VTD_4K : REGION_IOMMU_VTD;
	else if (acpi_rsdp_table(rsdp, "IVRS", phys, ctx))
		p->iommu = REGION_IOMMU_AMDVI;
	else
		p->iommu = REGION_IOMMU_NONE;
}

int loader_check_image(const void *image, u32 size, char *why, size_t len)
{
	const struct hv_image_header *h = image;
	const u32 *w = image;
	u32 sum = 0;

	if (size < sizeof(*h) || h->magic0 != HV_IMAGE_MAGIC0 || h->magic1 != HV_IMAGE_MAGIC1) {
		fmt_snprintf(why, len, "%s: not a Keel hypervisor image (bad magic)", HV_IMAGE_NAME);
		return -1;
	}
	if (h->file_size != size || (size & 3) || h->mem_size < size ||
	    h->mem_size > HV_IMAGE_MAX || h->entry_offset >= size ||
	    h->virt_base != HV_VIRT_BASE) {
		fmt_snprintf(why, len, "%s: corrupt header (file %u bytes, header says %u)",
			     HV_IMAGE_NAME, (unsigned)size, (unsigned)h->file_size);
		return -1;
	}
	for (u32 i = 0; i < size / 4; i++)
		sum += w[i];
	if (sum) {
		fmt_snprintf(why, len, "%s: checksum mismatch: the file is corrupt", HV_IMAGE_NAME);
		return -1;
	}
	return 0;
}

int loader_handoff_begin(struct mb_builder *mb, void *buf, u32 buf_pa,
			 const char *cfg_text, const struct cfg_entry *e)
{
	if (mb_init(mb, buf, buf_pa, HV_BOOT_TSC_OFFSET))
		return -1;
	if (mb_set_cmdline(mb, cfg_text + e->src_start, e->src_end - e->src_start))
		return -1;
	if (mb_set_loader_name(mb, "Keel"))
		return -1;
	mb_begin_modules(mb); /* an entry may load no file: guest bios partition=N */
	return 0;
}

int loader_handoff_map(struct mb_builder *mb, const struct mem_range *map, int n)
{
	u32 lower, upper;

	mb_memory_from_map(map, n, &lower, &upper);
	mb_set_memory(mb, lower, upper);
	return mb_set_mmap(mb, map, n);
}

void loader_page_tables(u64 *pt, u32 pt_pa, u64 region, u64 region_size)
{
	u64 *pml4 = pt;
	u64 *pdpt_lo = pt + 512, *pd_lo = pt + 1024; /* four PDs */
	u64 *pdpt_hi = pt + 3072, *pd_hi = pt + 3584;

	memset(pt, 0, LOADER_PT_PAGES * 4096);
	pml4[0] = (pt_pa + 0x1000) | PTE_P | PTE_RW;
	for (int i = 0; i < 4; i++)
		pdpt_lo[i] = (pt_pa + 0x2000 + i * 0x1000) | PTE_P | PTE_RW;
	for (u32 i = 0; i < 4 * 512; i++)
		pd_lo[i] = ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS;

	/* HV_VIRT_BASE = PML4 slot 511, PDPT slot 510, PD slot 0. */
	pml4[511] = (pt_pa + 0x6000) | PTE_P | PTE_RW;
	pdpt_hi[510] = (pt_pa + 0x7000) | PTE_P | PTE_RW;
	for (u32 i = 0; i < (u32)(region_size >> 21) && i < 512; i++)
		pd_hi[i] = (region + ((u64)i << 21)) | PTE_P | PTE_RW | PTE_PS;
}
