/* The VMRUN consistency checks, AMD APM vol. 2 15.5.1 "Canonicalization and
 * Consistency Checks", run on a VMCB before VMRUN (and to explain a
 * VMEXIT_INVALID after it). The checks run in the APM's list order and the
 * first broken rule is returned in words; the nested-paging checks of
 * 15.25.3 and 15.25.4 follow the list.
 *
 * Every rule here must be one the hardware applies: svm/svm.c refuses to
 * enter a guest whose VMCB fails, so a stricter check would stop a guest
 * the CPU would run. Left out, with the reason:
 *  - "EFER.LMA or EFER.LME is non-zero and this processor does not support
 *    long mode": every CPU with SVM supports long mode.
 *  - Feature-dependent reserved bits (CR4.LA57 without 5-level paging,
 *    EFER.MCOMMIT without MCOMMIT, ...): struct svm_cpu_caps does not
 *    describe them; only the bits the APM never defines are checked.
 *  - SEV, AVIC and CET state: Keel uses none of them. */
#include "vmcb.h"
#include "../hv/x86.h"

/* Physical-address width to check against. 0 means the caller could not
 * tell; the architectural limit (52) then avoids false alarms. */
static unsigned int pa_bits(const struct svm_cpu_caps *caps)
{
	if (!caps || caps->phys_addr_bits == 0 ||
	    caps->phys_addr_bits > X86_MAX_PHYS_ADDR_BITS)
		return X86_MAX_PHYS_ADDR_BITS;
	return caps->phys_addr_bits;
}

/* Does any bit at or above the physical-address width? */
static bool beyond_pa(u64 addr, unsigned int bits)
{
	return (addr >> bits) != 0;
}

/* Does the map of size bytes at base reach an address of bits or more
 * bits? Written so that a base near 2^64 cannot wrap around. */
static bool map_beyond_pa(u64 base, u64 size, unsigned int bits)
{
	u64 limit = (1ull << bits) - 1; /* the highest supported address */

	base &= SVM_PM_BASE_MASK;
	return base > limit || size - 1 > limit - base;
}

/* 15.20 "Event Injection": VMRUN fails on a TYPE value the APM does not
 * define (1, 5, 6, 7) or on an exception (TYPE 3) whose vector is 2 (NMI)
 * or is not an exception vector (above 31). For TYPE 2 (NMI) the APM says
 * the VECTOR field is ignored, so no vector is wrong there. */
static bool eventinj_illegal(u64 eventinj)
{
	u32 type = (u32)eventinj & SVM_EVTINJ_TYPE_MASK;
	u32 vector = (u32)eventinj & SVM_EVTINJ_VECTOR_MASK;

	if (!(eventinj & SVM_EVTINJ_VALID))
		return false;
	switch (type) {
	case SVM_EVTINJ_TYPE_INTR:
	case SVM_EVTINJ_TYPE_NMI:
	case SVM_EVTINJ_TYPE_SOFT:
		return false;
	case SVM_EVTINJ_TYPE_EXCEPTION:
		return vector == X86_EXC_NMI || vector > X86_EXC_LAST;
	default:
		return true;
	}
}

const char *vmcb_check(const struct vmcb *vmcb, const struct svm_cpu_caps *caps)
{
	const struct vmcb_save *g = &vmcb->save;
	const struct vmcb_control *c = &vmcb->control;
	unsigned int bits = pa_bits(caps);
	bool lme_pg = (g->efer & EFER_LME) && (g->cr0 & CR0_PG);

	/* 15.5.1: the guest runs with SVM enabled; the guest's EFER.SVME is
	 * Keel's business and hidden from it. */
	if (!(g->efer & EFER_SVME))
		return "EFER.SVME is zero";
	/* 15.5.1, 3.1.1: NW without CD is an invalid cache mode. */
	if (!(g->cr0 & CR0_CD) && (g->cr0 & CR0_NW))
		return "CR0.CD is zero and CR0.NW is set";
	/* 15.5.1, 3.1.1: CR0 bits 63:32 are reserved, MBZ. */
	if (g->cr0 & CR0_RESERVED_HIGH)
		return "CR0[63:32] are not zero";
	/* 15.5.1, 3.1.2: CR3 bits 63:52 and the address bits beyond the
	 * CPU's physical-address width MBZ. */
	if (beyond_pa(g->cr3, bits))
		return "CR3 has reserved bits set (MBZ beyond the physical address width)";
	/* 15.5.1, 3.1.3: the CR4 bits the APM does not define MBZ. */
	if (g->cr4 & CR4_AMD_RESERVED)
		return "CR4 has reserved bits set";
	/* 15.5.1, 13.1.1: DR6 and DR7 bits 63:32 are reserved, MBZ. */
	if (g->dr6 & DR6_RESERVED_HIGH)
		return "DR6[63:32] are not zero";
	if (g->dr7 & DR7_RESERVED_HIGH)
		return "DR7[63:32] are not zero";
	/* 15.5.1, 3.1.7: EFER's reserved (RAZ and MBZ) bits. */
	if (g->efer & EFER_RESERVED)
		return "EFER has reserved bits set";
	/* 15.5.1, 14.6.1: long mode needs PAE paging from protected mode. */
	if (lme_pg && !(g->cr4 & CR4_PAE))
		return "EFER.LME and CR0.PG are set but CR4.PAE is zero";
	if (lme_pg && !(g->cr0 & CR0_PE))
		return "EFER.LME and CR0.PG are set but CR0.PE is zero";
	/* 15.5.1, 4.8.1: in long mode CS.L = 1 with CS.D = 1 is reserved. */
	if (lme_pg && (g->cr4 & CR4_PAE) && (g->cs.attrib & SVM_SEG_L) &&
	    (g->cs.attrib & SVM_SEG_DB))
		return "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D are all set";
	/* 15.5.1: a guest must not run VMRUN on the real machine. */
	if (!(c->intercept_misc2 & SVM_INTERCEPT_VMRUN))
		return "the VMRUN intercept is clear";
	/* 15.5.1, 15.10.1, 15.11: the whole IOPM (12 KiB) and MSRPM (8 KiB)
	 * must lie below the maximum physical address. */
	if (map_beyond_pa(c->msrpm_base_pa, SVM_MSRPM_SIZE, bits) ||
	    map_beyond_pa(c->iopm_base_pa, SVM_IOPM_SIZE, bits))
		return "the MSR or IOIO permission map lies beyond the physical address width";
	/* 15.5.1 "Illegal event injection", 15.20. */
	if (eventinj_illegal(c->eventinj))
		return "event injection uses an illegal vector or type";
	/* 15.5.1: ASID 0 is the host's. */
	if (c->guest_asid == 0)
		return "the guest ASID is zero";
	/* 15.25.3: NP_ENABLE on a CPU without nested paging (CPUID
	 * 8000000Ah EDX.NP = 0). */
	if ((c->np_enable & SVM_NP_ENABLE) && caps && !caps->has_npt)
		return "nested paging is enabled but the CPU has no nested paging";
	/* 15.25.4: nCR3 has the format of CR3 (3.1.2): the address bits
	 * beyond the physical-address width MBZ. */
	if ((c->np_enable & SVM_NP_ENABLE) && beyond_pa(c->n_cr3, bits))
		return "the nested CR3 has reserved bits set";
	return NULL;
}
