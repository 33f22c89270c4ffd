/* Unit tests for vmx/guest_check.c (SDM vol. 3C 27.3.1). Three known-good
 * guest states pass: a real-mode unrestricted guest at 0:7C00, a long-mode
 * guest and a virtual-8086 guest. Then every rule is broken on its own, on
 * each base where that makes sense, and its exact words must come back;
 * edge values either side of each limit pass or fail as the SDM says; and
 * a state breaking two rules reports the one earlier in 27.3.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../vmx/guest_check.h"
#include "../../vmx/vmcs.h"
#include "../../hv/x86.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct vmx_guest_state g;
static struct vmx_guest_ctx c;

/* Capability values of a Skylake-class CPU (no LA57, UMIP, SMXE, PKE or
 * CET in CR4_FIXED1). */
#define CR0_FIXED0 0x80000021ull
#define CR0_FIXED1 0xFFFFFFFFull
#define CR4_FIXED0 0x00002000ull
#define CR4_FIXED1 0x003727FFull

#define AR_CODE (VMX_AR_TYPE(11) | VMX_AR_S | VMX_AR_P)	/* 9BH */
#define AR_DATA (VMX_AR_TYPE(3) | VMX_AR_S | VMX_AR_P)	/* 93H */
#define AR_V86 0xF3u
#define AR_TSS_BUSY (VMX_AR_TYPE(11) | VMX_AR_P)	/* 8BH */
#define AR_LDT (VMX_AR_TYPE(2) | VMX_AR_P)		/* 82H */
#define PAT_DEFAULT 0x0007040600070406ull

enum { CS, SS, DS, ES, FS, GS, LDTR, TR };

static struct vmx_seg *seg(int i)
{
	struct vmx_seg *const r[] = { &g.cs, &g.ss, &g.ds, &g.es, &g.fs, &g.gs, &g.ldtr, &g.tr };

	return r[i];
}

static void set_seg(struct vmx_seg *s, u16 sel, u64 base, u32 limit, u32 ar)
{
	s->sel = sel;
	s->base = base;
	s->limit = limit;
	s->ar = ar;
}

static void make_ctx(void)
{
	memset(&c, 0, sizeof(c));
	c.cr0_fixed0 = CR0_FIXED0;
	c.cr0_fixed1 = CR0_FIXED1;
	c.cr4_fixed0 = CR4_FIXED0;
	c.cr4_fixed1 = CR4_FIXED1;
	c.load_efer = true;
	c.load_pat = true;
}

/* A boot sector at 0:7C00 in real mode: unrestricted guest, CR0 with only
 * ET and the NE that FIXED0 asks for, 64 KiB segments at 0, no LDT, and
 * in TR the busy 32-bit TSS that VM entry asks for even in real mode. */
static void make_real(void)
{
	int i;

	memset(&g, 0, sizeof(g));
	make_ctx();
	c.unrestricted = true;
	g.cr0 = CR0_ET | CR0_NE;
	g.cr4 = CR4_VMXE;
	g.dr7 = 0x400;
	g.rip = 0x7C00;
	g.rsp = 0x7C00;
	g.rflags = X86_RFLAGS_FIXED;
	g.pat = PAT_DEFAULT;
	g.link_ptr = ~0ull;
	set_seg(&g.cs, 0, 0, 0xFFFF, AR_CODE);
	for (i = SS; i <= GS; i++)
		set_seg(seg(i), 0, 0, 0xFFFF, AR_DATA);
	set_seg(&g.ldtr, 0, 0, 0, VMX_AR_UNUSABLE);
	set_seg(&g.tr, 0, 0, 0xFFFF, AR_TSS_BUSY);
	g.gdtr_limit = 0xFFFF;
	g.idtr_limit = 0x3FF;
}

/* A 64-bit kernel in the upper half: not an unrestricted guest, 4 GiB flat
 * segments with G, FS and GS in use, a 64-bit TSS, an injected #PF. */
static void make_long(void)
{
	int i;

	make_real();
	c.unrestricted = false;
	c.ia32e_guest = true;
	c.entry_intr_info = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_HW_EXCEPTION) |
			    INTR_INFO_DELIVER_ERROR_CODE | X86_EXC_PF;
	g.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	g.cr3 = 0x0000000FFFFFF000ull;
	g.cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_VMXE | CR4_PCIDE;
	g.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	g.rip = 0xFFFFFFFF80001000ull;
	g.rsp = 0xFFFFFFFF80200000ull;
	g.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
	g.sysenter_esp = 0xFFFF800000010000ull;
	g.sysenter_eip = 0xFFFFFFFF80002000ull;
	set_seg(&g.cs, 0x08, 0, 0xFFFFFFFF, AR_CODE | VMX_AR_L | VMX_AR_G);
	for (i = SS; i <= GS; i++)
		set_seg(seg(i), 0x10, 0, 0xFFFFFFFF, AR_DATA | VMX_AR_DB | VMX_AR_G);
	g.fs.base = 0x00007FFFFFFFF000ull;
	g.gs.base = 0xFFFF800000000000ull;
	set_seg(&g.tr, 0x18, 0xFFFF800000001000ull, 0x67, AR_TSS_BUSY);
	g.gdtr_base = 0xFFFF800000002000ull;
	g.gdtr_limit = 0x27;
	g.idtr_base = 0xFFFF800000003000ull;
	g.idtr_limit = 0xFFF;
}

/* A DOS program under a protected-mode monitor: RFLAGS.VM, 32-bit paging,
 * not an unrestricted guest, segments at selector * 16 with DPL 3. SS's
 * RPL differs from CS's: in virtual-8086 mode that is not checked. */
static void make_v86(void)
{
	static const u16 sels[] = { 0xF000, 0x1001, 0x2000, 0x3000, 0x4000, 0x5000 };
	int i;

	make_real();
	c.unrestricted = false;
	g.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	g.cr3 = 0x00002000;
	g.cr4 = CR4_VMXE | CR4_PSE | CR4_VME;
	g.rip = 0x0100;
	g.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_VM | X86_RFLAGS_IF;
	for (i = CS; i <= GS; i++)
		set_seg(seg(i), sels[i], (u64)sels[i] << 4, 0xFFFF, AR_V86);
	set_seg(&g.tr, 0x28, 0x00100000, 0x2067, AR_TSS_BUSY);
	g.gdtr_base = 0x00100100;
	g.gdtr_limit = 0x2F;
	g.idtr_base = 0x00100200;
	g.idtr_limit = 0x7FF;
}

enum base { REAL = 1, LONG = 2, V86 = 4, ALL = 7 };

static void make(enum base b)
{
	if (b == REAL)
		make_real();
	else if (b == LONG)
		make_long();
	else
		make_v86();
}

static const char *base_name(enum base b)
{
	return b == REAL ? "real-mode" : b == LONG ? "long-mode" : "virtual-8086";
}

/* Fails with the expected and the seen rule unless they are the same
 * (both may be NULL: "accepted"). */
static void expect_at(const char *file, int line, const char *what, const char *want)
{
	const char *got = vmx_check_guest_state(&g, &c);

	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
		print_error("%s:%d: %s: expected %s%s%s, saw %s%s%s\n", file, line, what,
			    want ? "\"" : "", want ? want : "NULL (accepted)", want ? "\"" : "",
			    got ? "\"" : "", got ? got : "NULL (accepted)", got ? "\"" : "");
		fail();
	}
}
#define expect(what, want) expect_at(__FILE__, __LINE__, what, want)

