/* The exit trace (hv/trace.c): `trace=N` on a guest line logs the
 * guest's first N exits (docs/config.md, docs/log.md). */
#ifndef KEEL_TRACE_H
#define KEEL_TRACE_H

#include "vcpu.h"

/* Before the guest's first entry: with n > 0, the next n exits of v are
 * logged as they come back from the backend. n == 0 changes nothing. */
void trace_start(struct vcpu *v, u32 n);
/* An AP's vCPU that joins the traced guest (hv/vcpu.c): its exits count
 * toward the same n, their lines end with " on cpu N". */
void trace_join(struct vcpu *v);
/* After the guest stopped (or v left it): v runs untraced again. */
void trace_stop(struct vcpu *v);

#endif
