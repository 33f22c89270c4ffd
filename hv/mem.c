/* Keel's region, its page allocator and the hypervisor's own page tables.
 *
 * Stage 2 placed and sized the region (lib/region.h: 2 MiB-aligned, top of
 * RAM below 4 GiB): the image at its start, then the hand-off, the heap
 * that page_alloc() hands out from the bottom up, and the loaded files at
 * the top. Heap pages are never freed: guests reuse what the previous
 * guest allocated (hv/guest.c). Files a finished guest no longer needs go
 * back to the guests from the top (region_give_back). */
#include "hv.h"
#include "bootinfo.h"
#include "hostmap.h"
#include "lock.h"
#include "x86.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PAGE_2M MiB(2)

extern char __hv_start[], __hv_end[]; /* hv/hv.ld: the image, .bss included */

/* Set once by mem_init() before anything else runs. */
struct hv_region hv_region;
/* The heap's first free byte: every CPU may allocate (hv/lock.h). */
static struct spinlock alloc_lock;
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
	u64 bytes = (u64)n * PAGE_SIZE;
	hpa_t p;

	spin_lock(&alloc_lock);
	p = ALIGN_UP(heap_next, align < PAGE_SIZE ? PAGE_SIZE : align);
	if (p + bytes > hv_region.heap_end) {
		spin_unlock(&alloc_lock);
		return 0;
	}
	*count += p + bytes - heap_next;
	heap_next = p + bytes;
	spin_unlock(&alloc_lock);
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

/* The MTRRs of this CPU (SDM vol. 3A 12.11.1-3); false on a CPU without
 * them (CPUID.1:EDX.MTRR = 0), whose memory types come from the page
 * tables alone. Owned by paging_init(). */
static bool mtrr_read(struct mtrr_state *m)
{
	static const u32 fixed_msrs[11] = {
		MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000,
		MSR_IA32_MTRR_FIX4K_C0000, MSR_IA32_MTRR_FIX4K_C0000 + 1, MSR_IA32_MTRR_FIX4K_C0000 + 2,
		MSR_IA32_MTRR_FIX4K_C0000 + 3, MSR_IA32_MTRR_FIX4K_C0000 + 4,
		MSR_IA32_MTRR_FIX4K_C0000 + 5, MSR_IA32_MTRR_FIX4K_C0000 + 6,
		MSR_IA32_MTRR_FIX4K_C0000 + 7,
	};
	u64 cap, def, fixed[11];
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 12)))
		return false;
	memset(m, 0, sizeof(*m));
	cap = rdmsr(MSR_IA32_MTRRCAP);
	def = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
	m->enabled = def & MTRR_DEF_TYPE_E;
	m->fixed_enabled = (cap & MTRRCAP_FIX) && (def & MTRR_DEF_TYPE_FE);
	m->def_type = (u8)def;
	m->phys_bits = cpu_phys_bits();
	m->nvar = cap & MTRRCAP_VCNT_MASK;
	if (m->nvar > MTRR_VAR_MAX) {
		log_line("mtrr: the CPU has %u variable ranges; Keel reads the first %u",
			 m->nvar, MTRR_VAR_MAX);
		m->nvar = MTRR_VAR_MAX;
	}
	if (m->fixed_enabled) {
		for (int i = 0; i < 11; i++)
			fixed[i] = rdmsr(fixed_msrs[i]);
		mtrr_set_fixed(m, fixed);
	}
	for (unsigned i = 0; i < m->nvar; i++) {
		m->var[i].base = rdmsr(MSR_IA32_MTRR_PHYSBASE(i));
		m->var[i].mask = rdmsr(MSR_IA32_MTRR_PHYSMASK(i));
	}
	return true;
}

/* One line for the log: each variable range in use, as base+size:type
 * (base/mask:type when the mask has holes), then the default type. */
static void log_mtrr(const struct mtrr_state *m)
{
	u64 bits = ((1ull << m->phys_bits) - 1) & ~0xFFFull;
	char buf[400];
	int n = fmt_snprintf(buf, sizeof(buf), "mtrr: fixed ranges %s, variable ranges",
			     m->fixed_enabled ? "on" : "off");

	for (unsigned i = 0; i < m->nvar && n < (int)sizeof(buf) - 48; i++) {
		u64 mask = m->var[i].mask & bits, low = mask & -mask;

		if (!(m->var[i].mask & MTRR_PHYSMASK_V))
			continue;
		if (mask && mask == (bits & ~(low - 1)))
			n += fmt_snprintf(buf + n, sizeof(buf) - n, " 0x%llx+0x%llx:%s",
					  (unsigned long long)(m->var[i].base & mask),
					  (unsigned long long)low, mtrr_type_name((u8)m->var[i].base));
		else
			n += fmt_snprintf(buf + n, sizeof(buf) - n, " 0x%llx/0x%llx:%s",
					  (unsigned long long)(m->var[i].base & ~0xFFFull),
					  (unsigned long long)mask, mtrr_type_name((u8)m->var[i].base));
	}
	fmt_snprintf(buf + n, sizeof(buf) - n, ", elsewhere %s", mtrr_type_name(m->def_type));
	log_line("%s", buf);
}

