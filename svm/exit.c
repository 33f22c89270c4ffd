/* SVM exit decoding: one switch on EXITCODE (AMD APM vol. 2 appendix C)
 * fills struct vmexit; hv/ never looks at the VMCB. */
#include "exit.h"
#include "../hv/x86.h"
#include "../lib/string.h"

/* Instruction lengths of the intercepted instructions that have one
 * encoding (APM vol. 3 opcode tables), for CPUs without NRIP save. */
#define INSN_LEN_HLT 1      /* F4 */
#define INSN_LEN_CPUID 2    /* 0F A2 */
#define INSN_LEN_INVD 2     /* 0F 08 */
#define INSN_LEN_MSR 2      /* RDMSR 0F 32, WRMSR 0F 30 */
#define INSN_LEN_0F01 3     /* VMMCALL, XSETBV, VMRUN ... SKINIT: 0F 01 xx */
#define INSN_LEN_MAX 15     /* the architectural limit (APM vol. 3 1.1) */

static bool is_invalid(u64 code)
{
	/* VMEXIT_INVALID is -1; QEMU writes it into the low 32 bits only. */
	return (u32)code == SVM_EXIT_INVALID;
}

/* IOIO: EXITINFO1 describes the access, EXITINFO2 holds the RIP of the
 * next instruction (15.10.2), with or without NRIP save. */
static void decode_ioio(const struct vmcb *vmcb, struct vmexit *e)
{
	u64 info = e->info1;
	u64 next = e->info2;

	e->kind = VMEXIT_IO;
	e->io.port = (u16)((info >> SVM_IOIO_PORT_SHIFT) & SVM_IOIO_PORT_MASK);
	if (info & SVM_IOIO_SZ32)
		e->io.size = 4;
	else if (info & SVM_IOIO_SZ16)
		e->io.size = 2;
	else if (info & SVM_IOIO_SZ8)
		e->io.size = 1;
	e->io.in = info & SVM_IOIO_TYPE_IN;
	e->io.string = info & SVM_IOIO_STR;
	e->io.rep = info & SVM_IOIO_REP;
	e->next_rip = next;
	if (next - vmcb->save.rip <= INSN_LEN_MAX)
		e->insn_len = (u8)(next - vmcb->save.rip);
}

/* NPF: EXITINFO1 is a #PF-style error code, EXITINFO2 the guest-physical
 * address (15.25.6). */
static void decode_npf(struct vmexit *e)
{
	e->kind = VMEXIT_NPF;
	e->npf.gpa = e->info2;
	e->npf.present = e->info1 & SVM_NPF_P;
	e->npf.write = e->info1 & SVM_NPF_RW;
	e->npf.exec = e->info1 & SVM_NPF_ID;
	e->npf.read = !e->npf.write && !e->npf.exec;
}

/* Exceptions 0-31 (15.12): EXITINFO1 holds the error code of the
 * exceptions that push one; for #PF EXITINFO2 holds the faulting address. */
static void decode_exception(struct vmexit *e)
{
	e->kind = VMEXIT_EXCEPTION;
	e->exc.vector = (u8)(e->reason - SVM_EXIT_EXCP_BASE);
	e->exc.has_error = x86_exc_has_error_code(e->exc.vector);
	if (e->exc.has_error)
		e->exc.error = (u32)e->info1;
}

/* CR reads 00h-0Fh, writes 10h-1Fh (15.9). With decode assists EXITINFO1
 * bit 63 marks MOV CRx and bits 3:0 name its GPR (15.33.1). */
static void decode_cr(struct vmexit *e)
{
	e->kind = VMEXIT_CR;
	e->cr.cr = (u8)(e->reason & 0xF);
	e->cr.write = e->reason >= SVM_EXIT_WRITE_CR0;
	if (e->info1 & SVM_CR_EXITINFO1_MOV)
		e->cr.gpr = (u8)(e->info1 & SVM_CR_EXITINFO1_GPR_MASK);
}

/* Sets kind and the fixed instruction length of the exit's instruction
 * (0 when it has none or several). */
