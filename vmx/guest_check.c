/* The checks on the guest-state area that VM entry performs, SDM vol. 3C
 * 27.3.1, in the SDM's order: control and debug registers and MSRs
 * (27.3.1.1), segment registers (27.3.1.2), GDTR and IDTR (27.3.1.3), RIP
 * and RFLAGS (27.3.1.4), non-register state (27.3.1.5). The first broken
 * rule is returned in words.
 *
 * Where the SDM leaves a value to the processor, Keel's guests make the
 * choice and the check follows it:
 *  - Linear addresses are checked as canonical for 48 bits, or 57 when the
 *    guest's CR4.LA57 is set (which the CR4 fixed bits allow only on a CPU
 *    with 57-bit addresses). A CPU with 57-bit addresses would accept a few
 *    more addresses than this with CR4.LA57 clear; Keel never starts a
 *    guest at one.
 *  - CR3 is checked against the architectural 52-bit physical-address
 *    limit; the CPU's own width is narrower.
 *  - DR7 bits 63:32 are checked as if "load debug controls" were 1, and
 *    the BS rule for pending debug exceptions as if the guest's
 *    IA32_DEBUGCTL.BTF were 0: Keel loads DR7 and a zero IA32_DEBUGCTL.
 *  - The VMCS link pointer must be all ones: Keel has no shadow VMCS.
 * Left out, because Keel never uses what they check: IA32_DEBUGCTL,
 * IA32_PERF_GLOBAL_CTRL, IA32_BNDCFGS, IA32_RTIT_CTL, CET and PKRS state
 * (their "load" controls stay 0), SMM ("entry to SMM" stays 0), the
 * activity states IA32_VMX_MISC does not list (vmx/vmx.c reads
 * it), the RTM check against CPUID, and the PAE PDPTEs (27.3.1.6, EPT
 * with PAE paging: Keel starts guests in real or long mode). */
#include "guest_check.h"
#include "vmcs.h"
#include "../hv/x86.h"

/* Bits 63:N-1 of a canonical address are all equal (SDM vol. 1 3.3.7.1). */
static bool canonical(u64 addr, unsigned int bits)
{
	u64 top = addr >> (bits - 1);

	return top == 0 || top == (~0ull >> (bits - 1));
}

static unsigned int linear_bits(const struct vmx_guest_state *g)
{
	return (g->cr4 & CR4_LA57) ? 57 : 48;
}

static bool usable(const struct vmx_seg *s)
{
	return !(s->ar & VMX_AR_UNUSABLE);
}

static u32 seg_type(const struct vmx_seg *s)
{
	return VMX_AR_TYPE_OF(s->ar);
}

static u32 seg_dpl(const struct vmx_seg *s)
{
	return VMX_AR_DPL_OF(s->ar);
}

static u32 seg_rpl(const struct vmx_seg *s)
{
	return s->sel & X86_SEL_RPL_MASK;
}

/* 27.3.1.2, bit 15 (G): a limit with any of bits 11:0 clear cannot be in
 * 4-KByte units; one with any of bits 31:20 set cannot be in bytes. */
static bool g_too_coarse(const struct vmx_seg *s)
{
	return (s->ar & VMX_AR_G) && (s->limit & 0xFFF) != 0xFFF;
}

static bool g_too_fine(const struct vmx_seg *s)
{
	return !(s->ar & VMX_AR_G) && (s->limit & 0xFFF00000u);
}

/* The words of the per-register rules, one set for each register. */
struct seg_words {
	const char *v86_base, *v86_limit, *v86_ar;
	const char *base_canonical, *base_high;
	const char *accessed, *readable, *s, *dpl_rpl, *p;
	const char *rsvd_low, *g_coarse, *g_fine, *rsvd_high;
};

#define SEG_WORDS(n) {								\
	.v86_base = n " base must be the selector times 16 in virtual-8086 mode", \
	.v86_limit = n " limit must be FFFFH in virtual-8086 mode",		\
	.v86_ar = n " access rights must be F3H in virtual-8086 mode",		\
	.base_canonical = n " base is not canonical",				\
	.base_high = n " base bits 63:32 must be 0",				\
	.accessed = n " access rights: type must be accessed (bit 0 = 1)",	\
	.readable = n " access rights: a code segment must be readable",	\
	.s = n " access rights: S must be 1",					\
	.dpl_rpl = n " access rights: DPL must not be less than the selector's RPL", \
	.p = n " access rights: P must be 1",					\
	.rsvd_low = n " access rights: bits 11:8 must be 0",			\
	.g_coarse = n " access rights: G must be 0 unless limit bits 11:0 are all 1", \
	.g_fine = n " access rights: G must be 1 if any of limit bits 31:20 is 1", \
	.rsvd_high = n " access rights: bits 31:17 must be 0",			\
}

