/* Exceptions that reach Keel on behalf of the guest of its CPU: a machine
 * check (taken in Keel, in a parked CPU, or as a VM exit) and a debug
 * trap the guest armed that fires just after a VM exit (hv/mce.c). Keel
 * logs them, makes sure the CPU can take the next one, and hands them to
 * the guest at its next entry. */
#ifndef KEEL_MCE_H
#define KEEL_MCE_H

#include "../lib/types.h"

#define MCG_CAP_COUNT(c) ((unsigned)((c) & 0xFF))
#define MCI_STATUS_VAL (1ull << 63)
#define MCI_STATUS_MISCV (1ull << 59)
#define MCI_STATUS_ADDRV (1ull << 58)
#define MSR_IA32_MCI_STATUS(i) (0x401u + 4u * (i))
#define MSR_IA32_MCI_ADDR(i) (0x402u + 4u * (i))
#define MSR_IA32_MCI_MISC(i) (0x403u + 4u * (i))

/* What becomes of a machine check (SDM vol. 3B 16.10): one Keel took
 * while it ran resumes Keel when MCG_STATUS.RIPV says the interrupted
 * code may go on, and is the end of the machine otherwise; one the guest
 * took goes to the guest if its CR4.MCE is set, else the guest stops as
 * the bare CPU would shut down. */
enum mce_outcome { MCE_RESUME_KEEL, MCE_FATAL, MCE_TO_GUEST, MCE_STOP_GUEST };

static inline enum mce_outcome mce_outcome(u64 mcg_status, bool in_guest, bool guest_cr4_mce)
{
	if (!in_guest)
		return (mcg_status & 1) ? MCE_RESUME_KEEL : MCE_FATAL;	/* RIPV */
	return guest_cr4_mce ? MCE_TO_GUEST : MCE_STOP_GUEST;
}

/* The one function every #MC vector of Keel's calls (its own IDT, the
 * idle IDT, a parked AP's IDT: point vector 18 at trap_handler(18)), and
 * the #MC exits: logs MCG_STATUS and every bank with VAL set, clears
 * MCG_STATUS.MCIP (with MCIP set a second #MC shuts the CPU down, SDM
 * 16.3.1.2), and notes the machine check for this CPU's guest. where:
 * "Keel" or "the guest". Returns MCG_STATUS as it was. */
u64 mce_report(const char *where, u64 rip);

/* A #DB in Keel: the guest's data breakpoint or single step that the
 * CPU reported after the VM exit. Kept (with DR6's bits) for the guest. */
void debug_trap_for_guest(u64 dr6);

struct vcpu;
/* At the end of an exit, when guest_events_noted: hands a machine check
 * or debug trap noted for this CPU to its guest (hv/exit.c
 * exit_dispatch(); one load on the path of every exit). */
extern volatile u32 guest_events_noted;
void guest_events_deliver(struct vcpu *v);

#endif