static u8 decode_simple(struct vmexit *e)
{
	switch (e->reason) {
	case SVM_EXIT_CPUID:
		e->kind = VMEXIT_CPUID;
		return INSN_LEN_CPUID;
	case SVM_EXIT_HLT:
		e->kind = VMEXIT_HLT;
		return INSN_LEN_HLT;
	case SVM_EXIT_INVD:
		e->kind = VMEXIT_INVD;
		return INSN_LEN_INVD;
	case SVM_EXIT_MSR:
		/* 15.11: EXITINFO1 is 0 for RDMSR, 1 for WRMSR. */
		e->kind = VMEXIT_MSR;
		e->msr.write = e->info1 == SVM_MSR_EXITINFO1_WRITE;
		return INSN_LEN_MSR;
	case SVM_EXIT_VMMCALL:
		e->kind = VMEXIT_HYPERCALL;
		return INSN_LEN_0F01;
	case SVM_EXIT_XSETBV:
		e->kind = VMEXIT_XSETBV;
		return INSN_LEN_0F01;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		e->kind = VMEXIT_VIRT_INSN;
		return INSN_LEN_0F01;
	case SVM_EXIT_SHUTDOWN:
		e->kind = VMEXIT_SHUTDOWN;
		return 0;
	case SVM_EXIT_INTR:
		e->kind = VMEXIT_INTR;
		return 0;
	case SVM_EXIT_NMI:
		e->kind = VMEXIT_NMI;
		return 0;
	case SVM_EXIT_INIT:
		e->kind = VMEXIT_INIT;
		return 0;
	case SVM_EXIT_NPF:
		decode_npf(e);
		return 0;
	}
	if (e->reason <= SVM_EXIT_WRITE_CR15)
		decode_cr(e);
	else if (e->reason >= SVM_EXIT_EXCP_BASE && e->reason <= SVM_EXIT_EXCP_LAST)
		decode_exception(e);
	else
		e->kind = VMEXIT_UNKNOWN;
	return 0;
}

/* Exits that no instruction of the guest caused: NRIP means nothing there
 * (15.7.1: the CPU writes 0; an emulator may leave the last value). */
static bool asynchronous(enum vmexit_kind kind)
{
	return kind == VMEXIT_INTR || kind == VMEXIT_NMI || kind == VMEXIT_INIT ||
	       kind == VMEXIT_SHUTDOWN || kind == VMEXIT_NPF || kind == VMEXIT_INVALID;
}

/* EXITINTINFO has EVENTINJ's format (15.7.2): the event whose delivery
 * the exit interrupted. */
static void decode_exitintinfo(u64 info, struct vmexit_event *ev)
{
	if (!(info & SVM_EVTINJ_VALID))
		return;
	switch (info & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_INTR: ev->type = EVENT_INTR; break;
	case SVM_EVTINJ_TYPE_NMI: ev->type = EVENT_NMI; break;
	case SVM_EVTINJ_TYPE_EXCEPTION: ev->type = EVENT_EXCEPTION; break;
	case SVM_EVTINJ_TYPE_SOFT: ev->type = EVENT_SOFT; break;
	default: return; /* reserved types */
	}
	ev->vector = (u8)(info & SVM_EVTINJ_VECTOR_MASK);
	ev->has_error = info & SVM_EVTINJ_EV;
	ev->error = (u32)(info >> 32);
}

void svm_decode_exit(const struct vmcb *vmcb, bool nrips, struct vmexit *e)
{
	const struct vmcb_control *c = &vmcb->control;
	u64 rip = vmcb->save.rip;
	u8 len;

	memset(e, 0, sizeof(*e));
	e->reason = c->exitcode;
	e->info1 = c->exitinfo1;
	e->info2 = c->exitinfo2;

	if (is_invalid(e->reason)) {
		e->kind = VMEXIT_INVALID;
		return;
	}
	decode_exitintinfo(c->exitintinfo, &e->delivering);
	if (e->reason == SVM_EXIT_IOIO) {
		decode_ioio(vmcb, e);
		return;
	}
	len = decode_simple(e);
	if (asynchronous(e->kind))
		return;
	/* 15.7.1: with NRIP save the CPU stores the next RIP for instruction
	 * intercepts; otherwise only the one-encoding instructions tell. */
	if (nrips && c->nrip) {
		e->next_rip = c->nrip;
		if (c->nrip - rip <= INSN_LEN_MAX)
			e->insn_len = (u8)(c->nrip - rip);
	} else if (len) {
		e->insn_len = len;
		e->next_rip = rip + len;
	}
}

static const char *const cr_read_names[16] = {
	"VMEXIT_CR0_READ", "VMEXIT_CR1_READ", "VMEXIT_CR2_READ", "VMEXIT_CR3_READ",
	"VMEXIT_CR4_READ", "VMEXIT_CR5_READ", "VMEXIT_CR6_READ", "VMEXIT_CR7_READ",
	"VMEXIT_CR8_READ", "VMEXIT_CR9_READ", "VMEXIT_CR10_READ", "VMEXIT_CR11_READ",
	"VMEXIT_CR12_READ", "VMEXIT_CR13_READ", "VMEXIT_CR14_READ", "VMEXIT_CR15_READ",
};

