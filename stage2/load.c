/* Placing Keel's region (lib/region.h), loading the hypervisor image and
 * the chosen entry's files into it, the Multiboot hand-off, and the page
 * tables for the way into long mode. */
#include "stage2.h"
#include "../lib/acpi.h"
#include "../lib/hvimage.h"
#include "../lib/multiboot.h"
#include "../lib/region.h"
#include "../lib/string.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7) /* a 2 MiB page in a page directory */
#define PAGE_2M MiB(2)

struct loaded_file {
	const char *name;
	struct fat_file f;
	u32 addr;
};

static void lookup_files(struct fat_volume *vol, const struct cfg_entry *e,
			 struct loaded_file *files, int n)
{
	for (int i = 0; i < n; i++) {
		int rc = fat_lookup(vol, files[i].name, &files[i].f);

		if (rc)
			s2_fatal("%s (named by entry \"%s\", KEEL.CFG line %d): %s",
				 files[i].name, e->title, e->line, fat_strerror(rc));
	}
}

/* Reads a file whole to addr; the message names the file. */
static void read_to(struct fat_volume *vol, const char *name, const struct fat_file *f,
		    u32 addr, u32 max)
{
	int rc = fat_read_file(vol, f, flat_ptr(addr), max);

	if (rc)
		s2_fatal("%s: %s", name, fat_strerror(rc));
}

static const struct hv_image_header *check_hv_image(u32 addr, u32 size)
{
	const struct hv_image_header *h = flat_ptr(addr);
	const u32 *w = flat_ptr(addr);
	u32 sum = 0;

	if (size < sizeof(*h) || h->magic0 != HV_IMAGE_MAGIC0 || h->magic1 != HV_IMAGE_MAGIC1)
		s2_fatal("%s: not a Keel hypervisor image (bad magic)", HV_IMAGE_NAME);
	if (h->file_size != size || (size & 3) || h->mem_size < size ||
	    h->mem_size > HV_IMAGE_MAX || h->entry_offset >= size ||
	    h->virt_base != HV_VIRT_BASE)
		s2_fatal("%s: corrupt header (file %u bytes, header says %u)",
			 HV_IMAGE_NAME, (unsigned)size, (unsigned)h->file_size);
	for (u32 i = 0; i < size / 4; i++)
		sum += w[i];
	if (sum)
		s2_fatal("%s: checksum mismatch: the file is corrupt", HV_IMAGE_NAME);
	return h;
}

/* Identity map of the first 4 GiB in 2 MiB pages, and the hypervisor's
 * virtual base mapped onto its region. Eight 4 KiB tables. */
static u32 build_page_tables(u64 region, u64 region_size)
{
	u64 *pml4 = flat_ptr(S2_PAGE_TABLES);
	u64 *pdpt_lo = pml4 + 512, *pd_lo = pml4 + 1024; /* four PDs */
	u64 *pdpt_hi = pml4 + 3072, *pd_hi = pml4 + 3584;
	u32 base = S2_PAGE_TABLES;

	memset(pml4, 0, 8 * 4096);
	pml4[0] = (base + 0x1000) | PTE_P | PTE_RW;
	for (int i = 0; i < 4; i++)
		pdpt_lo[i] = (base + 0x2000 + i * 0x1000) | PTE_P | PTE_RW;
	for (u32 i = 0; i < 4 * 512; i++)
		pd_lo[i] = ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS;

	/* HV_VIRT_BASE = PML4 slot 511, PDPT slot 510, PD slot 0. */
	pml4[511] = (base + 0x6000) | PTE_P | PTE_RW;
	pdpt_hi[510] = (base + 0x7000) | PTE_P | PTE_RW;
	for (u32 i = 0; i < (u32)(region_size >> 21) && i < 512; i++)
		pd_hi[i] = (region + ((u64)i << 21)) | PTE_P | PTE_RW | PTE_PS;
	return base;
}

/* Physical memory below 4 GiB is reached with unreal-mode flat pointers. */
static const void *s2_phys(u64 pa, u32 len, void *ctx)
{
	(void)ctx;
	return pa + len <= GiB(4) ? flat_ptr((uintptr_t)pa) : NULL;
}

/* Processors the firmware's MADT lists (1 without one): Keel's region
 * keeps per-CPU state for each. */
static unsigned count_cpus(void)
{
	u64 rsdp = acpi_find_rsdp_bios(s2_phys, NULL);
	unsigned n = acpi_madt_cpus(acpi_rsdp_table(rsdp, "APIC", s2_phys, NULL));

	return n ? n : 1;
}

/* Reads KEEL.BIN to S2_HV_SCRATCH (RAM guests get later) and checks it:
 * its header says how much memory it needs, which sizes the region. */
static const struct hv_image_header *read_hv_image(struct fat_volume *vol,
						   const struct mem_range *map, int nmap,
						   struct fat_file *hv)
{
	u64 at;
	int rc;

