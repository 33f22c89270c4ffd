/* VM-exit decoding, Intel SDM vol. 3C chapter 28 and appendix C. */
#include "exit.h"
#include "vmcs.h"
#include "../lib/string.h"

/* Exit qualification for I/O instructions (table 28-5). */
#define IO_QUAL_SIZE(q) ((u8)(((q) & 7) + 1))
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_STRING (1u << 4)
#define IO_QUAL_REP (1u << 5)
#define IO_QUAL_PORT(q) ((u16)((q) >> 16))

/* Exit qualification for control-register accesses (table 28-3). */
#define CR_QUAL_CR(q) ((u8)((q) & 0xF))
#define CR_QUAL_TYPE(q) (((q) >> 4) & 3)
#define CR_QUAL_GPR(q) ((u8)(((q) >> 8) & 0xF))
#define CR_QUAL_LMSW_SOURCE(q) ((u16)((q) >> 16))
enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };

/* Exit qualification for EPT violations (table 28-7). */
#define EPT_QUAL_READ (1u << 0)
#define EPT_QUAL_WRITE (1u << 1)
#define EPT_QUAL_FETCH (1u << 2)
#define EPT_QUAL_PERMS (7u << 3)

static void decode_cr(const struct vmx_exit_info *x, struct vmexit *e)
{
	u64 q = x->qualification;

	e->kind = VMEXIT_CR;
	e->cr.cr = CR_QUAL_CR(q);
	e->cr.gpr = CR_QUAL_GPR(q);
	e->cr.write = CR_QUAL_TYPE(q) != CR_MOV_FROM;
	e->cr.clts = CR_QUAL_TYPE(q) == CR_CLTS;
	e->cr.lmsw = CR_QUAL_TYPE(q) == CR_LMSW;
	e->cr.lmsw_source = CR_QUAL_LMSW_SOURCE(q);
}

static void decode_exception(const struct vmx_exit_info *x, struct vmexit *e)
{
	if (INTR_INFO_TYPE(x->intr_info) == INTR_TYPE_NMI) {
		e->kind = VMEXIT_NMI;
		return;
	}
	e->kind = VMEXIT_EXCEPTION;
	e->exc.vector = INTR_INFO_VECTOR(x->intr_info);
	e->exc.has_error = x->intr_info & INTR_INFO_DELIVER_ERROR_CODE;
	e->exc.error = x->intr_error;
}

void vmx_decode_exit(const struct vmx_exit_info *x, struct vmexit *e)
{
	u32 basic = x->reason & 0xFFFF;
	u64 q = x->qualification;

	/* Every field is set below (each kind sets its whole part of the
	 * union): no memset on the path of every exit. */
	e->reason = x->reason;
	e->info1 = q;
	e->info2 = x->guest_linear;
	e->insn_len = (u8)x->insn_len;
	e->next_rip = 0;
	if (x->reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
		/* A machine check during VM entry (SDM 27.8): not delivered;
		 * Keel handles it like one the guest took (hv/mce.c), and the
		 * next entry tries again. */
		if (basic == VMX_EXIT_MCE_DURING_ENTRY) {
			e->kind = VMEXIT_EXCEPTION;
			e->exc.vector = 18;
			return;
		}
		e->kind = VMEXIT_INVALID;
		return;
	}
	switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI: decode_exception(x, e); break;
	case VMX_EXIT_EXTERNAL_INTERRUPT: e->kind = VMEXIT_INTR; break;
	case VMX_EXIT_NMI_WINDOW: e->kind = VMEXIT_NMI; break;	/* vmx/vmx.c tells them apart */
	case VMX_EXIT_TRIPLE_FAULT: e->kind = VMEXIT_SHUTDOWN; break;
	case VMX_EXIT_INIT: e->kind = VMEXIT_INIT; break;
	case VMX_EXIT_SIPI: e->kind = VMEXIT_SIPI; break;
	case VMX_EXIT_CPUID: e->kind = VMEXIT_CPUID; break;
	case VMX_EXIT_HLT: e->kind = VMEXIT_HLT; break;
	case VMX_EXIT_INVD: e->kind = VMEXIT_INVD; break;
	case VMX_EXIT_VMCALL: e->kind = VMEXIT_HYPERCALL; break;
	case VMX_EXIT_CR_ACCESS: decode_cr(x, e); break;
	case VMX_EXIT_IO:
		e->kind = VMEXIT_IO;
		e->io.port = IO_QUAL_PORT(q);
		e->io.size = IO_QUAL_SIZE(q);
		e->io.in = q & IO_QUAL_IN;
		e->io.string = q & IO_QUAL_STRING;
		e->io.rep = q & IO_QUAL_REP;
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		e->kind = VMEXIT_MSR;
		e->msr.write = basic == VMX_EXIT_WRMSR;
		break;
	case VMX_EXIT_EPT_VIOLATION:
	case VMX_EXIT_EPT_MISCONFIG:
		e->kind = VMEXIT_NPF;
		e->npf.gpa = x->guest_physical;
		e->npf.misconfig = basic == VMX_EXIT_EPT_MISCONFIG;
		e->npf.read = q & EPT_QUAL_READ;
		e->npf.write = q & EPT_QUAL_WRITE;
		e->npf.exec = q & EPT_QUAL_FETCH;
		e->npf.present = q & EPT_QUAL_PERMS;
		break;
	case VMX_EXIT_PREEMPTION_TIMER: e->kind = VMEXIT_PREEMPT; break;
	case VMX_EXIT_XSETBV: e->kind = VMEXIT_XSETBV; break;
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
		e->kind = VMEXIT_VIRT_INSN;
		break;
	default:
		/* VMCLEAR .. VMXON (19-27): VMX instructions in the guest. */
		if (basic >= VMX_EXIT_VMCLEAR && basic <= VMX_EXIT_VMXON)
			e->kind = VMEXIT_VIRT_INSN;
		else
			e->kind = VMEXIT_UNKNOWN;
		break;
	}
}