/* The SDM lists the code and data registers in this order. */
enum { CS, SS, DS, ES, FS, GS, LDTR, TR, NSEG };
#define NCODEDATA (GS + 1)

static const struct seg_words words[NSEG] = {
	[CS] = SEG_WORDS("CS"), [SS] = SEG_WORDS("SS"), [DS] = SEG_WORDS("DS"),
	[ES] = SEG_WORDS("ES"), [FS] = SEG_WORDS("FS"), [GS] = SEG_WORDS("GS"),
	[LDTR] = SEG_WORDS("LDTR"), [TR] = SEG_WORDS("TR"),
};

struct segs {
	const struct vmx_seg *r[NSEG];
};

static void collect(const struct vmx_guest_state *g, struct segs *s)
{
	s->r[CS] = &g->cs;
	s->r[SS] = &g->ss;
	s->r[DS] = &g->ds;
	s->r[ES] = &g->es;
	s->r[FS] = &g->fs;
	s->r[GS] = &g->gs;
	s->r[LDTR] = &g->ldtr;
	s->r[TR] = &g->tr;
}

/* 27.3.1.1: each of the 8 one-byte entries of IA32_PAT must be UC (0),
 * WC (1), WT (4), WP (5), WB (6) or UC- (7) (SDM vol. 3A 13.12.2). */
static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u64 type = (pat >> (i * 8)) & 0xFF;

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

/* 27.3.1.1 "Checks on Guest Control Registers, Debug Registers, and MSRs". */
static const char *check_regs(const struct vmx_guest_state *g, const struct vmx_guest_ctx *c)
{
	u64 cr0_must1 = c->cr0_fixed0;
	u64 cr0_may1 = c->cr0_fixed1;
	bool lma;

	/* PE and PG are not checked against the fixed bits for an
	 * unrestricted guest (A.7 and 27.3.1.1). */
	if (c->unrestricted) {
		cr0_must1 &= ~(CR0_PE | CR0_PG);
		cr0_may1 |= CR0_PE | CR0_PG;
	}
	if ((g->cr0 & cr0_must1) != cr0_must1)
		return "CR0 does not have the bits IA32_VMX_CR0_FIXED0 requires";
	if (g->cr0 & ~cr0_may1)
		return "CR0 has bits IA32_VMX_CR0_FIXED1 does not allow";
	if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
		return "CR0.PG is set but CR0.PE is clear";
	if ((g->cr4 & c->cr4_fixed0) != c->cr4_fixed0)
		return "CR4 does not have the bits IA32_VMX_CR4_FIXED0 requires";
	if (g->cr4 & ~c->cr4_fixed1)
		return "CR4 has bits IA32_VMX_CR4_FIXED1 does not allow";
	if ((g->cr4 & CR4_CET) && !(g->cr0 & CR0_WP))
		return "CR4.CET is set but CR0.WP is clear";
	if (c->ia32e_guest && (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE)))
		return "IA-32e mode guest requires CR0.PG and CR4.PAE";
	if (!c->ia32e_guest && (g->cr4 & CR4_PCIDE))
		return "CR4.PCIDE must be 0 outside IA-32e mode";
	if (g->cr3 >> X86_MAX_PHYS_ADDR_BITS)
		return "CR3 bits 63:52 must be 0";
	if (g->dr7 & DR7_RESERVED_HIGH)
		return "DR7 bits 63:32 must be 0";
	if (!canonical(g->sysenter_esp, linear_bits(g)))
		return "IA32_SYSENTER_ESP is not canonical";
	if (!canonical(g->sysenter_eip, linear_bits(g)))
		return "IA32_SYSENTER_EIP is not canonical";
	if (c->load_pat && !pat_valid(g->pat))
		return "IA32_PAT has an entry that is not UC, WC, WT, WP, WB or UC-";
	if (!c->load_efer)
		return NULL;
	lma = (g->efer & EFER_LMA) != 0;
	if (g->efer & EFER_INTEL_RESERVED)
		return "IA32_EFER has reserved bits set";
	if (lma != c->ia32e_guest)
		return "IA32_EFER.LMA must equal the IA-32e mode guest control";
	if ((g->cr0 & CR0_PG) && ((g->efer & EFER_LME) != 0) != c->ia32e_guest)
		return "IA32_EFER.LME must equal the IA-32e mode guest control when CR0.PG is 1";
	return NULL;
}