/* Keel's region should be write-back: the VMCS, the EPT/NPT tables and
 * the bitmaps are structures the CPU reads with the WB type (SDM vol. 3D
 * A.1, IA32_VMX_BASIC[53:50]; the EPTP's type), and Keel itself runs
 * from it. UC, WT or WP there is slow but coherent, so Keel says so and
 * goes on; WC is not: WC writes may bypass the caches the CPU's own
 * reads go through (SDM vol. 3A 12.12.4), so Keel refuses to run. */
static void check_region_type(const struct mtrr_state *m)
{
	unsigned set = mtrr_types(m, hv_region.base, hv_region.size);
	char names[32];
	int n = 0;

	if (set == 1u << MTRR_TYPE_WB)
		return;
	names[0] = 0;
	for (u8 t = 0; t < 8; t++)
		if (set & (1u << t))
			n += fmt_snprintf(names + n, sizeof(names) - n, "%s%s", n ? "+" : "",
					  mtrr_type_name(t));
	if (set & (1u << MTRR_TYPE_WC))
		fatal("Keel's region 0x%llx-0x%llx is write-combining (%s) in the MTRRs: "
		      "the CPU's reads of Keel's tables could miss Keel's writes; "
		      "check the firmware's memory settings",
		      (unsigned long long)hv_region.base,
		      (unsigned long long)(hv_region.base + hv_region.size), names);
	log_line("mtrr: Keel's region 0x%llx-0x%llx is not write-back (%s): Keel runs "
		 "uncached and slowly; check the firmware's memory settings",
		 (unsigned long long)hv_region.base,
		 (unsigned long long)(hv_region.base + hv_region.size), set ? names : "unknown");
}

/* The top of Keel's identity map: all of RAM and of the ACPI tables'
 * memory, and at least 4 GiB (the devices Keel touches: the local APIC,
 * the I/O ports' PCI hole). Guests' memory is RAM, so every address
 * guest_ram() accepts is mapped. */
static u64 identity_top(void)
{
	u64 top = GiB(4);

	for (int i = 0; i < boot_info.nmap; i++) {
		const struct mem_range *r = &boot_info.map[i];
		u64 end = ALIGN_UP(r->base + r->len, PAGE_SIZE);

		if ((r->type == E820_RAM || r->type == E820_ACPI || r->type == E820_NVS) &&
		    end > top && end <= PT_ADDR_LIMIT)
			top = end;
	}
	return top;
}

bool cache_enable(void)
{
	u64 cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	if (!(cr0 & (CR0_CD | CR0_NW)))
		return false;
	/* SDM vol. 3A 12.5.3: write back and drop what was cached while the
	 * cache ran in the mode being left, then turn normal caching on. */
	__asm__ volatile("wbinvd" ::: "memory");
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~(CR0_CD | CR0_NW)) : "memory");
	return true;
}

/* Stage 2's tables sit in low memory that guests will own: build our own
 * inside the region and switch to them: an identity map of all RAM (at
 * least the first 4 GiB), in pages as large as the CPU and the MTRRs
 * allow (hv/hostmap.h), and HV_VIRT_BASE mapped onto the region.
 * Phys-to-virt for tables being built is the identity, which stage 2's
 * tables already give (the region lies below 4 GiB). */
void paging_init(void)
{
	static struct mtrr_state mtrr;	/* owned here; read once */
	static struct pt_format fmt;	/* hostmap_format for this CPU */
	bool have_mtrr, big = cpu_has_1g_pages();
	u64 top = identity_top(), *pml4, *pdpt_hi, *pd_hi, cr3;
	struct pt_builder b;

	if (cache_enable())
		log_line("caches: CR0.CD or NW was set at entry (the firmware's); turned caching on");
	have_mtrr = mtrr_read(&mtrr);
	fmt = hostmap_format;
	fmt.large_1g = big;
	if (hostmap_build(&b, &fmt, heap_table_alloc, heap_table_ptr, NULL, have_mtrr ? &mtrr : NULL, top))
		fatal("out of memory building Keel's page tables (identity map to 0x%llx)",
		      (unsigned long long)top);
	pml4 = phys_to_virt(b.root);
	pdpt_hi = alloc_table();
	pd_hi = alloc_table();
	/* HV_VIRT_BASE: PML4 slot 511, PDPT slot 510. */
	pml4[511] = virt_to_phys(pdpt_hi) | PTE_P | PTE_RW;
	pdpt_hi[510] = virt_to_phys(pd_hi) | PTE_P | PTE_RW;
	for (u64 off = 0; off < hv_region.size && off < GiB(1); off += PAGE_2M)
		pd_hi[off / PAGE_2M] = (hv_region.base + off) | PTE_P | PTE_RW | PTE_PS;

	cr3 = virt_to_phys(pml4);
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	log_line("paging: Keel maps 0x0-0x%llx (%s pages where the MTRRs allow), %u tables",
		 (unsigned long long)top, big ? "1 GiB" : "2 MiB", b.tables + 2);
	if (!have_mtrr)
		log_line("mtrr: none (CPUID.1:EDX.MTRR = 0): memory types come from the page tables");
	else if (!mtrr.enabled)
		log_line("mtrr: turned off by the firmware (IA32_MTRR_DEF_TYPE.E = 0): all memory is UC");
	else {
		log_mtrr(&mtrr);
		check_region_type(&mtrr);
	}
}
