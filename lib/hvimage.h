/* The hypervisor image file (KEEL.BIN on partition 1): a flat binary whose
 * first bytes are this header, written by hv/hv.ld and checksummed by
 * tools/hvsum.py. Stage 2 checks it before it jumps (docs/handoff.md). */
#ifndef KEEL_HVIMAGE_H
#define KEEL_HVIMAGE_H

#include "types.h"

#define HV_IMAGE_NAME "KEEL.BIN"
#define HV_IMAGE_MAGIC0 0x4C45454Bu /* "KEEL" */
#define HV_IMAGE_MAGIC1 0x34365648u /* "HV64" */

/* The image is linked at this virtual address and mapped there from
 * wherever its region lands in physical memory (-mcmodel=kernel). */
#define HV_VIRT_BASE 0xFFFFFFFF80000000ull

/* Most the image (code, data, bss) may occupy; the build checks it. */
#define HV_IMAGE_MAX (4u << 20)

struct hv_image_header {
	u32 magic0;
	u32 magic1;
	u32 file_size;    /* bytes in the file, a multiple of 4 */
	u32 mem_size;     /* bytes in memory, .bss included */
	u32 entry_offset; /* entry point, from the start of the image */
	u32 checksum;     /* the 32-bit sum of every word of the file is 0 */
	u64 virt_base;    /* HV_VIRT_BASE */
};

/* Hand-off registers at the entry (docs/handoff.md). */
#define HV_ENTRY_MAGIC 0x2BADB002u /* RDI; RSI = Multiboot info, RDX = region base, RCX = region size */
/* R8 = the ACPI RSDP or 0; R9 = boot flags: */
#define HV_BOOT_UEFI (1u << 0)     /* booted through UEFI firmware: no BIOS services */

/* The region's size and placement: lib/region.h. */
#define HV_REGION_ALIGN (2u << 20)
/* The region is never placed below this, so that guests keep low memory. */
#define HV_REGION_FLOOR (16u << 20)
/* Room for the Multiboot info, command line, map and module names. */
#define HV_BOOTINFO_SIZE (64u << 10)

/* The TSC at points of the boot, which stage 2 leaves in the last bytes
 * of the hand-off buffer (docs/handoff.md) for `keel: boot tsc`
 * (docs/log.md): where the time from power-on to the first guest goes. */
#define HV_BOOT_TSC_OFFSET (HV_BOOTINFO_SIZE - 64)
#define HV_BOOT_TSC_MAGIC 0x4353544Bu /* "KTSC" */
struct hv_boot_tsc {
	u32 magic;
	u32 reserved;
	u64 stage2;       /* stage 2 starts (after its CPU check) */
	u64 menu;         /* the entry is chosen */
	u64 loaded;       /* the image and the entry's files are read */
};

#endif