static const char *const cr_write_names[16] = {
	"VMEXIT_CR0_WRITE", "VMEXIT_CR1_WRITE", "VMEXIT_CR2_WRITE", "VMEXIT_CR3_WRITE",
	"VMEXIT_CR4_WRITE", "VMEXIT_CR5_WRITE", "VMEXIT_CR6_WRITE", "VMEXIT_CR7_WRITE",
	"VMEXIT_CR8_WRITE", "VMEXIT_CR9_WRITE", "VMEXIT_CR10_WRITE", "VMEXIT_CR11_WRITE",
	"VMEXIT_CR12_WRITE", "VMEXIT_CR13_WRITE", "VMEXIT_CR14_WRITE", "VMEXIT_CR15_WRITE",
};

static const char *const excp_names[32] = {
	"VMEXIT_EXCP0", "VMEXIT_EXCP1", "VMEXIT_EXCP2", "VMEXIT_EXCP3",
	"VMEXIT_EXCP4", "VMEXIT_EXCP5", "VMEXIT_EXCP6", "VMEXIT_EXCP7",
	"VMEXIT_EXCP8", "VMEXIT_EXCP9", "VMEXIT_EXCP10", "VMEXIT_EXCP11",
	"VMEXIT_EXCP12", "VMEXIT_EXCP13", "VMEXIT_EXCP14", "VMEXIT_EXCP15",
	"VMEXIT_EXCP16", "VMEXIT_EXCP17", "VMEXIT_EXCP18", "VMEXIT_EXCP19",
	"VMEXIT_EXCP20", "VMEXIT_EXCP21", "VMEXIT_EXCP22", "VMEXIT_EXCP23",
	"VMEXIT_EXCP24", "VMEXIT_EXCP25", "VMEXIT_EXCP26", "VMEXIT_EXCP27",
	"VMEXIT_EXCP28", "VMEXIT_EXCP29", "VMEXIT_EXCP30", "VMEXIT_EXCP31",
};

const char *svm_exit_name(u64 code)
{
	if (is_invalid(code))
		return "VMEXIT_INVALID";
	if (code < SVM_EXIT_WRITE_CR0)
		return cr_read_names[code];
	if (code <= SVM_EXIT_WRITE_CR15)
		return cr_write_names[code - SVM_EXIT_WRITE_CR0];
	if (code >= SVM_EXIT_EXCP_BASE && code <= SVM_EXIT_EXCP_LAST)
		return excp_names[code - SVM_EXIT_EXCP_BASE];
	switch (code) {
	case SVM_EXIT_INTR: return "VMEXIT_INTR";
	case SVM_EXIT_NMI: return "VMEXIT_NMI";
	case SVM_EXIT_SMI: return "VMEXIT_SMI";
	case SVM_EXIT_INIT: return "VMEXIT_INIT";
	case SVM_EXIT_VINTR: return "VMEXIT_VINTR";
	case SVM_EXIT_CPUID: return "VMEXIT_CPUID";
	case SVM_EXIT_INVD: return "VMEXIT_INVD";
	case SVM_EXIT_HLT: return "VMEXIT_HLT";
	case SVM_EXIT_IOIO: return "VMEXIT_IOIO";
	case SVM_EXIT_MSR: return "VMEXIT_MSR";
	case SVM_EXIT_SHUTDOWN: return "VMEXIT_SHUTDOWN";
	case SVM_EXIT_VMRUN: return "VMEXIT_VMRUN";
	case SVM_EXIT_VMMCALL: return "VMEXIT_VMMCALL";
	case SVM_EXIT_VMLOAD: return "VMEXIT_VMLOAD";
	case SVM_EXIT_VMSAVE: return "VMEXIT_VMSAVE";
	case SVM_EXIT_STGI: return "VMEXIT_STGI";
	case SVM_EXIT_CLGI: return "VMEXIT_CLGI";
	case SVM_EXIT_SKINIT: return "VMEXIT_SKINIT";
	case SVM_EXIT_INVLPGA: return "VMEXIT_INVLPGA";
	case SVM_EXIT_XSETBV: return "VMEXIT_XSETBV";
	case SVM_EXIT_NPF: return "VMEXIT_NPF";
	default: return "VMEXIT_UNKNOWN";
	}
}
