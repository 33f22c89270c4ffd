/* Decoding an SVM #VMEXIT (VMCB EXITCODE, EXITINFO1/2, NRIP) into the
 * vendor-neutral struct vmexit. The mirror of vmx/exit.h. */
#ifndef KEEL_SVM_EXIT_H
#define KEEL_SVM_EXIT_H

#include "../hv/vmexit.h"
#include "vmcb.h"

/* Fill *e from the exit fields of vmcb. nrips: the CPU saves the next RIP
 * (CPUID 8000000Ah EDX.NRIPS). For MSR exits msr.index is left 0: ECX is
 * not in the VMCB, the caller has it in the saved guest registers. */
void svm_decode_exit(const struct vmcb *vmcb, bool nrips, struct vmexit *e);

/* The APM's name of an exit code (appendix C), e.g. "VMEXIT_CPUID",
 * "VMEXIT_CR3_WRITE", "VMEXIT_EXCP14"; "VMEXIT_UNKNOWN" for codes Keel
 * does not name. */
const char *svm_exit_name(u64 code);

#endif