/* The rules, in the order of 27.3.1. */
#define R_CR0_FIXED0 "CR0 does not have the bits IA32_VMX_CR0_FIXED0 requires"
#define R_CR0_FIXED1 "CR0 has bits IA32_VMX_CR0_FIXED1 does not allow"
#define R_PG_PE "CR0.PG is set but CR0.PE is clear"
#define R_CR4_FIXED0 "CR4 does not have the bits IA32_VMX_CR4_FIXED0 requires"
#define R_CR4_FIXED1 "CR4 has bits IA32_VMX_CR4_FIXED1 does not allow"
#define R_CET_WP "CR4.CET is set but CR0.WP is clear"
#define R_IA32E "IA-32e mode guest requires CR0.PG and CR4.PAE"
#define R_PCIDE "CR4.PCIDE must be 0 outside IA-32e mode"
#define R_CR3 "CR3 bits 63:52 must be 0"
#define R_DR7 "DR7 bits 63:32 must be 0"
#define R_SYSENTER_ESP "IA32_SYSENTER_ESP is not canonical"
#define R_SYSENTER_EIP "IA32_SYSENTER_EIP is not canonical"
#define R_PAT "IA32_PAT has an entry that is not UC, WC, WT, WP, WB or UC-"
#define R_EFER "IA32_EFER has reserved bits set"
#define R_LMA "IA32_EFER.LMA must equal the IA-32e mode guest control"
#define R_LME "IA32_EFER.LME must equal the IA-32e mode guest control when CR0.PG is 1"
#define R_TR_TI "TR selector TI flag must be 0"
#define R_LDTR_TI "LDTR selector TI flag must be 0"
#define R_SS_RPL "SS selector RPL must equal CS selector RPL"
#define R_V86_BASE(n) n " base must be the selector times 16 in virtual-8086 mode"
#define R_CANONICAL(n) n " base is not canonical"
#define R_BASE_HIGH(n) n " base bits 63:32 must be 0"
#define R_V86_LIMIT(n) n " limit must be FFFFH in virtual-8086 mode"
#define R_V86_AR(n) n " access rights must be F3H in virtual-8086 mode"
#define R_CS_TYPE_UG "CS access rights: type must be 3, 9, 11, 13 or 15"
#define R_CS_TYPE "CS access rights: type must be 9, 11, 13 or 15"
#define R_SS_TYPE "SS access rights: type must be 3 or 7"
#define R_ACCESSED(n) n " access rights: type must be accessed (bit 0 = 1)"
#define R_READABLE(n) n " access rights: a code segment must be readable"
#define R_S(n) n " access rights: S must be 1"
#define R_CS_DPL_DATA "CS access rights: DPL must be 0 for type 3"
#define R_CS_DPL_NC "CS access rights: DPL must equal SS.DPL for a non-conforming code segment"
#define R_CS_DPL_C "CS access rights: DPL must not exceed SS.DPL for a conforming code segment"
#define R_SS_DPL_RPL "SS access rights: DPL must equal the selector's RPL"
#define R_SS_DPL0 "SS access rights: DPL must be 0 when CR0.PE is 0 or CS type is 3"
#define R_DPL_RPL(n) n " access rights: DPL must not be less than the selector's RPL"
#define R_P(n) n " access rights: P must be 1"
#define R_RSVD_LOW(n) n " access rights: bits 11:8 must be 0"
#define R_CS_LD "CS access rights: L and D/B must not both be 1 in IA-32e mode"
#define R_G_COARSE(n) n " access rights: G must be 0 unless limit bits 11:0 are all 1"
#define R_G_FINE(n) n " access rights: G must be 1 if any of limit bits 31:20 is 1"
#define R_RSVD_HIGH(n) n " access rights: bits 31:17 must be 0"
#define R_TR_TYPE64 "TR must be a 64-bit busy TSS (type 11) in IA-32e mode"
#define R_TR_TYPE "TR must be a busy TSS (type 3 or 11)"
#define R_TR_S "TR access rights: S must be 0"
#define R_TR_UNUSABLE "TR must be usable"
#define R_LDTR_TYPE "LDTR access rights: type must be 2 (LDT)"
#define R_LDTR_S "LDTR access rights: S must be 0"
#define R_GDTR_BASE "GDTR base is not canonical"
#define R_IDTR_BASE "IDTR base is not canonical"
#define R_GDTR_LIMIT "GDTR limit bits 31:16 must be 0"
#define R_IDTR_LIMIT "IDTR limit bits 31:16 must be 0"
#define R_RIP_HIGH "RIP bits 63:32 must be 0 outside 64-bit mode"
#define R_RIP_CANONICAL "RIP is not canonical"
#define R_RFLAGS_RSVD "RFLAGS reserved bits 63:22, 15, 5 and 3 must be 0"
#define R_RFLAGS_BIT1 "RFLAGS bit 1 must be 1"
#define R_RFLAGS_VM "RFLAGS.VM must be 0 in IA-32e mode or with CR0.PE clear"
#define R_RFLAGS_IF "RFLAGS.IF must be 1 to inject an external interrupt"
#define R_ACTIVITY "activity state must be 0 (active), 1 (HLT), 2 (shutdown) or 3 (wait-for-SIPI)"
#define R_HLT_DPL "HLT activity state requires SS.DPL = 0"
#define R_BLOCK_ACTIVE "blocking by STI or MOV SS requires the active state"
#define R_EVENT_ACTIVITY "the injected event is blocked in this activity state"
#define R_INTR_RSVD "interruptibility state bits 31:5 must be 0"
#define R_STI_MOVSS "blocking by STI and by MOV SS must not both be set"
#define R_STI_IF "blocking by STI requires RFLAGS.IF = 1"
#define R_BLOCK_EXTINT "blocking by STI or MOV SS forbids injecting an external interrupt"
#define R_MOVSS_NMI "blocking by MOV SS forbids injecting an NMI"
#define R_VNMI "virtual-NMI blocking forbids injecting an NMI"
#define R_SMI "blocking by SMI must be 0 outside SMM"
#define R_ENCLAVE "enclave interruption forbids blocking by MOV SS"
#define R_DBG_RSVD "pending debug exceptions bits 11:4, 13, 15 and 63:17 must be 0"
#define R_BS_SET "pending debug exceptions: BS must be 1 when RFLAGS.TF is 1 " \
		 "under STI or MOV-SS blocking or in HLT"
#define R_BS_CLEAR "pending debug exceptions: BS must be 0 when RFLAGS.TF is 0 " \
		   "under STI or MOV-SS blocking or in HLT"
#define R_RTM_BITS "pending debug exceptions: RTM requires bit 12 set and bits 11:0 and 15:13 clear"
#define R_RTM_MOVSS "pending debug exceptions: RTM forbids blocking by MOV SS"
#define R_LINK "the VMCS link pointer is not FFFFFFFF_FFFFFFFFH"

/* Breakers: each breaks one rule (on register i where it has one) without
 * breaking an earlier one. */
