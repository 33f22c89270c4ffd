/* What the guest sees of CPUID: the host's answer, filtered so the guest
 * does not find VMX/SVM, learns it runs under a hypervisor, finds Keel
 * in the hypervisor leaves 40000000h-400000FFh, sees only features that
 * work under the controls the backend set (cpuid_features[]), and reads
 * the bits that copy its own state (CR4.OSXSAVE, CR4.PKE) from its own
 * state, not Keel's. */
#ifndef KEEL_CPUID_H
#define KEEL_CPUID_H

#include "../lib/types.h"

/* Feature bits (Intel SDM vol. 2A CPUID, AMD APM vol. 3 appendix E). The
 * spelling matches hv/cpu.c, so both may be seen in one file. */
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_SMX (1u << 6)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)  /* reserved for hypervisor use */
#define CPUID_D1_EAX_XSAVEOPT (1u << 0)
#define CPUID_7_ECX_PKU (1u << 3)
#define CPUID_7_ECX_OSPKE (1u << 4)
#define CPUID_80000001_ECX_SVM (1u << 2)

#define CPUID_LEAF_FEATURES 0x00000001u
#define CPUID_LEAF_EXT_STATE 0x0000000Du
#define CPUID_LEAF_EXT_FEATURES 0x80000001u
#define CPUID_LEAF_SVM 0x8000000Au
/* The range software reads when the hypervisor-present bit is set. */
#define CPUID_LEAF_HV_BASE 0x40000000u
#define CPUID_LEAF_HV_LAST 0x400000FFu
#define CPUID_LEAF_KEEL_VERSION 0x40000001u
#define KEEL_CPUID_MAX_LEAF CPUID_LEAF_KEEL_VERSION

/* "Keel" as CPUID returns register text: little-endian bytes 'K' 'e' 'e' 'l'. */
#define KEEL_CPUID_SIGNATURE 0x6C65654Bu
/* Keel's interface version, reported in leaf 40000001h EAX. */
#define KEEL_CPUID_VERSION 0x00000001u

/* What a CPUID feature needs from the backend before Keel may show it:
 * an execution control (VT-x) or the absence of an intercept (AMD-V).
 * Each backend says which it provides (vmx/vmx.c, svm/svm.c). */
#define CPUID_CTL_RDTSCP (1u << 0)     /* VMX "enable RDTSCP" (RDTSCP, RDPID) */
#define CPUID_CTL_INVPCID (1u << 1)    /* VMX "enable INVPCID" */
#define CPUID_CTL_XSAVES (1u << 2)     /* VMX "enable XSAVES/XRSTORS" */
#define CPUID_CTL_USER_WAIT (1u << 3)  /* VMX "enable user wait and pause" */
#define CPUID_CTL_NEVER (1u << 31)     /* no backend provides it: always hidden */

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };
#define CPUID_ANY_SUBLEAF 0xFFFFFFFFu

struct cpuid_feature {
	u32 leaf, subleaf;       /* subleaf CPUID_ANY_SUBLEAF: every one */
	u8 reg, bit;             /* enum cpuid_reg, bit number */
	u32 needs;               /* CPUID_CTL_* that must all be provided */
	const char *name;        /* the manual's name for the bit */
	const char *why;         /* the rule, with its manual section */
};
extern const struct cpuid_feature cpuid_features[];
extern const unsigned cpuid_feature_count;

/* The guest's side of a CPUID exit. */
struct cpuid_ctx {
	u32 ctls;                /* CPUID_CTL_* the backend provides */
	u64 cr4;                 /* the guest's CR4 (only leaves 1 and 7 read it) */
};

/* The four registers CPUID answers in, in the order of enum cpuid_reg. */
struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

/* Rewrite the host's answer to CPUID(leaf, subleaf) into the guest's. */
void cpuid_filter(u32 leaf, u32 subleaf, const struct cpuid_ctx *ctx, struct cpuid_regs *r);

/* Does cpuid_filter() change anything in this leaf? The others pass as
 * the CPU answered, without the call (a CPUID exit is Keel's most
 * frequent; docs/performance.md). tests/unit/test_cpuid.c holds this
 * against cpuid_filter() for every leaf up to 400000FFh and beyond. */
#define CPUID_FILTERED_LOW ((1u << 1) | (1u << 7) | (1u << 0xD) | (1u << 0x12) | (1u << 0x14))
static inline bool cpuid_leaf_filtered(u32 leaf)
{
	if (leaf < 32)
		return CPUID_FILTERED_LOW & (1u << leaf);
	return (leaf & ~0xFFu) == CPUID_LEAF_HV_BASE || leaf == CPUID_LEAF_EXT_FEATURES ||
	       leaf == CPUID_LEAF_SVM;
}

/* Does a leaf's answer depend on the guest's CR4 (leaves 1 and 7)? */
static inline bool cpuid_reads_cr4(u32 leaf)
{
	return leaf == CPUID_LEAF_FEATURES || leaf == 7;
}

/* The controls this CPU's backend provides; set once before the first
 * guest (cpuid_controls is owned by the backend's vcpu_create). */
extern u32 cpuid_controls;

/* May XSETBV load val into XCR0 (SDM vol. 1 13.3)? supported: the bits
 * CPUID.(EAX=0DH,ECX=0):EDX:EAX reports. */
bool xcr0_valid(u64 val, u64 supported);

#endif
