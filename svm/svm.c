/* The AMD-V backend: EFER.SVME and a host save area on every CPU, one
 * VMCB per vCPU with its I/O and MSR permission maps and its own ASID, one
 * nested page table all vCPUs share, NMIs intercepted (Keel's own force a
 * vCPU out; the guest's are injected back), and the backend operations
 * hv/ drives guests through (struct hv_backend). AMD APM vol. 2, chapter
 * 15. GIF is clear from a #VMEXIT until the exit is handled (an SMI the
 * guest raised comes in the guest's context) and set whenever a CPU waits
 * or has left its guest, so that NMIs and SMIs reach it (issue 15 item
 * 11, docs/cpus.md; svm_run()). */
#include "../hv/hv.h"
#include "../hv/msr.h"
#include "../hv/bootinfo.h"
#include "../hv/cpuid.h"
#include "../hv/gpmap.h"
#include "../hv/guest.h"
#include "../hv/percpu.h"
#include "../hv/ptbuild.h"
#include "../hv/vcpu.h"
#include "../hv/x86.h"
#include "../lib/io.h"
#include "../lib/string.h"
#include "../npt/npt.h"
#include "exit.h"
#include "vmcb.h"

#define CPUID_8000000A_EDX_NRIPS (1u << 3)
#define SVM_ASID_FIRST 1	/* vCPU i has ASID i + 1: 0 is the host's (15.16) */
#define VM_CR_R_INIT (1u << 1)	/* 15.30.1: INIT becomes #SX */
#define IOPM_PAGES 3  /* 12 KiB: one bit per port, plus one page (15.10.1) */
#define MSRPM_PAGES 2 /* 8 KiB: two bits per MSR in three ranges (15.11) */


struct svm_vcpu {
	struct vmcb *vmcb;
	hpa_t vmcb_pa;
	hpa_t host_vmcb_pa;
	u8 *iopm, *msrpm;
	bool checked;        /* the VMCB passed vmcb_check() for this guest */
	/* The guest's NMI masking, which SVM without vNMI leaves to Keel:
	 * an NMI Keel injected (15.20) masks the next until its handler's
	 * IRET, whose intercept comes before the IRET runs (15.9); the next
	 * NMI goes in once RIP has left that IRET, as KVM does it. */
	bool nmi_masked;
	bool iret_seen;
	u64 iret_rip;
};

void svm_vmrun(struct guest_gprs *gprs, hpa_t vmcb, hpa_t host_vmcb);

_Static_assert(offsetof(struct guest_gprs, rcx) == 8 && offsetof(struct guest_gprs, rdi) == 56 &&
	       offsetof(struct guest_gprs, r15) == 120, "svm/vmrun.asm GPR_* offsets");
_Static_assert(offsetof(struct vcpu, gprs) == 0, "the stubs address vcpu->gprs");

/* Set once by svm_init() and svm_map_memory() on the bootstrap CPU. */
static bool has_nrips;
static struct svm_cpu_caps caps;
static struct pt_builder npt;	/* every vCPU's, one guest at a time */
/* Indexed by CPU (hv/percpu.h); each written by its own CPU. */
static struct svm_vcpu svm_vcpus[CPU_MAX];

static struct svm_vcpu *to_svm(struct vcpu *v)
{
	return v->arch;
}

/* Every CPU, the bootstrap CPU first: EFER.SVME and a host save area of
 * its own (15.4, 15.30.4). Where VM_CR lets it, R_INIT turns an INIT that
 * reaches the CPU in Keel into #SX (hv/trap.c) instead of a reset: an
 * INIT from the I/O APIC, which no ICR filter sees. */
