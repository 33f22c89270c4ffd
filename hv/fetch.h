/* Reading the instruction a guest is executing, for the few exits that
 * name neither the instruction nor its operands (a write to the APIC
 * page, hv/lapic.c; a #GP on AMD-V, hv/gp.c). */
#ifndef KEEL_FETCH_H
#define KEEL_FETCH_H

#include "vcpu.h"

/* The bytes at the guest's CS:RIP, translated through its own paging
 * (hv/gva.c), into buf: as many as are readable guest memory, up to
 * INSN_MAX_LEN (15). bits is the code size (VCPU_CS_BITS). Returns the
 * count, 0 when the first byte is unreadable. */
unsigned guest_fetch_insn(struct vcpu *v, u8 *buf, unsigned bits);

#endif
