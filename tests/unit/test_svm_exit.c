/* Unit tests for svm/exit.c and hv/vmexit.c: each exit kind decoded from
 * a synthetic VMCB; IOIO direction, string, rep, sizes and port; NPF
 * access bits; exceptions with and without error codes; the next RIP with
 * and without NRIP save; VMEXIT_INVALID in the low 32 bits only; and the
 * names used in reports and log lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../svm/exit.h"
#include "../../hv/x86.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RIP 0x7C00ull

static struct vmcb vmcb;

/* A VMCB as the CPU leaves it after an exit at RIP. nrip 0 = not saved. */
static void set_exit(u64 code, u64 info1, u64 info2, u64 nrip)
{
	memset(&vmcb, 0, sizeof(vmcb));
	vmcb.save.rip = RIP;
	vmcb.control.exitcode = code;
	vmcb.control.exitinfo1 = info1;
	vmcb.control.exitinfo2 = info2;
	vmcb.control.nrip = nrip;
}

/* Decodes into a struct full of stale bytes, to see that every field the
 * decoder does not set comes back zero. */
static struct vmexit decode(bool nrips)
{
	struct vmexit e;

	memset(&e, 0xAA, sizeof(e));
	svm_decode_exit(&vmcb, nrips, &e);
	return e;
}

static void check_kind_at(const char *file, int line, const struct vmexit *e,
			  enum vmexit_kind want)
{
	if (e->kind != want) {
		print_error("%s:%d: exit code %#llx: expected kind %s, saw %s\n", file, line,
			    (unsigned long long)vmcb.control.exitcode, vmexit_kind_name(want),
			    vmexit_kind_name(e->kind));
		fail();
	}
}
#define check_kind(e, want) check_kind_at(__FILE__, __LINE__, &(e), want)

/* The raw fields are always copied. */
static void check_raw(const struct vmexit *e)
{
	assert_int_equal(e->reason, vmcb.control.exitcode);
	assert_int_equal(e->info1, vmcb.control.exitinfo1);
	assert_int_equal(e->info2, vmcb.control.exitinfo2);
}

/* Instructions with a single encoding, decoded with and without NRIPS. */
static void test_fixed_length_instructions(void **state)
{
	static const struct {
		u64 code;
		enum vmexit_kind kind;
		u8 len;
	} cases[] = {
		{ SVM_EXIT_CPUID, VMEXIT_CPUID, 2 },
		{ SVM_EXIT_HLT, VMEXIT_HLT, 1 },
		{ SVM_EXIT_VMMCALL, VMEXIT_HYPERCALL, 3 },
		{ SVM_EXIT_INVD, VMEXIT_INVD, 2 },
		{ SVM_EXIT_XSETBV, VMEXIT_XSETBV, 3 },
		{ SVM_EXIT_VMRUN, VMEXIT_VIRT_INSN, 3 },
		{ SVM_EXIT_VMLOAD, VMEXIT_VIRT_INSN, 3 },
		{ SVM_EXIT_VMSAVE, VMEXIT_VIRT_INSN, 3 },
		{ SVM_EXIT_STGI, VMEXIT_VIRT_INSN, 3 },
		{ SVM_EXIT_CLGI, VMEXIT_VIRT_INSN, 3 },
		{ SVM_EXIT_SKINIT, VMEXIT_VIRT_INSN, 3 },
		{ SVM_EXIT_MSR, VMEXIT_MSR, 2 },
	};
	struct vmexit e;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		/* No NRIP save: the fixed length. */
		set_exit(cases[i].code, 0, 0, 0);
		e = decode(false);
		check_kind(e, cases[i].kind);
		check_raw(&e);
		assert_int_equal(e.insn_len, cases[i].len);
		assert_int_equal(e.next_rip, RIP + cases[i].len);

		/* No NRIPS: whatever the NRIP field holds is not read. */
		set_exit(cases[i].code, 0, 0, RIP + 9);
		e = decode(false);
		assert_int_equal(e.insn_len, cases[i].len);
		assert_int_equal(e.next_rip, RIP + cases[i].len);

		/* NRIPS: NRIP wins, even over the usual length (a prefix). */
		set_exit(cases[i].code, 0, 0, RIP + cases[i].len + 1);
		e = decode(true);
		check_kind(e, cases[i].kind);
		assert_int_equal(e.insn_len, cases[i].len + 1);
		assert_int_equal(e.next_rip, RIP + cases[i].len + 1);

		/* NRIPS but NRIP 0: fall back to the fixed length. */
		set_exit(cases[i].code, 0, 0, 0);
		e = decode(true);
		assert_int_equal(e.insn_len, cases[i].len);
		assert_int_equal(e.next_rip, RIP + cases[i].len);
	}
}