static void set_type(struct vmx_seg *s, u32 type) { s->ar = (s->ar & ~0xFu) | type; }
static void use_ldt(void) { set_seg(&g.ldtr, 0, 0x00200000, 0xFFFF, AR_LDT); }
static const u32 ext_intr = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_EXT_INTR) | 0x20;

static void b_cr0_fixed0(int i) { (void)i; g.cr0 &= ~CR0_NE; }
static void b_cr0_fixed1(int i) { (void)i; g.cr0 |= 1ull << 32; }
static void b_pg_pe(int i) { (void)i; c.unrestricted = true; g.cr0 = (g.cr0 | CR0_PG) & ~CR0_PE; }
static void b_cr4_fixed0(int i) { (void)i; g.cr4 &= ~CR4_VMXE; }
static void b_cr4_fixed1(int i) { (void)i; g.cr4 |= CR4_SMXE; }
static void b_cet_wp(int i)
{
	(void)i;
	c.cr4_fixed1 |= CR4_CET;
	g.cr4 |= CR4_CET;
	g.cr0 &= ~CR0_WP;
}
static void b_ia32e(int i) { (void)i; c.ia32e_guest = true; g.cr4 &= ~CR4_PAE; }
static void b_pcide(int i) { (void)i; c.ia32e_guest = false; g.cr4 |= CR4_PCIDE; }
static void b_cr3(int i) { (void)i; g.cr3 |= 1ull << 52; }
static void b_dr7(int i) { (void)i; g.dr7 |= 1ull << 32; }
static void b_sysenter_esp(int i) { (void)i; g.sysenter_esp = 1ull << 47; }
static void b_sysenter_eip(int i) { (void)i; g.sysenter_eip = 0x8000000000000000ull; }
static void b_pat(int i) { (void)i; g.pat = (PAT_DEFAULT & ~0xFF00ull) | 0x0200; }
static void b_efer(int i) { (void)i; g.efer |= EFER_SVME; }
static void b_lma(int i) { (void)i; g.efer ^= EFER_LMA; }
static void b_lme(int i)
{
	(void)i;
	if (c.ia32e_guest) {
		g.efer &= ~EFER_LME;
	} else {
		g.cr0 |= CR0_PE | CR0_PG;
		g.efer |= EFER_LME;
	}
}
static void b_tr_ti(int i) { (void)i; g.tr.sel |= X86_SEL_TI; }
static void b_ldtr_ti(int i) { (void)i; use_ldt(); g.ldtr.sel = 0x20 | X86_SEL_TI; }
static void b_ss_rpl(int i) { (void)i; g.ss.sel |= 3; }
static void b_v86_base(int i) { seg(i)->base += 0x10; }
static void b_canonical(int i)
{
	if (i == LDTR)
		use_ldt();
	seg(i)->base = 0x0000800000000000ull;
}
static void b_base_high(int i) { seg(i)->base = 1ull << 32; }
static void b_v86_limit(int i) { seg(i)->limit = 0xFFFE; }
static void b_v86_ar(int i) { seg(i)->ar |= VMX_AR_DB; }
static void b_cs_type(int i) { (void)i; set_type(&g.cs, c.unrestricted ? 1 : 3); }
static void b_ss_type(int i) { (void)i; set_type(&g.ss, 1); }
static void b_accessed(int i) { seg(i)->ar &= ~SEG_TYPE_ACCESSED; }
static void b_readable(int i) { set_type(seg(i), 9); }
static void b_s(int i) { seg(i)->ar &= ~VMX_AR_S; }
static void b_cs_dpl_data(int i) { (void)i; set_type(&g.cs, 3); g.cs.ar |= VMX_AR_DPL(3); }
static void b_cs_dpl_nc(int i) { (void)i; g.cs.ar |= VMX_AR_DPL(3); }
static void b_cs_dpl_c(int i) { (void)i; set_type(&g.cs, 15); g.cs.ar |= VMX_AR_DPL(3); }
/* A conforming CS at DPL 0 leaves SS.DPL free to differ. */
static void b_ss_dpl_rpl(int i) { (void)i; set_type(&g.cs, 15); g.ss.ar |= VMX_AR_DPL(3); }
static void b_ss_dpl0(int i) { (void)i; set_type(&g.cs, 15); g.ss.ar |= VMX_AR_DPL(3); }
static void b_dpl_rpl(int i) { seg(i)->sel |= 3; }
static void b_p(int i) { seg(i)->ar &= ~VMX_AR_P; }
static void b_rsvd_low(int i)
{
	if (i == LDTR)
		use_ldt();
	seg(i)->ar |= 1u << 8;
}
static void b_cs_ld(int i) { (void)i; g.cs.ar |= VMX_AR_DB; }
static void b_g_coarse(int i)
{
	if (i == LDTR)
		use_ldt();
	seg(i)->limit &= ~0xFFFu;
	seg(i)->ar |= VMX_AR_G;
}
static void b_g_fine(int i)
{
	if (i == LDTR)
		use_ldt();
	seg(i)->limit = 0xFFFFFFFF;
	seg(i)->ar &= ~VMX_AR_G;
}
static void b_rsvd_high(int i)
{
	if (i == LDTR)
		use_ldt();
	seg(i)->ar |= 1u << 17;
}
static void b_tr_type64(int i) { (void)i; set_type(&g.tr, 3); }
static void b_tr_type(int i) { (void)i; set_type(&g.tr, 9); }
static void b_tr_s(int i) { (void)i; g.tr.ar |= VMX_AR_S; }
static void b_seg_p(int i)
{
	if (i == LDTR)
		use_ldt();
	seg(i)->ar &= ~VMX_AR_P;
}
static void b_tr_unusable(int i) { (void)i; g.tr.ar |= VMX_AR_UNUSABLE; }
static void b_ldtr_type(int i) { (void)i; use_ldt(); set_type(&g.ldtr, 3); }
static void b_ldtr_s(int i) { (void)i; use_ldt(); g.ldtr.ar |= VMX_AR_S; }
static void b_gdtr_base(int i) { (void)i; g.gdtr_base = 0x0000800000000000ull; }
static void b_idtr_base(int i) { (void)i; g.idtr_base = 0xFFF0000000000000ull; }
static void b_gdtr_limit(int i) { (void)i; g.gdtr_limit = 0x10000; }
static void b_idtr_limit(int i) { (void)i; g.idtr_limit = 0xFFFFFFFF; }
static void b_rip_high(int i) { (void)i; g.cs.ar &= ~VMX_AR_L; g.rip = 0x100000000ull; }
static void b_rip_canonical(int i) { (void)i; g.rip = 0x0000800000000000ull; }
static void b_rflags_rsvd(int i) { (void)i; g.rflags |= 1ull << 15; }
static void b_rflags_bit1(int i) { (void)i; g.rflags &= ~X86_RFLAGS_FIXED; }
/* Virtual-8086 segments first, so that only RFLAGS.VM itself is wrong. */
static void b_rflags_vm(int i)
{
	int s;

	(void)i;
	for (s = CS; s <= GS; s++)
		set_seg(seg(s), seg(s)->sel, (u64)seg(s)->sel << 4, 0xFFFF, AR_V86);
	g.rip = 0x1000;
	g.rflags |= X86_RFLAGS_VM;
}
static void b_rflags_if(int i)
{
	(void)i;
	c.entry_intr_info = ext_intr;
	g.rflags &= ~X86_RFLAGS_IF;
}
static void b_activity(int i) { (void)i; g.activity = 4; }
static void b_hlt_dpl(int i)
{
	(void)i;
	if (c.ia32e_guest) { /* CPL 3 */
		g.cs.sel |= 3;
		g.cs.ar |= VMX_AR_DPL(3);
		g.ss.sel |= 3;
		g.ss.ar |= VMX_AR_DPL(3);
	}
	g.activity = VMX_ACTIVITY_HLT;
	c.entry_intr_info = 0;
}
static void b_block_active(int i)
{
	(void)i;
	g.activity = VMX_ACTIVITY_HLT;
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
}
static void b_event_activity(int i)
{
	(void)i;
	g.activity = VMX_ACTIVITY_SHUTDOWN;
	c.entry_intr_info = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_HW_EXCEPTION) | 13;
}
static void b_intr_rsvd(int i) { (void)i; g.interruptibility = 1u << 5; }
static void b_sti_movss(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_BLOCKING_STI | VMX_INTR_BLOCKING_MOV_SS;
}
static void b_sti_if(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_BLOCKING_STI;
	g.rflags &= ~X86_RFLAGS_IF;
}
static void b_block_extint(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
	g.rflags |= X86_RFLAGS_IF;
	c.entry_intr_info = ext_intr;
}
static void b_movss_nmi(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
	c.entry_intr_info = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_NMI) | X86_EXC_NMI;
}
/* SDM 27.3.1.5: with virtual NMIs, no NMI goes in while one is blocked. */
static void b_vnmi(int i)
{
	(void)i;
	c.virtual_nmis = true;
	g.interruptibility = VMX_INTR_BLOCKING_NMI;
	c.entry_intr_info = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_NMI) | X86_EXC_NMI;
}
static void b_smi(int i) { (void)i; g.interruptibility = VMX_INTR_BLOCKING_SMI; }
static void b_enclave(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_ENCLAVE_INTERRUPTION | VMX_INTR_BLOCKING_MOV_SS;
}
static void b_dbg_rsvd(int i) { (void)i; g.pending_dbg = 1ull << 4; }
static void b_bs_set(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
	g.rflags |= X86_RFLAGS_TF;
}
static void b_bs_clear(int i)
{
	(void)i;
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
	g.pending_dbg = VMX_PENDING_DBG_BS;
}
static void b_rtm_bits(int i) { (void)i; g.pending_dbg = VMX_PENDING_DBG_RTM; }
static void b_rtm_movss(int i)
{
	(void)i;
	g.pending_dbg = VMX_PENDING_DBG_RTM | VMX_PENDING_DBG_ENABLED_BP;
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
}
static void b_link(int i) { (void)i; g.link_ptr = 0; }