static int svm_init(void)
{
	u32 a, b, c, d;
	hpa_t hsave = page_alloc();
	bool bsp = this_cpu()->index == 0;

	if (!hsave)
		return -1;
	if (bsp) {
		cpuid(0x8000000A, 0, &a, &b, &c, &d);
		has_nrips = d & CPUID_8000000A_EDX_NRIPS;
		caps.has_npt = true; /* hv/cpu.c refused CPUs without it */
		cpuid(0x80000008, 0, &a, &b, &c, &d);
		caps.phys_addr_bits = (u8)a;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	wrmsr_safe(MSR_VM_CR, rdmsr(MSR_VM_CR) | VM_CR_R_INIT);
	if (bsp)
		log_line("svm on: nrips=%s asid=%u phys-bits=%u", has_nrips ? "yes" : "no",
			 SVM_ASID_FIRST, caps.phys_addr_bits);
	return 0;
}

/* MSRPM: MSRs 0-1FFFh at byte 0, C0000000h-C0001FFFh at 800h,
 * C0010000h-C0011FFFh at 1000h; read bit then write bit (15.11). MSRs
 * outside the three ranges always exit. Called for each MSR the policy
 * table intercepts (hv/msr.h). */
static void msrpm_intercept(void *map, u32 msr, bool read, bool write)
{
	u8 *msrpm = map;
	u32 base;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xC0000000u < 0x2000)
		base = 0x800 * 8, msr -= 0xC0000000u;
	else if (msr - 0xC0010000u < 0x2000)
		base = 0x1000 * 8, msr -= 0xC0010000u;
	else
		return;
	if (read)
		bitmap_set(msrpm, base + msr * 2);
	if (write)
		bitmap_set(msrpm, base + msr * 2 + 1);
}

static int svm_vcpu_create(struct vcpu *v)
{
	struct svm_vcpu *s = &svm_vcpus[v->cpu->index];
	struct vmcb_control *c;
	hpa_t iopm = pages_alloc(IOPM_PAGES, PAGE_SIZE);
	hpa_t msrpm = pages_alloc(MSRPM_PAGES, PAGE_SIZE);
	u16 ports[12];
	int nports;

	*s = (struct svm_vcpu){ .vmcb_pa = page_alloc(), .host_vmcb_pa = page_alloc() };
	if (!iopm || !msrpm || !s->vmcb_pa || !s->host_vmcb_pa)
		return -1;
	s->vmcb = phys_to_virt(s->vmcb_pa);
	s->iopm = phys_to_virt(iopm);
	s->msrpm = phys_to_virt(msrpm);
	/* Only the ports Keel needs (hv/exit.c): the reset paths and the
	 * ACPI sleep request; everything else passes through. */
	nports = hv_intercepted_ports(ports, ARRAY_SIZE(ports));
	for (int i = 0; i < nports; i++)
		bitmap_set(s->iopm, ports[i]);
	msr_intercepts(MSR_VENDOR_AMD, msrpm_intercept, s->msrpm);

	c = &s->vmcb->control;
	/* Physical interrupts are not intercepted and V_INTR_MASKING stays
	 * clear: the guest owns the PIC and APIC and takes them itself. NMIs
	 * are, so that Keel's own NMI forces the vCPU out (hv/nmi.c; the
	 * guest's go back in, hv/vcpu.c); INIT is, so that one from the I/O
	 * APIC sends an AP back to wait for SIPI (hv/vcpu.c). */
	c->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD |
			     SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_NMI | SVM_INTERCEPT_INIT |
			     SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
			     SVM_INTERCEPT_SHUTDOWN;
	/* 15.5.1: VMRUN must be intercepted; the others (and INVLPGA above,
	 * which would flush any ASID's translations) would let the guest use
	 * SVM itself, which Keel hides. */
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT;
	/* RDTSCP, RDPID, INVPCID, XSAVES and the user-wait instructions are
	 * not intercepted: they work in the guest as on the bare CPU. */
	cpuid_controls = CPUID_CTL_RDTSCP | CPUID_CTL_INVPCID | CPUID_CTL_XSAVES |
			 CPUID_CTL_USER_WAIT;
	/* 15.5: VMRUN, VMLOAD and VMSAVE check rAX (and the SVM instructions
	 * CPL) before their intercept and raise #GP, where a CPU without
	 * SVM raises #UD: hv/gp.c tells the two apart (docs/performance.md).
	 * Machine checks in the guest exit too, so that Keel logs them before
	 * handing them back (hv/mce.c; APM 15.12: the host must take an
	 * intercepted #MC itself). */
	c->intercept_exceptions = (1u << X86_EXC_GP) | (1u << X86_EXC_MC);
	c->iopm_base_pa = iopm;
	c->msrpm_base_pa = msrpm;
	c->guest_asid = SVM_ASID_FIRST + v->cpu->index;
	c->np_enable = SVM_NP_ENABLE;
	c->n_cr3 = npt.root;
	v->arch = s;
	return 0;
}

