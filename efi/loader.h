/* The EFI loader (\EFI\BOOT\BOOTX64.EFI on partition 1): stage 2's job
 * done with UEFI firmware services -- KEEL.CFG and the files from its own
 * volume, the menu on the firmware's console, Keel's region from the UEFI
 * memory map -- and the same hand-off (docs/handoff.md). Built from gnu-efi's
 * headers and start-up code (Debian's gnu-efi package). */
#ifndef KEEL_EFI_LOADER_H
#define KEEL_EFI_LOADER_H

#include <efi.h>
#include "../lib/types.h"
#include "../lib/config.h"
#include "../lib/hvimage.h"

/* The firmware's tables and this image's handle: set once by efi_main(),
 * before anything else runs, and only read afterwards. */
extern EFI_SYSTEM_TABLE *efi_st;
extern EFI_BOOT_SERVICES *efi_bs;
extern EFI_HANDLE efi_image;

/* efi/console.c. "keel: " and the line on the firmware's console (screen
 * and, on OVMF and many boards, the serial port) and on port 0xE9; once
 * boot services have ended, on port 0xE9 and COM1 as stage 2 writes. */
void efi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "keel: FATAL: ..." on the same consoles, then the run ends: emulators
 * exit (code 2, as stage 2's errors), a real machine waits for a key and
 * returns to the firmware's boot manager (halts, after boot services). */
void efi_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Text on the firmware's console only (menu drawing, prompts). */
void efi_con_print(const char *s);
/* Boot services are gone: logging switches to the ports. */
void efi_console_boot_services_ended(void);

/* efi/files.c: files in the root of the loader's own volume (the FAT
 * partition it was loaded from), by their 8.3 names. */
void efi_files_init(void);
EFI_STATUS efi_file_size(const char *name, u64 *size);
EFI_STATUS efi_file_read(const char *name, void *dst, u64 size);
/* stage 2's words for a status where there are any ("file not found"). */
const char *efi_strerror(EFI_STATUS status);

/* The TSC when the loader starts and when the entry is chosen, for the
 * hand-off's struct hv_boot_tsc (`keel: boot tsc`, docs/log.md); set by
 * efi_main(). */
extern struct hv_boot_tsc efi_boot_tsc;

static inline u64 efi_rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* efi/menu.c: the chosen entry's index (0-based). */
int efi_menu_choose(const struct config *cfg);

/* efi/boot.c. Pool memory, or a FATAL line when the firmware has none. */
void *efi_alloc(UINTN size);
/* The firmware's memory map, in a pool buffer of its own with room for a
 * few more descriptors (*room bytes in all); *size, *key and *dsize as
 * GetMemoryMap() gives them. */
EFI_MEMORY_DESCRIPTOR *efi_get_map(UINTN *size, UINTN *key, UINTN *dsize, UINTN *room);
/* Loads Keel and the entry's files, ends boot services and
 * enters Keel. */
void efi_boot(const char *cfg_text, const struct cfg_entry *e) __attribute__((noreturn));

#endif