/* A rule: its words, the bases it is broken on, the breaker and its
 * register, and whether it touches only what its own rule reads (such
 * rules are also broken in pairs). */
static const struct rule {
	const char *words;
	int bases;
	void (*breaks)(int i);
	int reg;
	bool alone;
} rules[] = {
	{ R_CR0_FIXED0, ALL, b_cr0_fixed0, 0, true },
	{ R_CR0_FIXED1, ALL, b_cr0_fixed1, 0, true },
	{ R_PG_PE, ALL, b_pg_pe, 0, false },
	{ R_CR4_FIXED0, ALL, b_cr4_fixed0, 0, true },
	{ R_CR4_FIXED1, ALL, b_cr4_fixed1, 0, true },
	{ R_CET_WP, ALL, b_cet_wp, 0, false },
	{ R_IA32E, ALL, b_ia32e, 0, false },
	{ R_PCIDE, ALL, b_pcide, 0, false },
	{ R_CR3, ALL, b_cr3, 0, true },
	{ R_DR7, ALL, b_dr7, 0, true },
	{ R_SYSENTER_ESP, ALL, b_sysenter_esp, 0, true },
	{ R_SYSENTER_EIP, ALL, b_sysenter_eip, 0, true },
	{ R_PAT, ALL, b_pat, 0, true },
	{ R_EFER, ALL, b_efer, 0, true },
	{ R_LMA, ALL, b_lma, 0, false },
	{ R_LME, ALL, b_lme, 0, false },
	{ R_TR_TI, ALL, b_tr_ti, 0, true },
	{ R_LDTR_TI, ALL, b_ldtr_ti, 0, false },
	{ R_SS_RPL, LONG, b_ss_rpl, 0, false },
	{ R_V86_BASE("CS"), V86, b_v86_base, CS, false },
	{ R_V86_BASE("SS"), V86, b_v86_base, SS, false },
	{ R_V86_BASE("DS"), V86, b_v86_base, DS, false },
	{ R_V86_BASE("ES"), V86, b_v86_base, ES, false },
	{ R_V86_BASE("FS"), V86, b_v86_base, FS, false },
	{ R_V86_BASE("GS"), V86, b_v86_base, GS, false },
	{ R_CANONICAL("TR"), ALL, b_canonical, TR, true },
	{ R_CANONICAL("FS"), REAL | LONG, b_canonical, FS, true },
	{ R_CANONICAL("GS"), REAL | LONG, b_canonical, GS, true },
	{ R_CANONICAL("LDTR"), ALL, b_canonical, LDTR, false },
	{ R_BASE_HIGH("CS"), REAL | LONG, b_base_high, CS, true },
	{ R_BASE_HIGH("SS"), REAL | LONG, b_base_high, SS, true },
	{ R_BASE_HIGH("DS"), REAL | LONG, b_base_high, DS, true },
	{ R_BASE_HIGH("ES"), REAL | LONG, b_base_high, ES, true },
	{ R_V86_LIMIT("CS"), V86, b_v86_limit, CS, false },
	{ R_V86_LIMIT("SS"), V86, b_v86_limit, SS, false },
	{ R_V86_LIMIT("DS"), V86, b_v86_limit, DS, false },
	{ R_V86_LIMIT("ES"), V86, b_v86_limit, ES, false },
	{ R_V86_LIMIT("FS"), V86, b_v86_limit, FS, false },
	{ R_V86_LIMIT("GS"), V86, b_v86_limit, GS, false },
	{ R_V86_AR("CS"), V86, b_v86_ar, CS, false },
	{ R_V86_AR("SS"), V86, b_v86_ar, SS, false },
	{ R_V86_AR("DS"), V86, b_v86_ar, DS, false },
	{ R_V86_AR("ES"), V86, b_v86_ar, ES, false },
	{ R_V86_AR("FS"), V86, b_v86_ar, FS, false },
	{ R_V86_AR("GS"), V86, b_v86_ar, GS, false },
	{ R_CS_TYPE_UG, REAL, b_cs_type, 0, false },
	{ R_CS_TYPE, LONG, b_cs_type, 0, false },
	{ R_SS_TYPE, REAL | LONG, b_ss_type, 0, false },
	{ R_ACCESSED("DS"), REAL | LONG, b_accessed, DS, false },
	{ R_READABLE("DS"), REAL | LONG, b_readable, DS, false },
	{ R_ACCESSED("ES"), REAL | LONG, b_accessed, ES, false },
	{ R_READABLE("ES"), REAL | LONG, b_readable, ES, false },
	{ R_ACCESSED("FS"), REAL | LONG, b_accessed, FS, false },
	{ R_READABLE("FS"), REAL | LONG, b_readable, FS, false },
	{ R_ACCESSED("GS"), REAL | LONG, b_accessed, GS, false },
	{ R_READABLE("GS"), REAL | LONG, b_readable, GS, false },
	{ R_S("CS"), REAL | LONG, b_s, CS, false },
	{ R_S("SS"), REAL | LONG, b_s, SS, false },
	{ R_S("DS"), REAL | LONG, b_s, DS, false },
	{ R_S("ES"), REAL | LONG, b_s, ES, false },
	{ R_S("FS"), REAL | LONG, b_s, FS, false },
	{ R_S("GS"), REAL | LONG, b_s, GS, false },
	{ R_CS_DPL_DATA, REAL, b_cs_dpl_data, 0, false },
	{ R_CS_DPL_NC, REAL | LONG, b_cs_dpl_nc, 0, false },
	{ R_CS_DPL_C, REAL | LONG, b_cs_dpl_c, 0, false },
	{ R_SS_DPL_RPL, LONG, b_ss_dpl_rpl, 0, false },
	{ R_SS_DPL0, REAL, b_ss_dpl0, 0, false },
	{ R_DPL_RPL("DS"), LONG, b_dpl_rpl, DS, false },
	{ R_DPL_RPL("ES"), LONG, b_dpl_rpl, ES, false },
	{ R_DPL_RPL("FS"), LONG, b_dpl_rpl, FS, false },
	{ R_DPL_RPL("GS"), LONG, b_dpl_rpl, GS, false },
	{ R_P("CS"), REAL | LONG, b_p, CS, false },
	{ R_P("SS"), REAL | LONG, b_p, SS, false },
	{ R_P("DS"), REAL | LONG, b_p, DS, false },
	{ R_P("ES"), REAL | LONG, b_p, ES, false },
	{ R_P("FS"), REAL | LONG, b_p, FS, false },
	{ R_P("GS"), REAL | LONG, b_p, GS, false },
	{ R_RSVD_LOW("CS"), REAL | LONG, b_rsvd_low, CS, true },
	{ R_RSVD_LOW("SS"), REAL | LONG, b_rsvd_low, SS, true },
	{ R_RSVD_LOW("DS"), REAL | LONG, b_rsvd_low, DS, true },
	{ R_RSVD_LOW("ES"), REAL | LONG, b_rsvd_low, ES, true },
	{ R_RSVD_LOW("FS"), REAL | LONG, b_rsvd_low, FS, true },
	{ R_RSVD_LOW("GS"), REAL | LONG, b_rsvd_low, GS, true },
	{ R_CS_LD, LONG, b_cs_ld, 0, true },
	{ R_G_COARSE("CS"), REAL | LONG, b_g_coarse, CS, false },
	{ R_G_FINE("CS"), REAL | LONG, b_g_fine, CS, false },
	{ R_G_COARSE("SS"), REAL | LONG, b_g_coarse, SS, false },
	{ R_G_FINE("SS"), REAL | LONG, b_g_fine, SS, false },
	{ R_G_COARSE("DS"), REAL | LONG, b_g_coarse, DS, false },
	{ R_G_FINE("DS"), REAL | LONG, b_g_fine, DS, false },
	{ R_G_COARSE("ES"), REAL | LONG, b_g_coarse, ES, false },
	{ R_G_FINE("ES"), REAL | LONG, b_g_fine, ES, false },
	{ R_G_COARSE("FS"), REAL | LONG, b_g_coarse, FS, false },
	{ R_G_FINE("FS"), REAL | LONG, b_g_fine, FS, false },
	{ R_G_COARSE("GS"), REAL | LONG, b_g_coarse, GS, false },
	{ R_G_FINE("GS"), REAL | LONG, b_g_fine, GS, false },
	{ R_RSVD_HIGH("CS"), REAL | LONG, b_rsvd_high, CS, true },
	{ R_RSVD_HIGH("SS"), REAL | LONG, b_rsvd_high, SS, true },
	{ R_RSVD_HIGH("DS"), REAL | LONG, b_rsvd_high, DS, true },
	{ R_RSVD_HIGH("ES"), REAL | LONG, b_rsvd_high, ES, true },
	{ R_RSVD_HIGH("FS"), REAL | LONG, b_rsvd_high, FS, true },
	{ R_RSVD_HIGH("GS"), REAL | LONG, b_rsvd_high, GS, true },
	{ R_TR_TYPE64, LONG, b_tr_type64, 0, false },
	{ R_TR_TYPE, REAL | V86, b_tr_type, 0, false },
	{ R_TR_S, ALL, b_tr_s, 0, false },
	{ R_P("TR"), ALL, b_seg_p, TR, false },
	{ R_RSVD_LOW("TR"), ALL, b_rsvd_low, TR, true },
	{ R_G_COARSE("TR"), ALL, b_g_coarse, TR, false },
	{ R_G_FINE("TR"), ALL, b_g_fine, TR, false },
	{ R_TR_UNUSABLE, ALL, b_tr_unusable, 0, false },
	{ R_RSVD_HIGH("TR"), ALL, b_rsvd_high, TR, true },
	{ R_LDTR_TYPE, ALL, b_ldtr_type, 0, false },
	{ R_LDTR_S, ALL, b_ldtr_s, 0, false },
	{ R_P("LDTR"), ALL, b_seg_p, LDTR, false },
	{ R_RSVD_LOW("LDTR"), ALL, b_rsvd_low, LDTR, false },
	{ R_G_COARSE("LDTR"), ALL, b_g_coarse, LDTR, false },
	{ R_G_FINE("LDTR"), ALL, b_g_fine, LDTR, false },
	{ R_RSVD_HIGH("LDTR"), ALL, b_rsvd_high, LDTR, false },
	{ R_GDTR_BASE, ALL, b_gdtr_base, 0, true },
	{ R_IDTR_BASE, ALL, b_idtr_base, 0, true },
	{ R_GDTR_LIMIT, ALL, b_gdtr_limit, 0, true },
	{ R_IDTR_LIMIT, ALL, b_idtr_limit, 0, true },
	{ R_RIP_HIGH, ALL, b_rip_high, 0, false },
	{ R_RIP_CANONICAL, LONG, b_rip_canonical, 0, true },
	{ R_RFLAGS_RSVD, ALL, b_rflags_rsvd, 0, true },
	{ R_RFLAGS_BIT1, ALL, b_rflags_bit1, 0, true },
	{ R_RFLAGS_VM, REAL | LONG, b_rflags_vm, 0, false },
	{ R_RFLAGS_IF, ALL, b_rflags_if, 0, false },
	{ R_ACTIVITY, ALL, b_activity, 0, true },
	{ R_HLT_DPL, LONG | V86, b_hlt_dpl, 0, false },
	{ R_BLOCK_ACTIVE, REAL | LONG, b_block_active, 0, false },
	{ R_EVENT_ACTIVITY, ALL, b_event_activity, 0, false },
	{ R_INTR_RSVD, ALL, b_intr_rsvd, 0, false },
	{ R_STI_MOVSS, ALL, b_sti_movss, 0, false },
	{ R_STI_IF, ALL, b_sti_if, 0, false },
	{ R_BLOCK_EXTINT, ALL, b_block_extint, 0, false },
	{ R_MOVSS_NMI, ALL, b_movss_nmi, 0, false },
	{ R_VNMI, ALL, b_vnmi, 0, false },
	{ R_SMI, ALL, b_smi, 0, false },
	{ R_ENCLAVE, ALL, b_enclave, 0, false },
	{ R_DBG_RSVD, ALL, b_dbg_rsvd, 0, true },
	{ R_BS_SET, ALL, b_bs_set, 0, false },
	{ R_BS_CLEAR, ALL, b_bs_clear, 0, false },
	{ R_RTM_BITS, ALL, b_rtm_bits, 0, false },
	{ R_RTM_MOVSS, ALL, b_rtm_movss, 0, false },
	{ R_LINK, ALL, b_link, 0, true },
};

