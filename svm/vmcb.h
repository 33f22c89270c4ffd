/* The VMCB (AMD APM vol. 2, appendix B): control area at 0x000, state save
 * area at 0x400. Every field the code uses has its offset checked at
 * compile time; no magic offsets in C. */
#ifndef KEEL_SVM_VMCB_H
#define KEEL_SVM_VMCB_H

#include <stddef.h>
#include "../lib/types.h"

/* Intercept vector 3 (offset 0x00C), table B-1. */
#define SVM_INTERCEPT_INTR (1u << 0)
#define SVM_INTERCEPT_NMI (1u << 1)
#define SVM_INTERCEPT_SMI (1u << 2)
#define SVM_INTERCEPT_INIT (1u << 3)
#define SVM_INTERCEPT_IRET (1u << 20)
#define SVM_INTERCEPT_CPUID (1u << 18)
#define SVM_INTERCEPT_INVD (1u << 22)
#define SVM_INTERCEPT_HLT (1u << 24)
#define SVM_INTERCEPT_INVLPGA (1u << 26)
#define SVM_INTERCEPT_IOIO_PROT (1u << 27)
#define SVM_INTERCEPT_MSR_PROT (1u << 28)
#define SVM_INTERCEPT_SHUTDOWN (1u << 31)
/* Intercept vector 4 (offset 0x010). */
#define SVM_INTERCEPT_VMRUN (1u << 0)
#define SVM_INTERCEPT_VMMCALL (1u << 1)
#define SVM_INTERCEPT_VMLOAD (1u << 2)
#define SVM_INTERCEPT_VMSAVE (1u << 3)
#define SVM_INTERCEPT_STGI (1u << 4)
#define SVM_INTERCEPT_CLGI (1u << 5)
#define SVM_INTERCEPT_SKINIT (1u << 6)
#define SVM_INTERCEPT_XSETBV (1u << 13)

/* Exit codes (appendix C). */
#define SVM_EXIT_READ_CR0 0x000
#define SVM_EXIT_WRITE_CR0 0x010
#define SVM_EXIT_WRITE_CR15 0x01F
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_EXCP_LAST 0x05F   /* EXCP31 */
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_SMI 0x062
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07A
#define SVM_EXIT_IOIO 0x07B
#define SVM_EXIT_MSR 0x07C
#define SVM_EXIT_SHUTDOWN 0x07F
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_XSETBV 0x08D
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xFFFFFFFFu /* VMEXIT_INVALID, in the low 32 bits */

/* EXITINFO1 for CR accesses with decode assists (15.33.1): bit 63 says
 * MOV CRx (else CLTS, LMSW or SMSW), bits 3:0 name the GPR. */
#define SVM_CR_EXITINFO1_MOV (1ull << 63)
#define SVM_CR_EXITINFO1_GPR_MASK 0xFull

/* EXITINFO1 for MSR (15.11): 0 = RDMSR, 1 = WRMSR. */
#define SVM_MSR_EXITINFO1_WRITE 1

/* EXITINFO1 for IOIO (15.10.2). */
#define SVM_IOIO_TYPE_IN (1u << 0)
#define SVM_IOIO_STR (1u << 2)
#define SVM_IOIO_REP (1u << 3)
#define SVM_IOIO_SZ8 (1u << 4)
#define SVM_IOIO_SZ16 (1u << 5)
#define SVM_IOIO_SZ32 (1u << 6)
#define SVM_IOIO_PORT_SHIFT 16
#define SVM_IOIO_PORT_MASK 0xFFFFu

/* EXITINFO1 for NPF: a #PF-style error code (15.25.6). */
#define SVM_NPF_P (1ull << 0)
#define SVM_NPF_RW (1ull << 1)
#define SVM_NPF_US (1ull << 2)
#define SVM_NPF_ID (1ull << 4)

/* EVENTINJ (15.20). */
#define SVM_EVTINJ_VALID (1u << 31)
#define SVM_EVTINJ_EV (1u << 11)
#define SVM_EVTINJ_TYPE_INTR (0u << 8)
#define SVM_EVTINJ_TYPE_NMI (2u << 8)
#define SVM_EVTINJ_TYPE_EXCEPTION (3u << 8)
#define SVM_EVTINJ_TYPE_SOFT (4u << 8)
#define SVM_EVTINJ_VECTOR_MASK 0xFFu
#define SVM_EVTINJ_TYPE_MASK (7u << 8)

