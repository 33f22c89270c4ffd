/* The application processors (DESIGN.md "CPUs", docs/cpus.md). At
 * start-up Keel takes every AP the MADT lists out of the BIOS's wait loop
 * -- whose interrupt table lies in memory guests own -- and gives it what
 * the bootstrap CPU has: its own GDT, TSS and stacks (hv/percpu.c), the
 * virtualization extension turned on, a vCPU of its own. Then the AP runs
 * its vCPU loop (hv/vcpu.c) and waits there for a guest's INIT-SIPI, as a
 * real AP waits after reset. One AP at a time: INIT, 10 ms, start-up IPI,
 * 200 us, a second one if it has not answered (Intel SDM vol. 3A 9.4.4.1).
 */
#include "hv.h"
#include "acpi.h"
#include "guest.h"
#include "ipi.h"
#include "lapic.h"
#include "percpu.h"
#include "smp.h"
#include "bootinfo.h"
#include "x86.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
#define CHECK_IN_US 100000
/* The INIT probe (below): its guest code, in real mode on the trampoline's
 * page (start_ap() copies the trampoline there again for the next AP). */
#define PROBE_HLT 0x10
#define PROBE_ENTRIES 1000

extern const u8 ap_trampoline[], ap_trampoline_end[];
extern u8 ap_tr_cr3[], ap_tr_stack[], ap_tr_entry[], ap_tr_arg[];

static const struct hv_backend *ap_ops;
/* The page the APs start at (hv/ap_boot.asm), and the INIT probe's guest
 * code once the first AP has left it: the highest free page below 640 KiB
 * in the hand-off's map (no fixed address: UEFI firmware may use any). */
static hpa_t ap_tramp;
/* The AP being started says how it went. */
static volatile int ap_state;
enum { AP_SILENT, AP_READY, AP_FAILED, AP_PROBING, AP_STICKY };
/* Does an INIT stay pending after the VM exit it caused (the INIT probe)? */
static bool init_sticky, init_probed;

/* VT-x, on the first AP, once (hv/smp.c start_ap() sends the INIT): does
 * the VM exit an INIT causes consume it, as SDM vol. 3C 25.2 has it, or
 * does it stay pending and exit again at every entry (Bochs 2.7 never
 * clears it)? The AP runs a little guest -- PAUSE in a loop, then HLT --
 * and the bootstrap CPU sends it an INIT: after the INIT exit the vCPU
 * goes on at the HLT, where it exits (HLT) or, with the INIT still
 * pending, exits with INIT again before it. Where INITs stay pending, a
 * guest's INIT would stop its AP for good: Keel then delivers INIT itself
 * (hv/lapic.c) and the AP, which has one pending now, leaves VMX
 * operation, which lets the INIT reset it, to be started again. */
static int probe_init(struct vcpu *v)
{
	static const u8 code[] = { 0xF3, 0x90, 0xEB, 0xFC };	/* pause; jmp $-2 */
	struct guest_start st;
	struct vmexit ex;
	int inits = 0;

	memcpy(phys_to_virt(ap_tramp), code, sizeof(code));
	*(u8 *)phys_to_virt(ap_tramp + PROBE_HLT) = 0xF4;	/* hlt */
	vcpu_init_state(&st, (u8)(ap_tramp >> 12));
	v->ops->vcpu_reset(v, &st);
	ap_state = AP_PROBING;
	for (int i = 0; i < PROBE_ENTRIES; i++) {
		int rc = v->ops->run(v, &ex);

		if (rc == RUN_ABORTED)
			continue;
		if (rc)
			return AP_STICKY;
		if (ex.kind == VMEXIT_HLT)
			return inits == 1 ? AP_READY : AP_STICKY;
		if (ex.kind == VMEXIT_INIT && ++inits == 2)
			return AP_STICKY;
		if (ex.kind == VMEXIT_INIT)
			vcpu_set_reg(v, VCPU_RIP, PROBE_HLT);
	}
	return AP_STICKY;
}

static void delay_us(unsigned us)
{
	while (us--)
		io_delay();
}

/* The trampoline's quadword at sym, in its copy at ap_tramp. */
static u64 *tramp_slot(const u8 *sym)
{
	return phys_to_virt(ap_tramp + (u64)(sym - ap_trampoline));
}

/* Runs on the AP, from hv/ap_boot.asm, on its own stack. */
static void __attribute__((noreturn, used)) ap_main(struct percpu *pc)
{
	struct vcpu *v = &pc->vcpu;

	percpu_load(pc);
	hv_cpu_init();
	v->ops = ap_ops;
	if (ap_ops->init() || ap_ops->vcpu_create(v)) {
		ap_state = AP_FAILED;
		for (;;)
			__asm__ volatile("cli; hlt" ::: "memory");
	}
	if (ap_ops->vcpu_wait_sipi && !init_probed && probe_init(v) == AP_STICKY) {
		ap_state = AP_STICKY;
		ap_ops->off();
		for (;;)
			__asm__ volatile("cli; hlt" ::: "memory");
	}
	v->state = VCPU_WAITING;
	vcpu_wait_for_sipi(v);
	pc->state = CPU_UP;
	ap_state = AP_READY;
	vcpu_loop(v);
	hv_halt();
}

/* Starts one AP at the trampoline and waits for its word. Low memory is
 * nobody's until the first guest is loaded. */