static void test_good_states_pass(void **state)
{
	(void)state;
	make_real();
	expect("real-mode unrestricted guest at 0:7C00", NULL);
	make_long();
	expect("long-mode guest", NULL);
	make_v86();
	expect("virtual-8086 guest", NULL);
	/* Keel runs every guest as an unrestricted guest. */
	make_long();
	c.unrestricted = true;
	expect("long-mode guest, unrestricted", NULL);
	make_v86();
	c.unrestricted = true;
	expect("virtual-8086 guest, unrestricted", NULL);
	/* Without the load controls, EFER and PAT are not looked at. */
	make_long();
	c.load_efer = false;
	c.load_pat = false;
	g.efer = ~0ull;
	g.pat = ~0ull;
	expect("long-mode guest, EFER and PAT not loaded", NULL);
	/* Real mode as the processor leaves it at reset (CS F000H, base
	 * FFFF0000H, CD and NW set), and with a usable LDT. */
	make_real();
	g.cr0 |= CR0_CD | CR0_NW;
	set_seg(&g.cs, 0xF000, 0xFFFF0000, 0xFFFF, AR_CODE);
	g.rip = 0xFFF0;
	use_ldt();
	expect("real mode at reset with an LDT", NULL);
}

/* Every rule alone, on each base it applies to: exactly its words. */
static void test_each_rule_alone(void **state)
{
	char what[200];
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < N(rules); i++) {
		for (b = REAL; b <= V86; b <<= 1) {
			if (!(rules[i].bases & b))
				continue;
			make((enum base)b);
			rules[i].breaks(rules[i].reg);
			snprintf(what, sizeof(what), "%s guest breaking \"%s\"",
				 base_name((enum base)b), rules[i].words);
			expect(what, rules[i].words);
		}
	}
}

