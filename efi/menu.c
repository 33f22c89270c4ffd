/* The boot menu on the firmware's console: the same entries, countdown
 * and keys as stage 2's (lib/menu.c). The firmware's console is the
 * screen and, where it mirrors it (OVMF, boards with console redirection),
 * the serial line, whose keys arrive as ConIn keys too: a digit typed
 * there starts its entry, an arrow moves the selection. */
#include "loader.h"
#include "../lib/menu.h"

#define SECOND_100NS 10000000ull /* SetTimer() counts 100 ns units */

static void put_at(int row, int col, u8 attr, const char *s)
{
	SIMPLE_TEXT_OUTPUT_INTERFACE *out = efi_st->ConOut;

	/* EFI text attributes use VGA's encoding: 0x07 and 0x70 mean the same. */
	out->SetAttribute(out, attr);
	out->SetCursorPosition(out, (UINTN)col, (UINTN)row);
	efi_con_print(s);
	out->SetAttribute(out, MENU_ATTR_NORMAL);
}

static int screen_rows(void)
{
	SIMPLE_TEXT_OUTPUT_INTERFACE *out = efi_st->ConOut;
	UINTN cols, rows;

	if (EFI_ERROR(out->QueryMode(out, (UINTN)out->Mode->Mode, &cols, &rows)) || rows < 8)
		return 25;
	return (int)rows;
}

static int menu_key_of(const EFI_INPUT_KEY *k)
{
	if (k->ScanCode == SCAN_UP)
		return MENU_KEY_UP;
	if (k->ScanCode == SCAN_DOWN)
		return MENU_KEY_DOWN;
	if (k->UnicodeChar == CHAR_CARRIAGE_RETURN)
		return MENU_KEY_ENTER;
	return k->UnicodeChar;
}

static void list_entries(const struct config *cfg)
{
	for (int i = 0; i < cfg->nentries; i++)
		efi_log("menu: %d) %s", i + 1, cfg->entries[i].title);
	efi_log("menu: entry %d starts in %d s; type its number to choose another",
		cfg->default_entry, cfg->timeout);
}

int efi_menu_choose(const struct config *cfg)
{
	SIMPLE_TEXT_OUTPUT_INTERFACE *out = efi_st->ConOut;
	EFI_EVENT events[2];
	struct menu m;
	int rows = screen_rows();

	menu_start(&m, cfg);
	if (m.choice >= 0)
		return m.choice;

	list_entries(cfg);
	if (EFI_ERROR(efi_bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &events[1])) ||
	    EFI_ERROR(efi_bs->SetTimer(events[1], TimerPeriodic, SECOND_100NS)))
		efi_fatal("the firmware gives no timer for the menu's countdown");
	events[0] = efi_st->ConIn->WaitForKey;
	out->EnableCursor(out, FALSE);
	out->ClearScreen(out);
	menu_draw(&m, rows, put_at);
	while (m.choice < 0) {
		EFI_INPUT_KEY key;
		UINTN which;

		if (EFI_ERROR(efi_bs->WaitForEvent(2, events, &which)))
			which = 1;
		if (which == 0) {
			/* The keyboard and the serial line are one input here:
			 * a digit starts its entry from either. */
			while (m.choice < 0 && !EFI_ERROR(efi_st->ConIn->ReadKeyStroke(efi_st->ConIn, &key)))
				menu_key(&m, menu_key_of(&key));
		} else {
			menu_second(&m);
		}
		menu_draw(&m, rows, put_at);
	}
	efi_bs->CloseEvent(events[1]);
	out->ClearScreen(out);
	out->EnableCursor(out, TRUE);
	return m.choice;
}
