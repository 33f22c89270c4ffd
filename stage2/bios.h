/* BIOS services for stage 2, through the thunk in stage2/entry.asm. */
#ifndef KEEL_STAGE2_BIOS_H
#define KEEL_STAGE2_BIOS_H

#include "../lib/types.h"
#include "../lib/memmap.h"

/* Register image for bios_int(); the layout is PUSHAD's, then the segment
 * registers and flags (stage2/entry.asm pops and pushes it as it is). Both
 * structures must lie below 64 KiB. */
struct biosregs {
	u32 edi, esi, ebp, _esp, ebx, edx, ecx, eax;
	u16 gs, fs, es, ds;
	u32 eflags;
};
_Static_assert(sizeof(struct biosregs) == 44, "stage2/entry.asm BIOSREGS_SIZE");

#define X86_EFLAGS_CF 0x0001u
#define X86_EFLAGS_ZF 0x0040u

void bios_int(u32 vector, const struct biosregs *in, struct biosregs *out);
void unreal_enter(void);

static inline void bios_initregs(struct biosregs *r)
{
	*r = (struct biosregs){ 0 };
}

/* Reads count sectors at lba from the boot drive to any address below
 * 4 GiB (through a bounce buffer below 1 MiB). Returns 0 or -1. */
int bios_disk_read(void *ctx, u32 lba, u32 count, void *buf);
void bios_disk_init(u8 drive);

/* The BIOS memory map: E820, else E801, else 88h. Returns the count, or
 * -1 when none of them answers. *method names the call that answered. */
int bios_memory_map(struct mem_range *m, int max, const char **method);

/* A20: returns 0 when it is on (and verified), -1 when nothing worked. */
int a20_enable(const char **method);

/* A key from the keyboard (scan code << 8 | ASCII), or -1 when none. */
int bios_getkey(void);
/* The BIOS tick counter (18.2 Hz) at 0040:006C. */
u32 bios_ticks(void);

#endif
