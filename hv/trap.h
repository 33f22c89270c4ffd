/* The frame hv/isr.asm builds for an exception in the hypervisor. */
#ifndef KEEL_TRAP_H
#define KEEL_TRAP_H

#include "../lib/types.h"

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* A 64-bit IDT gate (SDM 6.14.1) and the operand of LGDT/LIDT. */
struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __attribute__((packed));

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

#define IDT_GATE_INTERRUPT 0x8E /* present, DPL 0, 64-bit interrupt gate */

#define GDT_SEL_CODE 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS 0x18

/* Loads Keel's IDT (trap_init() built it) on the calling CPU. */
void trap_load_idt(void);

/* An NMI taken in Keel (hv/nmi.c): counted for the vCPU loop, never
 * fatal. */
void hv_nmi(struct trap_frame *f);

/* An IRET to the next instruction: NMIs are no longer blocked (hv/isr.asm). */
void nmi_unblock(void);

/* Stops every other CPU (an NMI each) before a FATAL line. */
void nmi_halt_others(void);

/* The entry of Keel's own handler for exception vector (0-31): the idle
 * IDT and a parked AP's IDT point #MC (and #DB) there too, so that one
 * function handles a machine check wherever the CPU is (hv/mce.h). */
u64 trap_handler(int vector);

static inline struct idt_gate idt_gate(u64 handler, u8 ist)
{
	return (struct idt_gate){
		.offset_lo = (u16)handler,
		.selector = GDT_SEL_CODE,
		.ist = ist,
		.type_attr = IDT_GATE_INTERRUPT,
		.offset_mid = (u16)(handler >> 16),
		.offset_hi = (u32)(handler >> 32),
	};
}

#endif
