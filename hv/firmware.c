/* Which firmware booted Keel: see hv/firmware.h. */
#include "hv.h"
#include "firmware.h"

struct firmware firmware;

void firmware_init(u64 rsdp, u64 flags)
{
	firmware.uefi = flags & HV_BOOT_UEFI;
	firmware.rsdp = rsdp;
	if (firmware.uefi)
		log_line("firmware uefi (EFI loader): acpi rsdp at 0x%llx", (unsigned long long)rsdp);
}

/* A BIOS guest runs on the machine's own BIOS (DESIGN.md "Guests"): its
 * boot sector calls INT 13h and the rest through the real-mode IVT, which
 * UEFI firmware without a CSM never sets up. Refuse the entry before any
 * of its guests runs rather than let one hang in an empty IVT. */
void firmware_check_entry(const struct cfg_entry *e)
{
	if (!firmware.uefi)
		return;
	for (int i = 0; i < e->nguests; i++)
		if (e->guests[i].kind == CFG_GUEST_BIOS)
			fatal("entry \"%s\", guest %d: BIOS guests need a legacy BIOS (CSM), "
			      "and this machine booted Keel through UEFI; boot it in legacy (CSM) "
			      "mode or choose an entry without `guest bios`", e->title, i + 1);
}
