/* Unit tests for lib/format.c: every case is compared with the host C
 * library's vsnprintf, at several buffer sizes, so truncation and the
 * return value are checked too. Cases C leaves undefined, and Keel's own
 * choices (%p of NULL, unknown conversions), are checked by value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "format.h"

#define GUARD 0x5a
#define BUFSZ 512

/* Formats with both implementations into buffers of size n and fails
 * with the expected and seen text when they differ or when fmt_* wrote
 * past n. */
static void compare_n(const char *file, int line, size_t n, const char *fmt,
		      va_list ap)
{
	char want[BUFSZ], got[BUFSZ];
	int rw, rg;
	size_t i;
	va_list a1, a2;

	memset(want, GUARD, sizeof(want));
	memset(got, GUARD, sizeof(got));
	va_copy(a1, ap);
	va_copy(a2, ap);
	rw = vsnprintf(want, n, fmt, a1);
	rg = fmt_vsnprintf(got, n, fmt, a2);
	va_end(a1);
	va_end(a2);
	if (rw != rg || (n > 0 && strcmp(want, got) != 0)) {
		print_error("%s:%d: format \"%s\" n=%zu: expected \"%s\" (%d), "
			    "saw \"%s\" (%d)\n", file, line, fmt, n,
			    n ? want : "", rw, n ? got : "", rg);
		fail();
	}
	for (i = n; i < sizeof(got); i++) {
		if ((unsigned char)got[i] != GUARD) {
			print_error("%s:%d: format \"%s\" n=%zu: wrote byte %zu\n",
				    file, line, fmt, n, i);
			fail();
		}
	}
}

__attribute__((format(printf, 3, 4)))
static void check_at(const char *file, int line, const char *fmt, ...)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 5, 8, 13, 21, 40, BUFSZ };
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		compare_n(file, line, sizes[i], fmt, ap);
	va_end(ap);
}

#define CHECK(...) check_at(__FILE__, __LINE__, __VA_ARGS__)

/* Valid C whose flags gcc's -Wformat calls redundant: passed as
 * non-literal formats so that they are still compared. */
static const char *nf_left_zero = "[%-025lld]";
static const char *nf_zero_prec = "[%08.3d][%-08.3d]";
static const char *nf_plus_space = "[%+ d]";
static const char *nf_zero_p = "[%020p]";

static void test_plain_text(void **state)
{
	(void)state;
	CHECK("%s", "");
	CHECK("hello");
	CHECK("keel: poweroff code=%d", 0);
	CHECK("100%% sure");
	CHECK("%%%%%%");
	CHECK("a%cb", 'x');
	CHECK("%c%c%c", 'K', 'e', 'l');
	CHECK("[%5c][%-5c][%1c]", 'z', 'z', 'z');
}

static void test_signed(void **state)
{
	static const long long vals[] = {
		0, 1, -1, 7, -7, 9, 10, -10, 99, 100, 12345, -12345,
		INT32_MAX, INT32_MIN, (long long)INT32_MAX + 1,
		(long long)INT32_MIN - 1, 1000000000, 4294967295LL,
		4294967296LL, 999999999999LL, -999999999999LL,
		1000000000000000000LL, INT64_MAX, INT64_MIN, INT64_MIN + 1,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		long long v = vals[i];
		int iv = (int)v;

		CHECK("%lld", v);
		CHECK("%lli", v);
		CHECK("[%25lld]", v);
		CHECK("[%-25lld]", v);
		CHECK("[%025lld]", v);
		CHECK(nf_left_zero, v);
		CHECK("[%3lld]", v);
		CHECK("%d", iv);
		CHECK("[%12d][%-12d][%012d]", iv, iv, iv);
		CHECK("%ld", (long)v);
		CHECK("%zd", (ptrdiff_t)v);
		CHECK("%hd", (short)v);
		CHECK("%hhd", (signed char)v);
		CHECK("[%.5d][%8.3d][%-8.3d]", iv, iv, iv);
		CHECK(nf_zero_prec, iv, iv);
	}
}

