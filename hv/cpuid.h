/* What the guest sees of CPUID: the host's answer, filtered so the guest
 * does not find VMX/SVM, learns it runs under a hypervisor, and finds Keel
 * in the hypervisor leaves 40000000h-400000FFh. */
#ifndef KEEL_CPUID_H
#define KEEL_CPUID_H

#include "../lib/types.h"

/* Feature bits (Intel SDM vol. 2A CPUID, AMD APM vol. 3 appendix E). The
 * spelling matches hv/cpu.c, so both may be seen in one file. */
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_SMX (1u << 6)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)  /* reserved for hypervisor use */
#define CPUID_80000001_ECX_SVM (1u << 2)

#define CPUID_LEAF_FEATURES 0x00000001u
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

/* Rewrite the host's answer to CPUID(leaf, subleaf) into the guest's. */
void cpuid_filter(u32 leaf, u32 subleaf, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx);

#endif
