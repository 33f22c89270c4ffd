/* Stage 2: shared declarations and its fixed memory map below 1 MiB. */
#ifndef KEEL_STAGE2_H
#define KEEL_STAGE2_H

#include "../lib/types.h"
#include "../lib/config.h"
#include "../lib/memmap.h"
#include "../lib/hvimage.h"
#include "fat.h"

/*
 * Stage 2 memory (real mode, all linear):
 *   0x01000-0x0FFFF  stage 2 image, .bss and stack (stage2/stage2.ld)
 *   0x20000-0x2FFFF  disk bounce buffer (INT 13h reads land here)
 *   0x30000-0x37FFF  page tables for the way into long mode
 *   0x40000-0x4FFFF  KEEL.CFG text
 *   0x50000-0x6FFFF  struct config
 *   0x100000-...     KEEL.BIN, read here first: its header sizes the region
 * Everything above 1 MiB is reached with unreal-mode flat pointers.
 */
#define S2_BOUNCE 0x20000u
#define S2_BOUNCE_SIZE 0x10000u
#define S2_PAGE_TABLES 0x30000u
#define S2_CFG_TEXT 0x40000u
#define S2_CFG_TEXT_MAX 0x10000u
#define S2_CONFIG 0x50000u
#define S2_CONFIG_MAX 0x20000u
#define S2_HV_SCRATCH 0x100000u

#define CONFIG_NAME "KEEL.CFG"

/* What enter_long_mode() needs (offsets used by stage2/longmode.asm). */
struct lm_handoff {
	u32 pml4;
	u32 pad;
	u64 entry;
	u64 arg[4]; /* RDI, RSI, RDX, RCX */
};

void enter_long_mode(const struct lm_handoff *h) __attribute__((noreturn));
void stage2_halt(void) __attribute__((noreturn));
/* Copies bytes from src to dst, both flat addresses below 4 GiB, a
 * dword at a time (stage2/entry.asm). */
void s2_copy(void *dst, const void *src, u32 bytes);

/* The time-stamp counter (stage 2 runs only on CPUs with long mode, which
 * all have one). */
static inline u64 s2_rdtsc(void)
{
	u64 t;

	__asm__ volatile("rdtsc" : "=A"(t));
	return t;
}

/* Waits for one interrupt with interrupts enabled just for that. */
void s2_wait_interrupt(void);

/* Prints "keel: " and the message on every console. */
void s2_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "keel: FATAL: " and the message, then stops (emulators exit). */
void s2_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* TSC stamps of the boot so far, for the hand-off (lib/hvimage.h). */
extern struct hv_boot_tsc s2_boot_tsc;

/* The boot menu: returns the chosen entry's index (0-based). */
int menu_choose(const struct config *cfg);

/* Loading: places Keel's region, reads the image and the entry's files,
 * builds the hand-off and page tables, and enters the hypervisor. */
void load_and_start(struct fat_volume *vol, const struct mem_range *map, int nmap,
		    const char *cfg_text, const struct cfg_entry *entry, u8 drive)
	__attribute__((noreturn));

#endif