static int svm_map_memory(void)
{
	/* npt_format, with 1 GiB leaves where the CPU's paging has them
	 * (nested tables are long-mode tables, 15.25.5); the builder keeps a
	 * pointer to it. */
	static struct pt_format fmt;
	int n;

	fmt = npt_format;
	fmt.large_1g = cpu_has_1g_pages();
	n = guest_map_memory(&npt, &fmt, svm_backend.hypercall_insn);
	if (n < 0)
		return -1;
	log_line("npt: %d ranges, %u tables, Keel's region unmapped; mapped to 0x%llx with %s pages",
		 n, npt.tables, (unsigned long long)guest_map_top(&fmt),
		 fmt.large_1g ? "1 GiB" : "2 MiB");
	return 0;
}

static void set_seg(struct vmcb_seg *seg, u16 sel, u64 base, u32 limit, u16 attrib)
{
	seg->selector = sel;
	seg->base = base;
	seg->limit = limit;
	seg->attrib = attrib;
}

static void svm_vcpu_reset(struct vcpu *v, const struct guest_start *st)
{
	struct vmcb_save *g = &to_svm(v)->vmcb->save;
	struct vmcb_control *c = &to_svm(v)->vmcb->control;
	u16 code, data;

	memset(g, 0, sizeof(*g));
	v->gprs = st->gprs;
	g->rax = st->gprs.rax;
	g->rsp = st->rsp;
	g->rip = st->rip;
	g->rflags = st->rflags | X86_RFLAGS_FIXED;
	g->dr6 = 0xFFFF0FF0;
	g->dr7 = 0x400;
	g->g_pat = 0x0007040600070406ull; /* the power-on PAT */
	g->efer = EFER_SVME;              /* 15.5.1: VMRUN requires it; the guest never sees it */
	g->cr0 = CR0_ET;

	switch (st->mode) {
	case CFG_MODE_REAL:
		code = SVM_SEG_P | SVM_SEG_S | SVM_SEG_TYPE(0xB);
		data = SVM_SEG_P | SVM_SEG_S | SVM_SEG_TYPE(0x3);
		set_seg(&g->cs, st->cs_selector, (u64)st->cs_selector << 4, 0xFFFF, code);
		set_seg(&g->ds, 0, 0, 0xFFFF, data);
		set_seg(&g->idtr, 0, 0, 0x3FF, 0);
		break;
	case CFG_MODE_PROTECTED:
		g->cr0 |= CR0_PE;
		code = SVM_SEG_P | SVM_SEG_S | SVM_SEG_DB | SVM_SEG_G | SVM_SEG_TYPE(0xB);
		data = SVM_SEG_P | SVM_SEG_S | SVM_SEG_DB | SVM_SEG_G | SVM_SEG_TYPE(0x3);
		set_seg(&g->cs, st->cs_selector ? st->cs_selector : 0x08, 0, 0xFFFFFFFF, code);
		set_seg(&g->ds, st->ds_selector ? st->ds_selector : 0x10, 0, 0xFFFFFFFF, data);
		g->cpl = 0;
		break;
	case CFG_MODE_LONG:
		g->cr0 |= CR0_PE | CR0_PG;
		g->cr4 = CR4_PAE;
		g->cr3 = st->cr3;
		g->efer |= EFER_LME | EFER_LMA;
		code = SVM_SEG_P | SVM_SEG_S | SVM_SEG_L | SVM_SEG_G | SVM_SEG_TYPE(0xB);
		data = SVM_SEG_P | SVM_SEG_S | SVM_SEG_DB | SVM_SEG_G | SVM_SEG_TYPE(0x3);
		set_seg(&g->cs, st->cs_selector ? st->cs_selector : 0x08, 0, 0xFFFFFFFF, code);
		set_seg(&g->ds, st->ds_selector ? st->ds_selector : 0x10, 0, 0xFFFFFFFF, data);
		break;
	}
	g->es = g->ss = g->fs = g->gs = g->ds;
	set_seg(&g->tr, 0, 0, 0xFFFF, SVM_SEG_P | SVM_SEG_TYPE(0xB)); /* busy 32-bit TSS */
	set_seg(&g->ldtr, 0, 0, 0xFFFF, SVM_SEG_P | SVM_SEG_TYPE(0x2));
	if (st->mode != CFG_MODE_REAL && st->gdt_limit)
		set_seg(&g->gdtr, 0, st->gdt_base, st->gdt_limit, 0);
	else
		set_seg(&g->gdtr, 0, 0, 0xFFFF, 0);
	if (st->mode != CFG_MODE_REAL)
		set_seg(&g->idtr, 0, 0, 0xFFFF, 0);

	v->watchdog = 0;	/* no preemption timer under AMD-V (docs/security.md) */
	c->eventinj = 0;
	c->interrupt_shadow = 0;
	c->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	to_svm(v)->nmi_masked = false;
	to_svm(v)->iret_seen = false;
	/* A new guest must not see translations cached for the last one. */
	c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	to_svm(v)->checked = false;
	v->halted = false;
}

