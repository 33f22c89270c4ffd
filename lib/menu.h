/* The boot menu's state, keys and layout, shared by stage 2 (VGA screen,
 * BIOS keyboard, COM1) and the EFI loader (the firmware's console): the
 * same entries, countdown and keys on both ways in. Each loader supplies
 * how to draw a string and where keys and seconds come from. */
#ifndef KEEL_MENU_H
#define KEEL_MENU_H

#include "types.h"
#include "config.h"

#define MENU_ATTR_NORMAL 0x07 /* light grey on black (VGA and UEFI agree) */
#define MENU_ATTR_HILITE 0x70 /* black on light grey: the selected entry */
#define MENU_COLS 80

enum menu_key { MENU_KEY_UP = 0x100, MENU_KEY_DOWN, MENU_KEY_ENTER };

struct menu {
	const struct config *cfg;
	int sel;       /* the highlighted entry, 0-based */
	int remaining; /* seconds left, or -1 once a key stopped the countdown */
	int choice;    /* the chosen entry, or -1 while the menu waits */
};

void menu_start(struct menu *m, const struct config *cfg);

/* A key on the keyboard: a character or a MENU_KEY_ value. Any key stops
 * the countdown; Up/Down move, Enter starts the highlighted entry and a
 * digit starts its entry. */
void menu_key(struct menu *m, int key);

/* A digit typed on the serial line: it starts its entry and, unlike a
 * key on the keyboard, leaves the countdown alone. */
void menu_serial_char(struct menu *m, int c);

/* One second passed: the countdown goes on; at 0 the selection starts. */
void menu_second(struct menu *m);

/* Draws the menu on a screen of `rows` rows through put_at. */
void menu_draw(const struct menu *m, int rows,
	       void (*put_at)(int row, int col, u8 attr, const char *s));

#endif
