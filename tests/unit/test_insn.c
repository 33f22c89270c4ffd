/* Unit tests for hv/insn.c: the stores a guest uses on its local APIC,
 * as NASM and gcc encode them (Linux's native_apic_mem_write, the test
 * guests), in 16-, 32- and 64-bit code, with every ModR/M and SIB
 * displacement form and the prefixes that change sizes; and what must
 * be refused: other widths, register operands, REP, other opcodes,
 * truncated bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "types.h"
#include "../../hv/insn.h"

struct ok_case {
	const char *what;
	unsigned bits;
	u8 bytes[INSN_MAX_LEN];
	unsigned n;
	u8 len;
	enum insn_store_op op;
	bool has_imm;
	u32 imm;
	u8 reg;
};

static const struct ok_case ok_cases[] = {
	/* 32-bit protected mode (the test guests) */
	{ "mov [disp32], eax (moffs)", 32, { 0xA3, 0x00, 0x03, 0xE0, 0xFE }, 5, 5, STORE_MOV, false, 0, 0 },
	{ "mov dword [disp32], imm32", 32, { 0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x00, 0x45, 0x00, 0x00 }, 10, 10,
	  STORE_MOV, true, 0x4500, 0 },
	{ "or dword [disp32], imm32", 32, { 0x81, 0x0D, 0xF0, 0x00, 0xE0, 0xFE, 0x00, 0x01, 0x00, 0x00 }, 10, 10,
	  STORE_OR, true, 0x100, 0 },
	{ "or dword [ebx+8], -2 (imm8)", 32, { 0x83, 0x4B, 0x08, 0xFE }, 4, 4, STORE_OR, true, 0xFFFFFFFE, 0 },
	{ "and dword [esi+disp32], imm8", 32, { 0x83, 0xA6, 0x00, 0x03, 0x00, 0x00, 0x7F }, 7, 7,
	  STORE_AND, true, 0x7F, 0 },
	{ "mov [edx], ecx", 32, { 0x89, 0x0A }, 2, 2, STORE_MOV, false, 0, 1 },
	{ "mov [eax+ecx*4+0x10], ebp", 32, { 0x89, 0x6C, 0x88, 0x10 }, 4, 4, STORE_MOV, false, 0, 5 },
	{ "mov [disp32 + esi*1] (SIB, no base), edi", 32, { 0x89, 0x3C, 0x35, 0x00, 0x03, 0xE0, 0xFE }, 7, 7,
	  STORE_MOV, false, 0, 7 },
	{ "xchg [ebx], eax", 32, { 0x87, 0x03 }, 2, 2, STORE_XCHG, false, 0, 0 },
	{ "lock or [ecx], edx", 32, { 0xF0, 0x09, 0x11 }, 3, 3, STORE_OR, false, 0, 2 },
	{ "and [ecx], esi with ds:", 32, { 0x3E, 0x21, 0x31 }, 3, 3, STORE_AND, false, 0, 6 },
	{ "mov [bx+si], eax with 67h (16-bit address)", 32, { 0x67, 0x89, 0x00 }, 3, 3, STORE_MOV, false, 0, 0 },
	{ "mov [disp16], eax with 67h", 32, { 0x67, 0xA3, 0x00, 0x03 }, 4, 4, STORE_MOV, false, 0, 0 },
	/* 16-bit code (real and unreal mode): 66h gives 32-bit operands */
	{ "16: mov [es:di], eax", 16, { 0x26, 0x66, 0x89, 0x05 }, 4, 4, STORE_MOV, false, 0, 0 },
	{ "16: mov dword [bp+disp8], imm32", 16, { 0x66, 0xC7, 0x46, 0x10, 0x01, 0x02, 0x03, 0x04 }, 8, 8,
	  STORE_MOV, true, 0x04030201, 0 },
	{ "16: mov [disp16], ebx", 16, { 0x66, 0x89, 0x1E, 0x00, 0x03 }, 5, 5, STORE_MOV, false, 0, 3 },
	{ "16: mov [edi], ecx (67h, 32-bit address)", 16, { 0x66, 0x67, 0x89, 0x0F }, 4, 4,
	  STORE_MOV, false, 0, 1 },
	{ "16: mov [moffs16], eax", 16, { 0x66, 0xA3, 0x00, 0x03 }, 4, 4, STORE_MOV, false, 0, 0 },
	/* 64-bit code (Linux: a fixmap address as disp32 with SIB, or a register base) */
	{ "64: mov [disp32 sign-extended], edi", 64, { 0x89, 0x3C, 0x25, 0xB0, 0xD0, 0x5F, 0xFF }, 7, 7,
	  STORE_MOV, false, 0, 7 },
	{ "64: mov [rip+disp32], esi", 64, { 0x89, 0x35, 0x10, 0x20, 0x30, 0x40 }, 6, 6, STORE_MOV, false, 0, 6 },
	{ "64: mov [rax], r9d (REX.R)", 64, { 0x44, 0x89, 0x08 }, 3, 3, STORE_MOV, false, 0, 9 },
	{ "64: mov [r12+0x300], eax (REX.B, SIB)", 64, { 0x41, 0x89, 0x84, 0x24, 0x00, 0x03, 0x00, 0x00 }, 8, 8,
	  STORE_MOV, false, 0, 0 },
	{ "64: mov [moffs64], eax", 64, { 0xA3, 0xB0, 0x00, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x00 }, 9, 9,
	  STORE_MOV, false, 0, 0 },
	{ "64: mov dword [rdx], imm32 (REX without W)", 64, { 0x40, 0xC7, 0x02, 0x0B, 0x00, 0x00, 0x00 }, 7, 7,
	  STORE_MOV, true, 0xB, 0 },
	{ "fifteen bytes: 13 prefixes", 32, { 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E,
					      0x3E, 0x3E, 0x3E, 0x89, 0x0A }, 15, 15, STORE_MOV, false, 0, 1 },
	/* trailing bytes after the instruction are not part of it */
	{ "mov [edx], ecx then nop", 32, { 0x89, 0x0A, 0x90, 0x90 }, 4, 2, STORE_MOV, false, 0, 1 },
};

