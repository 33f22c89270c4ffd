/* The boot menu's shared part: see lib/menu.h. */
#include "menu.h"
#include "format.h"

void menu_start(struct menu *m, const struct config *cfg)
{
	m->cfg = cfg;
	m->sel = cfg->default_entry - 1;
	m->remaining = cfg->timeout;
	m->choice = cfg->timeout == 0 ? m->sel : -1;
}

/* A digit 1..9 that names an entry, as an index, or -1. */
static int digit_entry(const struct config *cfg, int c)
{
	if (c >= '1' && c <= '9' && c - '1' < cfg->nentries)
		return c - '1';
	return -1;
}

void menu_serial_char(struct menu *m, int c)
{
	if (digit_entry(m->cfg, c) >= 0)
		m->choice = digit_entry(m->cfg, c);
}

void menu_key(struct menu *m, int key)
{
	m->remaining = -1;
	if (key == MENU_KEY_UP && m->sel > 0)
		m->sel--;
	else if (key == MENU_KEY_DOWN && m->sel < m->cfg->nentries - 1)
		m->sel++;
	else if (key == MENU_KEY_ENTER)
		m->choice = m->sel;
	else if (digit_entry(m->cfg, key) >= 0)
		m->choice = digit_entry(m->cfg, key);
}

void menu_second(struct menu *m)
{
	if (m->remaining < 0)
		return;
	if (--m->remaining <= 0)
		m->choice = m->sel;
}

void menu_draw(const struct menu *m, int rows,
	       void (*put_at)(int row, int col, u8 attr, const char *s))
{
	const struct config *cfg = m->cfg;
	char line[MENU_COLS + 1];

	put_at(1, 2, MENU_ATTR_NORMAL, "Keel - choose what to start");
	for (int i = 0; i < cfg->nentries && i < rows - 6; i++) {
		u8 attr = i == m->sel ? MENU_ATTR_HILITE : MENU_ATTR_NORMAL;

		fmt_snprintf(line, sizeof(line), " %d. %-60s ", i + 1, cfg->entries[i].title);
		put_at(3 + i, 2, attr, line);
	}
	if (m->remaining >= 0)
		fmt_snprintf(line, sizeof(line), "Entry %d starts in %d s.      ",
			     cfg->default_entry, m->remaining);
	else
		fmt_snprintf(line, sizeof(line), "Up/Down to choose, Enter to start.");
	put_at(rows - 2, 2, MENU_ATTR_NORMAL, line);
}
