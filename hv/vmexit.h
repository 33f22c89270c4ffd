/* The vendor-neutral VM exit. Each backend decodes its own exit (VMCB
 * EXITCODE/EXITINFO, VMCS exit reason/qualification) into this, and hv/
 * dispatches on .kind through one table (hv/exit.c). */
#ifndef KEEL_VMEXIT_H
#define KEEL_VMEXIT_H

#include "../lib/types.h"

enum vmexit_kind {
	VMEXIT_UNKNOWN,   /* anything Keel does not handle: reported, guest stopped */
	VMEXIT_CPUID,
	VMEXIT_HLT,
	VMEXIT_IO,
	VMEXIT_MSR,
	VMEXIT_CR,
	VMEXIT_XSETBV,
	VMEXIT_INVD,
	VMEXIT_NPF,       /* nested-page fault / EPT violation or misconfiguration */
	VMEXIT_EXCEPTION,
	VMEXIT_HYPERCALL, /* VMMCALL / VMCALL */
	VMEXIT_VIRT_INSN, /* VMRUN, VMLAUNCH, ... executed by the guest */
	VMEXIT_SHUTDOWN,  /* triple fault */
	VMEXIT_INIT,
	VMEXIT_SIPI,
	VMEXIT_INTR,      /* an external interrupt arrived: nothing to do */
	VMEXIT_NMI,
	VMEXIT_PREEMPT,   /* preemption timer */
	VMEXIT_INVALID,   /* VM entry failed: VMEXIT_INVALID / bit 31 exits */
	VMEXIT_KIND_COUNT
};

struct vmexit_io {
	u16 port;
	u8 size;          /* 1, 2 or 4 */
	bool in;
	bool string;
	bool rep;
};

struct vmexit_msr {
	u32 index;        /* ECX */
	bool write;
};

struct vmexit_npf {
	gpa_t gpa;
	bool read, write, exec;
	bool present;     /* the translation existed (a permission fault) */
	bool misconfig;   /* EPT misconfiguration */
};

struct vmexit_exception {
	u8 vector;
	bool has_error;
	u32 error;
};

struct vmexit_cr {
	u8 cr;            /* 0, 3, 4, 8 */
	bool write;
	u8 gpr;           /* the register operand (0 = RAX ... 15 = R15) */
	bool lmsw, clts;
	u16 lmsw_source;
};

/* The event the CPU was delivering when the exit came (SVM EXITINTINFO;
 * VMX does not fill it yet): a fault during delivery combines with it as
 * on bare metal (SDM vol. 3A 6.15 table 6-5, APM vol. 2 8.2.9). */
enum vmexit_event_type {
	EVENT_NONE,       /* the exit was not during event delivery */
	EVENT_INTR,       /* external interrupt */
	EVENT_NMI,
	EVENT_EXCEPTION,  /* hardware exception */
	EVENT_SOFT,       /* INT n, INT3, INTO */
};

struct vmexit_event {
	enum vmexit_event_type type;
	u8 vector;
	bool has_error;
	u32 error;
};

struct vmexit {
	enum vmexit_kind kind;
	u64 reason;       /* the vendor's exit code, for reports */
	u64 info1, info2; /* EXITINFO1/2 or exit qualification and guest-linear address */
	u8 insn_len;      /* 0 when the backend cannot tell */
	u64 next_rip;     /* 0 when unknown */
	struct vmexit_event delivering;
	union {
		struct vmexit_io io;
		struct vmexit_msr msr;
		struct vmexit_npf npf;
		struct vmexit_exception exc;
		struct vmexit_cr cr;
	};
};

const char *vmexit_kind_name(enum vmexit_kind kind);

#endif
