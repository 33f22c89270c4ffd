/* See hv/percpu.h. */
#include "percpu.h"
#include "trap.h"
#include "x86.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define MSR_GS_BASE 0xC0000101u
#define IST_CRITICAL 1          /* hv/trap.c gives NMI, #DF and #MC IST 1 */

struct percpu *cpu_table[CPU_MAX];
u32 cpu_count;

/* The bootstrap CPU's, before there is a heap: it runs on hv/entry.asm's
 * boot stack. */
static struct percpu bsp_cpu;
static u8 bsp_ist[CPU_IST_SIZE] __attribute__((aligned(16)));

/* A 16-byte system descriptor of type 9, available 64-bit TSS (SDM vol. 3A
 * 8.2.3, figure 8-4). */
static void set_tss_descriptor(struct percpu *pc)
{
	u64 base = (u64)(uintptr_t)&pc->tss, limit = sizeof(pc->tss) - 1;

	pc->gdt[3] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
		     ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	pc->gdt[4] = base >> 32;
}

static void percpu_fill(struct percpu *pc, u32 index, u32 apic_id, u64 ist_top)
{
	memset(pc, 0, sizeof(*pc));
	pc->self = pc;
	pc->vcpu.cpu = pc;
	pc->index = index;
	pc->apic_id = apic_id;
	pc->gdt[1] = 0x00AF9A000000FFFFull; /* GDT_SEL_CODE: 64-bit code */
	pc->gdt[2] = 0x00CF92000000FFFFull; /* GDT_SEL_DATA: data */
	pc->tss.ist[IST_CRITICAL - 1] = ist_top;
	pc->tss.iomap_base = sizeof(pc->tss); /* no I/O bitmap */
	set_tss_descriptor(pc);
}

void percpu_load(struct percpu *pc)
{
	struct desc_ptr gdtr = { sizeof(pc->gdt) - 1, (u64)(uintptr_t)pc->gdt };

	/* LTR marks the descriptor busy; an AP started again (hv/smp.c)
	 * loads it a second time. */
	set_tss_descriptor(pc);
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
	__asm__ volatile("ltr %w0" : : "r"((u16)GDT_SEL_TSS));
	trap_load_idt();
	/* After the GS load above, which cleared the base. */
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)pc);
}

void percpu_init_bsp(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	/* CPUID.1:EBX[31:24]: the initial APIC ID. */
	percpu_fill(&bsp_cpu, 0, b >> 24, (u64)(uintptr_t)(bsp_ist + sizeof(bsp_ist)));
	bsp_cpu.state = CPU_UP;
	cpu_table[0] = &bsp_cpu;
	cpu_count = 1;
	percpu_load(&bsp_cpu);
}

struct percpu *percpu_add_ap(u32 apic_id)
{
	u32 pages = (sizeof(struct percpu) + PAGE_SIZE - 1) / PAGE_SIZE;
	hpa_t pc_pa = pages_alloc(pages, PAGE_SIZE);
	hpa_t stack = pages_alloc(CPU_STACK_SIZE / PAGE_SIZE, PAGE_SIZE);
	hpa_t ist = pages_alloc(CPU_IST_SIZE / PAGE_SIZE, PAGE_SIZE);
	struct percpu *pc;

	if (!pc_pa || !stack || !ist || cpu_count >= CPU_MAX)
		return NULL;
	pc = phys_to_virt(pc_pa);
	percpu_fill(pc, cpu_count, apic_id, (u64)(uintptr_t)phys_to_virt(ist + CPU_IST_SIZE));
	pc->stack_top = (u64)(uintptr_t)phys_to_virt(stack + CPU_STACK_SIZE);
	cpu_table[cpu_count++] = pc;
	return pc;
}

struct percpu *percpu_by_apic_id(u32 apic_id)
{
	for (u32 i = 0; i < cpu_count; i++)
		if (cpu_table[i]->apic_id == apic_id)
			return cpu_table[i];
	return NULL;
}
