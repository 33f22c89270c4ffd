/* Architectural register bits shared by the hypervisor core and both
 * backends: CR0, CR4, EFER, RFLAGS and the exception vectors. Names and
 * bit positions follow AMD APM vol. 2 chapter 3 ("System Resources") and
 * Intel SDM vol. 3A chapter 2 ("System Architecture Overview"). */
#ifndef KEEL_X86_H
#define KEEL_X86_H

#include "../lib/types.h"

/* CR0 (APM 3.1.1, SDM 2.5). Bits 63:32 are reserved, MBZ. */
#define CR0_PE (1ull << 0)   /* protection enable */
#define CR0_MP (1ull << 1)   /* monitor coprocessor */
#define CR0_EM (1ull << 2)   /* emulation */
#define CR0_TS (1ull << 3)   /* task switched */
#define CR0_ET (1ull << 4)   /* extension type, reads as 1 */
#define CR0_NE (1ull << 5)   /* numeric error */
#define CR0_WP (1ull << 16)  /* write protect */
#define CR0_AM (1ull << 18)  /* alignment mask */
#define CR0_NW (1ull << 29)  /* not writethrough */
#define CR0_CD (1ull << 30)  /* cache disable */
#define CR0_PG (1ull << 31)  /* paging */
#define CR0_RESERVED_HIGH 0xFFFFFFFF00000000ull

/* CR3 (APM 3.1.2): bits 63:52 are reserved, MBZ; so are the address bits
 * beyond the CPU's physical-address width (CPUID 80000008h EAX[7:0]). */
#define CR3_PWT (1ull << 3)
#define CR3_PCD (1ull << 4)
#define X86_MAX_PHYS_ADDR_BITS 52

/* CR4 (APM 3.1.3, figure 3-7). */
#define CR4_VME (1ull << 0)
#define CR4_PVI (1ull << 1)
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)    /* Intel only: reserved on AMD */
#define CR4_SMXE (1ull << 14)    /* Intel only: reserved on AMD */
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
#define CR4_CET (1ull << 23)
/* The bits the APM defines; every other bit is reserved, MBZ (13, 14, 15,
 * 19 and 63:24). Whether the CPU implements a defined bit (LA57, PKE,
 * CET, ...) is a feature question this mask does not answer. */
#define CR4_AMD_DEFINED (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | \
			 CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | \
			 CR4_UMIP | CR4_LA57 | CR4_FSGSBASE | CR4_PCIDE | CR4_OSXSAVE | \
			 CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_CET)
#define CR4_AMD_RESERVED (~CR4_AMD_DEFINED)

/* DR6 and DR7: bits 63:32 are reserved, MBZ (APM 13.1.1). DR6.BS: the
 * #DB was a single step. DEBUGCTL.BTF: TF steps branches only. */
#define DR6_BS (1ull << 14)
#define DEBUGCTL_BTF (1ull << 1)
#define DR6_RESERVED_HIGH 0xFFFFFFFF00000000ull
#define DR7_RESERVED_HIGH 0xFFFFFFFF00000000ull

/* EFER (APM 3.1.7, figure 3-8). */
#define MSR_EFER 0xC0000080u
#define MSR_IA32_APIC_BASE 0x1Bu      /* SDM 11.4.4 */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)   /* x2APIC mode (SDM 11.12.1) */
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define MSR_X2APIC_ID 0x802u          /* SDM 11.12.1.2 */
#define MSR_X2APIC_LDR 0x80Du
#define MSR_X2APIC_ICR 0x830u
#define MSR_X2APIC_LVT_CMCI 0x82Fu
#define MSR_X2APIC_LVT_PERF 0x834u
#define MSR_X2APIC_LVT_LINT0 0x835u
#define MSR_X2APIC_LVT_LINT1 0x836u
#define MSR_IA32_FEATURE_CONTROL 0x3Au /* SDM 24.7 */
#define FEATURE_CONTROL_LOCKED (1u << 0)
#define FEATURE_CONTROL_VMXON_IN_SMX (1u << 1)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1u << 2)
#define MSR_VM_CR 0xC0010114u         /* APM 15.30.1 */
#define VM_CR_SVMDIS (1u << 4)
#define MSR_VM_HSAVE_PA 0xC0010117u   /* APM 15.30.4 */
#define EFER_SCE (1ull << 0)     /* system call extensions */
#define EFER_LME (1ull << 8)     /* long mode enable */
#define EFER_LMA (1ull << 10)    /* long mode active */
#define EFER_NXE (1ull << 11)    /* no-execute enable */
#define EFER_SVME (1ull << 12)   /* secure virtual machine enable */
#define EFER_LMSLE (1ull << 13)  /* long mode segment limit enable */
#define EFER_FFXSR (1ull << 14)  /* fast FXSAVE/FXRSTOR */
#define EFER_TCE (1ull << 15)    /* translation cache extension */
#define EFER_MCOMMIT (1ull << 17)
#define EFER_INTWB (1ull << 18)
#define EFER_UAIE (1ull << 20)   /* upper address ignore enable */
#define EFER_AIBRSE (1ull << 21) /* automatic IBRS enable */
/* Bits 7:1, 9, 16 and 19 read as zero and 63:22 MBZ: all are reserved. */
#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | \
		      EFER_LMSLE | EFER_FFXSR | EFER_TCE | EFER_MCOMMIT | \
		      EFER_INTWB | EFER_UAIE | EFER_AIBRSE)
