/* A virtual CPU and the backend operations (struct hv_backend) through
 * which hv/ drives it. hv/ never reads a VMCB offset or VMCS field. */
#ifndef KEEL_VCPU_H
#define KEEL_VCPU_H

#include "../lib/types.h"
#include "../lib/config.h"
#include "vmexit.h"
#include "iocount.h"
#include "msr.h"

/* General registers the entry/exit stub saves and restores, in this order
 * (the stubs use these offsets; hv/asm-offsets checks them). RSP and RAX
 * live in the VMCB on SVM, RSP in the VMCS on VMX: use vcpu_get_reg(). */
struct guest_gprs {
	u64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

enum vcpu_reg {
	VCPU_RAX, VCPU_RCX, VCPU_RDX, VCPU_RBX, VCPU_RSP, VCPU_RBP, VCPU_RSI, VCPU_RDI,
	VCPU_R8, VCPU_R9, VCPU_R10, VCPU_R11, VCPU_R12, VCPU_R13, VCPU_R14, VCPU_R15,
	VCPU_RIP, VCPU_RFLAGS, VCPU_CR0, VCPU_CR3, VCPU_CR4, VCPU_EFER,
	/* Read-only: the code segment's base, and its default size in bits
	 * (16, 32, or 64 in IA-32e mode with CS.L), to fetch an instruction. */
	VCPU_CS_BASE, VCPU_CS_BITS,
	VCPU_REG_COUNT
};

/* Where and how a guest starts (filled by the guest loaders). */
#define GUEST_START_HAS_GDT 1
struct guest_start {
	enum cfg_mode mode;
	u16 cs_selector;      /* real mode: CS = selector, base = selector << 4;
	                       * protected/long: CS's selector (0: 0x08), flat */
	u16 ds_selector;      /* protected/long: DS, ES, SS, FS, GS (0: 0x10), flat */
	u64 gdt_base;         /* protected/long: a GDT the loader built in guest */
	u16 gdt_limit;        /* memory for those selectors (limit 0: none) */
	u64 rip;
	u64 rsp;
	u64 cr3;              /* long mode: the identity map the loader built */
	u64 rflags;
	struct guest_gprs gprs;
	unsigned watchdog;    /* seconds, from the guest line (0: none) */
};

enum stop_reason {
	STOP_NONE,
	STOP_EXIT_CODE,   /* hypercall 2 */
	STOP_NEXT,        /* hypercall 3 */
	STOP_HLT,         /* HLT with interrupts off */
	STOP_RESET,       /* 0xCF9, keyboard controller, jump to the reset vector */
	STOP_SHUTDOWN,    /* triple fault */
	STOP_POWEROFF,    /* hypercall 0x84000008 */
	STOP_FAULT,       /* NPF on Keel's region or unbacked memory */
	STOP_UNHANDLED,   /* an exit Keel does not handle */
	STOP_ENTRY_FAILED,
	STOP_STUCK,       /* looped with interrupts off past the watchdog (VMX) */
};

struct vcpu;

struct hv_backend {
	const char *name;                     /* "svm", "vmx" */
	/* Turn the extension on for this CPU; 0 or a negative error. */
	int (*init)(void);
	/* On an AP Keel parks (hv/smp.c): make INIT unable to reach it
	 * (VMX root operation; SVM with GIF clear). page: a zeroed page of
	 * its own. 0, or -1 when it could not. */
	int (*park)(hpa_t page);
	int (*vcpu_create)(struct vcpu *v);
	/* Guest-physical memory: identity map of the ranges guests may use. */
	int (*map_memory)(struct vcpu *v);
	/* Load the starting state of a new guest; arm the watchdog it asks
	 * for (s->watchdog) where the CPU has one, and say so in v->watchdog. */
	void (*vcpu_reset)(struct vcpu *v, const struct guest_start *s);
	/* Enter the guest and decode the next exit into *e; 0, or nonzero
	 * when the entry itself failed (then e->kind == VMEXIT_INVALID). */
	int (*run)(struct vcpu *v, struct vmexit *e);
	void (*advance_rip)(struct vcpu *v, const struct vmexit *e);
	u64 (*get_reg)(struct vcpu *v, enum vcpu_reg r);
	void (*set_reg)(struct vcpu *v, enum vcpu_reg r, u64 val);
	void (*inject_exception)(struct vcpu *v, u8 vector, bool has_error, u32 error);
	/* Deliver an external interrupt the host took on the guest's behalf. */
	void (*inject_interrupt)(struct vcpu *v, u8 vector);
	/* Halt the host until an interrupt comes for the guest; its vector. */
	int (*wait_for_interrupt)(struct vcpu *v);
	/* Is the guest able to take a maskable interrupt (RFLAGS.IF)? */
	bool (*interrupts_enabled)(struct vcpu *v);
	/* PAE paging was set up by a control-register write Keel did: the
	 * four PDPTEs the CPU would have loaded (NULL where the CPU reads
	 * them from memory itself: SVM with nested paging, APM 15.25.10). */
	void (*load_pdptes)(struct vcpu *v, const u64 pdpte[4]);
	/* A debug trap for the guest that Keel took instead (hv/mce.c):
	 * dr6 holds its DR6 bits (B0-B3, BS) to deliver as #DB. */
	void (*debug_trap)(struct vcpu *v, u64 dr6);
	/* Print guest state, host state and controls, in three blocks. */
	void (*dump)(struct vcpu *v);
	/* The bytes of the hypercall instruction (VMCALL or VMMCALL). */
	u8 hypercall_insn[3];
};

struct guest;

struct vcpu {
	struct guest_gprs gprs;               /* first: the stubs address it */
	const struct hv_backend *ops;
	void *arch;                           /* the backend's own state */
	struct guest *guest;
	u64 exits[VMEXIT_KIND_COUNT];
	u64 total_exits;
	struct io_counts io_exits;            /* the I/O exits by port (hv/iocount.c) */
	enum stop_reason stop;
	u64 stop_code;
	bool halted;                          /* waiting in HLT for an interrupt */
	u8 kbc_command;                       /* the guest's last keyboard-controller command */
	unsigned watchdog;                    /* seconds the backend armed (0: no watchdog) */
	unsigned stuck_periods;               /* watchdog seconds in a row with interrupts off */
	u64 hlt_retry;                        /* exit count of a HLT with IF=0 run once more */
	bool ipi_refused;                     /* an IPI to other CPUs was refused (and logged) */
	struct vcpu_msrs msrs;                /* the guest's copies of MSRs Keel emulates (hv/msr.c) */
};

/* RCX, RDX, RBX, RBP, RSI, RDI and R8-R15 live in v->gprs on both
 * backends (the stubs load and save them there); everything else goes
 * through the backend. The short way matters: handlers touch these
 * registers on every exit. */
static inline bool vcpu_reg_in_gprs(enum vcpu_reg r)
{
	return r <= VCPU_R15 && r != VCPU_RAX && r != VCPU_RSP;
}

static inline u64 vcpu_get_reg(struct vcpu *v, enum vcpu_reg r)
{
	if (vcpu_reg_in_gprs(r))
		return ((const u64 *)&v->gprs)[r];
	return v->ops->get_reg(v, r);
}

static inline void vcpu_set_reg(struct vcpu *v, enum vcpu_reg r, u64 val)
{
	if (vcpu_reg_in_gprs(r))
		((u64 *)&v->gprs)[r] = val;
	else
		v->ops->set_reg(v, r, val);
}

/* The backend for this CPU (hv/backend.c). */
const struct hv_backend *hv_backend_select(const char *name);
extern const struct hv_backend svm_backend;
extern const struct hv_backend vmx_backend;

#endif