	rc = fat_lookup(vol, HV_IMAGE_NAME, hv);
	if (rc)
		s2_fatal("%s: %s", HV_IMAGE_NAME, fat_strerror(rc));
	if (hv->size > HV_IMAGE_MAX)
		s2_fatal("%s: %u bytes, more than the %u a hypervisor image may have",
			 HV_IMAGE_NAME, (unsigned)hv->size, (unsigned)HV_IMAGE_MAX);
	if (memmap_find_top(map, nmap, HV_IMAGE_MAX, 4096, S2_HV_SCRATCH,
			    S2_HV_SCRATCH + HV_IMAGE_MAX, &at))
		s2_fatal("not enough memory: no RAM at 0x%x for reading %s",
			 (unsigned)S2_HV_SCRATCH, HV_IMAGE_NAME);
	read_to(vol, HV_IMAGE_NAME, hv, S2_HV_SCRATCH, HV_IMAGE_MAX);
	return check_hv_image(S2_HV_SCRATCH, hv->size);
}

/* The files go at the top of the region, the one whose last guest runs
 * first topmost (lib/region.h), so that Keel can give back the files of
 * finished guests from the top. Fills files[].addr. */
static void place_files(const struct cfg_entry *e, struct loaded_file *files, int n, u64 top)
{
	for (int last = 0; last < e->nguests; last++)
		for (int i = 0; i < n; i++)
			if (cfg_file_last_guest(e, files[i].name) == last) {
				top -= ALIGN_UP(files[i].f.size, 4096);
				files[i].addr = (u32)top;
			}
}

void load_and_start(struct fat_volume *vol, const struct mem_range *map, int nmap,
		    const char *cfg_text, const struct cfg_entry *entry, u8 drive)
{
	static struct loaded_file files[CFG_MAX_GUESTS * 2];
	static struct lm_handoff lm;
	struct hv_boot_tsc *tsc;
	const char *names[CFG_MAX_GUESTS * 2];
	const struct hv_image_header *hdr;
	struct region_plan plan = { 0 };
	struct fat_file hv;
	struct mb_builder mb;
	u32 lower, upper, info;
	int nfiles, rc;

	hdr = read_hv_image(vol, map, nmap, &hv);
	nfiles = cfg_entry_files(entry, names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < nfiles; i++)
		files[i].name = names[i];
	lookup_files(vol, entry, files, nfiles);

	plan.image_mem = hdr->mem_size;
	plan.cpus = count_cpus();
	plan.nfiles = (unsigned)nfiles;
	for (int i = 0; i < nfiles; i++)
		plan.files += ALIGN_UP(files[i].f.size, 4096);
	if (region_place(&plan, map, nmap))
		s2_fatal("not enough memory: Keel needs %u MiB of RAM in one piece "
			 "between 16 MiB and 4 GiB for itself and the entry's files",
			 (unsigned)(plan.size >> 20));
	s2_log("region 0x%llx-0x%llx (%u MiB)", (unsigned long long)plan.base,
	       (unsigned long long)(plan.base + plan.size), (unsigned)(plan.size >> 20));

	s2_copy(flat_ptr(plan.base), flat_ptr(S2_HV_SCRATCH), hv.size);
	memset(flat_ptr(plan.base + hv.size), 0, hdr->mem_size - hv.size);
	hdr = flat_ptr(plan.base);

	/* The hand-off lives in the region too, so guests cannot touch it. */
	info = (u32)(plan.base + plan.image);
	if (mb_init(&mb, flat_ptr(info), info, HV_BOOT_TSC_OFFSET))
		s2_fatal("internal: hand-off buffer too small");
	mb_memory_from_map(map, nmap, &lower, &upper);
	mb_set_memory(&mb, lower, upper);
	mb_set_boot_device(&mb, (u32)drive << 24 | 0x00FFFFFFu); /* partition 1 = slice 0 */
	rc = mb_set_cmdline(&mb, cfg_text + entry->src_start, entry->src_end - entry->src_start);
	rc |= mb_set_loader_name(&mb, "Keel");
	rc |= mb_set_mmap(&mb, map, nmap);
	mb_begin_modules(&mb); /* an entry may load no file: guest bios partition=N */
	place_files(entry, files, nfiles, plan.base + plan.size);
	for (int i = 0; i < nfiles && !rc; i++) {
		read_to(vol, files[i].name, &files[i].f, files[i].addr, files[i].f.size);
		rc = mb_add_module(&mb, files[i].addr, files[i].addr + files[i].f.size,
				   files[i].name);
		s2_log("loaded %s at 0x%x (%u bytes)", files[i].name, (unsigned)files[i].addr,
		       (unsigned)files[i].f.size);
	}
	if (rc)
		s2_fatal("internal: hand-off buffer too small");

	tsc = flat_ptr(info + HV_BOOT_TSC_OFFSET);
	*tsc = s2_boot_tsc;
	tsc->loaded = s2_rdtsc();

	lm.pml4 = build_page_tables(plan.base, plan.size);
	lm.entry = HV_VIRT_BASE + hdr->entry_offset;
	lm.arg[0] = HV_ENTRY_MAGIC;
	lm.arg[1] = info;
	lm.arg[2] = plan.base;
	lm.arg[3] = plan.size;
	s2_log("entering long mode");
	enter_long_mode(&lm);
}
