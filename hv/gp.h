/* The #GP intercept, set on AMD-V only (docs/security.md, "VMX and SVM
 * instructions"; its cost: docs/performance.md). */
#ifndef KEEL_GP_H
#define KEEL_GP_H

#include "vcpu.h"

/* A #GP the guest raised: #UD when its instruction is an SVM one (the
 * guest sees a CPU without SVM), else the #GP back with its error code,
 * or #DF when it came while the CPU delivered a contributory exception or
 * a page fault. Returns false when the CPU would have shut down (a fault
 * while it delivered a double fault): the caller stops the guest as for
 * a triple fault. */
bool gp_intercept(struct vcpu *v, const struct vmexit *e);

#endif