/* At the next VMRUN this CPU forgets every ASID's translations (15.16.1):
 * the next guest must not see the last one's. Out of the guest for good,
 * GIF is set: SMIs and NMIs come in again (svm_run()). */
static void svm_left_guest(struct vcpu *v)
{
	to_svm(v)->vmcb->control.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	__asm__ volatile("stgi" ::: "memory");
}

/* The IRET of the guest's NMI handler (intercepted while an NMI Keel
 * injected is in service): the IRET has not run yet, and resumes as it
 * is; the next NMI may go in once RIP is past it. */
static void iret_exit(struct svm_vcpu *s, struct vmexit *e)
{
	s->vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	s->nmi_masked = false;
	s->iret_seen = true;
	s->iret_rip = s->vmcb->save.rip;
	e->kind = VMEXIT_NMI;
	cpu_attend(this_cpu(), ATTN_EVENT);
}

/* The guest's NMI, unless one is in service, the entry already delivers
 * an event, or an interrupt shadow is on (as KVM decides, 15.20/15.21). */
static bool svm_inject_nmi(struct vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb_control *c = &s->vmcb->control;

	if (s->iret_seen && s->vmcb->save.rip != s->iret_rip)
		s->iret_seen = false;
	if (s->nmi_masked || s->iret_seen || (c->eventinj & SVM_EVTINJ_VALID) ||
	    (c->interrupt_shadow & SVM_INTERRUPT_SHADOW))
		return false;
	c->eventinj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | X86_EXC_NMI;
	c->intercept_misc1 |= SVM_INTERCEPT_IRET;
	s->nmi_masked = true;
	return true;
}

static void svm_off(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SVME);
}

static void svm_halt(struct vcpu *v)
{
	(void)v;
	__asm__ volatile("stgi" ::: "memory");	/* an NMI wakes it, SMIs come in */
	halt_until_attention();
}

static void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error);

static int svm_run(struct vcpu *v, struct vmexit *e)
{
	struct svm_vcpu *s = to_svm(v);
	const char *rule;

	/* The APM's consistency rules, checked before a guest's first VMRUN
	 * (Keel's later changes to the VMCB keep them: RIP, RAX, EFER via
	 * set_reg, which keeps SVME, and event injection). */
	rule = s->checked ? NULL : vmcb_check(s->vmcb, &caps);
	s->checked = true;
	if (rule) {
		memset(e, 0, sizeof(*e));
		e->kind = VMEXIT_INVALID;
		log_line("vmcb check failed before VMRUN: %s", rule);
		return RUN_FAILED;
	}
	/* GIF stays clear from the last look at this CPU's attention word to
	 * VMRUN: an NMI meanwhile is held and exits right after VMRUN. (It
	 * is clear already after an exit, see below.) */
	__asm__ volatile("clgi" ::: "memory");
	if (v->cpu->attention & ~ATTN_EVENT) {
		__asm__ volatile("stgi" ::: "memory");
		return RUN_ABORTED;
	}
	/* RAX lives in the VMCB (15.5.1); hv/ keeps it with the others. */
	s->vmcb->save.rax = v->gprs.rax;
	/* An SMI taken in the guest returns through RSM with the EFER its
	 * handler left in SMRAM: SeaBIOS on q35 switches modes that way
	 * (call32 through SMM) and clears SVME, which VMRUN requires
	 * (docs/emulators.md). */
	s->vmcb->save.efer |= EFER_SVME;
	svm_vmrun(&v->gprs, s->vmcb_pa, s->host_vmcb_pa);
	v->gprs.rax = s->vmcb->save.rax;
	/* #VMEXIT clears GIF, and Keel keeps it clear while it handles the
	 * exit, a few microseconds (15.17): an SMI the guest raised just
	 * before is then taken in the guest's context at the next VMRUN, as
	 * on the bare CPU. SeaBIOS on q35 switches modes through SMM (OUT to
	 * port B2h, then HLT until the SMI arrives), and its SMI handler
	 * looks at the state of the code that raised it. GIF is set while a
	 * CPU waits (svm_halt, svm_wait_for_interrupt) and once it has left
	 * its guest (svm_left_guest): no CPU holds SMIs for long. An NMI or
	 * INIT that exited stays pending (15.13.2, 15.13.4): it is taken
	 * here, the NMI by Keel's handler (hv/nmi.c), which counts it, an
	 * INIT as #SX where VM_CR.R_INIT is set (hv/trap.c). */
	if (s->vmcb->control.exitcode == SVM_EXIT_NMI || s->vmcb->control.exitcode == SVM_EXIT_INIT)
		__asm__ volatile("stgi; clgi" ::: "memory");
	s->vmcb->control.tlb_control = 0;
	svm_decode_exit(s->vmcb, has_nrips, e);
	if (e->kind == VMEXIT_MSR)
		e->msr.index = (u32)v->gprs.rcx;
	/* An event whose delivery the exit interrupted goes in again
	 * (15.7.2): EXITINTINFO has EVENTINJ's format. */
	if (s->vmcb->control.exitintinfo & SVM_EVTINJ_VALID)
		s->vmcb->control.eventinj = s->vmcb->control.exitintinfo;
	if (e->reason == SVM_EXIT_IRET)
		iret_exit(s, e);
	if (e->kind == VMEXIT_INVALID) {
		/* The same rules again, now on the state the CPU refused; when
		 * none is broken the cause lies outside them (an emulator's
		 * own check: docs/cpus.md), and the dump and the guest's
		 * instruction that follow are what is left to go on. */
		rule = vmcb_check(s->vmcb, &caps);
		log_line("vmcb check after VMEXIT_INVALID: %s",
			 rule ? rule : "no rule Keel checks is broken");
		return RUN_FAILED;
	}
	return 0;
}

