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

/* The four PDPTEs PAE paging loads from CR3 (SDM 4.4.1), into pdpte[]:
 * 0, -1 when they are not readable, -2 when a present one sets a
 * reserved bit (bits 2:1, 8:5, or from phys_bits up), which makes the
 * MOV to CR0, CR3 or CR4 that loads them #GP. */
int gva_pae_pdptes(u64 cr3, u8 phys_bits, gva_read_fn read, void *ctx, u64 pdpte[4]);

/* The gva_read_fn for the guest's own memory (hv/fetch.c). */
int guest_read_entry(gpa_t gpa, unsigned size, u64 *val, void *ctx);

#endif
