/* The boot menu, on the VGA screen and COM1 at once: arrows and Enter on
 * the keyboard, a digit on the serial line (or the keyboard), and the
 * configured timeout after which the default entry starts. */
#include "stage2.h"
#include "bios.h"
#include "../lib/console.h"
#include "../lib/format.h"

#define SCAN_UP 0x48
#define SCAN_DOWN 0x50
#define TICKS_PER_SEC 18 /* the BIOS timer runs at 18.2 Hz */

static void menu_draw(const struct config *cfg, int sel, int remaining)
{
	char line[VGA_COLS + 1];

	vga_put_at(1, 2, VGA_ATTR_NORMAL, "Keel - choose what to start");
	for (int i = 0; i < cfg->nentries && i < VGA_ROWS - 6; i++) {
		u8 attr = i == sel ? VGA_ATTR_HILITE : VGA_ATTR_NORMAL;

		fmt_snprintf(line, sizeof(line), " %d. %-60s ", i + 1, cfg->entries[i].title);
		vga_put_at(3 + i, 2, attr, line);
	}
	if (remaining >= 0)
		fmt_snprintf(line, sizeof(line), "Entry %d starts in %d s.      ",
			     cfg->default_entry, remaining);
	else
		fmt_snprintf(line, sizeof(line), "Up/Down to choose, Enter to start.");
	vga_put_at(VGA_ROWS - 2, 2, VGA_ATTR_NORMAL, line);
}

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

/* A digit 1..9 that names an entry, as an index, or -1. */
static int digit_entry(const struct config *cfg, int c)
{
	if (c >= '1' && c <= '9' && c - '1' < cfg->nentries)
		return c - '1';
	return -1;
}

int menu_choose(const struct config *cfg)
{
	int sel = cfg->default_entry - 1;
	int remaining = cfg->timeout;
	u32 start = bios_ticks(), last = start;
	int choice = -1;

	if (cfg->timeout == 0)
		return sel;

	vga_clear();
	menu_list_serial(cfg);
	menu_draw(cfg, sel, remaining);
	while (choice < 0) {
		int c = serial_getc(), key;

		if (digit_entry(cfg, c) >= 0)
			choice = digit_entry(cfg, c);
		key = bios_getkey();
		if (key >= 0) {
			remaining = -1; /* any key stops the countdown */
			if ((key >> 8) == SCAN_UP && sel > 0)
				sel--;
			else if ((key >> 8) == SCAN_DOWN && sel < cfg->nentries - 1)
				sel++;
			else if ((key & 0xFF) == '\r')
				choice = sel;
			else if (digit_entry(cfg, key & 0xFF) >= 0)
				choice = digit_entry(cfg, key & 0xFF);
			menu_draw(cfg, sel, remaining);
		}
		if (remaining >= 0 && bios_ticks() - last >= TICKS_PER_SEC) {
			last = bios_ticks();
			if (--remaining <= 0)
				choice = sel;
			menu_draw(cfg, sel, remaining);
		}
		s2_wait_interrupt();
	}
	vga_clear();
	return choice;
}
