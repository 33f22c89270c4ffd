/* Placing Keel's region, loading the hypervisor image and the chosen
 * entry's files into it, the Multiboot hand-off, and the page tables for
 * the way into long mode. */
#include "stage2.h"
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

void load_and_start(struct fat_volume *vol, const struct mem_range *map, int nmap,
		    const char *cfg_text, const struct cfg_entry *entry, u8 drive)
{
	static struct loaded_file files[CFG_MAX_GUESTS * 2];
	static struct lm_handoff lm;
	const char *names[CFG_MAX_GUESTS * 2];
	u64 sizes[CFG_MAX_GUESTS * 2];
	const struct hv_image_header *hdr;
	struct fat_file hv;
	struct mb_builder mb;
	u64 region, region_size;
	u32 at, info;
	int nfiles, rc;
	char why[LOADER_WHY_MAX];

	rc = fat_lookup(vol, HV_IMAGE_NAME, &hv);
	if (rc)
		s2_fatal("%s: %s", HV_IMAGE_NAME, fat_strerror(rc));
	if (hv.size > HV_IMAGE_MAX)
		s2_fatal("%s: %u bytes, more than the %u a hypervisor image may have",
			 HV_IMAGE_NAME, (unsigned)hv.size, (unsigned)HV_IMAGE_MAX);

	nfiles = cfg_entry_files(entry, names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < nfiles; i++)
		files[i].name = names[i];
	lookup_files(vol, entry, files, nfiles);

	for (int i = 0; i < nfiles; i++)
		sizes[i] = files[i].f.size;
	if (loader_place_region(map, nmap, sizes, nfiles, &region, &region_size, why, sizeof(why)))
		s2_fatal("%s", why);
	s2_log("region 0x%llx-0x%llx (%u MiB)", (unsigned long long)region,
	       (unsigned long long)(region + region_size), (unsigned)(region_size >> 20));

	read_to(vol, HV_IMAGE_NAME, &hv, (u32)region, HV_IMAGE_MAX);
	if (loader_check_image(flat_ptr(region), hv.size, why, sizeof(why)))
		s2_fatal("%s", why);
	hdr = flat_ptr(region);
	memset(flat_ptr(region + hv.size), 0, hdr->mem_size - hv.size);

	/* The hand-off lives in the region too, so guests cannot touch it. */
	info = (u32)region + HV_IMAGE_MAX;
	at = info + HV_BOOTINFO_SIZE;
	rc = loader_handoff_begin(&mb, flat_ptr(info), info, cfg_text, entry);
	if (!rc)
		mb_set_boot_device(&mb, (u32)drive << 24 | 0x00FFFFFFu); /* partition 1 = slice 0 */
	rc |= loader_handoff_map(&mb, map, nmap);
	for (int i = 0; i < nfiles && !rc; i++) {
		read_to(vol, files[i].name, &files[i].f, at, files[i].f.size);
		rc = mb_add_module(&mb, at, at + files[i].f.size, files[i].name);
		s2_log("loaded %s at 0x%x (%u bytes)", files[i].name, (unsigned)at,
		       (unsigned)files[i].f.size);
		at += ALIGN_UP(files[i].f.size, 4096);
	}
	if (rc)
		s2_fatal("internal: hand-off buffer too small");

	loader_page_tables(flat_ptr(S2_PAGE_TABLES), S2_PAGE_TABLES, region, region_size);
	lm.pml4 = S2_PAGE_TABLES;
	lm.entry = HV_VIRT_BASE + hdr->entry_offset;
	lm.arg[0] = HV_ENTRY_MAGIC;
	lm.arg[1] = info;
	lm.arg[2] = region;
	lm.arg[3] = region_size;
	s2_log("entering long mode");
	enter_long_mode(&lm);
}