static void test_msr(void **state)
{
	struct vmexit e;

	(void)state;
	set_exit(SVM_EXIT_MSR, 0, 0, 0);
	e = decode(false);
	check_kind(e, VMEXIT_MSR);
	assert_false(e.msr.write);
	assert_int_equal(e.msr.index, 0); /* ECX is the caller's to fill */

	set_exit(SVM_EXIT_MSR, 1, 0, 0);
	e = decode(false);
	assert_true(e.msr.write);
	assert_int_equal(e.msr.index, 0);
	assert_int_equal(e.insn_len, 2);
}

/* EXITINFO1 for IOIO: port in 31:16, SZ32/16/8 in 6:4, REP 3, STR 2,
 * TYPE (1 = in) 0; plus address-size bits 9:7 that Keel ignores. */
static void test_ioio(void **state)
{
	static const struct {
		u64 info1;
		u16 port;
		u8 size;
		bool in, string, rep;
		const char *what;
	} cases[] = {
		{ 0x03F80010, 0x3F8, 1, false, false, false, "OUT DX, AL" },
		{ 0x00600011, 0x060, 1, true, false, false, "IN AL, 60h" },
		{ 0x01F00021, 0x1F0, 2, true, false, false, "IN AX, DX" },
		{ 0x0CF80040, 0xCF8, 4, false, false, false, "OUT DX, EAX" },
		{ 0x0CFC0041, 0xCFC, 4, true, false, false, "IN EAX, DX" },
		{ 0x01F0011D, 0x1F0, 1, true, true, true, "REP INSB (A32)" },
		{ 0x01F00225, 0x1F0, 2, true, true, false, "INSW (A64)" },
		{ 0x03F8009C, 0x3F8, 1, false, true, true, "REP OUTSB (A16)" },
		{ 0x00800044, 0x080, 4, false, true, false, "OUTSD" },
		{ 0xFFFF0010, 0xFFFF, 1, false, false, false, "OUT to port FFFFh" },
		{ 0x00000011, 0x0000, 1, true, false, false, "IN from port 0" },
	};
	struct vmexit e;
	size_t i;
	int nrips;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		for (nrips = 0; nrips <= 1; nrips++) {
			/* EXITINFO2 is the next RIP; NRIP (here off by 5) is not
			 * used for IOIO. */
			set_exit(SVM_EXIT_IOIO, cases[i].info1, RIP + 2, RIP + 7);
			e = decode(nrips);
			if (e.kind != VMEXIT_IO || e.io.port != cases[i].port ||
			    e.io.size != cases[i].size || e.io.in != cases[i].in ||
			    e.io.string != cases[i].string || e.io.rep != cases[i].rep) {
				print_error("%s: expected io port %#x size %u in %d str %d rep %d, "
					    "saw kind %s port %#x size %u in %d str %d rep %d\n",
					    cases[i].what, cases[i].port, cases[i].size, cases[i].in,
					    cases[i].string, cases[i].rep, vmexit_kind_name(e.kind),
					    e.io.port, e.io.size, e.io.in, e.io.string, e.io.rep);
				fail();
			}
			check_raw(&e);
			assert_int_equal(e.next_rip, RIP + 2);
			assert_int_equal(e.insn_len, 2);
		}
	}
	/* An OUT with an operand-size prefix: length 2, from EXITINFO2. */
	set_exit(SVM_EXIT_IOIO, 0x00E90020, RIP + 3, 0);
	e = decode(false);
	assert_int_equal(e.io.port, 0xE9);
	assert_int_equal(e.io.size, 2);
	assert_int_equal(e.insn_len, 3);
	assert_int_equal(e.next_rip, RIP + 3);
}