static void test_unsigned(void **state)
{
	static const unsigned long long vals[] = {
		0, 1, 9, 10, 15, 16, 255, 256, 0xffff, 0x10000, 0xdeadbeef,
		UINT32_MAX, (unsigned long long)UINT32_MAX + 1,
		0x123456789abcdefULL, 10000000000000000000ULL,
		18446744073709551614ULL, UINT64_MAX,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		unsigned long long v = vals[i];
		unsigned int uv = (unsigned int)v;

		CHECK("%llu %llx %llX", v, v, v);
		CHECK("[%24llu][%-24llu][%024llu]", v, v, v);
		CHECK("[%20llx][%-20llX][%020llx]", v, v, v);
		CHECK("%u %x %X", uv, uv, uv);
		CHECK("[%10u][%08x][%-8X|]", uv, uv, uv);
		CHECK("%lu %lx", (unsigned long)v, (unsigned long)v);
		CHECK("%zu %zx", (size_t)v, (size_t)v);
		CHECK("%hu %hx", (unsigned short)v, (unsigned short)v);
		CHECK("%hhu %hhx", (unsigned char)v, (unsigned char)v);
		CHECK("[%.0u][%.0x][%5.0u]", uv, uv, uv);
		CHECK("[%.10llu][%.12llx]", v, v);
	}
}

static void test_strings(void **state)
{
	char unterminated[3] = { 'a', 'b', 'c' };

	(void)state;
	CHECK("%s", "FDOS.IMG");
	CHECK("[%10s][%-10s][%2s]", "abc", "abc", "abcdef");
	CHECK("[%.2s][%.0s][%.10s]", "abcdef", "abcdef", "abc");
	CHECK("[%8.3s][%-8.3s]", "abcdef", "abcdef");
	CHECK("[%*s][%-*s]", 6, "xy", 6, "xy");
	CHECK("[%*s]", -6, "xy");
	CHECK("[%.*s][%.*s]", 3, "abcdef", -1, "abcdef");
	CHECK("[%*.*s]", 7, 2, "abcdef");
	/* With a precision the string need not end in NUL. */
	CHECK("[%.3s]", unterminated);
	CHECK("[%.*s]", 2, unterminated);
}

static void test_star_width(void **state)
{
	(void)state;
	CHECK("[%*d]", 5, 42);
	CHECK("[%*d]", -5, 42);
	CHECK("[%0*d]", 5, -42);
	CHECK("[%-*d]", 5, 42);
	CHECK("[%*d]", 0, 42);
	CHECK("[%*u][%*x]", 12, 7u, 3, 0xabcdu);
	CHECK("[%.*d]", 4, 7);
	CHECK("[%.*d]", -4, 7);
}

static void test_pointer(void **state)
{
	int x;

	(void)state;
	/* glibc prints NULL as "(nil)", so only non-NULL pointers compare. */
	CHECK("%p", (void *)&x);
	CHECK("%p", (void *)0x1);
	CHECK("%p", (void *)0xdeadbeef);
	CHECK("%p", (void *)UINTPTR_MAX);
	CHECK("[%20p][%-20p]", (void *)0x1234, (void *)0x1234);
	CHECK(nf_zero_p, (void *)0xabc);
}

/* Beyond format.h's promise, but -Wformat accepts them, so they must not
 * be printed literally (that would shift the later arguments). */
static void test_extra_flags(void **state)
{
	static const long long vals[] = { 0, 1, -1, 42, -42, INT64_MIN, INT64_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		long long v = vals[i];

		CHECK("[%+lld][% lld][%+8lld][% 08lld][%-+8lld|]", v, v, v, v, v);
		CHECK("[%+.3d][% .0d]", (int)v, (int)v);
		CHECK(nf_plus_space, (int)v);
		CHECK("[%#llx][%#llX][%#20llx][%#020llx][%#-20llx|]", v, v, v,
		      v, v);
		CHECK("[%#.0x][%#.5x]", (unsigned int)v, (unsigned int)v);
		CHECK("%jd %ju %jx", (intmax_t)v, (uintmax_t)v, (uintmax_t)v);
		CHECK("%td %tu", (ptrdiff_t)v, (size_t)v);
		CHECK("%s=%#x %s", "after", (unsigned int)v, "ok");
	}
}

