/* Unit tests for the pure rules in hv/x86.h: which exceptions push an
 * error code, and how an exception raised while another is delivered
 * combines with it (SDM vol. 3A table 6-5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "types.h"
#include "../../hv/x86.h"

static void test_error_codes(void **state)
{
	static const u8 with[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };

	(void)state;
	for (unsigned v = 0; v < 32; v++) {
		bool want = false;

		for (unsigned i = 0; i < sizeof(with); i++)
			want |= with[i] == v;
		assert_int_equal(x86_exc_has_error_code((u8)v), want);
	}
}

static void test_combine(void **state)
{
	static const u8 contributory[] = { 0, 10, 11, 12, 13, 21 };
	static const u8 benign[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19, 20 };

	(void)state;
	for (unsigned i = 0; i < sizeof(contributory); i++) {
		u8 c = contributory[i];

		assert_true(x86_exc_contributory(c));
		for (unsigned j = 0; j < sizeof(contributory); j++)
			assert_int_equal(x86_exc_combine(c, contributory[j]), X86_EXC_DOUBLE_FAULT);
		assert_int_equal(x86_exc_combine(c, X86_EXC_PF), X86_EXC_DELIVER_SECOND);
		assert_int_equal(x86_exc_combine(X86_EXC_PF, c), X86_EXC_DOUBLE_FAULT);
		assert_int_equal(x86_exc_combine(X86_EXC_DF, c), X86_EXC_SHUTDOWN);
		for (unsigned j = 0; j < sizeof(benign); j++) {
			assert_int_equal(x86_exc_combine(benign[j], c), X86_EXC_DELIVER_SECOND);
			assert_int_equal(x86_exc_combine(c, benign[j]), X86_EXC_DELIVER_SECOND);
		}
	}
	for (unsigned j = 0; j < sizeof(benign); j++) {
		assert_false(x86_exc_contributory(benign[j]));
		assert_int_equal(x86_exc_combine(X86_EXC_PF, benign[j]), X86_EXC_DELIVER_SECOND);
		assert_int_equal(x86_exc_combine(benign[j], X86_EXC_PF), X86_EXC_DELIVER_SECOND);
		assert_int_equal(x86_exc_combine(X86_EXC_DF, benign[j]), X86_EXC_SHUTDOWN);
	}
	assert_int_equal(x86_exc_combine(X86_EXC_PF, X86_EXC_PF), X86_EXC_DOUBLE_FAULT);
	assert_int_equal(x86_exc_combine(X86_EXC_DF, X86_EXC_PF), X86_EXC_SHUTDOWN);
	assert_int_equal(x86_exc_combine(X86_EXC_UD, X86_EXC_GP), X86_EXC_DELIVER_SECOND);
	assert_int_equal(x86_exc_combine(X86_EXC_GP, X86_EXC_GP), X86_EXC_DOUBLE_FAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_combine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
