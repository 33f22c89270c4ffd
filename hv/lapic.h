/* The guest's local APIC: its registers stay the guest's, read and written
 * on the real APIC. Where Keel must deliver INIT and start-up IPIs itself
 * (AMD-V always; VT-x when a CPU is outside Keel's control), every write
 * goes through Keel: the APIC page is write-protected in the EPT/NPT, the
 * x2APIC ICR and LVT MSRs are in the MSR bitmaps, and the ICR's INIT and
 * SIPI reach only the guest's own vCPUs (hv/ipi.h, docs/security.md
 * KEEL-SEC-4/5, docs/cpus.md). */
#ifndef KEEL_LAPIC_H
#define KEEL_LAPIC_H

#include "vcpu.h"

#define LAPIC_ID 0x20
#define LAPIC_LDR 0xD0
#define LAPIC_DFR 0xE0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LVT_MASKED (1u << 16)
#define ICR_DELIVERY_PENDING (1u << 12)
#define X2APIC_MSR(off) (0x800u + ((off) >> 4))

/* Do guests' writes to the local APIC go through Keel (see above)? Set
 * once at start-up (hv/main.c). */
void lapic_set_filtered(bool on);
bool lapic_filtered(void);

/* The page of the local APIC's registers, fixed at start-up: guests may
 * not move it (hv/exit.c refuses a new base). */
gpa_t lapic_page(void);

/* The real local APIC's register at offset off (xAPIC mode). */
volatile u32 *lapic_reg(u32 off);

/* Sends the IPI lo to xAPIC ID dest: the ICR's destination, then its low
 * half, which sends; returns once the APIC has taken it (delivery status
 * idle, SDM 11.6.1), or after about a millisecond. */
void lapic_icr_write(u32 dest, u32 lo);

/* Keel's own IPI lo to the CPU with this APIC ID, in whichever mode the
 * local APIC is (xAPIC or x2APIC); the ICR's high half is left as the
 * guest wrote it. */
void lapic_send(u32 apic_id, u32 lo);

/* A nested-page fault: true when it was a write to the APIC page, which
 * is then done (or refused) and the guest moved past the instruction. */
bool lapic_npf(struct vcpu *v, const struct vmexit *e);

/* Is msr one of the x2APIC registers Keel intercepts (the ICR, and the
 * LVT entries that can send INIT)? */
bool lapic_x2apic_msr(u32 msr);

/* WRMSR of val to one of those, in x2APIC mode, like the MMIO writes (an
 * INIT may stop the guest). 0, or -1 when the CPU refused the value: the
 * guest's #GP. */
int lapic_x2apic_write(struct vcpu *v, u32 msr, u64 val);

#endif
