/* The EFI loader's entry: from the firmware's boot manager, which found
 * \EFI\BOOT\BOOTX64.EFI on partition 1 (the removable-media path), to the
 * chosen entry's start. The steps are stage 2's (stage2/main.c), done with
 * firmware services; the log lines are the same, except the first, which
 * says which way the machine booted Keel (docs/log.md). */
#include "loader.h"
#include "efimap.h"
#include "../lib/format.h"
#include "../lib/memmap.h"
#include "../lib/string.h"

#define CONFIG_NAME "KEEL.CFG"
#define CFG_TEXT_MAX 0x10000u /* as stage 2: KEEL.CFG is at most 64 KiB */

EFI_SYSTEM_TABLE *efi_st;
EFI_BOOT_SERVICES *efi_bs;
EFI_HANDLE efi_image;

/* The firmware's vendor string, CHAR16 narrowed to ASCII for the log. */
static void firmware_vendor(char *out, size_t len)
{
	const CHAR16 *v = efi_st->FirmwareVendor;
	size_t n = 0;

	for (; v && *v && n + 1 < len; v++)
		out[n++] = *v < 0x80 ? (char)*v : '?';
	out[n] = 0;
}

/* What the machine's RAM will be once boot services end, as Keel gets it. */
static void report_memory(void)
{
	static struct mem_range map[MEMMAP_MAX];
	UINTN size, key, dsize, room;
	EFI_MEMORY_DESCRIPTOR *buf = efi_get_map(&size, &key, &dsize, &room);
	int n;

	n = efimap_convert(buf, size, dsize, EFIMAP_AFTER_EXIT, map, MEMMAP_MAX);
	efi_bs->FreePool(buf);
	if (n >= 0)
		n = memmap_sanitize(map, n, MEMMAP_MAX);
	if (n < 0)
		efi_fatal("the UEFI memory map has more ranges than the %d Keel keeps", MEMMAP_MAX);
	efi_log("memory map from uefi: %d entries, %u MiB of RAM", n,
		(unsigned)(memmap_ram_bytes(map, n) >> 20));
}

static const char *read_config(size_t *len)
{
	char *text = efi_alloc(CFG_TEXT_MAX);
	EFI_STATUS s;
	u64 size;

	s = efi_file_size(CONFIG_NAME, &size);
	if (!EFI_ERROR(s) && size > CFG_TEXT_MAX)
		efi_fatal("%s: file too big", CONFIG_NAME);
	if (!EFI_ERROR(s))
		s = efi_file_read(CONFIG_NAME, text, size);
	if (EFI_ERROR(s))
		efi_fatal("%s: %s", CONFIG_NAME, efi_strerror(s));
	*len = (size_t)size;
	return text;
}

struct hv_boot_tsc efi_boot_tsc = { .magic = HV_BOOT_TSC_MAGIC };

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct config *cfg;
	struct cfg_error err;
	char vendor[48], spec[16];
	unsigned minor;
	const char *text;
	size_t len;
	int choice;

	efi_boot_tsc.stage2 = efi_rdtsc();
	efi_st = st;
	efi_bs = st->BootServices;
	efi_image = image;
	/* The boot manager arms a 5-minute watchdog for each boot option
	 * (UEFI 2.10, 7.5 SetWatchdogTimer): the menu may wait longer. */
	efi_bs->SetWatchdogTimer(0, 0, 0, NULL);

	/* Hdr.Revision: major << 16 | minor, where 2.7 is 70 and 2.3.1 is 31. */
	firmware_vendor(vendor, sizeof(vendor));
	minor = st->Hdr.Revision & 0xFFFF;
	fmt_snprintf(spec, sizeof(spec), minor % 10 ? "%u.%u.%u" : "%u.%u",
		     (unsigned)(st->Hdr.Revision >> 16), minor / 10, minor % 10);
	efi_log("efi loader on UEFI firmware \"%s\" rev 0x%x (UEFI %s)", vendor,
		(unsigned)st->FirmwareRevision, spec);
	report_memory();

	efi_files_init();
	cfg = efi_alloc(sizeof(*cfg));
	text = read_config(&len);
	if (cfg_parse(text, len, cfg, &err)) {
		if (err.line)
			efi_fatal("%s:%d: %s", CONFIG_NAME, err.line, err.msg);
		efi_fatal("%s: %s", CONFIG_NAME, err.msg);
	}

	choice = efi_menu_choose(cfg);
	efi_boot_tsc.menu = efi_rdtsc();
	efi_log("menu: starting entry %d \"%s\"", choice + 1, cfg->entries[choice].title);
	efi_boot(text, &cfg->entries[choice]);
}
