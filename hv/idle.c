/* Halting on a guest's behalf. A guest that executes HLT with interrupts
 * enabled waits for its next interrupt; Keel intercepts the HLT (to catch
 * HLT with interrupts off), so it waits in its place: HLT in the host with
 * a table that only records the vector, then the backend injects that
 * interrupt into the guest. The host never spins while a guest idles.
 * An NMI is no interrupt for the guest to get here: it goes to Keel's NMI
 * handler (hv/nmi.c), which counts it for the vCPU loop. */
#include "hv.h"
#include "nmi.h"
#include "percpu.h"
#include "trap.h"
#include "x86.h"

extern const u64 idle_stubs[256], isr_table[32];
extern const u8 idle_halt_hlt[], idle_halt_out[];
extern const u8 halt_until_attention_hlt[];
void idle_halt(void);

#define IST_CRITICAL 1

/* Built by idle_init() on the bootstrap CPU, then only read; each CPU
 * records the vector it took in its own struct percpu. */
static struct idt_gate idle_idt[256] __attribute__((aligned(16)));

void idle_init(void)
{
	for (int v = 0; v < 256; v++)
		idle_idt[v] = idt_gate(idle_stubs[v], 0);
	idle_idt[X86_EXC_NMI] = idt_gate(isr_table[X86_EXC_NMI], IST_CRITICAL);
	/* hv/idle_stubs.asm: an NMI before the HLT resumes past it. */
	nmi_window_add(idle_halt, idle_halt_hlt, idle_halt_out);
	nmi_window_add((const void *)halt_until_attention, halt_until_attention_hlt,
		       (const void *)halt_until_attention);
	/* A machine check or a debug trap is no interrupt to record. */
	idle_idt[X86_EXC_MC] = idt_gate(trap_handler(X86_EXC_MC), 0);
	idle_idt[X86_EXC_DB] = idt_gate(trap_handler(X86_EXC_DB), 0);
}

int idle_wait(void)
{
	struct desc_ptr idle = { sizeof(idle_idt) - 1, (u64)(uintptr_t)idle_idt };
	struct desc_ptr saved;
	struct percpu *pc = this_cpu();

	pc->idle_vector = -1;
	__asm__ volatile("sidt %0" : "=m"(saved));
	__asm__ volatile("lidt %0" : : "m"(idle));
	idle_halt();
	__asm__ volatile("lidt %0" : : "m"(saved));
	return pc->idle_vector;
}
