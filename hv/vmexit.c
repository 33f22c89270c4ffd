/* Names of the vendor-neutral exit kinds, for log lines. */
#include "vmexit.h"

static const char *const kind_names[] = {
	[VMEXIT_UNKNOWN] = "unknown",
	[VMEXIT_CPUID] = "cpuid",
	[VMEXIT_HLT] = "hlt",
	[VMEXIT_IO] = "io",
	[VMEXIT_MSR] = "msr",
	[VMEXIT_CR] = "cr",
	[VMEXIT_XSETBV] = "xsetbv",
	[VMEXIT_INVD] = "invd",
	[VMEXIT_NPF] = "npf",
	[VMEXIT_EXCEPTION] = "exception",
	[VMEXIT_HYPERCALL] = "hypercall",
	[VMEXIT_VIRT_INSN] = "virt-insn",
	[VMEXIT_SHUTDOWN] = "shutdown",
	[VMEXIT_INIT] = "init",
	[VMEXIT_SIPI] = "sipi",
	[VMEXIT_INTR] = "intr",
	[VMEXIT_NMI] = "nmi",
	[VMEXIT_PREEMPT] = "preempt",
	[VMEXIT_INVALID] = "invalid",
};
_Static_assert(ARRAY_SIZE(kind_names) == VMEXIT_KIND_COUNT,
	       "kind_names must name every enum vmexit_kind");

const char *vmexit_kind_name(enum vmexit_kind kind)
{
	if ((unsigned)kind >= VMEXIT_KIND_COUNT || !kind_names[kind])
		return "?";
	return kind_names[kind];
}