/* Two self-contained rules broken on the long-mode guest: the earlier in
 * 27.3.1 is reported. */
static void test_first_failure_wins(void **state)
{
	char what[300];
	size_t i, j;

	(void)state;
	for (i = 0; i < N(rules); i++) {
		if (!rules[i].alone || !(rules[i].bases & LONG))
			continue;
		for (j = i + 1; j < N(rules); j++) {
			if (!rules[j].alone || !(rules[j].bases & LONG))
				continue;
			make_long();
			rules[j].breaks(rules[j].reg);
			rules[i].breaks(rules[i].reg);
			snprintf(what, sizeof(what), "breaking \"%s\" and \"%s\"",
				 rules[i].words, rules[j].words);
			expect(what, rules[i].words);
		}
	}
}

/* 27.3.1.1: CR0.PE and CR0.PG are exempt from the fixed bits only for an
 * unrestricted guest; the other FIXED0 bits never are. */
static void test_cr0_unrestricted(void **state)
{
	(void)state;
	make_real();
	c.unrestricted = false;
	expect("real mode without unrestricted guest", R_CR0_FIXED0);
	make_real();
	g.cr0 |= CR0_PE;
	expect("unrestricted, PE without PG", NULL);
	g.cr0 |= CR0_PG;
	g.cr4 |= CR4_PSE;
	expect("unrestricted, 32-bit paging", NULL);
	make_long();
	g.cr0 &= ~CR0_PG;
	expect("not unrestricted, PG clear", R_CR0_FIXED0);
	c.unrestricted = true;
	expect("unrestricted IA-32e guest, PG clear", R_IA32E);
}

/* 27.3.1.1: IA-32e mode is the entry control, and EFER must agree with it
 * only when the VM entry loads EFER. */
static void test_ia32e_and_efer(void **state)
{
	(void)state;
	make_v86();
	g.cr4 |= CR4_PAE;
	expect("PAE paging without IA-32e mode", NULL);
	make_long();
	g.cr0 &= ~CR0_PG;
	c.unrestricted = true;
	expect("IA-32e mode without paging", R_IA32E);
	make_long();
	c.load_efer = false;
	g.efer = 0;
	expect("IA-32e mode, EFER not loaded (the CPU sets LMA and LME)", NULL);
	make_long();
	g.efer |= 1ull << 1;
	expect("EFER bit 1", R_EFER);
	make_long();
	g.efer |= 1ull << 63;
	expect("EFER bit 63", R_EFER);
	make_real();
	g.efer |= EFER_LME;
	expect("LME without paging outside IA-32e mode", NULL);
	g.efer |= EFER_NXE | EFER_SCE;
	expect("NXE, SCE", NULL);
}

static void test_pat_types(void **state)
{
	static const struct {
		u8 type;
		bool good;
	} types[] = {
		{ 0, true }, { 1, true }, { 2, false }, { 3, false }, { 4, true },
		{ 5, true }, { 6, true }, { 7, true }, { 8, false }, { 0x86, false },
	};
	char what[64];
	size_t i;
	int entry;

	(void)state;
	for (i = 0; i < N(types); i++) {
		for (entry = 0; entry < 8; entry += 7) {
			make_long();
			g.pat = (PAT_DEFAULT & ~(0xFFull << (entry * 8))) |
				((u64)types[i].type << (entry * 8));
			snprintf(what, sizeof(what), "PAT entry %d = %u", entry, types[i].type);
			expect(what, types[i].good ? NULL : R_PAT);
		}
	}
}

/* Canonical form: 48 bits, or 57 with CR4.LA57. */
static void test_canonical_edges(void **state)
{
	(void)state;
	make_long();
	g.fs.base = 0x00007FFFFFFFFFFFull;
	g.gs.base = 0xFFFF800000000000ull;
	g.tr.base = 0;
	g.sysenter_eip = 0xFFFFFFFFFFFFFFFFull;
	expect("the edges of the lower and upper halves", NULL);
	g.fs.base = 0x0000800000000000ull;
	expect("the first non-canonical address", R_CANONICAL("FS"));
	g.fs.base = 0xFFFF7FFFFFFFFFFFull;
	expect("the last non-canonical address", R_CANONICAL("FS"));
	c.cr4_fixed1 |= CR4_LA57;
	g.cr4 |= CR4_LA57;
	g.fs.base = 0x0000800000000000ull;
	expect("bit 47 set under LA57", NULL);
	g.fs.base = 0x0100000000000000ull;
	expect("bit 56 set under LA57", R_CANONICAL("FS"));
	make_long();
	g.rip = 0x00007FFFFFFFF000ull;
	expect("RIP at the top of the lower half", NULL);
	/* An unusable LDTR's base is not looked at; DS's high half neither. */
	make_long();
	g.ldtr.base = 0x0000800000000000ull;
	g.ds.ar = VMX_AR_UNUSABLE;
	g.ds.base = 1ull << 40;
	expect("garbage in unusable LDTR and DS", NULL);
	/* FS and GS may use the whole 64-bit space, CS only 32 bits. */
	g.fs.base = 1ull << 40;
	expect("FS base above 4 GiB", NULL);
	g.cs.base = 0xFFFFFFFF;
	expect("CS base at 4 GiB - 1", NULL);
}