/* Permission map sizes: the IOPM is 12 KiB (15.10.1), the MSRPM 8 KiB
 * (15.11). Bits 11:0 of their base addresses are ignored. */
#define SVM_IOPM_SIZE 0x3000u
#define SVM_MSRPM_SIZE 0x2000u
#define SVM_PM_BASE_MASK (~0xFFFull)

#define SVM_NP_ENABLE (1ull << 0)
#define SVM_TLB_CONTROL_FLUSH_ALL 1
#define SVM_INTERRUPT_SHADOW (1ull << 0)

/* Segment attributes in the VMCB's packed form: type[3:0] S[4] DPL[6:5]
 * P[7] AVL[8] L[9] D/B[10] G[11]. */
#define SVM_SEG_TYPE(t) ((u16)(t))
#define SVM_SEG_S (1u << 4)
#define SVM_SEG_P (1u << 7)
#define SVM_SEG_L (1u << 9)
#define SVM_SEG_DB (1u << 10)
#define SVM_SEG_G (1u << 11)

struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __attribute__((packed));

struct vmcb_control {
	u16 intercept_cr_read;          /* 0x000 */
	u16 intercept_cr_write;         /* 0x002 */
	u16 intercept_dr_read;          /* 0x004 */
	u16 intercept_dr_write;         /* 0x006 */
	u32 intercept_exceptions;       /* 0x008 */
	u32 intercept_misc1;            /* 0x00C: vector 3 */
	u32 intercept_misc2;            /* 0x010: vector 4 */
	u32 intercept_misc3;            /* 0x014: vector 5 */
	u8 reserved_018[0x03C - 0x018];
	u16 pause_filter_threshold;     /* 0x03C */
	u16 pause_filter_count;         /* 0x03E */
	u64 iopm_base_pa;               /* 0x040 */
	u64 msrpm_base_pa;              /* 0x048 */
	u64 tsc_offset;                 /* 0x050 */
	u32 guest_asid;                 /* 0x058 */
	u8 tlb_control;                 /* 0x05C */
	u8 reserved_05d[3];
	u64 vintr;                      /* 0x060 */
	u64 interrupt_shadow;           /* 0x068 */
	u64 exitcode;                   /* 0x070 */
	u64 exitinfo1;                  /* 0x078 */
	u64 exitinfo2;                  /* 0x080 */
	u64 exitintinfo;                /* 0x088 */
	u64 np_enable;                  /* 0x090 */
	u64 avic_apic_bar;              /* 0x098 */
	u64 ghcb_pa;                    /* 0x0A0 */
	u64 eventinj;                   /* 0x0A8 */
	u64 n_cr3;                      /* 0x0B0 */
	u64 virt_ext;                   /* 0x0B8: LBR virtualization, virtual VMSAVE/VMLOAD */
	u32 vmcb_clean;                 /* 0x0C0 */
	u32 reserved_0c4;
	u64 nrip;                       /* 0x0C8 */
	u8 insn_len;                    /* 0x0D0 */
	u8 insn_bytes[15];              /* 0x0D1 */
	u8 reserved_0e0[0x400 - 0x0E0];
} __attribute__((packed));

