/* Keel's region, its page allocator and the hypervisor's own page tables.
 *
 * Stage 2 placed the region (2 MiB-aligned, top of RAM below 4 GiB): the
 * image at its start, then the hand-off and the loaded files; the rest is
 * the heap that page_alloc() hands out from the bottom up. Nothing is ever
 * freed yet: guests reuse what the previous guest allocated (hv/guest.c). */
#include "hv.h"
#include "../lib/string.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PAGE_2M MiB(2)

/* Set once by mem_init() before anything else runs. */
struct hv_region hv_region;
static hpa_t heap_next;

hpa_t virt_to_phys(const void *p)
{
	u64 v = (u64)(uintptr_t)p;

	if (v >= HV_VIRT_BASE)
		return v - HV_VIRT_BASE + hv_region.base;
	return v;
}

void mem_init(hpa_t base, u64 size, hpa_t used_end)
{
	hv_region.base = base;
	hv_region.size = size;
	hv_region.heap_start = ALIGN_UP(used_end, PAGE_SIZE);
	heap_next = hv_region.heap_start;
	if (hv_region.heap_start >= base + size)
		fatal("Keel's region 0x%llx+0x%llx has no room left for its heap",
		      (unsigned long long)base, (unsigned long long)size);
}

hpa_t pages_alloc(unsigned n, u64 align)
{
	hpa_t p = ALIGN_UP(heap_next, align < PAGE_SIZE ? PAGE_SIZE : align);
	u64 bytes = (u64)n * PAGE_SIZE;

	if (p + bytes > hv_region.base + hv_region.size)
		return 0;
	heap_next = p + bytes;
	memset(phys_to_virt(p), 0, bytes);
	return p;
}

hpa_t page_alloc(void)
{
	return pages_alloc(1, PAGE_SIZE);
}

u64 pages_free(void)
{
	return hv_region.base + hv_region.size - heap_next;
}

hpa_t heap_table_alloc(void *ctx)
{
	(void)ctx;
	return page_alloc();
}

void *heap_table_ptr(hpa_t pa, void *ctx)
{
	(void)ctx;
	return phys_to_virt(pa);
}

static u64 *alloc_table(void)
{
	hpa_t p = page_alloc();

	if (!p)
		fatal("out of memory building Keel's page tables");
	return phys_to_virt(p);
}

/* Stage 2's tables sit in low memory that guests will own: build our own
 * inside the region, the same shape (first 4 GiB identity-mapped with
 * 2 MiB pages, HV_VIRT_BASE mapped onto the region), and switch to them.
 * Phys-to-virt for tables being built is the identity, which stage 2's
 * tables already give. */
void paging_init(void)
{
	u64 *pml4 = alloc_table(), *pdpt_lo = alloc_table(), *pdpt_hi = alloc_table();
	u64 *pd_hi = alloc_table();
	u64 cr3;

	pml4[0] = virt_to_phys(pdpt_lo) | PTE_P | PTE_RW;
	for (int g = 0; g < 4; g++) {
		u64 *pd = alloc_table();

		pdpt_lo[g] = virt_to_phys(pd) | PTE_P | PTE_RW;
		for (int i = 0; i < 512; i++)
			pd[i] = (GiB(g) + (u64)i * PAGE_2M) | PTE_P | PTE_RW | PTE_PS;
	}
	/* HV_VIRT_BASE: PML4 slot 511, PDPT slot 510. */
	pml4[511] = virt_to_phys(pdpt_hi) | PTE_P | PTE_RW;
	pdpt_hi[510] = virt_to_phys(pd_hi) | PTE_P | PTE_RW;
	for (u64 off = 0; off < hv_region.size && off < GiB(1); off += PAGE_2M)
		pd_hi[off / PAGE_2M] = (hv_region.base + off) | PTE_P | PTE_RW | PTE_PS;

	cr3 = virt_to_phys(pml4);
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}
