/* The CPUID answers a guest sees. Every guest CPUID exits to Keel (VMX
 * always, SVM through the CPUID intercept); the handler runs the real
 * instruction and passes the result through cpuid_filter(). */
#include "cpuid.h"

void cpuid_filter(u32 leaf, u32 subleaf, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	(void)subleaf; /* none of the leaves Keel changes has subleaves */

	switch (leaf) {
	case CPUID_LEAF_FEATURES:
		/* Keel does not offer nested VMX or SMX (GETSEC), and says a
		 * hypervisor is present (bit 31, reserved for that use). */
		*ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX);
		*ecx |= CPUID_1_ECX_HYPERVISOR;
		return;
	case CPUID_LEAF_EXT_FEATURES:
		/* No nested SVM either (APM vol. 3 E.4.2). */
		*ecx &= ~CPUID_80000001_ECX_SVM;
		return;
	case CPUID_LEAF_SVM:
		/* With SVM hidden its feature leaf must say nothing. */
		*eax = *ebx = *ecx = *edx = 0;
		return;
	case CPUID_LEAF_HV_BASE:
		/* EAX: the highest hypervisor leaf; EBX:ECX:EDX: the vendor. */
		*eax = KEEL_CPUID_MAX_LEAF;
		*ebx = *ecx = *edx = KEEL_CPUID_SIGNATURE;
		return;
	case CPUID_LEAF_KEEL_VERSION:
		*eax = KEEL_CPUID_VERSION;
		*ebx = *ecx = *edx = 0;
		return;
	}
	/* The rest of the hypervisor range is Keel's and empty: the host's
	 * values there (e.g. an outer hypervisor's) must not leak through. */
	if (leaf > CPUID_LEAF_KEEL_VERSION && leaf <= CPUID_LEAF_HV_LAST)
		*eax = *ebx = *ecx = *edx = 0;
}