struct vmcb_save {
	struct vmcb_seg es;             /* 0x400 */
	struct vmcb_seg cs;             /* 0x410 */
	struct vmcb_seg ss;             /* 0x420 */
	struct vmcb_seg ds;             /* 0x430 */
	struct vmcb_seg fs;             /* 0x440 */
	struct vmcb_seg gs;             /* 0x450 */
	struct vmcb_seg gdtr;           /* 0x460 */
	struct vmcb_seg ldtr;           /* 0x470 */
	struct vmcb_seg idtr;           /* 0x480 */
	struct vmcb_seg tr;             /* 0x490 */
	u8 reserved_4a0[0x4CB - 0x4A0];
	u8 cpl;                         /* 0x4CB */
	u32 reserved_4cc;
	u64 efer;                       /* 0x4D0 */
	u8 reserved_4d8[0x548 - 0x4D8];
	u64 cr4;                        /* 0x548 */
	u64 cr3;                        /* 0x550 */
	u64 cr0;                        /* 0x558 */
	u64 dr7;                        /* 0x560 */
	u64 dr6;                        /* 0x568 */
	u64 rflags;                     /* 0x570 */
	u64 rip;                        /* 0x578 */
	u8 reserved_580[0x5D8 - 0x580];
	u64 rsp;                        /* 0x5D8 */
	u64 s_cet;                      /* 0x5E0 */
	u64 ssp;                        /* 0x5E8 */
	u64 isst_addr;                  /* 0x5F0 */
	u64 rax;                        /* 0x5F8 */
	u64 star;                       /* 0x600 */
	u64 lstar;                      /* 0x608 */
	u64 cstar;                      /* 0x610 */
	u64 sfmask;                     /* 0x618 */
	u64 kernel_gs_base;             /* 0x620 */
	u64 sysenter_cs;                /* 0x628 */
	u64 sysenter_esp;               /* 0x630 */
	u64 sysenter_eip;               /* 0x638 */
	u64 cr2;                        /* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;                      /* 0x668 */
	u64 dbgctl;                     /* 0x670 */
	u64 br_from;                    /* 0x678 */
	u64 br_to;                      /* 0x680 */
	u64 last_excp_from;             /* 0x688 */
	u64 last_excp_to;               /* 0x690 */
	u8 reserved_698[0x1000 - 0x698];
} __attribute__((packed));

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __attribute__((packed));

#define VMCB_OFFSET(f, off) _Static_assert(offsetof(struct vmcb, f) == (off), #f)
VMCB_OFFSET(control.intercept_exceptions, 0x008);
VMCB_OFFSET(control.intercept_misc1, 0x00C);
VMCB_OFFSET(control.intercept_misc2, 0x010);
VMCB_OFFSET(control.iopm_base_pa, 0x040);
VMCB_OFFSET(control.msrpm_base_pa, 0x048);
VMCB_OFFSET(control.guest_asid, 0x058);
VMCB_OFFSET(control.tlb_control, 0x05C);
VMCB_OFFSET(control.vintr, 0x060);
VMCB_OFFSET(control.interrupt_shadow, 0x068);
VMCB_OFFSET(control.exitcode, 0x070);
VMCB_OFFSET(control.exitinfo1, 0x078);
VMCB_OFFSET(control.exitinfo2, 0x080);
VMCB_OFFSET(control.exitintinfo, 0x088);
VMCB_OFFSET(control.np_enable, 0x090);
VMCB_OFFSET(control.eventinj, 0x0A8);
VMCB_OFFSET(control.n_cr3, 0x0B0);
VMCB_OFFSET(control.vmcb_clean, 0x0C0);
VMCB_OFFSET(control.nrip, 0x0C8);
VMCB_OFFSET(control.insn_len, 0x0D0);
VMCB_OFFSET(save.es, 0x400);
VMCB_OFFSET(save.cs, 0x410);
VMCB_OFFSET(save.gdtr, 0x460);
VMCB_OFFSET(save.idtr, 0x480);
VMCB_OFFSET(save.tr, 0x490);
VMCB_OFFSET(save.cpl, 0x4CB);
VMCB_OFFSET(save.efer, 0x4D0);
VMCB_OFFSET(save.cr4, 0x548);
VMCB_OFFSET(save.cr3, 0x550);
VMCB_OFFSET(save.cr0, 0x558);
VMCB_OFFSET(save.dr7, 0x560);
VMCB_OFFSET(save.dr6, 0x568);
VMCB_OFFSET(save.rflags, 0x570);
VMCB_OFFSET(save.rip, 0x578);
VMCB_OFFSET(save.rsp, 0x5D8);
VMCB_OFFSET(save.rax, 0x5F8);
VMCB_OFFSET(save.cr2, 0x640);
VMCB_OFFSET(save.g_pat, 0x668);
_Static_assert(sizeof(struct vmcb) == 4096, "the VMCB is one page");

/* VMCB consistency checks (svm/vmcb_check.c), APM vol. 2 15.5.1
 * "Canonicalization and Consistency Checks". Returns NULL when the VMCB
 * would be accepted, else the words of the first rule it breaks.
 * cpuid_* describe the CPU (for the reserved-bit and feature rules). */
struct svm_cpu_caps {
	u8 phys_addr_bits;   /* CPUID 80000008h EAX[7:0] */
	bool has_npt;
};
const char *vmcb_check(const struct vmcb *vmcb, const struct svm_cpu_caps *caps);

#endif
