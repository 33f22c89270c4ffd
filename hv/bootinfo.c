#include "hv.h"
#include "bootinfo.h"
#include "../lib/string.h"

struct boot_info boot_info;

static const void *identity(u32 phys, void *ctx)
{
	(void)ctx;
	return phys_to_virt(phys);
}

static bool in_region(u64 a, u64 len, hpa_t base, u64 size)
{
	return a >= base && len <= size && a - base <= size - len;
}

void bootinfo_read(hpa_t info_pa, hpa_t region_base, u64 region_size)
{
	const struct multiboot_info *mbi = phys_to_virt(info_pa);
	const struct multiboot_module *m;
	struct boot_info *bi = &boot_info;
	/* No module list is no module: an entry that loads no file (guest
	 * bios partition=N) needs none, whether its loader set flag bit 3
	 * with a count of 0 (stage 2) or left the bit clear. */
	u32 need = MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP;

	if (!in_region(info_pa, sizeof(*mbi), region_base, region_size))
		fatal("hand-off structure at 0x%llx is outside Keel's region",
		      (unsigned long long)info_pa);
	if ((mbi->flags & need) != need)
		fatal("hand-off structure lacks a command line or memory map (flags 0x%x)",
		      mbi->flags);

	bi->nmap = mb_read_mmap(mbi, identity, NULL, bi->map, MEMMAP_MAX);
	if (bi->nmap > 0)
		bi->nmap = memmap_sanitize(bi->map, bi->nmap, MEMMAP_MAX);
	if (bi->nmap <= 0)
		fatal("hand-off memory map is malformed");

	bi->cmdline = phys_to_virt(mbi->cmdline);
	bi->cmdline_len = strlen(bi->cmdline);
	bi->boot_drive = (mbi->flags & MULTIBOOT_INFO_BOOTDEV) ? (u8)(mbi->boot_device >> 24) : 0x80;
	if (in_region(info_pa + HV_BOOT_TSC_OFFSET, sizeof(struct hv_boot_tsc), region_base,
		      region_size)) {
		const struct hv_boot_tsc *t = phys_to_virt(info_pa + HV_BOOT_TSC_OFFSET);

		if (t->magic == HV_BOOT_TSC_MAGIC) {
			bi->tsc.stage2 = t->stage2;
			bi->tsc.menu = t->menu;
			bi->tsc.loaded = t->loaded;
		}
	}
	bi->heap_start = ALIGN_UP(info_pa + HV_BOOTINFO_SIZE, PAGE_SIZE);
	bi->heap_end = region_base + region_size;

	m = phys_to_virt(mbi->mods_addr);
	for (u32 i = 0; (mbi->flags & MULTIBOOT_INFO_MODS) && i < mbi->mods_count &&
	     i < MB_MAX_MODULES; i++, m++) {
		struct boot_module *bm = &bi->mods[bi->nmods++];

		bm->name = phys_to_virt(m->string);
		bm->start = m->mod_start;
		bm->end = m->mod_end;
		if (!in_region(bm->start, bm->end - bm->start, region_base, region_size) ||
		    bm->end < bm->start)
			fatal("hand-off module %s lies outside Keel's region", bm->name);
	}
	/* The heap is the gap between the hand-off and the files above it
	 * (lib/region.h); a file a loader put below the hand-off moves its
	 * start up instead. */
	for (int i = 0; i < bi->nmods; i++)
		if (bi->mods[i].start < bi->heap_start &&
		    ALIGN_UP(bi->mods[i].end, PAGE_SIZE) > bi->heap_start)
			bi->heap_start = ALIGN_UP(bi->mods[i].end, PAGE_SIZE);
	for (int i = 0; i < bi->nmods; i++)
		if (bi->mods[i].start >= bi->heap_start && bi->mods[i].start < bi->heap_end)
			bi->heap_end = ALIGN_DOWN(bi->mods[i].start, PAGE_SIZE);
}

const struct boot_module *bootinfo_module(const char *name)
{
	for (int i = 0; i < boot_info.nmods; i++)
		if (!strcmp(boot_info.mods[i].name, name))
			return &boot_info.mods[i];
	return NULL;
}

void bootinfo_log_tsc(void)
{
	const struct boot_tsc *t = &boot_info.tsc;

	log_line("boot tsc stage2=%llu menu=%llu loaded=%llu hv=%llu guest=%llu",
		 (unsigned long long)t->stage2, (unsigned long long)t->menu,
		 (unsigned long long)t->loaded, (unsigned long long)t->hv,
		 (unsigned long long)rdtsc());
}
