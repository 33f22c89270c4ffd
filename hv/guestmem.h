/* What Keel reads of a guest's memory through the guest's own paging: an
 * instruction at its CS:RIP (hv/lapic.c decodes APIC stores; a failed VM
 * entry shows the instruction it stopped at). Every read is checked: RAM
 * outside Keel's region, or the BIOS and option ROMs (C0000h-FFFFFh),
 * never a device, never Keel. All RAM is mapped for Keel (hv/mem.c), so
 * page tables and code above 4 GiB read like any other. */
#ifndef KEEL_GUESTMEM_H
#define KEEL_GUESTMEM_H

#include "vcpu.h"

/* May Keel read [gpa, gpa+len) of guest memory? */
bool guest_readable(gpa_t gpa, u64 len);

/* The bytes at the guest's CS:RIP, translated through its paging
 * (hv/gva.c), as many as are readable up to max (at most 15); returns how
 * many. bits is the code segment's size (VCPU_CS_BITS). */
unsigned guest_fetch_insn(struct vcpu *v, u8 *buf, unsigned max, unsigned bits);

/* One log line with the bytes at the guest's CS:RIP, and what they do
 * when they are a MOV to a control register (with the value): after a
 * failed VM entry, whose cause is often the instruction the guest was at
 * (an emulator's own check, docs/cpus.md "CPU models"). */
void guest_log_insn(struct vcpu *v);

#endif