/* 27.3.1.2, selector, base-address and limit fields. */
static const char *check_sel_base_limit(const struct vmx_guest_state *g,
					const struct vmx_guest_ctx *c,
					const struct segs *s, bool v86)
{
	unsigned int bits = linear_bits(g);
	int i;

	if (g->tr.sel & X86_SEL_TI)
		return "TR selector TI flag must be 0";
	if (usable(&g->ldtr) && (g->ldtr.sel & X86_SEL_TI))
		return "LDTR selector TI flag must be 0";
	if (!v86 && !c->unrestricted && seg_rpl(&g->ss) != seg_rpl(&g->cs))
		return "SS selector RPL must equal CS selector RPL";
	if (v86) {
		for (i = 0; i < NCODEDATA; i++)
			if (s->r[i]->base != (u64)s->r[i]->sel << 4)
				return words[i].v86_base;
	}
	if (!canonical(g->tr.base, bits))
		return words[TR].base_canonical;
	if (!canonical(g->fs.base, bits))
		return words[FS].base_canonical;
	if (!canonical(g->gs.base, bits))
		return words[GS].base_canonical;
	if (usable(&g->ldtr) && !canonical(g->ldtr.base, bits))
		return words[LDTR].base_canonical;
	if (g->cs.base >> 32)
		return words[CS].base_high;
	for (i = SS; i <= ES; i++)
		if (usable(s->r[i]) && (s->r[i]->base >> 32))
			return words[i].base_high;
	if (v86) {
		for (i = 0; i < NCODEDATA; i++)
			if (s->r[i]->limit != 0xFFFF)
				return words[i].v86_limit;
	}
	return NULL;
}

/* 27.3.1.2, access rights of CS, SS, DS, ES, FS and GS outside
 * virtual-8086 mode, bits 3:0 (type) and 6:5 (DPL). */
static const char *check_type_dpl(const struct vmx_guest_state *g, const struct vmx_guest_ctx *c,
				  const struct segs *s)
{
	u32 cs_type = seg_type(&g->cs);
	int i;

	/* Type: CS an accessed code segment, or with an unrestricted guest
	 * also an accessed read/write data segment (real mode as reset
	 * leaves it). */
	switch (cs_type) {
	case 9: case 11: case 13: case 15:
		break;
	case 3:
		if (c->unrestricted)
			break;
		/* fall through */
	default:
		return c->unrestricted ? "CS access rights: type must be 3, 9, 11, 13 or 15" :
			"CS access rights: type must be 9, 11, 13 or 15";
	}
	if (usable(&g->ss) && seg_type(&g->ss) != 3 && seg_type(&g->ss) != 7)
		return "SS access rights: type must be 3 or 7";
	for (i = DS; i <= GS; i++) {
		u32 type = seg_type(s->r[i]);

		if (!usable(s->r[i]))
			continue;
		if (!(type & SEG_TYPE_ACCESSED))
			return words[i].accessed;
		if ((type & SEG_TYPE_CODE) && !(type & SEG_TYPE_CODE_READ))
			return words[i].readable;
	}
	/* S: code or data, for CS and every usable register. */
	for (i = 0; i < NCODEDATA; i++)
		if ((i == CS || usable(s->r[i])) && !(s->r[i]->ar & VMX_AR_S))
			return words[i].s;
	/* DPL of CS against SS's. */
	if (cs_type == 3 && seg_dpl(&g->cs) != 0)
		return "CS access rights: DPL must be 0 for type 3";
	if ((cs_type == 9 || cs_type == 11) && seg_dpl(&g->cs) != seg_dpl(&g->ss))
		return "CS access rights: DPL must equal SS.DPL for a non-conforming code segment";
	if ((cs_type == 13 || cs_type == 15) && seg_dpl(&g->cs) > seg_dpl(&g->ss))
		return "CS access rights: DPL must not exceed SS.DPL for a conforming code segment";
	/* SS.DPL is the CPL; it is 0 in real mode. */
	if (!c->unrestricted && seg_dpl(&g->ss) != seg_rpl(&g->ss))
		return "SS access rights: DPL must equal the selector's RPL";
	if ((cs_type == 3 || !(g->cr0 & CR0_PE)) && seg_dpl(&g->ss) != 0)
		return "SS access rights: DPL must be 0 when CR0.PE is 0 or CS type is 3";
	/* Data and non-conforming code segments: DPL >= RPL. */
	for (i = DS; i <= GS; i++)
		if (!c->unrestricted && usable(s->r[i]) && seg_type(s->r[i]) <= 11 &&
		    seg_dpl(s->r[i]) < seg_rpl(s->r[i]))
			return words[i].dpl_rpl;
	return NULL;
}