static void test_npf(void **state)
{
	static const struct {
		u64 info1;
		bool present, read, write, exec;
		const char *what;
	} cases[] = {
		{ 0, false, true, false, false, "read, not present" },
		{ SVM_NPF_P, true, true, false, false, "read, present" },
		{ SVM_NPF_RW, false, false, true, false, "write, not present" },
		{ SVM_NPF_P | SVM_NPF_RW, true, false, true, false, "write, present" },
		{ SVM_NPF_ID, false, false, false, true, "fetch, not present" },
		{ SVM_NPF_P | SVM_NPF_ID | SVM_NPF_US, true, false, false, true, "user fetch, present" },
		/* Bits 32/33 (final address / table walk) change nothing here. */
		{ (1ull << 32) | SVM_NPF_RW, false, false, true, false, "write, final GPA" },
		{ (1ull << 33) | SVM_NPF_P, true, true, false, false, "read, page-table walk" },
	};
	struct vmexit e;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		/* A stale NRIP: an NPF retires no instruction. */
		set_exit(SVM_EXIT_NPF, cases[i].info1, 0xFEE00000ull + i, RIP + 3);
		e = decode(true);
		if (e.kind != VMEXIT_NPF || e.npf.present != cases[i].present ||
		    e.npf.read != cases[i].read || e.npf.write != cases[i].write ||
		    e.npf.exec != cases[i].exec || e.npf.misconfig) {
			print_error("%s: expected npf P %d R %d W %d X %d, saw kind %s P %d R %d "
				    "W %d X %d misconfig %d\n", cases[i].what, cases[i].present,
				    cases[i].read, cases[i].write, cases[i].exec,
				    vmexit_kind_name(e.kind), e.npf.present, e.npf.read,
				    e.npf.write, e.npf.exec, e.npf.misconfig);
			fail();
		}
		assert_int_equal(e.npf.gpa, 0xFEE00000ull + i);
		check_raw(&e);
		assert_int_equal(e.next_rip, 0);
		assert_int_equal(e.insn_len, 0);
	}
	/* A GPA above 4 GiB survives whole. */
	set_exit(SVM_EXIT_NPF, SVM_NPF_RW, 0x000FFFFFFFFFF123ull, 0);
	e = decode(false);
	assert_int_equal(e.npf.gpa, 0x000FFFFFFFFFF123ull);
}

static void test_exceptions(void **state)
{
	static const u8 with_error[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };
	struct vmexit e;
	unsigned int v;
	size_t i;
	bool want;

	(void)state;
	for (v = 0; v < 32; v++) {
		want = false;
		for (i = 0; i < N(with_error); i++)
			want |= with_error[i] == v;
		set_exit(SVM_EXIT_EXCP_BASE + v, 0xDEAD0018, 0x1234, 0);
		e = decode(false);
		check_kind(e, VMEXIT_EXCEPTION);
		check_raw(&e);
		if (e.exc.vector != v || e.exc.has_error != want ||
		    e.exc.error != (want ? 0xDEAD0018u : 0)) {
			print_error("vector %u: expected vector %u has_error %d error %#x, "
				    "saw vector %u has_error %d error %#x\n", v, v, want,
				    want ? 0xDEAD0018u : 0, e.exc.vector, e.exc.has_error,
				    e.exc.error);
			fail();
		}
		/* Variable length: unknown without NRIP. */
		assert_int_equal(e.insn_len, 0);
		assert_int_equal(e.next_rip, 0);
	}
	/* #PF: the error code in EXITINFO1, the address in EXITINFO2. */
	set_exit(SVM_EXIT_EXCP_BASE + X86_EXC_PF, 0x6, 0xFFFF800000001000ull, 0);
	e = decode(false);
	assert_int_equal(e.exc.vector, 14);
	assert_int_equal(e.exc.error, 6);
	assert_int_equal(e.info2, 0xFFFF800000001000ull);
	/* #BP from INT3 with NRIP save: the next RIP is known. */
	set_exit(SVM_EXIT_EXCP_BASE + X86_EXC_BP, 0, 0, RIP + 1);
	e = decode(true);
	assert_int_equal(e.exc.vector, 3);
	assert_false(e.exc.has_error);
	assert_int_equal(e.insn_len, 1);
	assert_int_equal(e.next_rip, RIP + 1);
}

/* EXITINTINFO (15.7.2, EVENTINJ's format): the event being delivered
 * when the exit came, for any exit. */
