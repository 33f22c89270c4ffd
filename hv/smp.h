/* The application processors: each a vCPU of its own (hv/smp.c). */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include "vcpu.h"

#define AP_MAX 255

/* Starts every AP the MADT lists, each into its vCPU loop; logs how many
 * are ready, and each one that is not. Returns how many are not (those
 * stay out of every guest). */
int smp_start_aps(const struct hv_backend *ops);

#endif
