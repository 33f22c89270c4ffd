/* Disk, memory-map, A20 and keyboard services from the PC BIOS. */
#include "bios.h"
#include "stage2.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* INT 13h extensions: disk address packet (Phoenix EDD 3.0). */
struct edd_packet {
	u8 size;
	u8 reserved;
	u16 count;
	u16 offset;
	u16 segment;
	u64 lba;
} __attribute__((packed));

#define DISK_RETRIES 3
/* Sectors per BIOS call: 127, the most EDD 3.0 lets a BIOS accept (and
 * what boot loaders ask for). 63.5 KiB fit the bounce buffer, which is
 * 64 KiB-aligned, so no read crosses a 64 KiB DMA boundary. */
#define DISK_CHUNK 127
_Static_assert(DISK_CHUNK * 512 <= S2_BOUNCE_SIZE, "a read must fit the bounce buffer");

static u8 boot_drive;
/* Sectors per call from now on: halved when a BIOS refuses DISK_CHUNK. */
static u32 disk_chunk = DISK_CHUNK;

void bios_disk_init(u8 drive)
{
	boot_drive = drive;
}

static int disk_read_chunk(u32 lba, u32 count)
{
	static struct edd_packet dap;
	struct biosregs r;

	for (int attempt = 0; attempt < DISK_RETRIES; attempt++) {
		dap = (struct edd_packet){
			.size = sizeof(dap),
			.count = (u16)count,
			.offset = 0,
			.segment = (u16)(S2_BOUNCE >> 4),
			.lba = lba,
		};
		bios_initregs(&r);
		r.eax = 0x4200;
		r.edx = boot_drive;
		r.esi = (u32)(uintptr_t)&dap;
		bios_int(0x13, &r, &r);
		if (!(r.eflags & X86_EFLAGS_CF))
			return 0;
		/* AH=00h resets the controller before trying again. */
		bios_initregs(&r);
		r.edx = boot_drive;
		bios_int(0x13, &r, NULL);
	}
	return -1;
}

int bios_disk_read(void *ctx, u32 lba, u32 count, void *buf)
{
	u8 *dst = buf;

	(void)ctx;
	while (count) {
		u32 n = count < disk_chunk ? count : disk_chunk;

		if (disk_read_chunk(lba, n)) {
			/* Some BIOSes move fewer sectors per call than EDD
			 * allows: try smaller reads before giving up. */
			if (n == 1)
				return -1;
			disk_chunk = n / 2;
			continue;
		}
		s2_copy(dst, flat_ptr(S2_BOUNCE), n * 512);
		dst += n * 512;
		lba += n;
		count -= n;
	}
	return 0;
}

#define SMAP 0x534D4150u /* "SMAP" */

/* INT 15h EAX=E820h (ACPI 3.0, "Query System Address Map"). */
static int memory_map_e820(struct mem_range *m, int max)
{
	static struct {
		u64 base, len;
		u32 type, ext;
	} __attribute__((packed)) buf;
	struct biosregs r;
	u32 cont = 0;
	int n = 0;

	do {
		bios_initregs(&r);
		r.eax = 0xE820;
		r.edx = SMAP;
		r.ecx = sizeof(buf);
		r.ebx = cont;
		r.edi = (u32)(uintptr_t)&buf;
		buf.ext = 1; /* a 20-byte answer leaves the entry enabled */
		bios_int(0x15, &r, &r);
		/* Some BIOSes end the list with CF set instead of EBX = 0. */
		if ((r.eflags & X86_EFLAGS_CF) || r.eax != SMAP)
			break;
		cont = r.ebx;
		if (r.ecx > 20 && !(buf.ext & 1))
			continue; /* ACPI 3.0: bit 0 clear means ignore the entry */
		if (buf.len == 0 || n == max)
			continue;
		m[n].base = buf.base;
		m[n].len = buf.len;
		m[n].type = buf.type;
		n++;
	} while (cont);
	return n ? n : -1;
}

static int add_range(struct mem_range *m, int n, int max, u64 base, u64 len, u32 type)
{
	if (n < max && len) {
		m[n].base = base;
		m[n].len = len;
		m[n].type = type;
		n++;
	}
	return n;
}

