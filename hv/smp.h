/* The application processors: parked in Keel at start-up (hv/smp.c). */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include "vcpu.h"

/* Starts each AP in ids[0..n) and parks it with ops->park(); logs how
 * many it parked, and each one it could not. */
#define AP_MAX 255

void smp_park_aps(const struct hv_backend *ops, const u32 *ids, int n);

#endif