/* Keel completed an intercepted instruction, which never ran (APM
 * 15.7): with RFLAGS.TF set the guest must still get the single-step #DB
 * after it (APM 13.1.1.6; not with DEBUGCTL.BTF, which steps branches
 * only). DR6 and DR7 themselves are in the VMCB, saved and loaded on
 * every #VMEXIT and VMRUN. */
static void svm_advance_rip(struct vcpu *v, const struct vmexit *e)
{
	struct vmcb *vmcb = to_svm(v)->vmcb;

	vmcb->save.rip = e->next_rip ? e->next_rip : vmcb->save.rip + e->insn_len;
	vmcb->control.interrupt_shadow = 0;
	if ((vmcb->save.rflags & X86_RFLAGS_TF) && !(rdmsr(MSR_IA32_DEBUGCTL) & DEBUGCTL_BTF)) {
		vmcb->save.dr6 |= DR6_BS;
		svm_inject_exception(v, X86_EXC_DB, false, 0);
	}
}

static u64 svm_get_reg(struct vcpu *v, enum vcpu_reg r)
{
	struct vmcb_save *g = &to_svm(v)->vmcb->save;

	switch (r) {
	case VCPU_RSP: return g->rsp;
	case VCPU_RIP: return g->rip;
	case VCPU_RFLAGS: return g->rflags;
	case VCPU_CR0: return g->cr0;
	case VCPU_CR3: return g->cr3;
	case VCPU_CR4: return g->cr4;
	case VCPU_EFER: return g->efer & ~EFER_SVME; /* hidden from the guest */
	case VCPU_CS_BASE: return g->cs.base;
	case VCPU_CS_BITS:
		if ((g->efer & EFER_LMA) && (g->cs.attrib & SVM_SEG_L))
			return 64;
		return (g->cr0 & CR0_PE) && (g->cs.attrib & SVM_SEG_DB) ? 32 : 16;
	default: return ((u64 *)&v->gprs)[r];
	}
}

static void svm_set_reg(struct vcpu *v, enum vcpu_reg r, u64 val)
{
	struct vmcb_save *g = &to_svm(v)->vmcb->save;

	switch (r) {
	case VCPU_RSP: g->rsp = val; break;
	case VCPU_RIP: g->rip = val; break;
	case VCPU_RFLAGS: g->rflags = val; break;
	case VCPU_CR0: g->cr0 = val; break;
	case VCPU_CR3: g->cr3 = val; break;
	case VCPU_CR4: g->cr4 = val; break;
	case VCPU_EFER: g->efer = val | EFER_SVME; break;
	case VCPU_CS_BASE: case VCPU_CS_BITS: case VCPU_REG_COUNT: break;
	default: ((u64 *)&v->gprs)[r] = val; break;
	}
}

static void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	u64 ev = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | vector;

	if (has_error)
		ev |= SVM_EVTINJ_EV | (u64)error << 32;
	to_svm(v)->vmcb->control.eventinj = ev;
}

