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
#include "acpi.h"
#include "region.h"

#define LOADER_WHY_MAX 160

/* Keel's region (lib/region.h, docs/disk.md): p's inputs -- the image's
 * memory size, the CPUs, the files -- give its size; it is placed at the
 * top of map's RAM below 4 GiB, 2 MiB-aligned, not below 16 MiB. Returns
 * 0 with p's budget, base and size, or -1 with the reason. */
int loader_place_region(struct region_plan *p, const struct mem_range *map, int n,
			char *why, size_t len);

/* Where the entry e's files names[0..n) (sizes[i] bytes) go in a region
 * ending at top: at its top, each 4 KiB-aligned, the one whose last guest
 * runs first topmost, so that Keel can give the files of finished guests
 * back from the top (hv/guest.c). Fills addrs[0..n). */
void loader_place_files(const struct cfg_entry *e, const char *const names[], const u64 *sizes,
			int n, u64 top, u64 *addrs);

/* From the ACPI tables under the RSDP at rsdp (lib/acpi.c), what else
 * sizes the region: the processors the MADT lists (at least 1: the
 * region keeps per-CPU state for each) and the IOMMU a DMAR or IVRS
 * describes (its tables live in the region). */
/* The CPU's physical-address width and whether the backend's nested
 * tables have 1 GiB leaves, for the region's budget (CPUID and the VMX
 * capability MSRs; loaders run at CPL 0). */
void loader_cpu(struct region_plan *p);

void loader_acpi(struct region_plan *p, u64 rsdp, acpi_phys_fn phys, void *ctx);

/* Checks KEEL.BIN, read whole (size bytes) to image: magic, header and
 * checksum (lib/hvimage.h). Returns 0, or -1 with the reason. */
int loader_check_image(const void *image, u32 size, char *why, size_t len);

/* Starts the hand-off in the buffer buf (physical address buf_pa,
 * HV_BOOTINFO_SIZE bytes, the last 64 of them left for struct
 * hv_boot_tsc): the chosen entry's lines as the command line
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
