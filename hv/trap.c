/* The hypervisor's IDT, and what happens when Keel itself takes an
 * exception: one FATAL line with the vector, RIP and error code, the
 * registers, and a clean stop (never a triple fault). NMIs are not
 * exceptions here: hv/nmi.c takes them. (GDT and TSS: hv/percpu.c.) */
#include "hv.h"
#include "mce.h"
#include "percpu.h"
#include "trap.h"
#include "x86.h"
#include "../lib/console.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define IST_CRITICAL 1          /* #DF, NMI and #MC run on their CPU's own stack */
#define EXC_NMI 2
#define EXC_DF 8
#define EXC_MC 18

extern const u64 isr_table[32];

/* Written once by trap_init() on the bootstrap CPU, then only read; every
 * CPU loads it (hv/percpu.c), each with its own TSS for IST 1. */
static struct idt_gate idt[32] __attribute__((aligned(16)));

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization exception",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

void trap_init(void)
{
	for (int v = 0; v < 32; v++) {
		bool critical = v == EXC_NMI || v == EXC_DF || v == EXC_MC;

		idt[v] = idt_gate(isr_table[v], critical ? IST_CRITICAL : 0);
	}
	trap_load_idt();
}

void trap_load_idt(void)
{
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static u64 read_cr2(void)
{
	u64 v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

extern const u64 safe_fixups[], safe_fixups_end[];

/* A #GP or #UD at one of hv/isr.asm's *_safe instructions: resume at its
 * "refused" path. True when f was such a fault. */
static bool safe_fixup(struct trap_frame *f)
{
	if (f->vector != X86_EXC_GP && f->vector != X86_EXC_UD)
		return false;
	for (const u64 *p = safe_fixups; p < safe_fixups_end; p += 2)
		if (f->rip == p[0]) {
			f->rip = p[1];
			return true;
		}
	return false;
}

void hv_exception(struct trap_frame *f)
{
	static int nested;
	const char *name = exception_names[f->vector & 31];

	if (f->vector == X86_EXC_NMI) {
		hv_nmi(f);
		return;
	}
	if (safe_fixup(f))
		return;
	if (f->vector == X86_EXC_MC) {
		/* The machine's news: reported, MCIP cleared, handed to the
		 * guest; only a #MC that leaves Keel's RIP invalid ends Keel. */
		if (mce_outcome(mce_report("Keel", f->rip), false, false) == MCE_RESUME_KEEL)
			return;
		fatal("machine check in Keel with MCG_STATUS.RIPV clear: Keel cannot go on "
		      "(rip=0x%llx)", (unsigned long long)f->rip);
	}
	if (f->vector == X86_EXC_DB) {
		/* Keel sets no breakpoint and never TF: this is the guest's
		 * trap, reported just after the VM exit (seen under Bochs'
		 * AMD-V). The guest gets it at its next entry. */
		u64 dr6;

		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		__asm__ volatile("mov %0, %%dr6" : : "r"(0xFFFF0FF0ull));
		debug_trap_for_guest(dr6);
		return;
	}
	/* APM vol. 2 15.29.1 (VM_CR.R_INIT, set by svm/svm.c where the CPU
	 * allows it): an INIT that reaches a CPU in Keel becomes #SX with
	 * error code 1 instead of resetting it. The guest's INIT already
	 * exited to Keel (#VMEXIT(INIT)); nothing is left to do. */
	if (f->vector == X86_EXC_SX && f->error_code == 1)
		return;

	con_set_sinks(CON_ALL);
	if (nested++) {
		/* An exception while reporting one: say only that, and stop. */
		con_write("keel: FATAL: exception while reporting an exception\n", 52);
		emulator_exit(3);
		hv_halt();
	}
	nmi_halt_others();
	log_line("FATAL: exception %llu (%s) in Keel at rip=0x%llx error=0x%llx%s",
		 (unsigned long long)f->vector, name, (unsigned long long)f->rip,
		 (unsigned long long)f->error_code, cpu_suffix());
	log_line("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx",
		 (unsigned long long)f->rax, (unsigned long long)f->rbx,
		 (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	log_line("  rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx",
		 (unsigned long long)f->rsi, (unsigned long long)f->rdi,
		 (unsigned long long)f->rbp, (unsigned long long)f->rsp);
	log_line("  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx",
		 (unsigned long long)f->r8, (unsigned long long)f->r9,
		 (unsigned long long)f->r10, (unsigned long long)f->r11);
	log_line("  r12=%016llx r13=%016llx r14=%016llx r15=%016llx",
		 (unsigned long long)f->r12, (unsigned long long)f->r13,
		 (unsigned long long)f->r14, (unsigned long long)f->r15);
	log_line("  cs=%04llx ss=%04llx rflags=%08llx cr2=%016llx",
		 (unsigned long long)f->cs, (unsigned long long)f->ss,
		 (unsigned long long)f->rflags, (unsigned long long)read_cr2());
	emulator_exit(3);
	hv_halt();
}

u64 trap_handler(int vector)
{
	return isr_table[vector & 31];
}
