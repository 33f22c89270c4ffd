/* Port I/O, usable from 16-bit stage 2 and the 64-bit hypervisor alike. */
#ifndef KEEL_IO_H
#define KEEL_IO_H

#include "types.h"

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* A write to an unused port takes about a microsecond: the classic delay. */
static inline void io_delay(void) { outb(0x80, 0); }

static inline void cpuid(u32 leaf, u32 subleaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(subleaf));
}

/* At CPL 0 only; an MSR the CPU lacks is #GP (hv/hv.h has the _safe forms). */
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

/* Emulator power-off devices, no-ops on real machines: QEMU's
 * isa-debug-exit (iobase 0xf4; QEMU exits with status code*2+1) and Bochs'
 * shutdown port (the string "Shutdown" written to 0x8900). */
#define QEMU_DEBUG_EXIT_PORT 0xF4
#define BOCHS_SHUTDOWN_PORT 0x8900

static inline void emulator_exit(u8 code)
{
	const char *s = "Shutdown";

	outb(QEMU_DEBUG_EXIT_PORT, code);
	while (*s)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s++);
}

#endif