static u32 conventional_kib(void)
{
	struct biosregs r;

	bios_initregs(&r);
	bios_int(0x12, &r, &r); /* INT 12h: KiB of memory below 640 KiB */
	return r.eax & 0xFFFF;
}

int bios_memory_map(struct mem_range *m, int max, const char **method)
{
	struct biosregs r;
	int n;

	n = memory_map_e820(m, max);
	if (n > 0) {
		*method = "e820";
		return n;
	}

	/* INT 15h AX=E801h: KiB between 1 and 16 MiB, 64 KiB blocks above. */
	bios_initregs(&r);
	r.eax = 0xE801;
	bios_int(0x15, &r, &r);
	if (!(r.eflags & X86_EFLAGS_CF)) {
		u32 low = r.eax & 0xFFFF, high = r.ebx & 0xFFFF;

		if (!low && !high) { /* some BIOSes answer in CX/DX only */
			low = r.ecx & 0xFFFF;
			high = r.edx & 0xFFFF;
		}
		n = add_range(m, 0, max, 0, (u64)conventional_kib() << 10, E820_RAM);
		n = add_range(m, n, max, MiB(1), (u64)low << 10, E820_RAM);
		n = add_range(m, n, max, MiB(16), (u64)high << 16, E820_RAM);
		*method = "e801";
		return n;
	}

	/* INT 15h AH=88h: KiB above 1 MiB (at most 64 MiB). */
	bios_initregs(&r);
	r.eax = 0x8800;
	bios_int(0x15, &r, &r);
	if (!(r.eflags & X86_EFLAGS_CF)) {
		n = add_range(m, 0, max, 0, (u64)conventional_kib() << 10, E820_RAM);
		n = add_range(m, n, max, MiB(1), (u64)(r.eax & 0xFFFF) << 10, E820_RAM);
		*method = "88h";
		return n;
	}
	return -1;
}

/* A20 is on when the byte at X and the one at X + 1 MiB are different
 * memory. Unreal mode lets us address both directly. */
static bool a20_is_on(void)
{
	static volatile u32 probe;
	volatile u32 *lo = &probe;
	volatile u32 *hi = flat_ptr((uintptr_t)&probe + MiB(1));
	u32 saved_hi = *hi;
	bool on;

	*lo = 0x1234A20Au;
	*hi = ~0x1234A20Au;
	on = *lo == 0x1234A20Au;
	*hi = saved_hi;
	return on;
}

static bool a20_wait(void)
{
	for (int i = 0; i < 1000; i++) {
		if (a20_is_on())
			return true;
		io_delay();
	}
	return false;
}

static void kbc_wait_input(void)
{
	for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
		io_delay();
}

int a20_enable(const char **method)
{
	struct biosregs r;
	u8 v;

	*method = "already on";
	if (a20_is_on())
		return 0;

	*method = "bios";
	bios_initregs(&r);
	r.eax = 0x2401; /* INT 15h AX=2401h: enable A20 gate */
	bios_int(0x15, &r, &r);
	if (a20_wait())
		return 0;

	*method = "keyboard controller";
	kbc_wait_input();
	outb(0x64, 0xD1); /* write output port */
	kbc_wait_input();
	outb(0x60, 0xDF); /* A20 on, reset line inactive */
	kbc_wait_input();
	if (a20_wait())
		return 0;

	*method = "port 0x92";
	v = inb(0x92);
	outb(0x92, (u8)((v | 0x02) & ~0x01)); /* bit 0 would reset the machine */
	if (a20_wait())
		return 0;
	return -1;
}

int bios_getkey(void)
{
	struct biosregs r;

	bios_initregs(&r);
	r.eax = 0x0100; /* INT 16h AH=01h: is a key waiting? (ZF=1: no) */
	bios_int(0x16, &r, &r);
	if (r.eflags & X86_EFLAGS_ZF)
		return -1;
	bios_initregs(&r); /* AH=00h: take it */
	bios_int(0x16, &r, &r);
	return (int)(r.eax & 0xFFFF);
}

u32 bios_ticks(void)
{
	return *(volatile u32 *)flat_ptr(0x46C);
}