static void test_exitintinfo(void **state)
{
	struct vmexit e;

	(void)state;
	set_exit(SVM_EXIT_EXCP_BASE + X86_EXC_GP, 0x1231, 0, 0);
	e = decode(false);
	assert_int_equal(e.delivering.type, EVENT_NONE);
	/* #GP while delivering #UD (no error code). */
	vmcb.control.exitintinfo = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | X86_EXC_UD;
	e = decode(false);
	assert_int_equal(e.delivering.type, EVENT_EXCEPTION);
	assert_int_equal(e.delivering.vector, X86_EXC_UD);
	assert_false(e.delivering.has_error);
	assert_int_equal(e.delivering.error, 0);
	assert_int_equal(e.exc.error, 0x1231);
	/* ...a #GP with its error code, an interrupt, an NMI, INT n. */
	vmcb.control.exitintinfo = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | SVM_EVTINJ_EV |
				   X86_EXC_GP | 0x1230ull << 32;
	e = decode(false);
	assert_int_equal(e.delivering.type, EVENT_EXCEPTION);
	assert_int_equal(e.delivering.vector, X86_EXC_GP);
	assert_true(e.delivering.has_error);
	assert_int_equal(e.delivering.error, 0x1230);
	vmcb.control.exitintinfo = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_INTR | 0x20;
	e = decode(false);
	assert_int_equal(e.delivering.type, EVENT_INTR);
	assert_int_equal(e.delivering.vector, 0x20);
	vmcb.control.exitintinfo = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 2;
	assert_int_equal(decode(false).delivering.type, EVENT_NMI);
	vmcb.control.exitintinfo = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_SOFT | 0x80;
	e = decode(false);
	assert_int_equal(e.delivering.type, EVENT_SOFT);
	assert_int_equal(e.delivering.vector, 0x80);
	/* Not valid, or a reserved type: no event. */
	vmcb.control.exitintinfo = SVM_EVTINJ_TYPE_EXCEPTION | X86_EXC_UD;
	assert_int_equal(decode(false).delivering.type, EVENT_NONE);
	vmcb.control.exitintinfo = SVM_EVTINJ_VALID | (5u << 8) | X86_EXC_UD;
	assert_int_equal(decode(false).delivering.type, EVENT_NONE);
}

static void test_cr_accesses(void **state)
{
	struct vmexit e;
	unsigned int n;

	(void)state;
	for (n = 0; n < 16; n++) {
		set_exit(SVM_EXIT_READ_CR0 + n, 0, 0, 0);
		e = decode(false);
		check_kind(e, VMEXIT_CR);
		assert_int_equal(e.cr.cr, n);
		assert_false(e.cr.write);
		set_exit(SVM_EXIT_WRITE_CR0 + n, 0, 0, 0);
		e = decode(false);
		check_kind(e, VMEXIT_CR);
		assert_int_equal(e.cr.cr, n);
		assert_true(e.cr.write);
		assert_int_equal(e.insn_len, 0);
		assert_int_equal(e.next_rip, 0);
	}
	/* MOV CR4, R11 with decode assists and NRIP save. */
	set_exit(SVM_EXIT_WRITE_CR0 + 4, SVM_CR_EXITINFO1_MOV | 11, 0, RIP + 4);
	e = decode(true);
	assert_int_equal(e.cr.cr, 4);
	assert_true(e.cr.write);
	assert_int_equal(e.cr.gpr, 11);
	assert_false(e.cr.lmsw);
	assert_false(e.cr.clts);
	assert_int_equal(e.insn_len, 4);
	assert_int_equal(e.next_rip, RIP + 4);
	/* LMSW/CLTS (bit 63 clear): no GPR. */
	set_exit(SVM_EXIT_WRITE_CR0, 5, 0, 0);
	e = decode(false);
	assert_int_equal(e.cr.gpr, 0);
}

/* Exits no instruction caused: the kind, and no next RIP even when the
 * VMCB holds a stale NRIP. */
