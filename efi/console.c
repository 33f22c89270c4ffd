/* The EFI loader's log: the firmware's console (ConOut: the screen and,
 * where the firmware mirrors it, the serial port) and port 0xE9, as stage 2
 * writes to the screen, COM1 and 0xE9. After ExitBootServices() ConOut is
 * gone and lib/console.c writes to 0xE9 and COM1 itself. */
#include <stdarg.h>
#include "loader.h"
#include "../lib/console.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define LINE_MAX 256

/* Set once, by efi_console_boot_services_ended() from efi_boot(), when the
 * firmware's console is gone; the loader runs on one CPU. */
static bool services_ended;

static void e9_write(const char *s)
{
	while (*s)
		outb(DEBUGCON_PORT, (u8)*s++);
}

void efi_con_print(const char *s)
{
	CHAR16 buf[64 + 1];
	int n = 0;

	if (services_ended || !efi_st->ConOut)
		return;
	/* UEFI consoles want CHAR16 and CR LF; the text is ASCII. */
	for (; *s; s++) {
		if (*s == '\n')
			buf[n++] = L'\r';
		buf[n++] = (CHAR16)(u8)*s;
		if (n >= 63 || !s[1]) {
			buf[n] = 0;
			efi_st->ConOut->OutputString(efi_st->ConOut, buf);
			n = 0;
		}
	}
}

static void log_to_all(const char *prefix, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	size_t p = strlen(prefix);

	memcpy(line, prefix, p);
	fmt_vsnprintf(line + p, sizeof(line) - p - 1, fmt, ap);
	p = strlen(line);
	line[p] = '\n';
	line[p + 1] = 0;
	if (services_ended) {
		con_write(line, p + 1);
		return;
	}
	e9_write(line);
	efi_con_print(line);
}

void efi_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_to_all("keel: ", fmt, ap);
	va_end(ap);
}

void efi_console_boot_services_ended(void)
{
	services_ended = true;
	con_init(CON_E9 | CON_COM1);
}

void efi_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_to_all("keel: FATAL: ", fmt, ap);
	va_end(ap);
	emulator_exit(2); /* QEMU's isa-debug-exit and Bochs' shutdown port, as stage 2 */
	if (!services_ended) {
		EFI_INPUT_KEY key;
		UINTN index;

		/* A real machine: let the user read the line, then give the
		 * firmware back its boot menu (the next boot option). */
		efi_con_print("Press a key to return to the firmware.\n");
		efi_st->ConIn->Reset(efi_st->ConIn, FALSE);
		efi_bs->WaitForEvent(1, &efi_st->ConIn->WaitForKey, &index);
		efi_st->ConIn->ReadKeyStroke(efi_st->ConIn, &key);
		efi_bs->Exit(efi_image, EFI_LOAD_ERROR, 0, NULL);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
