/* Placing Keel's region (lib/loader.c, lib/region.h), loading the
 * hypervisor image and the chosen entry's files into it, the Multiboot
 * hand-off, and the page tables for the way into long mode. */
#include "stage2.h"
#include "../lib/acpi.h"
#include "../lib/hvimage.h"
#include "../lib/loader.h"
#include "../lib/multiboot.h"
#include "../lib/string.h"

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

/* Physical memory below 4 GiB is reached with unreal-mode flat pointers. */
static const void *s2_phys(u64 pa, u32 len, void *ctx)
{
	(void)ctx;
	return pa + len <= GiB(4) ? flat_ptr((uintptr_t)pa) : NULL;
}

/* Reads KEEL.BIN to S2_HV_SCRATCH (RAM guests get later) and checks it:
 * its header says how much memory it needs, which sizes the region. */
static const struct hv_image_header *read_hv_image(struct fat_volume *vol,
						   const struct mem_range *map, int nmap,
						   struct fat_file *hv)
{
	char why[LOADER_WHY_MAX];
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
	if (loader_check_image(flat_ptr(S2_HV_SCRATCH), hv->size, why, sizeof(why)))
		s2_fatal("%s", why);
	return flat_ptr(S2_HV_SCRATCH);
}

void load_and_start(struct fat_volume *vol, const struct mem_range *map, int nmap,
		    const char *cfg_text, const struct cfg_entry *entry, u8 drive)
{
	static struct loaded_file files[CFG_MAX_GUESTS * 2];
	static struct lm_handoff lm;
	const char *names[CFG_MAX_GUESTS * 2];
	u64 sizes[CFG_MAX_GUESTS * 2], addrs[CFG_MAX_GUESTS * 2];
	const struct hv_image_header *hdr;
	struct region_plan plan = { 0 };
	struct hv_boot_tsc *tsc;
	struct fat_file hv;
	struct mb_builder mb;
	u32 info;
	int nfiles, rc;
	char why[LOADER_WHY_MAX];

	hdr = read_hv_image(vol, map, nmap, &hv);
	nfiles = cfg_entry_files(entry, names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < nfiles; i++)
		files[i].name = names[i];
	lookup_files(vol, entry, files, nfiles);

	plan.image_mem = hdr->mem_size;
	loader_acpi(&plan, acpi_find_rsdp_bios(s2_phys, NULL), s2_phys, NULL);
	loader_cpu(&plan);
	plan.nfiles = (unsigned)nfiles;
	for (int i = 0; i < nfiles; i++) {
		sizes[i] = files[i].f.size;
		plan.files += ALIGN_UP(sizes[i], 4096);
	}
	if (loader_place_region(&plan, map, nmap, why, sizeof(why)))
		s2_fatal("%s", why);
	s2_log("region 0x%llx-0x%llx (%u MiB)", (unsigned long long)plan.base,
	       (unsigned long long)(plan.base + plan.size), (unsigned)(plan.size >> 20));

	s2_copy(flat_ptr(plan.base), hdr, hv.size);
	memset(flat_ptr(plan.base + hv.size), 0, hdr->mem_size - hv.size);
	hdr = flat_ptr(plan.base);

	/* The hand-off lives in the region too, so guests cannot touch it. */
	info = (u32)(plan.base + plan.image);
	rc = loader_handoff_begin(&mb, flat_ptr(info), info, cfg_text, entry);
	if (!rc)
		mb_set_boot_device(&mb, (u32)drive << 24 | 0x00FFFFFFu); /* partition 1 = slice 0 */
	rc |= loader_handoff_map(&mb, map, nmap);
	loader_place_files(entry, names, sizes, nfiles, plan.base + plan.size, addrs);
	for (int i = 0; i < nfiles && !rc; i++) {
		u32 at = (u32)addrs[i];

		read_to(vol, files[i].name, &files[i].f, at, files[i].f.size);
		rc = mb_add_module(&mb, at, at + files[i].f.size, files[i].name);
		s2_log("loaded %s at 0x%x (%u bytes)", files[i].name, (unsigned)at,
		       (unsigned)files[i].f.size);
	}
	if (rc)
		s2_fatal("internal: hand-off buffer too small");

	tsc = flat_ptr(info + HV_BOOT_TSC_OFFSET);
	*tsc = s2_boot_tsc;
	tsc->loaded = s2_rdtsc();

	loader_page_tables(flat_ptr(S2_PAGE_TABLES), S2_PAGE_TABLES, plan.base, plan.size);
	lm.pml4 = S2_PAGE_TABLES;
	lm.entry = HV_VIRT_BASE + hdr->entry_offset;
	lm.arg[0] = HV_ENTRY_MAGIC;
	lm.arg[1] = info;
	lm.arg[2] = plan.base;
	lm.arg[3] = plan.size;
	s2_log("entering long mode");
	enter_long_mode(&lm);
}
