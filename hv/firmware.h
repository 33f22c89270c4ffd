/* Which firmware booted Keel, as the hand-off says (docs/handoff.md,
 * "Registers at hypervisor entry"): a legacy BIOS through stage 2, or
 * UEFI through the EFI loader, which also passes the ACPI RSDP from the
 * EFI configuration table (there is no BIOS area to scan for it). */
#ifndef KEEL_FIRMWARE_H
#define KEEL_FIRMWARE_H

#include "../lib/types.h"
#include "../lib/config.h"

struct firmware {
	bool uefi;   /* booted through UEFI firmware: no BIOS services */
	hpa_t rsdp;  /* the RSDP the loader found, or 0: scan the BIOS areas */
};

/* Filled once by firmware_init(); read-only afterwards. */
extern struct firmware firmware;

/* Records R8 (RSDP) and R9 (flags) and, on UEFI, logs the way in. */
void firmware_init(u64 rsdp, u64 flags);

/* Stops with one FATAL line when the entry needs what this firmware does
 * not have: BIOS guests on a machine booted through UEFI. */
void firmware_check_entry(const struct cfg_entry *e);

#endif