#define EFER_RESERVED (~EFER_DEFINED)

/* RFLAGS (APM 3.1.6, SDM 2.3). */
#define X86_RFLAGS_CF (1ull << 0)
#define X86_RFLAGS_FIXED (1ull << 1) /* reserved, reads as 1 */
#define X86_RFLAGS_PF (1ull << 2)
#define X86_RFLAGS_AF (1ull << 4)
#define X86_RFLAGS_ZF (1ull << 6)
#define X86_RFLAGS_SF (1ull << 7)
#define X86_RFLAGS_TF (1ull << 8)
#define X86_RFLAGS_IF (1ull << 9)
#define X86_RFLAGS_DF (1ull << 10)
#define X86_RFLAGS_OF (1ull << 11)
#define X86_RFLAGS_IOPL (3ull << 12)
#define X86_RFLAGS_NT (1ull << 14)
#define X86_RFLAGS_RF (1ull << 16)
#define X86_RFLAGS_VM (1ull << 17)
#define X86_RFLAGS_AC (1ull << 18)
#define X86_RFLAGS_VIF (1ull << 19)
#define X86_RFLAGS_VIP (1ull << 20)
#define X86_RFLAGS_ID (1ull << 21)

/* Exception vectors (APM 8.2, table 8-1). */
#define X86_EXC_DE 0   /* divide error */
#define X86_EXC_DB 1   /* debug */
#define X86_EXC_NMI 2  /* non-maskable interrupt */
#define X86_EXC_BP 3   /* breakpoint (INT3) */
#define X86_EXC_OF 4   /* overflow (INTO) */
#define X86_EXC_BR 5   /* bound range (BOUND) */
#define X86_EXC_UD 6   /* invalid opcode */
#define X86_EXC_NM 7   /* device not available */
#define X86_EXC_DF 8   /* double fault */
#define X86_EXC_TS 10  /* invalid TSS */
#define X86_EXC_NP 11  /* segment not present */
#define X86_EXC_SS 12  /* stack */
#define X86_EXC_GP 13  /* general protection */
#define X86_EXC_PF 14  /* page fault */
#define X86_EXC_MF 16  /* x87 floating-point */
#define X86_EXC_AC 17  /* alignment check */
#define X86_EXC_MC 18  /* machine check */
#define X86_EXC_XF 19  /* SIMD floating-point */
#define X86_EXC_CP 21  /* control protection */
#define X86_EXC_HV 28  /* hypervisor injection */
#define X86_EXC_VC 29  /* VMM communication */
#define X86_EXC_SX 30  /* security */
#define X86_EXC_LAST 31 /* vectors 0-31 are the exceptions */

/* Does delivering this exception push an error code? (APM 8.2, table 8-1:
 * #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX.) */
static inline bool x86_exc_has_error_code(u8 vector)
{
	switch (vector) {
	case X86_EXC_DF:
	case X86_EXC_TS:
	case X86_EXC_NP:
	case X86_EXC_SS:
	case X86_EXC_GP:
	case X86_EXC_PF:
	case X86_EXC_AC:
	case X86_EXC_CP:
	case X86_EXC_VC:
	case X86_EXC_SX:
		return true;
	default:
		return false;
	}
}

/* What a CPU does with an exception raised while it delivers another
 * (SDM vol. 3A 6.15 "Interrupt 8", table 6-5; APM vol. 2 8.2.9): two
 * contributory ones, or a page fault then a contributory one or another
 * page fault, make a double fault; anything during a double fault's
 * delivery shuts the CPU down; every other pair is handled one after the
 * other, the second now. */
enum x86_exc_outcome { X86_EXC_DELIVER_SECOND, X86_EXC_DOUBLE_FAULT, X86_EXC_SHUTDOWN };

static inline bool x86_exc_contributory(u8 vector)
{
	return vector == X86_EXC_DE || vector == X86_EXC_TS || vector == X86_EXC_NP ||
	       vector == X86_EXC_SS || vector == X86_EXC_GP || vector == X86_EXC_CP;
}

static inline enum x86_exc_outcome x86_exc_combine(u8 first, u8 second)
{
	if (first == X86_EXC_DF)
		return X86_EXC_SHUTDOWN;
	if (x86_exc_contributory(second) &&
	    (x86_exc_contributory(first) || first == X86_EXC_PF))
		return X86_EXC_DOUBLE_FAULT;
	if (first == X86_EXC_PF && second == X86_EXC_PF)
		return X86_EXC_DOUBLE_FAULT;
	return X86_EXC_DELIVER_SECOND;
}

/* RFLAGS bits 3, 5, 15 and 63:22 are reserved, MBZ (SDM vol. 1 3.4.3,
 * SDM vol. 3C 27.3.1.4). */
#define X86_RFLAGS_RESERVED ((1ull << 3) | (1ull << 5) | (1ull << 15) | \
			     0xFFFFFFFFFFC00000ull)

/* The EFER bits Intel defines (SDM vol. 3A 2.2.1, "Extended Feature
 * Enable Register"); every other bit is reserved on Intel CPUs. */
#define EFER_INTEL_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define EFER_INTEL_RESERVED (~EFER_INTEL_DEFINED)

/* Segment selector (SDM vol. 3A 3.4.2). */
#define X86_SEL_RPL_MASK 3u
#define X86_SEL_TI (1u << 2) /* 1 = the LDT */

#endif