static void test_mixed(void **state)
{
	(void)state;
	CHECK("keel: guest %d \"%s\" stop reason=%s code=%d exits=%llu", 1,
	      "T.BIN", "exit-code", 0, 12ULL);
	CHECK("keel: FATAL: vm entry failed: error %u at rip=%#llx", 7u,
	      0xfff0ULL);
	CHECK("e820: [mem %#018llx-%#018llx] %s", 0x9fc00ULL, 0x9ffffULL,
	      "reserved");
	CHECK("%08x:%016llx %c %-6s|%5zu|", 0xcafeu, 0x0123456789abcdefULL,
	      '!', "ok", (size_t)33);
	CHECK("%s=%d %s=%u %s=%x", "a", -1, "b", 4000000000u, "c", 255u);
}

/* Pseudo-random values through the 64-bit decimal path (fmt_div10). */
static void test_random_u64(void **state)
{
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		unsigned long long v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (i % 64);
		CHECK("%llu|%lld|%llx", v, (long long)v, v);
	}
}

/* Not comparable with the host: behaviour Keel defines itself. */
static void expect(const char *want, int want_ret, const char *got, int ret)
{
	if (strcmp(want, got) != 0 || want_ret != ret) {
		print_error("expected \"%s\" (%d), saw \"%s\" (%d)\n", want,
			    want_ret, got, ret);
		fail();
	}
}

static void test_keel_choices(void **state)
{
	const char *volatile nul = NULL;
	char buf[64];
	const char *f;
	int r;

	(void)state;
	r = fmt_snprintf(buf, sizeof(buf), "%p", (void *)0);
	expect("0x0", 3, buf, r);
	/* volatile hides the NULL from gcc's -Wformat-overflow. */
	r = fmt_snprintf(buf, sizeof(buf), "%s", nul);
	expect("(null)", 6, buf, r);
	r = fmt_snprintf(buf, sizeof(buf), "[%8s]", nul);
	expect("[  (null)]", 10, buf, r);
	r = fmt_snprintf(buf, sizeof(buf), "[%.3s]", nul);
	expect("[(nu]", 5, buf, r);
	/* A non-literal format keeps -Wformat quiet about these. */
	f = "a%qb%d";
	r = fmt_snprintf(buf, sizeof(buf), f, 5);
	expect("a%qb5", 5, buf, r);
	f = "x%-08.3yz";
	r = fmt_snprintf(buf, sizeof(buf), f);
	expect("x%-08.3yz", 9, buf, r);
	f = "end%";
	r = fmt_snprintf(buf, sizeof(buf), f);
	expect("end%", 4, buf, r);
	f = "end%08l";
	r = fmt_snprintf(buf, sizeof(buf), f);
	expect("end%08l", 7, buf, r);
	/* '0' is a number flag: strings and characters pad with spaces. */
	f = "[%05s][%03c]";
	r = fmt_snprintf(buf, sizeof(buf), f, "ab", 'c');
	expect("[   ab][  c]", 12, buf, r);
}

static void test_small_buffers(void **state)
{
	char buf[16];
	int r;

	(void)state;
	/* n == 0 never touches the buffer, not even for the NUL. */
	r = fmt_snprintf(NULL, 0, "%d-%s", 12345, "abc");
	assert_int_equal(r, 9);
	memset(buf, GUARD, sizeof(buf));
	r = fmt_snprintf(buf, 1, "%llu", 18446744073709551615ULL);
	assert_int_equal(r, 20);
	assert_int_equal(buf[0], '\0');
	assert_int_equal((unsigned char)buf[1], GUARD);
	memset(buf, GUARD, sizeof(buf));
	r = fmt_snprintf(buf, 6, "%lld", (long long)INT64_MIN);
	assert_int_equal(r, 20);
	assert_string_equal(buf, "-9223");
	assert_int_equal((unsigned char)buf[6], GUARD);
	memset(buf, GUARD, sizeof(buf));
	r = fmt_snprintf(buf, 4, "%-10s|", "ab");
	assert_int_equal(r, 11);
	assert_string_equal(buf, "ab ");
	assert_int_equal((unsigned char)buf[4], GUARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_star_width),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_extra_flags),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_random_u64),
		cmocka_unit_test(test_keel_choices),
		cmocka_unit_test(test_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