static void test_accepted(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ok_cases); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct insn_store st;

		if (insn_decode_store(c->bytes, c->n, c->bits, &st))
			fail_msg("%s: refused", c->what);
		if (st.len != c->len || st.op != c->op || st.has_imm != c->has_imm ||
		    (c->has_imm ? st.imm != c->imm : st.reg != c->reg))
			fail_msg("%s: len %u op %d imm %d/%#x reg %u; expected len %u op %d imm %d/%#x reg %u",
				 c->what, st.len, st.op, st.has_imm, st.imm, st.reg, c->len, c->op,
				 c->has_imm, c->imm, c->reg);
	}
}

struct bad_case {
	const char *what;
	unsigned bits;
	u8 bytes[INSN_MAX_LEN];
	unsigned n;
};

static const struct bad_case bad_cases[] = {
	{ "16-bit operand: 66h in 32-bit code", 32, { 0x66, 0x89, 0x0A }, 3 },
	{ "16-bit operand: no 66h in 16-bit code", 16, { 0x89, 0x05 }, 2 },
	{ "64-bit operand: REX.W", 64, { 0x48, 0x89, 0x08 }, 3 },
	{ "byte store", 32, { 0x88, 0x0A }, 2 },
	{ "register destination (mod 11)", 32, { 0x89, 0xC8 }, 2 },
	{ "rep stosd", 32, { 0xF3, 0xAB }, 2 },
	{ "rep prefix on mov", 32, { 0xF3, 0x89, 0x0A }, 3 },
	{ "movsd", 32, { 0xA5 }, 1 },
	{ "C7 /1 is not mov", 32, { 0xC7, 0x0D, 0, 0, 0, 0, 0, 0, 0, 0 }, 10 },
	{ "81 /0 (add) not emulated", 32, { 0x81, 0x05, 0, 0, 0, 0, 1, 0, 0, 0 }, 10 },
	{ "inc dword [edx]", 32, { 0xFF, 0x02 }, 2 },
	{ "truncated disp32", 32, { 0xC7, 0x05, 0x00, 0x03, 0xE0 }, 5 },
	{ "truncated imm32", 32, { 0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x00, 0x45 }, 8 },
	{ "truncated SIB", 32, { 0x89, 0x04 }, 2 },
	{ "truncated moffs", 64, { 0xA3, 0, 0, 0, 0 }, 5 },
	{ "prefixes only", 32, { 0x66, 0x67, 0xF0 }, 3 },
	{ "nothing", 32, { 0 }, 0 },
	{ "REX is a plain opcode (inc) outside 64-bit code", 32, { 0x41, 0x89, 0x08 }, 3 },
	{ "sixteen bytes (14 prefixes)", 32, { 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E,
					       0x3E, 0x3E, 0x3E, 0x3E, 0x89 }, 15 },
};

static void test_refused(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct insn_store st;

		if (insn_decode_store(c->bytes, c->n, c->bits, &st) == 0)
			fail_msg("%s: accepted as a %u-byte store", c->what, st.len);
	}
}

/* Every prefix of an accepted instruction that is shorter than it is
 * refused: the decoder never reads past n. */
static void test_every_truncation(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ok_cases); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct insn_store st;

		for (unsigned n = 0; n < c->len; n++)
			if (insn_decode_store(c->bytes, n, c->bits, &st) == 0)
				fail_msg("%s: accepted with only %u of its %u bytes", c->what, n, c->len);
	}
}

/* MOV to CRn, as Linux writes CR4 (cr4_set_bits: mov %rax,%cr4) and a
 * 32-bit guest CR0; other instructions and cut-short bytes refused. */
