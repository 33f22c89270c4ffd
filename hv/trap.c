/* The hypervisor's own GDT, TSS and IDT, and what happens when Keel itself
 * takes an exception: one FATAL line with the vector, RIP and error code,
 * the registers, and a clean stop (never a triple fault). */
#include "hv.h"
#include "mce.h"
#include "trap.h"
#include "x86.h"
#include "../lib/console.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* 64-bit TSS (SDM 8.7, figure 8-11). */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));



#define IST_CRITICAL 1          /* #DF, NMI and #MC run on their own stack */
#define EXC_NMI 2
#define EXC_DF 8
#define EXC_MC 18

extern const u64 isr_table[32];

/* Written once by trap_init() on the bootstrap CPU, then only read. */
static u64 gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[32] __attribute__((aligned(16)));
static u8 critical_stack[8192] __attribute__((aligned(16)));

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

static void set_tss_descriptor(void)
{
	u64 base = (u64)(uintptr_t)&tss, limit = sizeof(tss) - 1;

	/* A 16-byte system descriptor, type 9 (available 64-bit TSS). */
	gdt[3] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
		 ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	gdt[4] = base >> 32;
}

void trap_init(void)
{
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull; /* 0x08: 64-bit code */
	gdt[2] = 0x00CF92000000FFFFull; /* 0x10: data */
	tss.ist[IST_CRITICAL - 1] = (u64)(uintptr_t)(critical_stack + sizeof(critical_stack));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */
	set_tss_descriptor();

	for (int v = 0; v < 32; v++) {
		bool critical = v == EXC_NMI || v == EXC_DF || v == EXC_MC;

		idt[v] = idt_gate(isr_table[v], critical ? IST_CRITICAL : 0);
	}

	trap_load_gdt();
	__asm__ volatile("ltr %w0" : : "r"((u16)GDT_SEL_TSS));
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void trap_load_gdt(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (u64)(uintptr_t)gdt };

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* Reload CS with a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w1, %%ds\n\t"
			 "movw %w1, %%es\n\t"
			 "movw %w1, %%ss\n\t"
			 "movw %w1, %%fs\n\t"
			 "movw %w1, %%gs"
			 :
			 : "i"(GDT_SEL_CODE), "r"(GDT_SEL_DATA)
			 : "rax", "memory");
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

	con_set_sinks(CON_ALL);
	if (nested++) {
		/* An exception while reporting one: say only that, and stop. */
		con_write("keel: FATAL: exception while reporting an exception\n", 52);
		emulator_exit(3);
		hv_halt();
	}
	log_line("FATAL: exception %llu (%s) in Keel at rip=0x%llx error=0x%llx",
		 (unsigned long long)f->vector, name, (unsigned long long)f->rip,
		 (unsigned long long)f->error_code);
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
