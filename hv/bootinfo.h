/* What stage 2 handed over (docs/handoff.md), read once at start. */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include "../lib/types.h"
#include "../lib/memmap.h"
#include "../lib/multiboot.h"

struct boot_module {
	const char *name;
	hpa_t start, end;
};

/* The TSC at points of the boot (lib/hvimage.h), 0 where unknown. */
struct boot_tsc {
	u64 stage2, menu, loaded;       /* from stage 2 */
	u64 hv;                         /* hv_main's first instruction */
};

struct boot_info {
	struct mem_range map[MEMMAP_MAX]; /* the machine's whole map */
	int nmap;
	const char *cmdline;              /* the chosen KEEL.CFG entry */
	size_t cmdline_len;
	struct boot_module mods[MB_MAX_MODULES];
	int nmods;
	u8 boot_drive;
	hpa_t heap_start, heap_end;       /* between the hand-off and the files */
	struct boot_tsc tsc;
};

/* Owned by hv_main(); read-only once filled. */
extern struct boot_info boot_info;

/* Fills boot_info from the Multiboot structure at info_pa; fatal() when
 * the structure lies outside the region or lacks what Keel needs. */
void bootinfo_read(hpa_t info_pa, hpa_t region_base, u64 region_size);

const struct boot_module *bootinfo_module(const char *name);

/* `keel: boot tsc ...` (docs/log.md), with the TSC now: the first guest's
 * first instruction comes next. */
void bootinfo_log_tsc(void);

#endif
