/* Keel's region, its page allocator and the hypervisor's own page tables.
 *
 * Stage 2 placed and sized the region (lib/region.h: 2 MiB-aligned, top of
 * RAM below 4 GiB): the image at its start, then the hand-off, the heap
 * that page_alloc() hands out from the bottom up, and the loaded files at
 * the top. Heap pages are never freed: guests reuse what the previous
 * guest allocated (hv/guest.c). Files a finished guest no longer needs go
 * back to the guests from the top (region_give_back). */
#include "hv.h"
#include "../lib/string.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PAGE_2M MiB(2)

extern char __hv_start[], __hv_end[]; /* hv/hv.ld: the image, .bss included */

/* Set once by mem_init() before anything else runs. */
struct hv_region hv_region;
static hpa_t heap_next;
/* Heap bytes handed out as page tables and as everything else (the CPUs'
 * state), for `keel: region use`. Owned by the allocator. */
static u64 heap_tables, heap_other;

hpa_t virt_to_phys(const void *p)
{
	u64 v = (u64)(uintptr_t)p;

	if (v >= HV_VIRT_BASE)
		return v - HV_VIRT_BASE + hv_region.base;
	return v;
}

void mem_init(hpa_t base, u64 size, hpa_t heap_start, hpa_t heap_end)
{
	hv_region.base = base;
	hv_region.size = size;
	hv_region.heap_start = ALIGN_UP(heap_start, PAGE_SIZE);
	hv_region.heap_end = ALIGN_DOWN(heap_end, PAGE_SIZE);
	heap_next = hv_region.heap_start;
	if (hv_region.heap_start < virt_to_phys(__hv_end) ||
	    hv_region.heap_start >= hv_region.heap_end || hv_region.heap_end > base + size)
		fatal("Keel's region 0x%llx+0x%llx has no room left for its heap",
		      (unsigned long long)base, (unsigned long long)size);
}

static hpa_t heap_take(unsigned n, u64 align, u64 *count)
{
	hpa_t p = ALIGN_UP(heap_next, align < PAGE_SIZE ? PAGE_SIZE : align);
	u64 bytes = (u64)n * PAGE_SIZE;

	if (p + bytes > hv_region.heap_end)
		return 0;
	*count += p + bytes - heap_next;
	heap_next = p + bytes;
	memset(phys_to_virt(p), 0, bytes);
	return p;
}

hpa_t pages_alloc(unsigned n, u64 align)
{
	return heap_take(n, align, &heap_other);
}

hpa_t page_alloc(void)
{
	return heap_take(1, PAGE_SIZE, &heap_other);
}

hpa_t table_page_alloc(void)
{
	return heap_take(1, PAGE_SIZE, &heap_tables);
}

u64 pages_free(void)
{
	return hv_region.heap_end - heap_next;
}

/* The image (with .bss) and the hand-off lie below the heap, the files
 * above it (lib/region.h). */
void mem_report(void)
{
	u64 image = ALIGN_UP((u64)(__hv_end - __hv_start), PAGE_SIZE);
	hpa_t end = hv_region.base + hv_region.size;

	log_line("region use image=%llu KiB handoff=%llu KiB tables=%llu KiB per-cpu=%llu KiB "
		 "cpus=%u files=%llu KiB free=%llu KiB", (unsigned long long)(image >> 10),
		 (unsigned long long)((hv_region.heap_start - hv_region.base - image) >> 10),
		 (unsigned long long)(heap_tables >> 10), (unsigned long long)(heap_other >> 10),
		 hv_region.cpus ? hv_region.cpus : 1,
		 (unsigned long long)((end - hv_region.heap_end) >> 10),
		 (unsigned long long)(pages_free() >> 10));
}

void region_give_back(hpa_t new_end)
{
	if (new_end < hv_region.heap_end || new_end > hv_region.base + hv_region.size ||
	    (new_end & (PAGE_SIZE - 1)))
		fatal("region_give_back(0x%llx): not between the heap's end and the region's",
		      (unsigned long long)new_end);
	hv_region.size = new_end - hv_region.base;
}

hpa_t heap_table_alloc(void *ctx)
{
	(void)ctx;
	return table_page_alloc();
}

void *heap_table_ptr(hpa_t pa, void *ctx)
{
	(void)ctx;
	return phys_to_virt(pa);
}

static u64 *alloc_table(void)
{
	hpa_t p = table_page_alloc();

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
