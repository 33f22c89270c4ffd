/* What both loaders share -- stage 2 on a legacy BIOS and the EFI loader
 * (efi/) on UEFI firmware: the size and place of Keel's region, the check
 * of KEEL.BIN, the start and the memory map of the Multiboot hand-off, and
 * the page tables Keel is entered on (docs/handoff.md, docs/disk.md). One
 * copy, so that the two ways in cannot drift apart.
 *
 * Each function that can fail returns -1 and writes the whole reason, as
 * the FATAL line shows it, to why[0..len). Built into -m16 stage 2 as
 * well: nothing here divides a u64. */
#ifndef KEEL_LOADER_H
#define KEEL_LOADER_H

#include "types.h"
#include "config.h"
#include "memmap.h"
#include "multiboot.h"

#define LOADER_WHY_MAX 160

/* Keel's region for an entry whose files have sizes[0..nfiles): the image
 * (HV_IMAGE_MAX), the hand-off, the files (each 4 KiB-aligned) and the
 * heap, rounded up to 2 MiB; placed at the top of map's RAM below 4 GiB,
 * 2 MiB-aligned, not below 16 MiB. Returns 0 with *base and *size, or -1. */
int loader_place_region(const struct mem_range *map, int n, const u64 *sizes, int nfiles,
			u64 *base, u64 *size, char *why, size_t len);

/* Checks KEEL.BIN, read whole (size bytes) to image: magic, header and
 * checksum (lib/hvimage.h). Returns 0, or -1 with the reason. */
int loader_check_image(const void *image, u32 size, char *why, size_t len);

/* Starts the hand-off in the buffer buf (physical address buf_pa,
 * HV_BOOTINFO_SIZE bytes): the chosen entry's lines as the command line
 * and "Keel" as the loader's name, and an empty module list (an entry may
 * load no file). Modules and the map follow. */
int loader_handoff_begin(struct mb_builder *mb, void *buf, u32 buf_pa,
			 const char *cfg_text, const struct cfg_entry *e);

/* Adds the machine's memory map and mem_lower/mem_upper derived from it. */
int loader_handoff_map(struct mb_builder *mb, const struct mem_range *map, int n);

/* The page tables Keel is entered on: the first 4 GiB identity-mapped in
 * 2 MiB pages, HV_VIRT_BASE mapped onto the region. LOADER_PT_PAGES 4 KiB
 * pages at pt (physical address pt_pa, 4 KiB-aligned, below 4 GiB); the
 * PML4 is the first. */
#define LOADER_PT_PAGES 8
void loader_page_tables(u64 *pt, u32 pt_pa, u64 region, u64 region_size);

#endif
