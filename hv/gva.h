/* The guest's own paging, walked in software: from a guest-linear address
 * to a guest-physical one, for the few times Keel must read an instruction
 * the guest is executing (hv/lapic.c). Intel SDM vol. 3A chapter 4 / AMD
 * APM vol. 2 5.3: no paging, 32-bit paging (4 MiB pages with CR4.PSE),
 * PAE, and 4- and 5-level IA-32e paging. Access rights are not checked:
 * the CPU already fetched the instruction. Pure: unit-tested on the host. */
#ifndef KEEL_GVA_H
#define KEEL_GVA_H

#include "../lib/types.h"

struct gva_regs {
	u64 cr0, cr3, cr4, efer;
};

/* Reads the size-byte (4 or 8) paging entry at gpa into *val; 0, or -1
 * when gpa is not memory the guest owns. */
typedef int (*gva_read_fn)(gpa_t gpa, unsigned size, u64 *val, void *ctx);

/* 0 with *gpa, or -1 when an entry is not present, unreadable, or sets
 * an address the tables cannot hold. */
int gva_translate(const struct gva_regs *r, u64 la, gva_read_fn read, void *ctx, gpa_t *gpa);

#endif
