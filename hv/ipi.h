/* Interprocessor interrupts a guest sends through its local APIC's ICR,
 * where Keel sees them (AMD-V always; VT-x when a CPU is outside Keel's
 * control: hv/lapic.c). Every CPU of the machine runs a vCPU of the guest
 * or waits in Keel, so most IPIs go where the guest sends them; INIT and
 * start-up IPIs are Keel's to deliver, to the guest's own vCPUs only,
 * since on a CPU outside a guest they would start it at guest code with
 * no hypervisor under it (docs/security.md, KEEL-SEC-4). The ICR's fields
 * are those of the Intel SDM vol. 3A 11.6.1 (xAPIC) and 11.12.9 (x2APIC);
 * the destinations those of 11.6.2. Pure: unit-tested on the host. */
#ifndef KEEL_IPI_H
#define KEEL_IPI_H

#include "../lib/types.h"

#define ICR_VECTOR(lo) ((lo) & 0xFF)
#define ICR_MODE(lo) (((lo) >> 8) & 7)
#define ICR_MODE_FIXED 0
#define ICR_MODE_NMI 4
#define ICR_MODE_INIT 5
#define ICR_MODE_STARTUP 6
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND(lo) (((lo) >> 18) & 3)
#define ICR_SH_NONE 0
#define ICR_SH_SELF 1
#define ICR_SH_ALL 2          /* all including self */
#define ICR_SH_OTHERS 3       /* all excluding self */

enum ipi_action {
	IPI_PASS,     /* anything but INIT and SIPI: write it to the ICR as it is */
	IPI_DROP,     /* the INIT level de-assert (SDM 11.6.1): it resets nothing */
	IPI_INIT,     /* Keel delivers it to each vCPU it names */
	IPI_STARTUP,  /* the same, with the vector ICR_VECTOR(lo) */
};

/* A CPU's local APIC as a destination sees it. */
struct ipi_self {
	bool x2apic;          /* x2APIC mode: 32-bit IDs, cluster logical mode */
	u32 id;               /* APIC ID (xAPIC: bits 31:24 of the ID register, shifted down) */
	u32 ldr;              /* logical ID: xAPIC LDR bits 31:24; x2APIC the whole LDR */
	bool cluster;         /* xAPIC DFR model cluster (0) rather than flat (0Fh) */
};

/* What Keel does with an ICR write whose low half is lo. */
enum ipi_action ipi_classify(u32 lo);

/* Does an IPI with ICR low half lo and destination dest (xAPIC: ICR bits
 * 63:56 shifted down; x2APIC: bits 63:32), sent by the CPU `sender`,
 * reach the CPU cpu? sender == cpu for the sender itself. */
bool ipi_reaches(const struct ipi_self *sender, const struct ipi_self *cpu, u32 lo, u32 dest);

/* The logical ID a CPU has in x2APIC mode, from its x2APIC ID (SDM vol.
 * 3A 11.12.10.2: cluster = ID[19:4] in bits 31:16, bit ID[3:0] set). */
u32 ipi_x2apic_ldr(u32 x2apic_id);

#endif
