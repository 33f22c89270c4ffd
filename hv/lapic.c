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
#include "x86.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

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

static struct ipi_self self_xapic(void)
{
	u32 dfr = *lapic_reg(LAPIC_DFR);

	return (struct ipi_self){ .id = *lapic_reg(LAPIC_ID) >> 24, .ldr = *lapic_reg(LAPIC_LDR) >> 24,
				  .cluster = (dfr >> 28) == 0 };
}

/* The guest's IPI: sent to its own CPU, dropped, or its CPU's reset.
 * Returns false when the guest was stopped. */
static bool ipi(struct vcpu *v, const struct ipi_self *self, u32 *lo, u32 *dest)
{
	u32 asked_lo = *lo, asked_dest = *dest;

	switch (ipi_filter(self, lo, dest)) {
	case IPI_SEND:
		return true;
	case IPI_RESET:
		log_line("guest reset request: INIT IPI to its own CPU (ICR 0x%x)", asked_lo);
		guest_stop(v, STOP_RESET, 0);
		return false;
	case IPI_DROP:
		break;
	}
	/* Once per guest: a guest that loops on it must not fill the log. */
	if (!v->ipi_refused) {
		log_line("guest IPI to other CPUs refused: ICR 0x%x destination 0x%x "
			 "(guests run on one CPU; further refusals not logged)", asked_lo, asked_dest);
		v->ipi_refused = true;
	}
	return false;
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
		u32 asked_dest = *lapic_reg(LAPIC_ICR_HI), dest = asked_dest >> 24;

		if (!ipi(v, &self, &val, &dest)) {
			if (v->stop == STOP_NONE)
				advance_by(v, e, st.len);
			return true;
		}
		lapic_icr_write(dest, val);
		*lapic_reg(LAPIC_ICR_HI) = asked_dest;	/* what the guest reads back */
	} else if (!(off & 15)) {
		*lapic_reg(off) = lvt_filter(off, val);
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
		if (!ipi(v, &self, &lo, &dest))
			return 0;
	} else {
		lo = lvt_filter((msr - X2APIC_MSR(0)) << 4, lo);
	}
	/* Reserved bits are #GP in x2APIC mode: the guest's, not Keel's. */
	return wrmsr_safe(msr, (u64)dest << 32 | lo);
}
