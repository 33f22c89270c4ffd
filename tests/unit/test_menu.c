/* Unit tests for lib/menu.c, the boot menu both loaders show: countdown,
 * keys, serial digits and the layout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "menu.h"

static struct config cfg;

static void two_entries(int timeout, int def)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout = timeout;
	cfg.default_entry = def;
	cfg.nentries = 2;
	memcpy(cfg.entries[0].title, "First", 6);
	memcpy(cfg.entries[1].title, "Second", 7);
}

static void test_timeout_zero_starts_default(void **state)
{
	struct menu m;

	(void)state;
	two_entries(0, 2);
	menu_start(&m, &cfg);
	assert_int_equal(m.choice, 1);
}

static void test_countdown(void **state)
{
	struct menu m;

	(void)state;
	two_entries(2, 1);
	menu_start(&m, &cfg);
	assert_int_equal(m.choice, -1);
	menu_second(&m);
	assert_int_equal(m.choice, -1);
	assert_int_equal(m.remaining, 1);
	menu_second(&m);
	assert_int_equal(m.choice, 0);
}

static void test_keys_stop_countdown(void **state)
{
	struct menu m;

	(void)state;
	two_entries(2, 1);
	menu_start(&m, &cfg);
	menu_key(&m, MENU_KEY_DOWN);
	assert_int_equal(m.remaining, -1);
	assert_int_equal(m.sel, 1);
	menu_key(&m, MENU_KEY_DOWN);                 /* stays on the last */
	assert_int_equal(m.sel, 1);
	for (int i = 0; i < 10; i++)
		menu_second(&m);
	assert_int_equal(m.choice, -1);              /* no countdown any more */
	menu_key(&m, MENU_KEY_UP);
	menu_key(&m, MENU_KEY_ENTER);
	assert_int_equal(m.choice, 0);
}

static void test_digits(void **state)
{
	struct menu m;

	(void)state;
	two_entries(5, 1);
	menu_start(&m, &cfg);
	menu_serial_char(&m, '3');                   /* no entry 3 */
	menu_serial_char(&m, -1);
	assert_int_equal(m.choice, -1);
	assert_int_equal(m.remaining, 5);
	menu_serial_char(&m, '2');
	assert_int_equal(m.choice, 1);
	menu_start(&m, &cfg);
	menu_key(&m, '2');
	assert_int_equal(m.choice, 1);
}

static char screen[25][81];

static void put_at(int row, int col, u8 attr, const char *s)
{
	(void)attr;
	memcpy(&screen[row][col], s, strlen(s));
}

static void test_layout(void **state)
{
	struct menu m;

	(void)state;
	memset(screen, ' ', sizeof(screen));
	two_entries(5, 1);
	menu_start(&m, &cfg);
	menu_draw(&m, 25, put_at);
	assert_memory_equal(&screen[1][2], "Keel - choose what to start", 27);
	assert_memory_equal(&screen[4][2], " 2. Second", 10);
	assert_memory_equal(&screen[23][2], "Entry 1 starts in 5 s.", 22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_zero_starts_default),
		cmocka_unit_test(test_countdown),
		cmocka_unit_test(test_keys_stop_countdown),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