/* 27.3.1.2, access rights of CS, SS, DS, ES, FS and GS, the remaining
 * bits (P, reserved, D/B, G). */
static const char *check_ar_rest(const struct vmx_guest_ctx *c, const struct segs *s)
{
	const struct vmx_seg *cs = s->r[CS];
	int i;

	for (i = 0; i < NCODEDATA; i++)
		if ((i == CS || usable(s->r[i])) && !(s->r[i]->ar & VMX_AR_P))
			return words[i].p;
	for (i = 0; i < NCODEDATA; i++)
		if ((i == CS || usable(s->r[i])) && (s->r[i]->ar & VMX_AR_RESERVED_LOW))
			return words[i].rsvd_low;
	/* D/B: 64-bit code has no default operand size to choose. */
	if (c->ia32e_guest && (cs->ar & VMX_AR_L) && (cs->ar & VMX_AR_DB))
		return "CS access rights: L and D/B must not both be 1 in IA-32e mode";
	for (i = 0; i < NCODEDATA; i++) {
		if (i != CS && !usable(s->r[i]))
			continue;
		if (g_too_coarse(s->r[i]))
			return words[i].g_coarse;
		if (g_too_fine(s->r[i]))
			return words[i].g_fine;
	}
	for (i = 0; i < NCODEDATA; i++)
		if ((i == CS || usable(s->r[i])) && (s->r[i]->ar & VMX_AR_RESERVED_HIGH))
			return words[i].rsvd_high;
	return NULL;
}

/* 27.3.1.2, access rights of TR, then of LDTR if it is usable. */
static const char *check_tr_ldtr(const struct vmx_guest_state *g, const struct vmx_guest_ctx *c)
{
	const struct vmx_seg *tr = &g->tr, *ldtr = &g->ldtr;

	/* TR: a busy TSS; in IA-32e mode the 64-bit one (type 11). */
	if (c->ia32e_guest && seg_type(tr) != SEG_TYPE_TSS_BUSY)
		return "TR must be a 64-bit busy TSS (type 11) in IA-32e mode";
	if (seg_type(tr) != SEG_TYPE_TSS16_BUSY && seg_type(tr) != SEG_TYPE_TSS_BUSY)
		return "TR must be a busy TSS (type 3 or 11)";
	if (tr->ar & VMX_AR_S)
		return "TR access rights: S must be 0";
	if (!(tr->ar & VMX_AR_P))
		return words[TR].p;
	if (tr->ar & VMX_AR_RESERVED_LOW)
		return words[TR].rsvd_low;
	if (g_too_coarse(tr))
		return words[TR].g_coarse;
	if (g_too_fine(tr))
		return words[TR].g_fine;
	if (!usable(tr))
		return "TR must be usable";
	if (tr->ar & VMX_AR_RESERVED_HIGH)
		return words[TR].rsvd_high;

	if (!usable(ldtr))
		return NULL;
	if (seg_type(ldtr) != SEG_TYPE_LDT)
		return "LDTR access rights: type must be 2 (LDT)";
	if (ldtr->ar & VMX_AR_S)
		return "LDTR access rights: S must be 0";
	if (!(ldtr->ar & VMX_AR_P))
		return words[LDTR].p;
	if (ldtr->ar & VMX_AR_RESERVED_LOW)
		return words[LDTR].rsvd_low;
	if (g_too_coarse(ldtr))
		return words[LDTR].g_coarse;
	if (g_too_fine(ldtr))
		return words[LDTR].g_fine;
	if (ldtr->ar & VMX_AR_RESERVED_HIGH)
		return words[LDTR].rsvd_high;
	return NULL;
}

