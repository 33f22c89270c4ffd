/* The time-stamp counter's rate, for the watchdog's seconds (hv/exit.c,
 * vmx/vmx.c). Measured against the PIT, whose rate every PC shares
 * (1.193182 MHz), as emulators keep it in step with their own TSC; the
 * CPU's own word (CPUID 15h, 16h) where the PIT does not count. */
#include "hv.h"
#include "../lib/io.h"

#define PIT_HZ 1193182u
#define PIT_CHANNEL2 0x42
#define PIT_MODE 0x43
#define PIT_CH2_MODE0 0xB0      /* channel 2, low then high byte, mode 0, binary */
#define PORT_B 0x61             /* bit 0: gate 2, bit 1: speaker, bit 5: OUT2 */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 50
#define CALIBRATE_MAX_POLLS 20000000u

/* Set by the first tsc_hz(); only read after that. */
static u64 tsc_rate;

/* TSC ticks while PIT channel 2 counts down CALIBRATE_MS (mode 0: OUT2
 * goes high at the terminal count), times 1000 / CALIBRATE_MS; 0 when
 * OUT2 never rises (a PIT that firmware gated off). */
static u64 pit_calibrate(void)
{
	u32 count = PIT_HZ / 1000 * CALIBRATE_MS;
	u8 port_b = inb(PORT_B);
	u64 t0, t1;
	u32 polls = 0;

	outb(PORT_B, (u8)((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_MODE, PIT_CH2_MODE0);
	outb(PIT_CHANNEL2, (u8)count);
	outb(PIT_CHANNEL2, (u8)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2) && ++polls < CALIBRATE_MAX_POLLS)
		;
	t1 = rdtsc();
	outb(PORT_B, port_b);
	return polls < CALIBRATE_MAX_POLLS ? (t1 - t0) * (1000 / CALIBRATE_MS) : 0;
}

/* SDM vol. 2A CPUID leaf 15h (TSC/crystal ratio and crystal Hz) and 16h
 * (base frequency in MHz); 0 when the CPU does not say. */
static u64 cpuid_rate(void)
{
	u32 max, a, b, c, d;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c)
			return (u64)c * b / a;
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		return (u64)(a & 0xFFFF) * 1000000;
	}
	return 0;
}

u64 tsc_hz(void)
{
	if (!tsc_rate)
		tsc_rate = pit_calibrate();
	if (!tsc_rate)
		tsc_rate = cpuid_rate();
	return tsc_rate;
}