static void test_asynchronous(void **state)
{
	static const struct {
		u64 code;
		enum vmexit_kind kind;
	} cases[] = {
		{ SVM_EXIT_INTR, VMEXIT_INTR },
		{ SVM_EXIT_NMI, VMEXIT_NMI },
		{ SVM_EXIT_INIT, VMEXIT_INIT },
		{ SVM_EXIT_SHUTDOWN, VMEXIT_SHUTDOWN },
	};
	struct vmexit e;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		set_exit(cases[i].code, 0, 0, RIP + 2);
		e = decode(true);
		check_kind(e, cases[i].kind);
		check_raw(&e);
		assert_int_equal(e.insn_len, 0);
		assert_int_equal(e.next_rip, 0);
	}
}

static void test_invalid(void **state)
{
	struct vmexit e;

	(void)state;
	/* QEMU: -1 in the low 32 bits only. */
	set_exit(0x00000000FFFFFFFFull, 0, 0, RIP + 3);
	e = decode(true);
	check_kind(e, VMEXIT_INVALID);
	assert_int_equal(e.reason, 0xFFFFFFFFull);
	assert_int_equal(e.next_rip, 0);
	assert_int_equal(e.insn_len, 0);
	/* Hardware: all 64 bits. */
	set_exit(~0ull, 0, 0, 0);
	e = decode(false);
	check_kind(e, VMEXIT_INVALID);
	assert_int_equal(e.reason, ~0ull);
	/* -2 (VMEXIT_BUSY) is not VMEXIT_INVALID. */
	set_exit(0xFFFFFFFEull, 0, 0, 0);
	e = decode(false);
	check_kind(e, VMEXIT_UNKNOWN);
}

static void test_unknown(void **state)
{
	static const u64 codes[] = {
		SVM_EXIT_SMI, SVM_EXIT_VINTR, 0x020 /* DR0 read */, 0x06E /* RDTSC */,
		0x07E /* FERR_FREEZE */, 0x08C, 0x401 /* AVIC */, 0x100000072ull,
	};
	struct vmexit e;
	size_t i;

	(void)state;
	for (i = 0; i < N(codes); i++) {
		set_exit(codes[i], 0x11, 0x22, 0);
		e = decode(false);
		check_kind(e, VMEXIT_UNKNOWN);
		check_raw(&e);
		assert_int_equal(e.insn_len, 0);
		assert_int_equal(e.next_rip, 0);
	}
	/* An unknown instruction intercept (RDTSC, 0F 31) with NRIP save:
	 * the report can still say where the guest was going. */
	set_exit(0x06E, 0, 0, RIP + 2);
	e = decode(true);
	assert_int_equal(e.insn_len, 2);
	assert_int_equal(e.next_rip, RIP + 2);
}

/* NRIP that cannot be a length (wrapped, or beyond 15 bytes): the next
 * RIP is kept, the length is unknown. */
static void test_odd_nrip(void **state)
{
	struct vmexit e;

	(void)state;
	set_exit(SVM_EXIT_CPUID, 0, 0, RIP + 16);
	e = decode(true);
	assert_int_equal(e.next_rip, RIP + 16);
	assert_int_equal(e.insn_len, 0);
	set_exit(SVM_EXIT_CPUID, 0, 0, RIP - 1);
	e = decode(true);
	assert_int_equal(e.next_rip, RIP - 1);
	assert_int_equal(e.insn_len, 0);
	set_exit(SVM_EXIT_IOIO, 0x00600011, RIP - 0x7000, 0);
	e = decode(false);
	assert_int_equal(e.next_rip, RIP - 0x7000);
	assert_int_equal(e.insn_len, 0);
}