/* G against the limit, either side of each edge. */
static void test_granularity_edges(void **state)
{
	static const struct {
		u32 limit;
		bool g;
		const char *want;
	} cases[] = {
		{ 0x000FFFFF, false, NULL },
		{ 0x00100000, false, R_G_FINE("DS") },
		{ 0x000FFFFF, true, NULL },
		{ 0xFFFFFFFF, true, NULL },
		{ 0xFFFFFFFE, true, R_G_COARSE("DS") },
		{ 0x00000FFF, true, NULL },
		{ 0x00000FFE, true, R_G_COARSE("DS") },
		{ 0x00000000, false, NULL },
		{ 0x80000FFF, false, R_G_FINE("DS") },
	};
	char what[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		make_long();
		g.ds.limit = cases[i].limit;
		g.ds.ar = (g.ds.ar & ~VMX_AR_G) | (cases[i].g ? VMX_AR_G : 0);
		snprintf(what, sizeof(what), "DS limit %#x, G %d", cases[i].limit, cases[i].g);
		expect(what, cases[i].want);
	}
}

/* 27.3.1.2: types and DPLs allowed for each register. */
static void test_segment_types(void **state)
{
	static const u32 cs_ok[] = { 9, 11, 13, 15 };
	char what[64];
	size_t i;
	u32 t;

	(void)state;
	for (t = 0; t < 16; t++) {
		bool ok = false;

		for (i = 0; i < N(cs_ok); i++)
			ok |= cs_ok[i] == t;
		make_long();
		set_type(&g.cs, t);
		snprintf(what, sizeof(what), "long mode, CS type %u", t);
		expect(what, ok ? NULL : R_CS_TYPE);
		make_real();
		set_type(&g.cs, t);
		snprintf(what, sizeof(what), "real mode, CS type %u", t);
		expect(what, ok || t == 3 ? NULL : R_CS_TYPE_UG);
		make_long();
		set_type(&g.ss, t);
		snprintf(what, sizeof(what), "SS type %u", t);
		expect(what, t == 3 || t == 7 ? NULL : R_SS_TYPE);
		make_long();
		set_type(&g.es, t);
		snprintf(what, sizeof(what), "ES type %u", t);
		expect(what, !(t & 1) ? R_ACCESSED("ES") :
			     (t & 8) && !(t & 2) ? R_READABLE("ES") : NULL);
	}
	/* An unusable data segment's type, S and P are not looked at. */
	make_long();
	g.ss.ar = VMX_AR_UNUSABLE;
	g.es.ar = VMX_AR_UNUSABLE | VMX_AR_TYPE(8);
	expect("unusable SS and ES", NULL);
	/* A protected-mode unrestricted guest with a data-type CS: SS.DPL
	 * must then be 0 even though CR0.PE is 1. */
	make_real();
	g.cr0 |= CR0_PE;
	set_type(&g.cs, 3);
	expect("protected mode, CS type 3", NULL);
	set_type(&g.cs, 15);
	g.ss.ar |= VMX_AR_DPL(3);
	g.ss.sel |= 3;
	expect("protected mode, conforming CS, SS.DPL 3", NULL);
	set_type(&g.cs, 3);
	expect("protected mode, CS type 3, SS.DPL 3", R_SS_DPL0);
	/* Conforming CS below SS.DPL is fine; non-conforming must match. */
	make_long();
	g.cs.sel |= 3;
	g.ss.sel |= 3;
	g.ss.ar |= VMX_AR_DPL(3);
	set_type(&g.cs, 13);
	expect("conforming CS at DPL 0 under CPL 3", NULL);
	set_type(&g.cs, 11);
	expect("non-conforming CS at DPL 0 under CPL 3", R_CS_DPL_NC);
	/* DS.DPL >= RPL is not required of conforming code segments. */
	make_long();
	g.ds.sel |= 3;
	set_type(&g.ds, 15);
	expect("DS a conforming code segment with RPL 3", NULL);
	set_type(&g.ds, 11);
	expect("DS a non-conforming code segment with RPL 3", R_DPL_RPL("DS"));
	c.unrestricted = true;
	expect("the same, unrestricted", NULL);
	/* 32-bit compatibility-mode code, and 64-bit code outside IA-32e. */
	make_long();
	g.cs.ar = (g.cs.ar & ~VMX_AR_L) | VMX_AR_DB;
	g.rip = 0x1000;
	expect("compatibility mode", NULL);
	make_v86();
	c.unrestricted = true;
	g.rflags &= ~X86_RFLAGS_VM;
	set_seg(&g.cs, 0x08, 0, 0xFFFFFFFF, AR_CODE | VMX_AR_L | VMX_AR_DB | VMX_AR_G);
	set_seg(&g.ss, 0x10, 0, 0xFFFFFFFF, AR_DATA | VMX_AR_DB | VMX_AR_G);
	g.ds.ar = g.es.ar = g.fs.ar = g.gs.ar = VMX_AR_UNUSABLE;
	expect("CS.L and CS.D outside IA-32e mode", NULL);
}

/* 27.3.1.5: what may be injected in each activity state. */
static void test_events_per_activity(void **state)
{
#define HW_EXC(v) (INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_HW_EXCEPTION) | (v))
	static const u32 exc_db = HW_EXC(X86_EXC_DB);
	static const u32 exc_mc = HW_EXC(X86_EXC_MC);
	static const u32 exc_gp = HW_EXC(X86_EXC_GP) | INTR_INFO_DELIVER_ERROR_CODE;
	static const u32 nmi = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_NMI) | X86_EXC_NMI;
	static const u32 mtf = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_OTHER_EVENT);
	static const u32 soft = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_SW_INT) | 0x21;
	static const struct {
		u32 activity, info;
		bool ok;
	} cases[] = {
		{ VMX_ACTIVITY_ACTIVE, 0, true }, { VMX_ACTIVITY_ACTIVE, exc_gp, true },
		{ VMX_ACTIVITY_ACTIVE, soft, true },
		{ VMX_ACTIVITY_HLT, 0, true }, { VMX_ACTIVITY_HLT, ext_intr, true },
		{ VMX_ACTIVITY_HLT, nmi, true }, { VMX_ACTIVITY_HLT, exc_db, true },
		{ VMX_ACTIVITY_HLT, exc_mc, true }, { VMX_ACTIVITY_HLT, mtf, true },
		{ VMX_ACTIVITY_HLT, mtf | 1, false }, { VMX_ACTIVITY_HLT, exc_gp, false },
		{ VMX_ACTIVITY_HLT, soft, false },
		{ VMX_ACTIVITY_SHUTDOWN, 0, true }, { VMX_ACTIVITY_SHUTDOWN, nmi, true },
		{ VMX_ACTIVITY_SHUTDOWN, exc_mc, true }, { VMX_ACTIVITY_SHUTDOWN, ext_intr, false },
		{ VMX_ACTIVITY_SHUTDOWN, exc_db, false },
		{ VMX_ACTIVITY_WAIT_SIPI, 0, true }, { VMX_ACTIVITY_WAIT_SIPI, nmi, false },
		{ VMX_ACTIVITY_WAIT_SIPI, ext_intr, false },
		/* Without the valid bit nothing is injected. */
		{ VMX_ACTIVITY_WAIT_SIPI, exc_gp & ~INTR_INFO_VALID, true },
	};
	char what[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		make_long();
		g.activity = cases[i].activity;
		c.entry_intr_info = cases[i].info;
		snprintf(what, sizeof(what), "activity %u, event %#x", cases[i].activity,
			 cases[i].info);
		expect(what, cases[i].ok ? NULL : R_EVENT_ACTIVITY);
	}
}

