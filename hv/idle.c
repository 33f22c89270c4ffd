/* Halting on a guest's behalf. A guest that executes HLT with interrupts
 * enabled waits for its next interrupt; Keel intercepts the HLT (to catch
 * HLT with interrupts off), so it waits in its place: HLT in the host with
 * a table that only records the vector, then the backend injects that
 * interrupt into the guest. The host never spins while a guest idles. */
#include "hv.h"
#include "trap.h"
#include "x86.h"



extern const u64 idle_stubs[256];
extern volatile s32 idle_vector;

/* Built once by the first idle_wait(); only this file touches it. */
static struct idt_gate idle_idt[256] __attribute__((aligned(16)));
static bool idle_idt_ready;

static void idle_idt_build(void)
{
	for (int v = 0; v < 256; v++)
		idle_idt[v] = idt_gate(idle_stubs[v], 0);
	/* A machine check or a debug trap is no interrupt to record. */
	idle_idt[X86_EXC_MC] = idt_gate(trap_handler(X86_EXC_MC), 0);
	idle_idt[X86_EXC_DB] = idt_gate(trap_handler(X86_EXC_DB), 0);
	idle_idt_ready = true;
}

int idle_wait(void)
{
	struct desc_ptr idle = { sizeof(idle_idt) - 1, (u64)(uintptr_t)idle_idt };
	struct desc_ptr saved;

	if (!idle_idt_ready)
		idle_idt_build();
	idle_vector = -1;
	__asm__ volatile("sidt %0" : "=m"(saved));
	__asm__ volatile("lidt %0" : : "m"(idle));
	/* STI's one-instruction shadow keeps an interrupt from slipping in
	 * between STI and HLT. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	__asm__ volatile("lidt %0" : : "m"(saved));
	return idle_vector;
}
