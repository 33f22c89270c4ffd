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
 * (the stubs use these offsets; hv/gprs.inc and _Static_asserts check
 * them). RSP lives in the VMCB or the VMCS: use vcpu_get_reg(). */
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

/* run()'s results besides 0 (an exit, decoded into *e). */
#define RUN_FAILED 1    /* the VM entry failed: e->kind == VMEXIT_INVALID */
#define RUN_ABORTED 2   /* an NMI or another CPU wanted this one before the entry */

struct hv_backend {
	const char *name;                     /* "svm", "vmx" */
	/* Turn the extension on for the calling CPU: the bootstrap CPU first
	 * (which also reads the capabilities), then each AP. 0, or negative. */
	int (*init)(void);
	/* Guest-physical memory, shared by every vCPU: identity map of the
	 * ranges guests may use, with writes to the local APIC's page
	 * exiting. Once, on the bootstrap CPU, before any vCPU is created. */
	int (*map_memory)(void);
	/* Let guests write their local APIC directly (page and x2APIC MSRs),
	 * where every CPU Keel could not take over is none of the guest's
	 * business (VT-x). NULL where the writes must always exit (AMD-V:
	 * hv/lapic.c delivers INIT and start-up IPIs itself). */
	void (*apic_passthrough)(void);
	/* This CPU's vCPU: VMCS or VMCB, on its own CPU. */
	int (*vcpu_create)(struct vcpu *v);
	/* Load the starting state of a new guest (or of an AP at its SIPI);
	 * arm the watchdog it asks for (s->watchdog) where the CPU has one,
	 * and say so in v->watchdog. */
	void (*vcpu_reset)(struct vcpu *v, const struct guest_start *s);
	/* Make v wait for a start-up IPI the way a real AP does after INIT:
	 * VT-x enters the guest in the wait-for-SIPI activity state (INIT and
	 * SIPI then come back as exits); NULL where Keel waits for v itself
	 * (AMD-V: halted in Keel until hv/lapic.c posts a SIPI). */
	void (*vcpu_wait_sipi)(struct vcpu *v);
	/* Halt this CPU in Keel until its attention word is set (AMD-V opens
	 * GIF meanwhile, so that SMIs and NMIs reach it). */
	void (*halt)(struct vcpu *v);
	/* Turn the extension off on this CPU (VMXOFF; EFER.SVME clear). */
	void (*off)(void);
	/* Enter the guest and decode the next exit into *e: 0, RUN_FAILED or
	 * RUN_ABORTED. */
	int (*run)(struct vcpu *v, struct vmexit *e);
	void (*advance_rip)(struct vcpu *v, const struct vmexit *e);
	u64 (*get_reg)(struct vcpu *v, enum vcpu_reg r);
	void (*set_reg)(struct vcpu *v, enum vcpu_reg r, u64 val);
	void (*inject_exception)(struct vcpu *v, u8 vector, bool has_error, u32 error);
	/* Deliver an external interrupt the host took on the guest's behalf. */
	void (*inject_interrupt)(struct vcpu *v, u8 vector);
	/* Deliver an NMI if the guest can take one at the next entry (true);
	 * otherwise arrange an exit for when it can (false). */
	bool (*inject_nmi)(struct vcpu *v);
	/* Halt the host until an interrupt comes for the guest; its vector. */
	int (*wait_for_interrupt)(struct vcpu *v);
	/* Is the guest able to take a maskable interrupt (RFLAGS.IF)? */
	bool (*interrupts_enabled)(struct vcpu *v);
	/* v left its guest: this CPU's TLB entries for guest-physical and
	 * guest-linear addresses (EPT/NPT and VPID/ASID) are forgotten, and
	 * Keel's own time begins (AMD-V: GIF set again, svm/svm.c). */
	void (*left_guest)(struct vcpu *v);
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
struct percpu;

/* Where a vCPU is with respect to the running guest; only its own CPU
 * changes it (the sequencer reads it, hv/guest.c). */
enum vcpu_state {
	VCPU_WAITING,   /* waits for a start-up IPI, in no guest */
	VCPU_RUNNING,   /* runs guest code, or Keel on the guest's behalf */
};

#define VCPU_LINE_MAX 160

struct vcpu {
	struct guest_gprs gprs;               /* first: the stubs address it */
	const struct hv_backend *ops;
	void *arch;                           /* the backend's own state */
	struct percpu *cpu;                   /* the CPU it runs on, for good */
	struct guest *guest;                  /* while VCPU_RUNNING */
	volatile enum vcpu_state state;
	u64 exits[VMEXIT_KIND_COUNT];         /* since Keel started; by this CPU only */
	u64 exits_at_start[VMEXIT_KIND_COUNT];/* the sequencer's copy at the guest's start */
	struct io_counts io_exits;            /* this guest's I/O exits by port (hv/iocount.c) */
	enum stop_reason stop;
	u64 stop_code;
	u32 nmi_pending;                      /* guest NMIs not yet injected */
	u64 exits_at_sipi;                    /* VT-x: exits when it last started at a SIPI */
	bool halted;                          /* waiting in HLT for an interrupt */
	u8 kbc_command;                       /* the guest's last keyboard-controller command */
	unsigned watchdog;                    /* seconds the backend armed (0: no watchdog) */
	unsigned stuck_periods;               /* watchdog seconds in a row with interrupts off */
	u64 total_exits;                      /* since Keel started, every kind */
	u64 hlt_retry;                        /* total_exits of a HLT with IF=0 run once more */
	u32 lapic_ldr, lapic_dfr;             /* AMD-V: the guest's LDR and DFR (hv/lapic.c) */
	char line[VCPU_LINE_MAX];             /* hypercall 1 output, until its newline */
	int line_len;
	struct vcpu_msrs msrs;                /* the guest's copies of MSRs Keel emulates (hv/msr.c) */
};

/* Every general register but RSP lives in v->gprs on both backends
 * (VMX's stub loads and saves RAX there too, svm/svm.c copies it to and
 * from the VMCB around VMRUN); everything else goes through the backend.
 * The short way matters: handlers touch these registers on every exit. */
static inline bool vcpu_reg_in_gprs(enum vcpu_reg r)
{
	return r <= VCPU_R15 && r != VCPU_RSP;
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