/* 27.3.1.4 and 27.3.1.5: interrupt-related combinations that are fine. */
static void test_blocking_allowed(void **state)
{
	(void)state;
	make_long();
	g.interruptibility = VMX_INTR_BLOCKING_STI;
	expect("STI blocking with IF", NULL);
	g.interruptibility = VMX_INTR_BLOCKING_NMI;
	expect("NMI blocking", NULL);
	g.interruptibility = VMX_INTR_BLOCKING_MOV_SS;
	g.rflags |= X86_RFLAGS_TF;
	g.pending_dbg = VMX_PENDING_DBG_BS;
	expect("MOV-SS blocking, TF with BS pending", NULL);
	make_long();
	g.interruptibility = VMX_INTR_BLOCKING_STI;
	c.entry_intr_info = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_NMI) | X86_EXC_NMI;
	expect("STI blocking, NMI injected", NULL);
	make_long();
	g.rflags |= X86_RFLAGS_TF;
	expect("TF without blocking, no BS", NULL);
	make_long();
	g.activity = VMX_ACTIVITY_HLT;
	g.rflags |= X86_RFLAGS_TF;
	c.entry_intr_info = 0;
	expect("HLT with TF and no BS", R_BS_SET);
	g.pending_dbg = VMX_PENDING_DBG_BS | 0xF | VMX_PENDING_DBG_ENABLED_BP;
	expect("HLT with TF and BS", NULL);
	make_long();
	g.pending_dbg = VMX_PENDING_DBG_RTM | VMX_PENDING_DBG_ENABLED_BP;
	expect("RTM with bit 12", NULL);
	g.pending_dbg |= VMX_PENDING_DBG_BS;
	expect("RTM with BS", R_RTM_BITS);
	make_long();
	g.interruptibility = VMX_INTR_ENCLAVE_INTERRUPTION | VMX_INTR_BLOCKING_STI;
	expect("enclave interruption with STI blocking", NULL);
	make_real();
	c.entry_intr_info = ext_intr;
	expect("real mode, external interrupt with IF clear", R_RFLAGS_IF);
	g.rflags |= X86_RFLAGS_IF;
	expect("real mode, external interrupt with IF set", NULL);
}

static void test_rflags_bits(void **state)
{
	static const int reserved[] = { 3, 5, 15, 22, 31, 32, 63 };
	static const u64 defined[] = {
		X86_RFLAGS_CF, X86_RFLAGS_PF, X86_RFLAGS_AF, X86_RFLAGS_ZF, X86_RFLAGS_SF,
		X86_RFLAGS_DF, X86_RFLAGS_OF, X86_RFLAGS_IOPL, X86_RFLAGS_NT, X86_RFLAGS_RF,
		X86_RFLAGS_AC, X86_RFLAGS_VIF, X86_RFLAGS_VIP, X86_RFLAGS_ID,
	};
	char what[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(reserved); i++) {
		make_long();
		g.rflags |= 1ull << reserved[i];
		snprintf(what, sizeof(what), "RFLAGS bit %d", reserved[i]);
		expect(what, R_RFLAGS_RSVD);
	}
	for (i = 0; i < N(defined); i++) {
		make_long();
		g.rflags |= defined[i];
		snprintf(what, sizeof(what), "RFLAGS %#llx", (unsigned long long)defined[i]);
		expect(what, NULL);
	}
}

/* Activity states, interruptibility and pending-debug reserved bits. */
static void test_reserved_bits(void **state)
{
	static const int intr_reserved[] = { 5, 6, 15, 31 };
	static const int dbg_reserved[] = { 4, 11, 13, 15, 17, 32, 63 };
	char what[64];
	size_t i;
	u32 a;

	(void)state;
	for (a = 0; a < 8; a++) {
		make_real();
		g.activity = a;
		snprintf(what, sizeof(what), "activity state %u", a);
		expect(what, a <= 3 ? NULL : R_ACTIVITY);
	}
	for (i = 0; i < N(intr_reserved); i++) {
		make_long();
		g.interruptibility = 1u << intr_reserved[i];
		snprintf(what, sizeof(what), "interruptibility bit %d", intr_reserved[i]);
		expect(what, R_INTR_RSVD);
	}
	for (i = 0; i < N(dbg_reserved); i++) {
		make_long();
		g.pending_dbg = 1ull << dbg_reserved[i];
		snprintf(what, sizeof(what), "pending debug bit %d", dbg_reserved[i]);
		expect(what, R_DBG_RSVD);
	}
	make_long();
	g.pending_dbg = 0xF | VMX_PENDING_DBG_ENABLED_BP;
	expect("B0-B3 and enabled breakpoint pending", NULL);
	make_long();
	g.link_ptr = 0x1000;
	expect("a link pointer to a page", R_LINK);
	g.link_ptr = 0xFFFFFFFF;
	expect("a 32-bit all-ones link pointer", R_LINK);
}

/* Limits of the CR3, DR7, GDTR and IDTR fields. */
static void test_register_limits(void **state)
{
	(void)state;
	make_long();
	g.cr3 = (1ull << 52) - 0x1000;
	expect("CR3 below 2^52", NULL);
	g.cr3 = 1ull << 63;
	expect("CR3 bit 63", R_CR3);
	make_long();
	g.dr7 = 0xFFFFFFFF;
	expect("DR7 bits 31:0", NULL);
	g.dr7 = 1ull << 63;
	expect("DR7 bit 63", R_DR7);
	make_long();
	g.gdtr_limit = 0xFFFF;
	g.idtr_limit = 0xFFFF;
	expect("GDTR and IDTR limits FFFFH", NULL);
	g.idtr_limit = 0x10000;
	expect("IDTR limit 10000H", R_IDTR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_states_pass),
		cmocka_unit_test(test_each_rule_alone),
		cmocka_unit_test(test_first_failure_wins),
		cmocka_unit_test(test_cr0_unrestricted),
		cmocka_unit_test(test_ia32e_and_efer),
		cmocka_unit_test(test_pat_types),
		cmocka_unit_test(test_canonical_edges),
		cmocka_unit_test(test_granularity_edges),
		cmocka_unit_test(test_segment_types),
		cmocka_unit_test(test_events_per_activity),
		cmocka_unit_test(test_blocking_allowed),
		cmocka_unit_test(test_rflags_bits),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_register_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