static void test_exit_names(void **state)
{
	static const struct {
		u64 code;
		const char *name;
	} cases[] = {
		{ SVM_EXIT_CPUID, "VMEXIT_CPUID" },
		{ SVM_EXIT_HLT, "VMEXIT_HLT" },
		{ SVM_EXIT_IOIO, "VMEXIT_IOIO" },
		{ SVM_EXIT_MSR, "VMEXIT_MSR" },
		{ SVM_EXIT_VMMCALL, "VMEXIT_VMMCALL" },
		{ SVM_EXIT_VMRUN, "VMEXIT_VMRUN" },
		{ SVM_EXIT_VMLOAD, "VMEXIT_VMLOAD" },
		{ SVM_EXIT_VMSAVE, "VMEXIT_VMSAVE" },
		{ SVM_EXIT_STGI, "VMEXIT_STGI" },
		{ SVM_EXIT_CLGI, "VMEXIT_CLGI" },
		{ SVM_EXIT_SKINIT, "VMEXIT_SKINIT" },
		{ SVM_EXIT_SHUTDOWN, "VMEXIT_SHUTDOWN" },
		{ SVM_EXIT_NPF, "VMEXIT_NPF" },
		{ SVM_EXIT_INTR, "VMEXIT_INTR" },
		{ SVM_EXIT_NMI, "VMEXIT_NMI" },
		{ SVM_EXIT_SMI, "VMEXIT_SMI" },
		{ SVM_EXIT_INIT, "VMEXIT_INIT" },
		{ SVM_EXIT_VINTR, "VMEXIT_VINTR" },
		{ SVM_EXIT_XSETBV, "VMEXIT_XSETBV" },
		{ SVM_EXIT_INVD, "VMEXIT_INVD" },
		{ 0x000, "VMEXIT_CR0_READ" },
		{ 0x003, "VMEXIT_CR3_READ" },
		{ 0x00F, "VMEXIT_CR15_READ" },
		{ 0x010, "VMEXIT_CR0_WRITE" },
		{ 0x018, "VMEXIT_CR8_WRITE" },
		{ 0x01F, "VMEXIT_CR15_WRITE" },
		{ 0x040, "VMEXIT_EXCP0" },
		{ 0x04E, "VMEXIT_EXCP14" },
		{ 0x05F, "VMEXIT_EXCP31" },
		{ 0xFFFFFFFFull, "VMEXIT_INVALID" },
		{ ~0ull, "VMEXIT_INVALID" },
		{ 0x020, "VMEXIT_UNKNOWN" },
		{ 0x06E, "VMEXIT_UNKNOWN" },
		{ 0x100000000ull, "VMEXIT_UNKNOWN" },
		{ 0xFFFFFFFEull, "VMEXIT_UNKNOWN" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		const char *got = svm_exit_name(cases[i].code);

		if (!got || strcmp(got, cases[i].name) != 0) {
			print_error("code %#llx: expected \"%s\", saw \"%s\"\n",
				    (unsigned long long)cases[i].code, cases[i].name,
				    got ? got : "(null)");
			fail();
		}
	}
}

static void test_kind_names(void **state)
{
	static const char *const want[VMEXIT_KIND_COUNT] = {
		[VMEXIT_UNKNOWN] = "unknown", [VMEXIT_CPUID] = "cpuid", [VMEXIT_HLT] = "hlt",
		[VMEXIT_IO] = "io", [VMEXIT_MSR] = "msr", [VMEXIT_CR] = "cr",
		[VMEXIT_XSETBV] = "xsetbv", [VMEXIT_INVD] = "invd", [VMEXIT_NPF] = "npf",
		[VMEXIT_EXCEPTION] = "exception", [VMEXIT_HYPERCALL] = "hypercall",
		[VMEXIT_VIRT_INSN] = "virt-insn", [VMEXIT_SHUTDOWN] = "shutdown",
		[VMEXIT_INIT] = "init", [VMEXIT_SIPI] = "sipi", [VMEXIT_INTR] = "intr",
		[VMEXIT_NMI] = "nmi", [VMEXIT_PREEMPT] = "preempt", [VMEXIT_INVALID] = "invalid",
	};
	int k;

	(void)state;
	for (k = 0; k < VMEXIT_KIND_COUNT; k++) {
		const char *got = vmexit_kind_name((enum vmexit_kind)k);

		assert_non_null(want[k]); /* this table must cover the enum too */
		if (!got || strcmp(got, want[k]) != 0) {
			print_error("kind %d: expected \"%s\", saw \"%s\"\n", k, want[k],
				    got ? got : "(null)");
			fail();
		}
	}
	assert_string_equal(vmexit_kind_name(VMEXIT_KIND_COUNT), "?");
	assert_string_equal(vmexit_kind_name((enum vmexit_kind)-1), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_length_instructions),
		cmocka_unit_test(test_msr),
		cmocka_unit_test(test_ioio),
		cmocka_unit_test(test_npf),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_exitintinfo),
		cmocka_unit_test(test_cr_accesses),
		cmocka_unit_test(test_asynchronous),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_odd_nrip),
		cmocka_unit_test(test_exit_names),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
