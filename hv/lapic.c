/* See hv/lapic.h. A write to the APIC page exits as a nested-page fault
 * that names the register but not the value: Keel fetches the guest's
 * instruction through its page tables (hv/gva.c), decodes the store
 * (hv/insn.c) and does it on the real APIC, which it reaches at the same
 * address. An instruction it cannot decode stops the guest. */
#include "hv.h"
#include "guest.h"
#include "fetch.h"
#include "insn.h"
#include "ipi.h"
#include "lapic.h"
#include "nmi.h"
#include "percpu.h"
#include "x86.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* Do guests' writes to the local APIC exit? Set once by hv_main() before
 * the first guest. */
static bool filtered;

void lapic_set_filtered(bool on)
{
	filtered = on;
}

bool lapic_filtered(void)
{
	return filtered;
}

gpa_t lapic_page(void)
{
	static gpa_t page;

	if (!page)
		page = rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR_MASK;
	return page;
}

volatile u32 *lapic_reg(u32 off)
{
	return phys_to_virt(lapic_page() + off);
}

void lapic_icr_write(u32 dest, u32 lo)
{
	*lapic_reg(LAPIC_ICR_HI) = dest << 24;
	*lapic_reg(LAPIC_ICR_LO) = lo;
	for (int i = 0; i < 1000 && (*lapic_reg(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING); i++)
		io_delay();
}

void lapic_send(u32 apic_id, u32 lo)
{
	u32 hi;

	if (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD) {
		wrmsr(MSR_X2APIC_ICR, (u64)apic_id << 32 | lo);
		return;
	}
	/* A guest that wrote ICR_HI and was interrupted before its ICR_LO
	 * write finds its destination again. */
	hi = *lapic_reg(LAPIC_ICR_HI);
	lapic_icr_write(apic_id, lo);
	*lapic_reg(LAPIC_ICR_HI) = hi;
}

static struct ipi_self self_xapic(void)
{
	u32 dfr = *lapic_reg(LAPIC_DFR);

	return (struct ipi_self){ .id = *lapic_reg(LAPIC_ID) >> 24, .ldr = *lapic_reg(LAPIC_LDR) >> 24,
				  .cluster = (dfr >> 28) == 0 };
}

/* Another CPU as the guest set up its local APIC there: its ID, and the
 * logical ID its own vCPU wrote (xAPIC) or its x2APIC ID gives. */
static struct ipi_self view_of(const struct percpu *pc, bool x2apic)
{
	const struct vcpu *v = &pc->vcpu;

	if (x2apic)
		return (struct ipi_self){ .x2apic = true, .id = pc->apic_id,
					  .ldr = ipi_x2apic_ldr(pc->apic_id) };
	return (struct ipi_self){ .id = pc->apic_id, .ldr = v->lapic_ldr >> 24,
				  .cluster = (v->lapic_dfr >> 28) == 0 };
}

/* INIT or start-up IPI lo for the vCPU on pc. The guest's bootstrap CPU
 * resets on INIT; an AP's vCPU gets either by mail and an NMI (hv/vcpu.c,
 * where it waits in Keel). False once the guest is stopped. */
static bool deliver(struct vcpu *v, struct percpu *pc, enum ipi_action act, u32 lo)
{
	u32 bit = act == IPI_INIT ? ATTN_INIT : ATTN_SIPI, posted;
	bool running;

	if (act == IPI_INIT && pc->index == 0) {
		log_line("guest reset request: INIT IPI to its %s CPU (ICR 0x%x)",
			 pc == v->cpu ? "own" : "bootstrap", lo);
		guest_stop(v, STOP_RESET, 0);
		return false;
	}
	/* Only what changes something is sent: an INIT to a vCPU that runs,
	 * a SIPI to one that waits (SDM vol. 3A 9.4.4: a second SIPI finds
	 * the AP running and does nothing). Then no kick can be taken for an
	 * NMI of the guest's that comes at the same time (hv/nmi.c). What
	 * the vCPU will be once what is posted is done counts too: a start-up
	 * IPI right after an INIT finds the AP still running, about to wait
	 * (Linux sends them back to back on recent CPUs). The mail is read
	 * before the state: hv/vcpu.c changes the state, then clears it. */
	posted = __atomic_load_n(&pc->mail, __ATOMIC_SEQ_CST);
	running = __atomic_load_n(&pc->vcpu.state, __ATOMIC_SEQ_CST) == VCPU_RUNNING;
	if (act == IPI_INIT ? !running && !(posted & ATTN_SIPI) : running && !(posted & ATTN_INIT))
		return true;
	if (act == IPI_STARTUP)
		pc->sipi_vector = (u8)ICR_VECTOR(lo);
	__atomic_or_fetch(&pc->mail, bit, __ATOMIC_SEQ_CST);
	cpu_attend(pc, bit);
	cpu_kick(pc);
	return true;
}

/* The guest's write of lo to the ICR (destination dest): INIT and
 * start-up IPIs go to the guest's own vCPUs through Keel, every other
 * IPI to the ICR as written (hv/ipi.h). False when it stopped the guest. */
static bool guest_ipi(struct vcpu *v, const struct ipi_self *self, u32 lo, u32 dest)
{
	enum ipi_action act = ipi_classify(lo);
	const struct guest *g = v->guest;

	if (act == IPI_PASS) {	/* xAPIC only: lapic_x2apic_write() passes its own */
		lapic_icr_write(dest, lo);
		return true;
	}
	for (u32 i = 0; act != IPI_DROP && g && i < cpu_count; i++) {
		struct percpu *pc = cpu_table[i];
		struct ipi_self them;

		if (!g->member[i] || pc->state != CPU_UP)
			continue;
		them = view_of(pc, self->x2apic);
		if (ipi_reaches(self, pc == v->cpu ? self : &them, lo, dest) && !deliver(v, pc, act, lo))
			return false;
	}
	return true;
}

/* The local vector table may send INIT to this CPU (LINT0/1, the
 * performance counter, CMCI: SDM 11.5.1), which would reset it behind
 * Keel's back under SVM: such an entry is written masked. */
static u32 lvt_filter(u32 off, u32 val)
{
	if ((off == LAPIC_LVT_CMCI || off == LAPIC_LVT_PERF || off == LAPIC_LVT_LINT0 ||
	     off == LAPIC_LVT_LINT1) && ICR_MODE(val) == ICR_MODE_INIT)
		return val | LVT_MASKED;
	return val;
}

static void advance_by(struct vcpu *v, const struct vmexit *e, u8 len)
{
	struct vmexit adv = *e;

	adv.insn_len = len;
	adv.next_rip = 0;
	v->ops->advance_rip(v, &adv);
}

bool lapic_npf(struct vcpu *v, const struct vmexit *e)
{
	u32 off = (u32)(e->npf.gpa & (PAGE_SIZE - 1)), old, src, val;
	unsigned bits = (unsigned)vcpu_get_reg(v, VCPU_CS_BITS), n;
	struct insn_store st;
	u8 buf[INSN_MAX_LEN];

	if (!e->npf.write || e->npf.gpa - off != lapic_page())
		return false;
	n = guest_fetch_insn(v, buf, bits);
	if (insn_decode_store(buf, n, bits, &st)) {
		char hex[3 * INSN_MAX_LEN + 1] = "";

		for (unsigned i = 0; i < n; i++)
			fmt_snprintf(hex + 3 * i, 4, " %02x", buf[i]);
		log_line("guest wrote local APIC register 0x%x with an instruction Keel does not "
			 "emulate (rip=0x%llx, %u-bit code, bytes%s): stopped", off,
			 (unsigned long long)vcpu_get_reg(v, VCPU_RIP), bits, n ? hex : " unreadable");
		guest_stop(v, STOP_FAULT, e->npf.gpa);
		return true;
	}
	/* APIC registers are 32 bits on 16-byte boundaries (SDM 11.4.1);
	 * other writes have no defined effect and are dropped. Only a
	 * read-modify-write reads the register (EOI is write-only). */
	old = (off & 15) || st.op == STORE_MOV ? 0 : *lapic_reg(off);
	src = st.has_imm ? st.imm : (u32)vcpu_get_reg(v, (enum vcpu_reg)st.reg);
	val = st.op == STORE_OR ? old | src : st.op == STORE_AND ? old & src : src;
	if (st.op == STORE_XCHG)
		vcpu_set_reg(v, (enum vcpu_reg)st.reg, old);
	if (off == LAPIC_ICR_LO) {
		struct ipi_self self = self_xapic();
		u32 asked_dest = *lapic_reg(LAPIC_ICR_HI);

		if (!guest_ipi(v, &self, val, asked_dest >> 24))
			return true;
		*lapic_reg(LAPIC_ICR_HI) = asked_dest;	/* what the guest reads back */
	} else if (!(off & 15)) {
		*lapic_reg(off) = lvt_filter(off, val);
		/* Other CPUs match logical destinations against these. */
		if (off == LAPIC_LDR)
			v->lapic_ldr = val;
		else if (off == LAPIC_DFR)
			v->lapic_dfr = val;
	}
	advance_by(v, e, st.len);
	return true;
}

/* x2APIC registers Keel intercepts: the ICR and the LVT entries that
 * can carry INIT. MSR 800h + (xAPIC offset >> 4) (SDM 11.12.1.2). */
bool lapic_x2apic_msr(u32 msr)
{
	return msr == MSR_X2APIC_ICR || msr == MSR_X2APIC_LVT_CMCI || msr == MSR_X2APIC_LVT_PERF ||
	       msr == MSR_X2APIC_LVT_LINT0 || msr == MSR_X2APIC_LVT_LINT1;
}

int lapic_x2apic_write(struct vcpu *v, u32 msr, u64 val)
{
	struct ipi_self self = { .x2apic = true };
	u32 lo = (u32)val, dest = (u32)(val >> 32);

	if (msr == MSR_X2APIC_ICR) {
		self.id = (u32)rdmsr(MSR_X2APIC_ID);
		self.ldr = (u32)rdmsr(MSR_X2APIC_LDR);
		if (ipi_classify(lo) == IPI_PASS)
			return wrmsr_safe(msr, val);
		guest_ipi(v, &self, lo, dest);
		return 0;
	} else {
		lo = lvt_filter((msr - X2APIC_MSR(0)) << 4, lo);
	}
	/* Reserved bits are #GP in x2APIC mode: the guest's, not Keel's. */
	return wrmsr_safe(msr, (u64)dest << 32 | lo);
}
