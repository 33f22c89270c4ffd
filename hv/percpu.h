/* What each processor has of its own (as Jailhouse's per_cpu): its index
 * and APIC ID, its GDT and TSS (each CPU needs its own TR and its own
 * stack for NMIs, #DF and #MC), its stacks, its vCPU, and the words other
 * CPUs and the NMI handler use to get its attention. A CPU reaches its
 * own through GS (this_cpu()): the GS base is set once per CPU and both
 * backends restore it on every VM exit (the VMCS host-state area, VMLOAD
 * of the host's VMCB). */
#ifndef KEEL_PERCPU_H
#define KEEL_PERCPU_H

#include "hv.h"
#include "vcpu.h"

#define CPU_MAX 256                     /* the boot CPU and AP_MAX APs */
#define CPU_STACK_SIZE (16u << 10)      /* an AP's own stack */
#define CPU_IST_SIZE (8u << 10)         /* NMI, #DF and #MC (IST 1) */
#define PERCPU_GDT_ENTRIES 5                   /* null, code, data, TSS (two slots) */

/* The offsets hv/isr.asm, hv/idle_stubs.asm and vmx/vmentry.asm use. */
#define PERCPU_SELF 0
#define PERCPU_ATTENTION 8
#define PERCPU_IDLE_VECTOR 12

/* Attention bits: what a CPU's vCPU loop must look at before it enters
 * its guest again. Other CPUs set them with cpu_attend() (then kick the
 * CPU out of its guest with an NMI); the NMI handler sets ATTN_NMI. */
#define ATTN_NMI (1u << 0)      /* an NMI arrived; pc->nmis says how many */
#define ATTN_LEAVE (1u << 1)    /* the guest is stopping: leave it */
#define ATTN_STOP (1u << 2)     /* this vCPU met a stop (guest_stop) */
#define ATTN_INIT (1u << 3)     /* AMD-V: INIT for this vCPU (hv/lapic.c) */
#define ATTN_SIPI (1u << 4)     /* AMD-V: start-up IPI, vector in sipi_vector */
#define ATTN_EVENT (1u << 5)    /* a guest NMI waits to be injected */

/* 64-bit TSS (SDM vol. 3A 8.7, figure 8-11). */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

enum cpu_state {
	CPU_ABSENT,     /* not started (yet) */
	CPU_UP,         /* in Keel, with a vCPU */
	CPU_LOST,       /* did not answer, or left Keel's control: no guest gets it */
};

struct percpu {
	struct percpu *self;            /* PERCPU_SELF */
	volatile u32 attention;         /* PERCPU_ATTENTION: ATTN_* */
	volatile s32 idle_vector;       /* PERCPU_IDLE_VECTOR: hv/idle.c */
	volatile u32 nmis;              /* NMIs taken here, not yet looked at */
	volatile u32 kick_pending;      /* Keel's NMI to this CPU is on its way */
	u32 index;                      /* 0: the bootstrap CPU; APs in MADT order */
	u32 apic_id;
	volatile enum cpu_state state;
	volatile u8 sipi_vector;        /* AMD-V: with ATTN_SIPI */
	volatile u32 mail;              /* ATTN_INIT/ATTN_SIPI posted, not yet done */
	u64 stack_top;
	u64 gdt[PERCPU_GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss64 tss __attribute__((aligned(16)));
	struct vcpu vcpu;               /* the one vCPU this CPU runs */
};

_Static_assert(__builtin_offsetof(struct percpu, self) == PERCPU_SELF, "PERCPU_SELF");
_Static_assert(__builtin_offsetof(struct percpu, attention) == PERCPU_ATTENTION,
	       "PERCPU_ATTENTION");
_Static_assert(__builtin_offsetof(struct percpu, idle_vector) == PERCPU_IDLE_VECTOR,
	       "PERCPU_IDLE_VECTOR");

/* Every CPU Keel knows, by index; cpu_count of them (the BSP and the APs
 * the MADT lists, started or not). Written by the BSP before the first
 * guest, then only their state changes. */
extern struct percpu *cpu_table[CPU_MAX];
extern u32 cpu_count;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static inline void cpu_attend(struct percpu *pc, u32 bits)
{
	__atomic_or_fetch(&pc->attention, bits, __ATOMIC_SEQ_CST);
}

/* The bootstrap CPU's own, set up first thing in hv_main(). */
void percpu_init_bsp(void);

/* A new entry in cpu_table for the AP with this APIC ID, with its stacks
 * (from Keel's heap), or NULL when the heap is exhausted. */
struct percpu *percpu_add_ap(u32 apic_id);

/* Loads pc's GDT, TSS and Keel's IDT on the calling CPU and points GS at
 * pc (an AP, first thing in C). */
void percpu_load(struct percpu *pc);

/* The CPU with this APIC ID, or NULL. */
struct percpu *percpu_by_apic_id(u32 apic_id);

#endif
