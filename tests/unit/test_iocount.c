/* Unit tests for hv/iocount.c: I/O exits counted by port, size and
 * direction; the `keel: io exits` line, most frequent first; what does not
 * fit the slots summed as other=. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../hv/iocount.h"
#include "format.h"

static char line[1024];

/* Is needle in line? (lib/string.h, first on the include path, has no
 * strstr.) */
static bool has(const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = line; *p; p++)
		if (!strncmp(p, needle, n))
			return true;
	return false;
}

/* hv/log.c's log_line, captured. */
void log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

static void test_counts_and_order(void **state)
{
	struct io_counts c = { 0 };

	(void)state;
	for (int i = 0; i < 5; i++)
		io_count(&c, io_count_key(0xCF8, 4, false));
	io_count(&c, io_count_key(0x64, 1, true));
	io_count(&c, io_count_key(0x64, 1, true));
	io_count(&c, io_count_key(0x64, 1, false));
	io_count(&c, io_count_key(0xCF8, 4, true));
	io_count(&c, io_count_key(0xCF8, 4, false));
	io_count(&c, io_count_key(0xCF8, 2, false));
	assert_int_equal(c.used, 5);
	assert_int_equal(c.slot[0].key, io_count_key(0xCF8, 4, false));
	io_count_log(&c);
	assert_string_equal(line, "io exits out:0xcf8/4=6 in:0x64/1=2 out:0x64/1=1 "
				  "in:0xcf8/4=1 out:0xcf8/2=1");
}

static void test_none_and_other(void **state)
{
	struct io_counts c = { 0 };

	(void)state;
	io_count_log(&c);
	assert_string_equal(line, "io exits none");
	for (int p = 0; p < IO_COUNT_SLOTS + 3; p++)
		io_count(&c, io_count_key((u16)(0x100 + p), 1, false));
	io_count(&c, io_count_key(0x100, 1, false));
	assert_int_equal(c.used, IO_COUNT_SLOTS);
	assert_int_equal(c.other, 3);
	io_count_log(&c);
	assert_true(has("io exits out:0x100/1=2 out:0x101/1=1"));
	assert_true(has(" other=3"));
	assert_false(has("0x112"));
}

/* A guest's line sums its vCPUs' counts (hv/guest.c). */
static void test_add_vcpus(void **state)
{
	struct io_counts sum = { 0 }, a = { 0 }, b = { 0 };

	(void)state;
	for (int i = 0; i < 3; i++)
		io_count(&a, io_count_key(0xCF8, 4, false));
	io_count(&a, io_count_key(0x64, 1, true));
	io_count(&b, io_count_key(0x64, 1, true));
	io_count(&b, io_count_key(0x60, 1, false));
	b.other = 2;
	io_count_add(&sum, &a);
	io_count_add(&sum, &b);
	io_count_log(&sum);
	assert_string_equal(line, "io exits out:0xcf8/4=3 in:0x64/1=2 out:0x60/1=1 other=2");
	/* Slots full: what has no slot goes to other=. */
	memset(&sum, 0, sizeof(sum));
	for (int p = 0; p < IO_COUNT_SLOTS; p++)
		io_count(&sum, io_count_key((u16)(0x200 + p), 1, false));
	io_count_add(&sum, &a);
	assert_int_equal(sum.other, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_order),
		cmocka_unit_test(test_none_and_other),
		cmocka_unit_test(test_add_vcpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
