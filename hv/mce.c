/* Machine checks and stray debug traps (hv/mce.h). A #MC while Keel or a
 * guest runs is the machine's news, and the guest owns the machine: Keel
 * says what the banks hold, keeps the CPU able to take the next #MC, and
 * hands the event on, as the SDM (vol. 3B chapter 16) and APM (vol. 2
 * chapter 9) let an OS handle it. */
#include "hv.h"
#include "guest.h"
#include "mce.h"
#include "msr.h"
#include "x86.h"
#include "../lib/io.h"

#define CPUID_1_EDX_MCA (1u << 14)

/* Events for the guest of each CPU, by initial APIC ID (low 8 bits):
 * written by that CPU's exception handlers, read by its exit path. */
static volatile u8 mce_pending[256];
static volatile u64 dbg_pending[256];
/* How many of those are waiting, on all CPUs: the one word every exit
 * looks at (no CPUID on the path of every exit: under nested
 * virtualization each one exits too). */
volatile u32 guest_events_noted;

/* One more event waits, unless this CPU's slot already held one. */
static void note(bool slot_was_full)
{
	if (!slot_was_full)
		__atomic_fetch_add(&guest_events_noted, 1, __ATOMIC_SEQ_CST);
}

static void taken(void)
{
	__atomic_fetch_sub(&guest_events_noted, 1, __ATOMIC_SEQ_CST);
}

static u8 initial_apic_id(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return (u8)(b >> 24);
}

u64 mce_report(const char *where, u64 rip)
{
	u32 a, b, c, d;
	u64 cap, status, bank, addr, misc;
	u8 cpu = initial_apic_id();

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID_1_EDX_MCA)) {
		log_line("machine check on CPU %u in %s at rip=0x%llx (no MCA banks)", cpu, where,
			 (unsigned long long)rip);
		note(mce_pending[cpu]);
		mce_pending[cpu] = 1;
		return MCG_STATUS_RIPV;
	}
	cap = rdmsr(MSR_IA32_MCG_CAP);
	status = rdmsr(MSR_IA32_MCG_STATUS);
	log_line("machine check on CPU %u in %s at rip=0x%llx: MCG_STATUS=0x%llx (%s%s%s)", cpu,
		 where, (unsigned long long)rip, (unsigned long long)status,
		 status & MCG_STATUS_RIPV ? "RIPV " : "", status & MCG_STATUS_EIPV ? "EIPV " : "",
		 status & MCG_STATUS_MCIP ? "MCIP" : "");
	for (unsigned i = 0; i < MCG_CAP_COUNT(cap); i++) {
		if (rdmsr_safe(MSR_IA32_MCI_STATUS(i), &bank) || !(bank & MCI_STATUS_VAL))
			continue;
		addr = misc = 0;
		if (bank & MCI_STATUS_ADDRV)
			rdmsr_safe(MSR_IA32_MCI_ADDR(i), &addr);
		if (bank & MCI_STATUS_MISCV)
			rdmsr_safe(MSR_IA32_MCI_MISC(i), &misc);
		log_line("machine check bank %u: status=0x%llx addr=0x%llx misc=0x%llx", i,
			 (unsigned long long)bank, (unsigned long long)addr,
			 (unsigned long long)misc);
	}
	/* The banks stay for the guest to read and clear, as an OS does;
	 * MCIP is Keel's to clear, or the next #MC shuts the CPU down. */
	wrmsr_safe(MSR_IA32_MCG_STATUS, status & ~MCG_STATUS_MCIP);
	note(mce_pending[cpu]);
	mce_pending[cpu] = 1;
	return status;
}

void debug_trap_for_guest(u64 dr6)
{
	u8 cpu = initial_apic_id();

	note(dbg_pending[cpu] != 0);
	dbg_pending[cpu] |= dr6 | (1ull << 63);
}

#define DR6_TRAP_BITS (0xFull | DR6_BS)	/* B0-B3, BS */

void guest_events_deliver(struct vcpu *v)
{
	u8 cpu;
	u64 dbg;

	if (v->stop != STOP_NONE)
		return;
	cpu = initial_apic_id();
	if (mce_pending[cpu]) {
		mce_pending[cpu] = 0;
		taken();
		if (mce_outcome(0, true, vcpu_get_reg(v, VCPU_CR4) & CR4_MCE) == MCE_TO_GUEST) {
			log_line("machine check handed to guest %d \"%s\" (#MC)", v->guest->index,
				 v->guest->name);
			v->ops->inject_exception(v, X86_EXC_MC, false, 0);
			return;
		}
		log_line("machine check: guest %d \"%s\" has CR4.MCE clear, where the CPU shuts "
			 "down: stopped", v->guest->index, v->guest->name);
		guest_stop(v, STOP_SHUTDOWN, 0);
		return;
	}
	dbg = dbg_pending[cpu];
	if (dbg) {
		dbg_pending[cpu] = 0;
		taken();
		v->ops->debug_trap(v, dbg & DR6_TRAP_BITS);
	}
}
