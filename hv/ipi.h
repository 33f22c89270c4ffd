/* Which interprocessor interrupts a guest may send. Keel runs a guest on
 * one CPU (DESIGN.md "CPUs"); the other CPUs are not the guest's, so an
 * IPI that would reach them must not leave its local APIC: an INIT-SIPI
 * would start one at guest code with no hypervisor under it, an NMI or a
 * fixed IPI would run the BIOS's handlers there (docs/security.md,
 * KEEL-SEC-4). The ICR's fields are those of the Intel SDM vol. 3A 11.6.1
 * (xAPIC) and 11.12.9 (x2APIC). Pure: unit-tested on the host. */
#ifndef KEEL_IPI_H
#define KEEL_IPI_H

#include "../lib/types.h"

#define ICR_VECTOR(lo) ((lo) & 0xFF)
#define ICR_MODE(lo) (((lo) >> 8) & 7)
#define ICR_MODE_FIXED 0
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
	IPI_SEND,   /* write *lo and *dest to the ICR: it reaches this CPU only */
	IPI_DROP,   /* it would reach only other CPUs, or starts one: ignore it */
	IPI_RESET,  /* INIT to this CPU: the guest asks for its CPU's reset */
};

/* This CPU's local APIC as the filter needs it. */
struct ipi_self {
	bool x2apic;          /* x2APIC mode: 32-bit IDs, cluster logical mode */
	u32 id;               /* APIC ID (xAPIC: bits 31:24 of the ID register, shifted down) */
	u32 ldr;              /* logical ID: xAPIC LDR bits 31:24; x2APIC the whole LDR */
	bool cluster;         /* xAPIC DFR model cluster (0) rather than flat (0Fh) */
};

/* Decides the fate of an ICR write of *lo (the low half) with the
 * destination *dest (xAPIC: ICR bits 63:56, shifted down; x2APIC: bits
 * 63:32). On IPI_SEND it rewrites them into a physical-destination IPI to
 * self->id, without shorthand, so no other CPU can match. */
enum ipi_action ipi_filter(const struct ipi_self *self, u32 *lo, u32 *dest);

#endif
