/* The boot menu, on the VGA screen and COM1 at once: arrows and Enter on
 * the keyboard, a digit on the serial line (or the keyboard), and the
 * configured timeout after which the default entry starts. The state and
 * layout are lib/menu.c's, shared with the EFI loader. */
#include "stage2.h"
#include "bios.h"
#include "../lib/console.h"
#include "../lib/menu.h"

#define SCAN_UP 0x48
#define SCAN_DOWN 0x50
#define TICKS_PER_SEC 18 /* the BIOS timer runs at 18.2 Hz */

static void menu_list_serial(const struct config *cfg)
{
	unsigned sinks = con_sinks();

	/* The screen has its own drawing; the list goes to COM1 and 0xE9. */
	con_set_sinks(sinks & ~CON_VGA);
	for (int i = 0; i < cfg->nentries; i++)
		s2_log("menu: %d) %s", i + 1, cfg->entries[i].title);
	s2_log("menu: entry %d starts in %d s; type its number to choose another",
	       cfg->default_entry, cfg->timeout);
	con_set_sinks(sinks);
}

/* An INT 16h key (scan code << 8 | character) as a menu key. */
static int menu_key_of(int key)
{
	if ((key >> 8) == SCAN_UP)
		return MENU_KEY_UP;
	if ((key >> 8) == SCAN_DOWN)
		return MENU_KEY_DOWN;
	if ((key & 0xFF) == '\r')
		return MENU_KEY_ENTER;
	return key & 0xFF;
}

int menu_choose(const struct config *cfg)
{
	struct menu m;
	u32 last = bios_ticks();

	menu_start(&m, cfg);
	if (m.choice >= 0)
		return m.choice;

	vga_clear();
	menu_list_serial(cfg);
	menu_draw(&m, VGA_ROWS, vga_put_at);
	while (m.choice < 0) {
		int key;

		menu_serial_char(&m, serial_getc());
		key = bios_getkey();
		if (key >= 0) {
			menu_key(&m, menu_key_of(key));
			menu_draw(&m, VGA_ROWS, vga_put_at);
		}
		if (m.remaining >= 0 && bios_ticks() - last >= TICKS_PER_SEC) {
			last = bios_ticks();
			menu_second(&m);
			menu_draw(&m, VGA_ROWS, vga_put_at);
		}
		s2_wait_interrupt();
	}
	vga_clear();
	return m.choice;
}
