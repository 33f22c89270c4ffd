/* Reading the instruction a guest is executing, for the few exits that
 * name neither the instruction nor its operands (a write to the APIC
 * page, hv/lapic.c; a #GP on AMD-V, hv/gp.c), and for the log of a failed
 * VM entry. All RAM is mapped for Keel (hv/mem.c), so page tables and
 * code above 4 GiB read like any other. */
#ifndef KEEL_FETCH_H
#define KEEL_FETCH_H

#include "vcpu.h"

/* The bytes at the guest's CS:RIP, translated through its own paging
 * (hv/gva.c), into buf: as many as are readable guest memory, up to
 * INSN_MAX_LEN (15). bits is the code size (VCPU_CS_BITS). Returns the
 * count, 0 when the first byte is unreadable. */
unsigned guest_fetch_insn(struct vcpu *v, u8 *buf, unsigned bits);

/* One log line with the bytes at the guest's CS:RIP, and what they do
 * when they are a MOV to a control register (with the value): after a
 * failed VM entry, whose cause is often the instruction the guest was at
 * (an emulator's own check, docs/cpus.md "CPU models"). */
void guest_log_insn(struct vcpu *v);

#endif