/* 27.3.1.2 "Checks on Guest Segment Registers". Virtual-8086 mode is
 * RFLAGS.VM = 1 in the guest-state area. */
static const char *check_segments(const struct vmx_guest_state *g, const struct vmx_guest_ctx *c)
{
	bool v86 = (g->rflags & X86_RFLAGS_VM) != 0;
	struct segs s;
	const char *r;
	int i;

	collect(g, &s);
	r = check_sel_base_limit(g, c, &s, v86);
	if (r)
		return r;
	if (v86) {
		/* Present, DPL 3, accessed read/write data: a v8086 segment. */
		for (i = 0; i < NCODEDATA; i++)
			if (s.r[i]->ar != 0xF3)
				return words[i].v86_ar;
	} else {
		r = check_type_dpl(g, c, &s);
		if (!r)
			r = check_ar_rest(c, &s);
		if (r)
			return r;
	}
	return check_tr_ldtr(g, c);
}

/* 27.3.1.3 "Checks on Guest Descriptor-Table Registers". */
static const char *check_desc_tables(const struct vmx_guest_state *g)
{
	if (!canonical(g->gdtr_base, linear_bits(g)))
		return "GDTR base is not canonical";
	if (!canonical(g->idtr_base, linear_bits(g)))
		return "IDTR base is not canonical";
	if (g->gdtr_limit >> 16)
		return "GDTR limit bits 31:16 must be 0";
	if (g->idtr_limit >> 16)
		return "IDTR limit bits 31:16 must be 0";
	return NULL;
}

static bool injecting(const struct vmx_guest_ctx *c, u32 type)
{
	return (c->entry_intr_info & INTR_INFO_VALID) && INTR_INFO_TYPE(c->entry_intr_info) == type;
}

/* 27.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP". */
static const char *check_rip_rflags(const struct vmx_guest_state *g, const struct vmx_guest_ctx *c)
{
	bool mode64 = c->ia32e_guest && (g->cs.ar & VMX_AR_L);

	if (!mode64 && (g->rip >> 32))
		return "RIP bits 63:32 must be 0 outside 64-bit mode";
	if (mode64 && !canonical(g->rip, linear_bits(g)))
		return "RIP is not canonical";
	if (g->rflags & X86_RFLAGS_RESERVED)
		return "RFLAGS reserved bits 63:22, 15, 5 and 3 must be 0";
	if (!(g->rflags & X86_RFLAGS_FIXED))
		return "RFLAGS bit 1 must be 1";
	if ((g->rflags & X86_RFLAGS_VM) && (c->ia32e_guest || !(g->cr0 & CR0_PE)))
		return "RFLAGS.VM must be 0 in IA-32e mode or with CR0.PE clear";
	if (injecting(c, INTR_TYPE_EXT_INTR) && !(g->rflags & X86_RFLAGS_IF))
		return "RFLAGS.IF must be 1 to inject an external interrupt";
	return NULL;
}

/* 27.3.1.5: may the event in the VM-entry interruption information be
 * delivered in this activity state? */
static bool event_allowed(u32 activity, u32 info)
{
	u32 type = INTR_INFO_TYPE(info), vector = INTR_INFO_VECTOR(info);

	if (!(info & INTR_INFO_VALID))
		return true;
	switch (activity) {
	case VMX_ACTIVITY_ACTIVE:
		return true;
	case VMX_ACTIVITY_HLT:
		/* External interrupts, NMIs, #DB, #MC, pending MTF exits. */
		return type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI ||
		       (type == INTR_TYPE_HW_EXCEPTION &&
			(vector == X86_EXC_DB || vector == X86_EXC_MC)) ||
		       (type == INTR_TYPE_OTHER_EVENT && vector == 0);
	case VMX_ACTIVITY_SHUTDOWN:
		return type == INTR_TYPE_NMI ||
		       (type == INTR_TYPE_HW_EXCEPTION && vector == X86_EXC_MC);
	default:
		/* Wait-for-SIPI: nothing. */
		return false;
	}
}

