/* The application processors (DESIGN.md "CPUs", docs/cpus.md). Guests run
 * on the bootstrap CPU only. At start-up Keel takes every AP the MADT
 * lists out of the BIOS's wait loop -- whose interrupt table lies in
 * memory guests own -- and parks it inside its own region: long mode on
 * Keel's page tables, Keel's GDT, an IDT of its own, and the backend's
 * park() (VMX root operation, or SVM with GIF clear), so that no INIT,
 * start-up IPI or NMI a guest manages to aim at it can run guest code.
 * One AP at a time: INIT, 10 ms, start-up IPI, 200 us, a second one if
 * it has not answered (Intel SDM vol. 3A 9.4.4.1). */
#include "hv.h"
#include "ipi.h"
#include "lapic.h"
#include "smp.h"
#include "bootinfo.h"
#include "trap.h"
#include "x86.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
#define CHECK_IN_US 100000

extern const u8 ap_trampoline[], ap_trampoline_end[];
extern u8 ap_tr_cr3[], ap_tr_stack[], ap_tr_entry[], ap_tr_arg[];
extern const u8 ap_nmi[], ap_dead[];

static struct idt_gate ap_idt[256] __attribute__((aligned(16)));
/* The page the APs start at (hv/ap_boot.asm), from ap_page(). */
static hpa_t ap_tramp;
static const struct hv_backend *park_ops;
/* The AP being started says how it went: AP_PARKED or AP_NOT_PARKED. */
static volatile int ap_state;
enum { AP_SILENT, AP_PARKED, AP_NOT_PARKED };

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
static void __attribute__((noreturn, used)) ap_main(u64 page)
{
	struct desc_ptr idtr = { sizeof(ap_idt) - 1, (u64)(uintptr_t)ap_idt };

	trap_load_gdt();
	__asm__ volatile("lidt %0" : : "m"(idtr));
	hv_cpu_init();
	ap_state = park_ops->park(page) ? AP_NOT_PARKED : AP_PARKED;
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

static void send_ipi(bool x2apic, u32 apic_id, u32 lo)
{
	if (x2apic) {
		wrmsr(MSR_X2APIC_ICR, (u64)apic_id << 32 | lo);
		return;
	}
	lapic_icr_write(apic_id, lo);
}

/* Starts one AP at the trampoline and waits for its word. */
static int start_ap(bool x2apic, u32 id)
{
	hpa_t stack = page_alloc(), page = page_alloc();

	if (!stack || !page)
		return AP_SILENT;
	*tramp_slot(ap_tr_stack) = stack + PAGE_SIZE;
	*tramp_slot(ap_tr_arg) = page;
	ap_state = AP_SILENT;
	send_ipi(x2apic, id, ICR_MODE_INIT << 8 | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
	delay_us(INIT_DELAY_US);
	for (int sipi = 0; sipi < 2 && ap_state == AP_SILENT; sipi++) {
		send_ipi(x2apic, id, ICR_MODE_STARTUP << 8 | (u32)(ap_tramp >> 12));
		delay_us(SIPI_DELAY_US);
	}
	for (unsigned us = 0; us < CHECK_IN_US && ap_state == AP_SILENT; us++)
		io_delay();
	return ap_state;
}

void smp_park_aps(const struct hv_backend *ops, const u32 *ids, int n)
{
	bool x2apic = rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD;
	int parked = 0, not_parked = 0, silent = 0;
	u64 cr3;

	if (n == 0)
		return;
	/* A start-up IPI's page lies below 1 MiB, and vectors A0h-BFh are
	 * reserved (SDM vol. 3A 10.6.1): the highest free page below 640 KiB
	 * in the hand-off's map, the BIOS's or the one converted from UEFI. */
	if (memmap_find_top(boot_info.map, boot_info.nmap, PAGE_SIZE, PAGE_SIZE, PAGE_SIZE,
			    KiB(640), &ap_tramp)) {
		log_line("cpus: no free page below 640 KiB to start the APs from; they stay "
			 "where the firmware left them");
		return;
	}
	park_ops = ops;
	for (int v = 0; v < 256; v++)
		ap_idt[v] = idt_gate((u64)(uintptr_t)(v == X86_EXC_NMI ? ap_nmi : ap_dead), 0);
	/* A machine check on a parked AP is reported and its MCIP cleared
	 * (hv/mce.c); the AP goes back to its halt loop. */
	ap_idt[X86_EXC_MC] = idt_gate(trap_handler(X86_EXC_MC), 0);
	/* Low memory is nobody's until the first guest is loaded. */
	memcpy(phys_to_virt(ap_tramp), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*tramp_slot(ap_tr_cr3) = cr3;
	*tramp_slot(ap_tr_entry) = (u64)(uintptr_t)ap_main;
	for (int i = 0; i < n; i++) {
		int r = start_ap(x2apic, ids[i]);

		if (r == AP_PARKED) {
			parked++;
			continue;
		}
		if (r == AP_NOT_PARKED) {
			not_parked++;
		} else {
			/* Late or lost: an INIT stops it wherever it is, and it
			 * waits for a start-up IPI that no guest can send. */
			send_ipi(x2apic, ids[i], ICR_MODE_INIT << 8 | ICR_LEVEL_ASSERT |
				 ICR_TRIGGER_LEVEL);
			silent++;
		}
		log_line("cpus: AP with APIC ID %u %s", ids[i], r == AP_NOT_PARKED ?
			 "is in Keel but could not block INIT" : "did not answer INIT-SIPI");
	}
	log_line("cpus: %d AP%s parked in Keel (%s)%s", parked, parked == 1 ? "" : "s",
		 strcmp(ops->name, "vmx") ? "GIF clear: INIT held" : "VMX root operation: INIT blocked",
		 not_parked + silent ? "; see above" : "");
}