static void svm_debug_trap(struct vcpu *v, u64 dr6)
{
	to_svm(v)->vmcb->save.dr6 |= dr6;
	svm_inject_exception(v, X86_EXC_DB, false, 0);
}

static void svm_inject_interrupt(struct vcpu *v, u8 vector)
{
	to_svm(v)->vmcb->control.eventinj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_INTR | vector;
}

static bool svm_interrupts_enabled(struct vcpu *v)
{
	return to_svm(v)->vmcb->save.rflags & X86_RFLAGS_IF;
}

/* GIF is set while the CPU waits: the host's HLT takes the interrupt.
 * With the guest's interrupts off (an AP halting for good) only an NMI,
 * this CPU's or Keel's, ends the wait. */
static int svm_wait_for_interrupt(struct vcpu *v)
{
	__asm__ volatile("stgi" ::: "memory");	/* no SMI waits while this CPU does */
	if (!svm_interrupts_enabled(v)) {
		halt_until_attention();
		return -1;
	}
	return idle_wait();
}

static void dump_seg(const char *name, const struct vmcb_seg *s)
{
	log_line("  %-4s sel=%04x attr=%04x limit=%08x base=%016llx", name, s->selector,
		 s->attrib, s->limit, (unsigned long long)s->base);
}

static void svm_dump(struct vcpu *v)
{
	const struct vmcb *vmcb = to_svm(v)->vmcb;
	const struct vmcb_save *g = &vmcb->save;
	const struct vmcb_control *c = &vmcb->control;

	log_line("guest state:");
	log_line("  rip=%016llx rsp=%016llx rax=%016llx rflags=%08llx",
		 (unsigned long long)g->rip, (unsigned long long)g->rsp,
		 (unsigned long long)g->rax, (unsigned long long)g->rflags);
	log_line("  cr0=%016llx cr3=%016llx cr4=%016llx efer=%016llx cpl=%u",
		 (unsigned long long)g->cr0, (unsigned long long)g->cr3,
		 (unsigned long long)g->cr4, (unsigned long long)g->efer, g->cpl);
	dump_seg("cs", &g->cs);
	dump_seg("ss", &g->ss);
	dump_seg("ds", &g->ds);
	dump_seg("tr", &g->tr);
	dump_seg("gdtr", &g->gdtr);
	dump_seg("idtr", &g->idtr);
	log_line("host state:");
	log_line("  efer=%016llx hsave=%016llx", (unsigned long long)rdmsr(MSR_EFER),
		 (unsigned long long)rdmsr(MSR_VM_HSAVE_PA));
	log_line("controls:");
	log_line("  intercepts cr=%04x/%04x exc=%08x misc=%08x/%08x", c->intercept_cr_read,
		 c->intercept_cr_write, c->intercept_exceptions, c->intercept_misc1,
		 c->intercept_misc2);
	log_line("  asid=%u np=%llx ncr3=%016llx iopm=%016llx msrpm=%016llx", c->guest_asid,
		 (unsigned long long)c->np_enable, (unsigned long long)c->n_cr3,
		 (unsigned long long)c->iopm_base_pa, (unsigned long long)c->msrpm_base_pa);
	log_line("  exitcode=%llx info1=%016llx info2=%016llx intinfo=%016llx eventinj=%016llx",
		 (unsigned long long)c->exitcode, (unsigned long long)c->exitinfo1,
		 (unsigned long long)c->exitinfo2, (unsigned long long)c->exitintinfo,
		 (unsigned long long)c->eventinj);
}

const struct hv_backend svm_backend = {
	.name = "svm",
	.init = svm_init,
	.map_memory = svm_map_memory,
	.vcpu_create = svm_vcpu_create,
	.vcpu_reset = svm_vcpu_reset,
	.halt = svm_halt,
	.off = svm_off,
	.run = svm_run,
	.advance_rip = svm_advance_rip,
	.get_reg = svm_get_reg,
	.set_reg = svm_set_reg,
	.inject_exception = svm_inject_exception,
	.inject_interrupt = svm_inject_interrupt,
	.inject_nmi = svm_inject_nmi,
	.left_guest = svm_left_guest,
	.wait_for_interrupt = svm_wait_for_interrupt,
	.interrupts_enabled = svm_interrupts_enabled,
	.debug_trap = svm_debug_trap,
	.dump = svm_dump,
	.hypercall_insn = { 0x0F, 0x01, 0xD9 }, /* VMMCALL */
};