static void test_mov_to_cr(void **state)
{
	static const u8 cr4_rax[] = { 0x0F, 0x22, 0xE0 }, cr3_r9[] = { 0x41, 0x0F, 0x22, 0xD9 },
			cr8_rcx[] = { 0x44, 0x0F, 0x22, 0xC1 }, cr0_eax32[] = { 0x0F, 0x22, 0xC0 },
			mov_from_cr4[] = { 0x0F, 0x20, 0xE0 };
	u8 cr = 0xFF, reg = 0xFF;

	(void)state;
	assert_int_equal(insn_decode_mov_to_cr(cr4_rax, 3, 64, &cr, &reg), 0);
	assert_int_equal(cr, 4);
	assert_int_equal(reg, 0);
	assert_int_equal(insn_decode_mov_to_cr(cr3_r9, 4, 64, &cr, &reg), 0);
	assert_int_equal(cr, 3);
	assert_int_equal(reg, 9);
	assert_int_equal(insn_decode_mov_to_cr(cr8_rcx, 4, 64, &cr, &reg), 0);
	assert_int_equal(cr, 8);
	assert_int_equal(reg, 1);
	assert_int_equal(insn_decode_mov_to_cr(cr0_eax32, 3, 32, &cr, &reg), 0);
	assert_int_equal(cr, 0);
	assert_int_equal(reg, 0);
	/* 41h is INC ECX outside 64-bit code, not a REX prefix. */
	assert_int_equal(insn_decode_mov_to_cr(cr3_r9, 4, 32, &cr, &reg), -1);
	assert_int_equal(insn_decode_mov_to_cr(mov_from_cr4, 3, 64, &cr, &reg), -1);
	for (unsigned n = 0; n < 3; n++)
		assert_int_equal(insn_decode_mov_to_cr(cr4_rax, n, 64, &cr, &reg), -1);
	assert_int_equal(insn_decode_mov_to_cr(cr3_r9, 3, 64, &cr, &reg), -1);
}

/* insn_is_svm: what Keel turns from #GP into #UD on AMD-V. */
static void test_svm_instructions(void **state)
{
	static const struct {
		u8 b[8];
		unsigned n, bits;
		bool svm;
	} cases[] = {
		{ { 0x0F, 0x01, 0xD8 }, 3, 32, true },			/* VMRUN */
		{ { 0x0F, 0x01, 0xDA }, 3, 32, true },			/* VMLOAD */
		{ { 0x0F, 0x01, 0xDB }, 3, 64, true },			/* VMSAVE */
		{ { 0x0F, 0x01, 0xDC }, 3, 16, true },			/* STGI */
		{ { 0x0F, 0x01, 0xDD }, 3, 32, true },			/* CLGI */
		{ { 0x0F, 0x01, 0xDE }, 3, 32, true },			/* SKINIT */
		{ { 0x0F, 0x01, 0xDF }, 3, 32, true },			/* INVLPGA */
		{ { 0x67, 0x0F, 0x01, 0xD8 }, 4, 32, true },		/* VMRUN AX */
		{ { 0x3E, 0x66, 0x0F, 0x01, 0xDA }, 5, 16, true },	/* prefixes */
		{ { 0xF3, 0x0F, 0x01, 0xDB }, 4, 32, true },
		{ { 0x48, 0x0F, 0x01, 0xD8 }, 4, 64, true },		/* REX in 64-bit code */
		{ { 0x67, 0x41, 0x0F, 0x01, 0xDA }, 5, 64, true },
		{ { 0x48, 0x0F, 0x01, 0xD8 }, 4, 32, false },		/* DEC EAX first */
		{ { 0x41, 0x67, 0x0F, 0x01, 0xD8 }, 5, 64, false },	/* REX not last */
		{ { 0x0F, 0x01, 0xD9 }, 3, 32, false },			/* VMMCALL: the hypercall */
		{ { 0x0F, 0x01, 0xC1 }, 3, 32, false },			/* VMCALL */
		{ { 0x0F, 0x01, 0xD0 }, 3, 32, false },			/* XGETBV */
		{ { 0x0F, 0x01, 0xF8 }, 3, 64, false },			/* SWAPGS */
		{ { 0x0F, 0x01, 0x10 }, 3, 32, false },			/* LGDT [eax] */
		{ { 0x0F, 0x00, 0xD8 }, 3, 32, false },			/* LTR AX */
		{ { 0x0F, 0x01 }, 2, 32, false },			/* cut short */
		{ { 0x0F, 0x01, 0xD8 }, 0, 32, false },
		{ { 0x8E, 0xD8 }, 2, 32, false },			/* MOV DS, AX */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (insn_is_svm(cases[i].b, cases[i].n, cases[i].bits) != cases[i].svm) {
			print_error("case %u: expected %s\n", i, cases[i].svm ? "SVM" : "not SVM");
			fail();
		}
	}
	/* 15 prefixes leave no room for the instruction. */
	{
		u8 b[20];

		for (unsigned i = 0; i < sizeof(b); i++)
			b[i] = 0x66;
		b[14] = 0x0F;
		b[15] = 0x01;
		b[16] = 0xD8;
		assert_false(insn_is_svm(b, sizeof(b), 32));
		assert_true(insn_is_svm(b + 5, 15, 32));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_mov_to_cr),
		cmocka_unit_test(test_svm_instructions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