static int start_ap(struct percpu *pc)
{
	u64 cr3;

	memcpy(phys_to_virt(ap_tramp), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*tramp_slot(ap_tr_cr3) = cr3;
	*tramp_slot(ap_tr_entry) = (u64)(uintptr_t)ap_main;
	*tramp_slot(ap_tr_stack) = pc->stack_top;
	*tramp_slot(ap_tr_arg) = (u64)(uintptr_t)pc;
	ap_state = AP_SILENT;
	lapic_send(pc->apic_id, ICR_MODE_INIT << 8 | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
	delay_us(INIT_DELAY_US);
	for (int sipi = 0; sipi < 2 && ap_state == AP_SILENT; sipi++) {
		lapic_send(pc->apic_id, ICR_MODE_STARTUP << 8 | ICR_LEVEL_ASSERT |
			   (u32)(ap_tramp >> 12));
		delay_us(SIPI_DELAY_US);
	}
	/* Bring-up takes the AP through VMXON or EFER.SVME and its VMCS or
	 * VMCB: a few times the bare trampoline's time. */
	for (unsigned us = 0; us < 10 * CHECK_IN_US && ap_state == AP_SILENT; us++)
		io_delay();
	/* Until the AP is in its little guest, an INIT may find it in VMX
	 * root operation, where it is blocked (or, under Bochs, lost): send
	 * it again now and then. */
	for (unsigned us = 0; us < 10 * CHECK_IN_US && ap_state == AP_PROBING; us++) {
		if (us % INIT_DELAY_US == 0)
			lapic_send(pc->apic_id, ICR_MODE_INIT << 8 | ICR_LEVEL_ASSERT);
		io_delay();
	}
	if (!init_probed && ap_ops->vcpu_wait_sipi && (ap_state == AP_READY || ap_state == AP_STICKY)) {
		init_probed = true;
		if (ap_state == AP_STICKY) {
			/* It left VMX operation and is reset by now (or waits,
			 * halted): once more from the start. */
			init_sticky = true;
			vcpu_set_sipi_by_mail();
			delay_us(CHECK_IN_US);
			return start_ap(pc);
		}
	}
	return ap_state;
}


/* A CPU outside Keel's control must get no guest's start-up IPI: Keel
 * must see every ICR write, and the APs wait in Keel for its mail. Those
 * waiting in the wait-for-SIPI state leave it at a start-up IPI that
 * joins no guest (hv/vcpu.c) and then wait in Keel. */
static void mail_from_now_on(void)
{
	vcpu_set_sipi_by_mail();
	for (u32 i = 1; i < cpu_count; i++)
		if (cpu_table[i]->state == CPU_UP)
			lapic_send(cpu_table[i]->apic_id, ICR_MODE_STARTUP << 8 | ICR_LEVEL_ASSERT);
}

int smp_start_aps(const struct hv_backend *ops)
{
	static u32 ids[AP_MAX];
	int n = acpi_madt_cpus(this_cpu()->apic_id, ids, AP_MAX), ready = 0, lost = 0;

	if (n < 0) {
		log_line("cpus: no ACPI MADT; guests run on the bootstrap CPU only");
		n = 0;
	}
	/* A start-up IPI's page lies below 1 MiB, and vectors A0h-BFh are
	 * reserved (SDM vol. 3A 10.6.1): the highest free page below 640 KiB
	 * in the hand-off's map, the BIOS's or the one converted from UEFI. */
	if (n > 0 && memmap_find_top(boot_info.map, boot_info.nmap, PAGE_SIZE, PAGE_SIZE,
				     PAGE_SIZE, KiB(640), &ap_tramp)) {
		log_line("cpus: no free page below 640 KiB to start the APs from; they stay "
			 "where the firmware left them, and no guest gets them");
		lost = n;
		n = 0;
	}
	ap_ops = ops;
	for (int i = 0; i < n; i++) {
		struct percpu *pc = percpu_add_ap(ids[i]);
		int r;

		if (!pc) {
			log_line("cpus: no memory left for the AP with APIC ID %u and the %d after it",
				 ids[i], n - i - 1);
			lost += n - i;
			break;
		}
		r = start_ap(pc);
		if (r == AP_READY) {
			ready++;
			continue;
		}
		pc->state = CPU_LOST;
		lost++;
		if (r == AP_SILENT)
			/* Late or lost: an INIT stops it wherever it is, and it
			 * waits for a start-up IPI that Keel keeps from it. */
			lapic_send(ids[i], ICR_MODE_INIT << 8 | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
		log_line("cpus: AP with APIC ID %u %s", ids[i], r == AP_FAILED ?
			 "could not turn the virtualization extension on or set up its vCPU" :
			 "did not answer INIT-SIPI");
	}
	if (init_sticky)
		log_line("cpus: an INIT stays pending after its VM exit on this CPU (Bochs 2.7 does "
			 "that): guests' INIT and start-up IPIs go through Keel");
	/* Passed through only where the probe proved it safe: with no AP to
	 * run it on, the guest's INIT to itself might stay pending too. */
	if (ops->vcpu_wait_sipi && !init_probed && !vcpu_sipi_by_mail()) {
		log_line("cpus: no AP to find out whether an INIT's VM exit consumes it: guests' "
			 "INIT and start-up IPIs go through Keel");
		vcpu_set_sipi_by_mail();
	}
	if (lost && !vcpu_sipi_by_mail())
		mail_from_now_on();
	log_line("cpus: %d AP%s ready, waiting for the guest's INIT-SIPI (%s)%s", ready,
		 ready == 1 ? "" : "s", ops->vcpu_wait_sipi && !vcpu_sipi_by_mail() ?
		 "VMX non-root operation, wait-for-SIPI state" : ops->vcpu_wait_sipi ?
		 "in Keel; INIT and start-up IPIs go through Keel" :
		 "in Keel with GIF set; INIT and start-up IPIs go through Keel",
		 lost ? "; see above" : "");
	return lost;
}