/* 27.3.1.5 "Checks on Guest Non-Register State". */
static const char *check_non_register(const struct vmx_guest_state *g,
				      const struct vmx_guest_ctx *c)
{
	u32 intr = g->interruptibility;
	u32 blocking = intr & (VMX_INTR_BLOCKING_STI | VMX_INTR_BLOCKING_MOV_SS);
	u64 dbg = g->pending_dbg;

	/* Activity state. */
	if (g->activity > VMX_ACTIVITY_WAIT_SIPI)
		return "activity state must be 0 (active), 1 (HLT), 2 (shutdown) "
		       "or 3 (wait-for-SIPI)";
	if (g->activity == VMX_ACTIVITY_HLT && seg_dpl(&g->ss) != 0)
		return "HLT activity state requires SS.DPL = 0";
	if (blocking && g->activity != VMX_ACTIVITY_ACTIVE)
		return "blocking by STI or MOV SS requires the active state";
	if (!event_allowed(g->activity, c->entry_intr_info))
		return "the injected event is blocked in this activity state";

	/* Interruptibility state. */
	if (intr & VMX_INTR_RESERVED)
		return "interruptibility state bits 31:5 must be 0";
	if (blocking == (VMX_INTR_BLOCKING_STI | VMX_INTR_BLOCKING_MOV_SS))
		return "blocking by STI and by MOV SS must not both be set";
	if ((intr & VMX_INTR_BLOCKING_STI) && !(g->rflags & X86_RFLAGS_IF))
		return "blocking by STI requires RFLAGS.IF = 1";
	if (blocking && injecting(c, INTR_TYPE_EXT_INTR))
		return "blocking by STI or MOV SS forbids injecting an external interrupt";
	if ((intr & VMX_INTR_BLOCKING_MOV_SS) && injecting(c, INTR_TYPE_NMI))
		return "blocking by MOV SS forbids injecting an NMI";
	if (c->virtual_nmis && (intr & VMX_INTR_BLOCKING_NMI) && injecting(c, INTR_TYPE_NMI))
		return "virtual-NMI blocking forbids injecting an NMI";
	/* Keel runs outside SMM and never sets "entry to SMM". */
	if (intr & VMX_INTR_BLOCKING_SMI)
		return "blocking by SMI must be 0 outside SMM";
	if ((intr & VMX_INTR_ENCLAVE_INTERRUPTION) && (intr & VMX_INTR_BLOCKING_MOV_SS))
		return "enclave interruption forbids blocking by MOV SS";

	/* Pending debug exceptions. */
	if (dbg & VMX_PENDING_DBG_RESERVED)
		return "pending debug exceptions bits 11:4, 13, 15 and 63:17 must be 0";
	/* A single step that STI, MOV SS or HLT held back must be pending
	 * exactly when RFLAGS.TF is set (IA32_DEBUGCTL.BTF = 0). */
	if (blocking || g->activity == VMX_ACTIVITY_HLT) {
		bool tf = (g->rflags & X86_RFLAGS_TF) != 0;
		bool bs = (dbg & VMX_PENDING_DBG_BS) != 0;

		if (tf && !bs)
			return "pending debug exceptions: BS must be 1 when RFLAGS.TF is 1 "
			       "under STI or MOV-SS blocking or in HLT";
		if (!tf && bs)
			return "pending debug exceptions: BS must be 0 when RFLAGS.TF is 0 "
			       "under STI or MOV-SS blocking or in HLT";
	}
	if (dbg & VMX_PENDING_DBG_RTM) {
		if ((dbg & (0xFFFull | (7ull << 13))) || !(dbg & VMX_PENDING_DBG_ENABLED_BP))
			return "pending debug exceptions: RTM requires bit 12 set and "
			       "bits 11:0 and 15:13 clear";
		if (intr & VMX_INTR_BLOCKING_MOV_SS)
			return "pending debug exceptions: RTM forbids blocking by MOV SS";
	}

	if (g->link_ptr != VMX_VMCS_LINK_NONE)
		return "the VMCS link pointer is not FFFFFFFF_FFFFFFFFH";
	return NULL;
}

const char *vmx_check_guest_state(const struct vmx_guest_state *g,
				  const struct vmx_guest_ctx *c)
{
	const char *r;

	r = check_regs(g, c);
	if (!r)
		r = check_segments(g, c);
	if (!r)
		r = check_desc_tables(g);
	if (!r)
		r = check_rip_rflags(g, c);
	if (!r)
		r = check_non_register(g, c);
	return r;
}
