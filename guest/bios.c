/* BIOS guests (DESIGN.md "Guests", docs/bios-shim.md): a boot sector run at
 * 0000:7C00 in real mode on the machine's own BIOS, with a small shim
 * (guest/bios_shim.asm) at the top of conventional memory that hooks
 * INT 13h for an emulated drive and INT 15h for the memory map, and asks
 * Keel through hypercalls 0x10-0x13.
 *
 * `image=` serves a file Keel loaded as a BIOS drive: a floppy by its size,
 * or a hard disk (LBA, 255 heads, 63 sectors) when it has an MBR signature.
 * `partition=` chain-loads a partition of the boot disk through the shim's
 * loader, which reads with the BIOS's own INT 13h (Keel has no disk
 * driver). Function numbers, register use and status codes follow Ralf
 * Brown's Interrupt List; AH=41h-48h follow the Phoenix EDD specification. */
#include "../hv/hv.h"
#include "../hv/bootinfo.h"
#include "../hv/guest.h"
#include "../hv/x86.h"
#include "../lib/console.h"
#include "../lib/memmap.h"
#include "../lib/string.h"

/* The assembled shim (guest/shim_blob.asm). Weak, so that a build without
 * the blob still links and says why BIOS guests cannot start. */
extern const u8 bios_shim_start[] __attribute__((weak));
extern const u8 bios_shim_end[] __attribute__((weak));

#define SHIM_MAGIC "KEELSHIM"
#define SHIM_VERSION 2
#define SHIM_MAX_SIZE KiB(4)    /* what Keel takes from conventional memory at most */
#define SHIM_NO_DRIVE 0xFF

/* The shim's header (guest/bios_shim.asm, docs/bios-shim.md). */
struct shim_header {
	char magic[8];
	u16 version;
	u16 size;
	u16 int13_entry;
	u16 int15_entry;
	u16 loader_entry;
	u16 old_int13;
	u16 old_int15;
	u16 diskette_params;
	u16 request;
	u16 hc_table;
	u16 hc_count;
	u8 drive;
	u8 floppies;
	u8 hard_disks;
	u8 boot_drive;
	u8 partition;
	u8 reserved;
	u16 int10_entry;
	u16 int16_entry;
	u16 old_int10;
	u16 old_int16;
	u16 serial_port;
	u16 base_size;
} __attribute__((packed));

_Static_assert(offsetof(struct shim_header, size) == 0x0A, "shim header: size");
_Static_assert(offsetof(struct shim_header, int13_entry) == 0x0C, "shim header: int13_entry");
_Static_assert(offsetof(struct shim_header, loader_entry) == 0x10, "shim header: loader_entry");
_Static_assert(offsetof(struct shim_header, old_int13) == 0x12, "shim header: old_int13");
_Static_assert(offsetof(struct shim_header, diskette_params) == 0x16, "shim header: diskette_params");
_Static_assert(offsetof(struct shim_header, hc_count) == 0x1C, "shim header: hc_count");
_Static_assert(offsetof(struct shim_header, drive) == 0x1E, "shim header: drive");
_Static_assert(offsetof(struct shim_header, partition) == 0x22, "shim header: partition");
_Static_assert(offsetof(struct shim_header, int10_entry) == 0x24, "shim header: int10_entry");
_Static_assert(offsetof(struct shim_header, serial_port) == 0x2C, "shim header: serial_port");
_Static_assert(sizeof(struct shim_header) == 0x30, "shim header: HDR_SIZE in bios_shim.asm");

/* The request block: the caller's registers in, the answer out. */
struct bios_request {
	u32 eax, ebx, ecx, edx, esi, edi;
	u16 ds, es;
	u16 flags;
	u16 reserved;
} __attribute__((packed));

_Static_assert(offsetof(struct bios_request, edi) == 0x14, "request block: edi");
_Static_assert(offsetof(struct bios_request, ds) == 0x18, "request block: ds");
_Static_assert(offsetof(struct bios_request, flags) == 0x1C, "request block: flags");
_Static_assert(sizeof(struct bios_request) == 0x20, "request block: size");

/* Hypercalls (docs/bios-shim.md). */
#define HC_BIOS_INT13 0x10
#define HC_BIOS_E820 0x11
#define HC_BIOS_E801 0x12
#define HC_BIOS_88 0x13

/* Real-mode memory the loader touches. */
#define IVT_INT10 (0x10 * 4)
#define IVT_INT13 (0x13 * 4)
#define IVT_INT15 (0x15 * 4)
#define IVT_INT16 (0x16 * 4)
#define BDA_EQUIPMENT 0x410     /* word: bit 0 floppies present, bits 7:6 count - 1 */
#define BDA_BASE_MEM_KIB 0x413  /* word: conventional memory in KiB (INT 12h) */
#define BDA_HARD_DISKS 0x475    /* byte: number of hard disks */
#define LOW_SNAPSHOT 0x500      /* IVT and BDA: what one guest may leave changed */
#define BDA_TIMER_TICKS 0x46C   /* dword ticks since midnight, then the rollover byte */
#define BDA_TIMER_LEN 5
#define BOOT_ADDR 0x7C00
#define SECTOR 512
#define BOOT_SIG_OFFSET 510
#define EQUIP_FLOPPY 0x0001
#define EQUIP_FLOPPY_COUNT_SHIFT 6
#define EQUIP_FLOPPY_COUNT_MASK 0x00C0

/* INT 13h status codes (RBIL, INT 13h AH=01h). */
#define DISK_OK 0x00
#define DISK_BAD_COMMAND 0x01   /* invalid function or parameter */
#define DISK_NOT_FOUND 0x04     /* sector not found / read error */

/* Diskette drive types in AH=08h's BL (RBIL, INT 13h AH=08h). */
#define DRIVE_360K 0x01
#define DRIVE_1200K 0x02
#define DRIVE_720K 0x03
#define DRIVE_1440K 0x04
#define DRIVE_2880K 0x06

/* INT 13h AH=15h disk types. */
#define DISK_TYPE_FLOPPY_CHANGELINE 0x02
#define DISK_TYPE_HARD_DISK 0x03

/* Phoenix EDD: AH=41h answers, AH=48h result buffer. */
#define EDD_VERSION_1_1 0x21        /* AH: EDD 1.1 (RBIL: 21h = 2.1 / EDD-1.1) */
#define EDD_SUBSET_DISK_ACCESS 0x0001 /* CX bit 0: functions 42h-44h, 47h, 48h */
#define EDD_PARAMS_V1_SIZE 0x1A
#define EDD_PARAMS_V2_SIZE 0x1E     /* adds the DPTE pointer */
#define EDD_INFO_DMA_TRANSPARENT 0x0001
#define EDD_INFO_CHS_VALID 0x0002

#define HD_HEADS 255
#define HD_SECTORS 63
#define HD_MAX_CYLINDERS 1024       /* what 10 bits of CH/CL can name */

#define E820_SMAP 0x534D4150u       /* 'SMAP' */
#define E820_MIN_SIZE 20
#define E820_ACPI3_SIZE 24          /* with the ACPI 3.0 extended attributes */
#define E820_ATTR_ENABLED 0x1
#define INT15_UNSUPPORTED 0x86

struct floppy_format {
	u32 kib;
	u8 cylinders, heads, sectors;
	u8 drive_type;
	u8 params[11];                  /* diskette parameter table (RBIL, INT 1Eh) */
};

/* The standard PC diskette formats. Parameter tables: specify bytes,
 * motor-off delay (ticks), 512-byte sectors, sectors per track, gap,
 * data length, format gap, fill byte, head settle (ms), motor start
 * (1/8 s), as the IBM BIOS sets them for each drive type. */
static const struct floppy_format floppy_formats[] = {
	{ 160, 40, 1, 8, DRIVE_360K, { 0xDF, 0x02, 0x25, 0x02, 8, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 } },
	{ 180, 40, 1, 9, DRIVE_360K, { 0xDF, 0x02, 0x25, 0x02, 9, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 } },
	{ 320, 40, 2, 8, DRIVE_360K, { 0xDF, 0x02, 0x25, 0x02, 8, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 } },
	{ 360, 40, 2, 9, DRIVE_360K, { 0xDF, 0x02, 0x25, 0x02, 9, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 } },
	{ 720, 80, 2, 9, DRIVE_720K, { 0xDF, 0x02, 0x25, 0x02, 9, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 } },
	{ 1200, 80, 2, 15, DRIVE_1200K, { 0xDF, 0x02, 0x25, 0x02, 15, 0x1B, 0xFF, 0x54, 0xF6, 0x0F, 0x08 } },
	{ 1440, 80, 2, 18, DRIVE_1440K, { 0xAF, 0x02, 0x25, 0x02, 18, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08 } },
	{ 2880, 80, 2, 36, DRIVE_2880K, { 0xAF, 0x02, 0x25, 0x02, 36, 0x1B, 0xFF, 0x50, 0xF6, 0x0F, 0x08 } },
};

/* The running BIOS guest's state, set by bios_load() and used by its
 * hypercalls; one guest runs at a time, so one copy. */
static struct {
	const struct cfg_guest *cfg;    /* the guest this belongs to; NULL: none */
	gpa_t shim;                     /* where the shim lives */
	gpa_t request;                  /* its request block */
	u16 diskette_params;            /* offset of its diskette parameter table */
	/* The emulated drive (image= guests). */
	bool has_disk;
	bool floppy;
	u8 drive;
	u8 *data;                       /* Keel's copy of the file: writes land here */
	u64 sectors;
	u32 cylinders, heads, spt;
	const struct floppy_format *format;
	u8 floppies, hard_disks;        /* what the guest is shown */
	u8 last_status;                 /* AH=01h */
	/* The memory map the guest gets: Keel's region removed, the shim
	 * reserved. */
	struct mem_range map[MEMMAP_MAX];
	int nmap;
} bios;

/* The IVT and BDA as the first BIOS guest found them. A guest that ran
 * before (FreeDOS hooking vectors, an earlier shim) must not leak into the
 * next one, which would otherwise chain to code that is gone. Owned by
 * bios_load(). */
static struct {
	bool taken;
	u8 low[LOW_SNAPSHOT];
} pristine;

static u8 *guest_ptr(gpa_t gpa)
{
	return phys_to_virt(gpa);
}

/* Little-endian fields of guest memory, at any alignment. */
static u64 rd(gpa_t gpa, size_t n)
{
	u64 v = 0;

	memcpy(&v, guest_ptr(gpa), n);
	return v;
}

static void wr(gpa_t gpa, u64 v, size_t n)
{
	memcpy(guest_ptr(gpa), &v, n);
}

static u16 rd16(gpa_t gpa) { return (u16)rd(gpa, 2); }
static u32 rd32(gpa_t gpa) { return (u32)rd(gpa, 4); }
static u64 rd64(gpa_t gpa) { return rd(gpa, 8); }
static void wr16(gpa_t gpa, u16 v) { wr(gpa, v, 2); }
static void wr32(gpa_t gpa, u32 v) { wr(gpa, v, 4); }
static void wr64(gpa_t gpa, u64 v) { wr(gpa, v, 8); }

static gpa_t seg_off(u16 seg, u16 off)
{
	return ((gpa_t)seg << 4) + off;
}

/* ---- load ----------------------------------------------------------------- */

static const struct shim_header *shim_blob(struct guest *g, u64 *size)
{
	const struct shim_header *h = (const void *)bios_shim_start;

	if (!bios_shim_start || !bios_shim_end) {
		log_line("guest %d \"%s\": this Keel was built without the BIOS shim "
			 "(guest/shim_blob.asm)", g->index, g->name);
		return NULL;
	}
	*size = (u64)(bios_shim_end - bios_shim_start);
	/* The blob is built with Keel; a mismatch is a build error, but one
	 * that must not end in a guest running half a shim. */
	if (*size < sizeof(*h) || *size > SHIM_MAX_SIZE || memcmp(h->magic, SHIM_MAGIC, 8) ||
	    h->version != SHIM_VERSION || h->size != *size || h->base_size > *size ||
	    h->hc_table + 2u * h->hc_count > h->base_size ||
	    h->request + sizeof(struct bios_request) > h->base_size ||
	    h->diskette_params + sizeof(floppy_formats[0].params) > h->base_size ||
	    h->old_int10 + 4u > h->base_size || h->old_int16 + 4u > h->base_size ||
	    h->int10_entry >= *size || h->int16_entry >= *size) {
		log_line("guest %d \"%s\": the embedded BIOS shim is malformed (magic, version "
			 "%u or size %llu)", g->index, g->name, h->version, (unsigned long long)*size);
		return NULL;
	}
	return h;
}

static const struct floppy_format *floppy_by_size(u64 size)
{
	for (unsigned i = 0; i < ARRAY_SIZE(floppy_formats); i++)
		if (size == KiB(floppy_formats[i].kib))
			return &floppy_formats[i];
	return NULL;
}

static bool has_boot_signature(const u8 *sector)
{
	return sector[BOOT_SIG_OFFSET] == 0x55 && sector[BOOT_SIG_OFFSET + 1] == 0xAA;
}

/* Decides what the image is for the drive it is served as. */
static int image_geometry(struct guest *g, u8 *data, u64 size)
{
	u8 drive = g->cfg->drive;
	bool mbr = size >= SECTOR && has_boot_signature(data);

	bios.data = data;
	bios.drive = drive;
	bios.has_disk = true;
	if (drive < 0x80) {
		bios.format = floppy_by_size(size);
		if (!bios.format) {
			if (mbr)
				log_line("guest %d \"%s\": %llu bytes is no floppy size; a hard-disk "
					 "image needs drive=0x80 or above", g->index, g->name,
					 (unsigned long long)size);
			else
				log_line("guest %d \"%s\": %llu bytes is no floppy size and the "
					 "image has no MBR", g->index, g->name, (unsigned long long)size);
			return -1;
		}
		/* The equipment word counts at most four diskette drives. */
		if (drive > 3) {
			log_line("guest %d \"%s\": drive=0x%02x: a floppy image needs drive "
				 "0x00-0x03", g->index, g->name, drive);
			return -1;
		}
		bios.floppy = true;
		bios.cylinders = bios.format->cylinders;
		bios.heads = bios.format->heads;
		bios.spt = bios.format->sectors;
		bios.sectors = size / SECTOR;
		return 0;
	}
	if (!mbr) {
		log_line("guest %d \"%s\": %llu bytes is no floppy size and the image has no MBR",
			 g->index, g->name, (unsigned long long)size);
		return -1;
	}
	/* A hard disk: LBA first; CHS as the usual translation of large disks
	 * presents it, 255 heads of 63 sectors. */
	bios.floppy = false;
	bios.sectors = size / SECTOR;
	bios.heads = HD_HEADS;
	bios.spt = HD_SECTORS;
	bios.cylinders = (u32)(bios.sectors / (HD_HEADS * HD_SECTORS));
	if (bios.cylinders == 0)
		bios.cylinders = 1; /* a disk smaller than one cylinder still has cylinder 0 */
	return 0;
}

/* The end of the RAM in map that runs without a gap from start (start
 * itself when start is not RAM). */
static u64 ram_end_from(const struct mem_range *map, int n, u64 start)
{
	u64 end = start;
	bool grew = true;

	while (grew) {
		grew = false;
		for (int i = 0; i < n; i++) {
			const struct mem_range *m = &map[i];

			if (m->type == E820_RAM && m->base <= end && end - m->base < m->len) {
				end = m->base + m->len;
				grew = true;
			}
		}
	}
	return end;
}

/* Puts the IVT and BDA back the way the first BIOS guest found them, all
 * but the BIOS's clock, which has kept running since. */
static void restore_low_memory(void)
{
	u8 ticks[BDA_TIMER_LEN];

	if (!pristine.taken) {
		memcpy(pristine.low, guest_ptr(0), LOW_SNAPSHOT);
		pristine.taken = true;
		return;
	}
	memcpy(ticks, guest_ptr(BDA_TIMER_TICKS), sizeof(ticks));
	memcpy(guest_ptr(0), pristine.low, LOW_SNAPSHOT);
	memcpy(guest_ptr(BDA_TIMER_TICKS), ticks, sizeof(ticks));
}

/* The guest's memory map: the machine's, without Keel's region, and with
 * the shim's KiB reserved (INT 12h no longer counts them either). */
static int build_map(gpa_t shim, u64 shim_len)
{
	int n = boot_info.nmap;

	memcpy(bios.map, boot_info.map, (size_t)n * sizeof(bios.map[0]));
	n = memmap_carve(bios.map, n, MEMMAP_MAX, hv_region.base, hv_region.size);
	if (n >= 0)
		n = memmap_carve(bios.map, n, MEMMAP_MAX, shim, shim_len);
	if (n < 0 || n >= MEMMAP_MAX)
		return -1;
	bios.map[n++] = (struct mem_range){ shim, shim_len, E820_RESERVED };
	n = memmap_sanitize(bios.map, n, MEMMAP_MAX);
	bios.nmap = n;
	return n < 0 ? -1 : 0;
}

/* Copies, patches and hooks the shim; lowers the BDA's memory size.
 * Without console=serial only the shim's base part is copied. */
static int install_shim(struct vcpu *v, struct guest *g, const struct shim_header *h, u64 size)
{
	u16 base_kib = rd16(BDA_BASE_MEM_KIB);
	bool console = g->cfg->serial_console;
	u64 shim_len, top = KiB(base_kib);
	u64 ram_top = ram_end_from(boot_info.map, boot_info.nmap, 0);
	gpa_t shim;
	u16 seg;
	struct shim_header *sh;

	if (!console)
		size = h->base_size;
	shim_len = ALIGN_UP(size, KiB(1));

	/* The shim goes below both the BIOS's INT 12h size and the end of
	 * low RAM in its E820 map: they need not agree (Bochs' BIOS says
	 * 639 KiB but reserves 0x9F000 up). */
	if (ram_top < top)
		top = ALIGN_DOWN(ram_top, KiB(1));
	if (top > KiB(640) || top < KiB(64) + shim_len || !guest_ram(top - shim_len, shim_len)) {
		log_line("guest %d \"%s\": no room for the BIOS shim below 0x%llx (BDA: %u KiB, "
			 "low RAM to 0x%llx)", g->index, g->name, (unsigned long long)top, base_kib,
			 (unsigned long long)ram_top);
		return -1;
	}
	shim = top - shim_len;
	if (build_map(shim, shim_len)) {
		log_line("guest %d \"%s\": the memory map has too many ranges", g->index, g->name);
		return -1;
	}
	seg = (u16)(shim >> 4);
	memset(guest_ptr(shim), 0, shim_len);
	memcpy(guest_ptr(shim), h, size);
	for (unsigned i = 0; i < h->hc_count; i++) {
		u16 site = rd16(shim + h->hc_table + 2 * i);

		memcpy(guest_ptr(shim + site), v->ops->hypercall_insn, 3);
	}
	sh = (struct shim_header *)guest_ptr(shim);
	sh->drive = bios.has_disk ? bios.drive : SHIM_NO_DRIVE;
	sh->floppies = bios.floppies;
	sh->hard_disks = bios.hard_disks;
	sh->boot_drive = boot_info.boot_drive;
	sh->partition = g->cfg->partition;
	if (bios.has_disk && bios.floppy)
		memcpy(guest_ptr(shim + h->diskette_params), bios.format->params,
		       sizeof(bios.format->params));

	/* Save the vectors the shim chains to, then point them at it. */
	wr32(shim + h->old_int13, rd32(IVT_INT13));
	wr32(shim + h->old_int15, rd32(IVT_INT15));
	if (bios.has_disk)
		wr32(IVT_INT13, (u32)seg << 16 | h->int13_entry);
	wr32(IVT_INT15, (u32)seg << 16 | h->int15_entry);
	if (console) {
		/* docs/bios-shim.md "Serial console": COM1, which Keel's
		 * console set to 115200 baud, 8N1, FIFO on. */
		sh->serial_port = COM1_BASE;
		wr32(shim + h->old_int10, rd32(IVT_INT10));
		wr32(shim + h->old_int16, rd32(IVT_INT16));
		wr32(IVT_INT10, (u32)seg << 16 | h->int10_entry);
		wr32(IVT_INT16, (u32)seg << 16 | h->int16_entry);
	}
	wr16(BDA_BASE_MEM_KIB, (u16)(shim >> 10));

	bios.shim = shim;
	bios.request = shim + h->request;
	bios.diskette_params = h->diskette_params;
	log_line("guest %d \"%s\": BIOS shim at %04x:0000 (%llu KiB; INT 12h now %u KiB)",
		 g->index, g->name, seg, (unsigned long long)(shim_len >> 10),
		 (unsigned)(shim >> 10));
	if (console)
		log_line("guest %d \"%s\": serial console on port 0x%x: INT 10h text copied "
			 "there, its input typed through INT 16h", g->index, g->name, COM1_BASE);
	return 0;
}

/* The drive counts the guest is shown: the machine's, plus the emulated
 * drive where it lies beyond them. */
static void count_drives(void)
{
	u16 equip = rd16(BDA_EQUIPMENT);
	unsigned floppies = equip & EQUIP_FLOPPY ?
		((equip & EQUIP_FLOPPY_COUNT_MASK) >> EQUIP_FLOPPY_COUNT_SHIFT) + 1 : 0;
	unsigned disks = *guest_ptr(BDA_HARD_DISKS);

	if (bios.has_disk && bios.floppy && floppies < bios.drive + 1u)
		floppies = bios.drive + 1u;
	if (bios.has_disk && !bios.floppy && disks < bios.drive - 0x80u + 1)
		disks = bios.drive - 0x80u + 1;
	bios.floppies = (u8)floppies;
	bios.hard_disks = (u8)disks;
}

/* The BDA says the same as AH=08h: equipment word and hard-disk count. */
static void write_drive_counts(void)
{
	u16 equip = rd16(BDA_EQUIPMENT);

	if (bios.floppies) {
		equip &= (u16)~EQUIP_FLOPPY_COUNT_MASK;
		equip |= EQUIP_FLOPPY | (u16)((bios.floppies - 1) << EQUIP_FLOPPY_COUNT_SHIFT);
		wr16(BDA_EQUIPMENT, equip);
	}
	*guest_ptr(BDA_HARD_DISKS) = bios.hard_disks;
}

int bios_load(struct vcpu *v, struct guest *g, struct guest_start *st)
{
	const struct cfg_guest *c = g->cfg;
	const struct shim_header *h;
	u64 shim_size, size = 0;
	u8 *data = NULL;

	memset(&bios, 0, sizeof(bios));
	h = shim_blob(g, &shim_size);
	if (!h)
		return -1;
	if (c->image[0]) {
		/* guest_file() is Keel's own copy: INT 13h writes change it. */
		data = (u8 *)guest_file(c->image, &size);
		if (!data) {
			log_line("guest %d \"%s\": file not loaded", g->index, g->name);
			return -1;
		}
		if (image_geometry(g, data, size))
			return -1;
		if (!has_boot_signature(data)) {
			log_line("guest %d \"%s\": the image's boot sector has no 0x55AA signature "
				 "at byte 510 (empty or not bootable)", g->index, g->name);
			return -1;
		}
	}
	if (!guest_ram(0, BOOT_ADDR + SECTOR)) {
		log_line("guest %d \"%s\": 0x0-0x7e00 is not RAM", g->index, g->name);
		return -1;
	}

	restore_low_memory();
	count_drives();
	if (install_shim(v, g, h, shim_size))
		return -1;
	write_drive_counts();

	st->mode = CFG_MODE_REAL;
	st->rsp = BOOT_ADDR;   /* SS = 0: the stack grows down below the boot sector */
	st->rflags = X86_RFLAGS_IF; /* the BIOS's own handlers need the timer */
	if (data) {
		memcpy(guest_ptr(BOOT_ADDR), data, SECTOR);
		st->cs_selector = 0;
		st->rip = BOOT_ADDR;
		st->gprs.rdx = bios.drive;
		if (bios.floppy)
			log_line("guest %d \"%s\": drive 0x%02x floppy %u KiB, %u/%u/%u",
				 g->index, g->name, bios.drive, (unsigned)bios.format->kib,
				 bios.cylinders, bios.heads, bios.spt);
		else
			log_line("guest %d \"%s\": drive 0x%02x hard disk %llu sectors, %u/%u/%u",
				 g->index, g->name, bios.drive, (unsigned long long)bios.sectors,
				 bios.cylinders, bios.heads, bios.spt);
	} else {
		/* The shim's loader reads the MBR and the partition's boot record
		 * with the BIOS and jumps to 0000:7C00 itself. */
		st->cs_selector = (u16)(bios.shim >> 4);
		st->rip = h->loader_entry;
		st->gprs.rdx = boot_info.boot_drive;
		log_line("guest %d \"%s\": partition %u of drive 0x%02x", g->index, g->name,
			 c->partition, boot_info.boot_drive);
	}
	bios.cfg = c;
	return 0;
}

/* ---- INT 13h -------------------------------------------------------------- */

static u8 reg_ah(const struct bios_request *r) { return (u8)(r->eax >> 8); }
static u8 reg_al(const struct bios_request *r) { return (u8)r->eax; }
static u8 reg_ch(const struct bios_request *r) { return (u8)(r->ecx >> 8); }
static u8 reg_cl(const struct bios_request *r) { return (u8)r->ecx; }
static u8 reg_dh(const struct bios_request *r) { return (u8)(r->edx >> 8); }

static void set_ax(struct bios_request *r, u16 v) { r->eax = (r->eax & 0xFFFF0000u) | v; }
static void set_bx(struct bios_request *r, u16 v) { r->ebx = (r->ebx & 0xFFFF0000u) | v; }
static void set_cx(struct bios_request *r, u16 v) { r->ecx = (r->ecx & 0xFFFF0000u) | v; }
static void set_dx(struct bios_request *r, u16 v) { r->edx = (r->edx & 0xFFFF0000u) | v; }
static void set_ah(struct bios_request *r, u8 v) { r->eax = (r->eax & 0xFFFF00FFu) | (u32)v << 8; }
static void set_al(struct bios_request *r, u8 v) { r->eax = (r->eax & 0xFFFFFF00u) | v; }

static void set_cf(struct bios_request *r, bool on)
{
	r->flags = on ? r->flags | X86_RFLAGS_CF : r->flags & (u16)~X86_RFLAGS_CF;
}

/* AH = status, CF = status != 0, remembered for AH=01h. */
static void disk_status(struct bios_request *r, u8 status)
{
	bios.last_status = status;
	set_ah(r, status);
	set_cf(r, status != DISK_OK);
}

/* Moves count sectors from LBA lba between the image and guest memory at
 * buf. All or nothing: a range past the image's end moves nothing. */
static u8 disk_transfer(u64 lba, u64 count, gpa_t buf, bool write)
{
	u64 bytes = count * SECTOR;

	if (lba >= bios.sectors || count > bios.sectors - lba)
		return DISK_NOT_FOUND;
	if (!count)
		return DISK_OK;
	/* Never let a guest's pointer reach Keel's region or what is not RAM. */
	if (!guest_ram(buf, bytes)) {
		log_line("bios: INT 13h buffer 0x%llx+0x%llx is not guest RAM",
			 (unsigned long long)buf, (unsigned long long)bytes);
		return DISK_BAD_COMMAND;
	}
	if (write)
		memcpy(bios.data + lba * SECTOR, guest_ptr(buf), bytes);
	else
		memcpy(guest_ptr(buf), bios.data + lba * SECTOR, bytes);
	return DISK_OK;
}

/* CHS from CH/CL/DH (cylinder bits 9:8 in CL bits 7:6) to LBA; false when
 * the sector or head does not exist in the geometry. */
static bool chs_to_lba(const struct bios_request *r, u64 *lba)
{
	u32 cyl = reg_ch(r) | (u32)(reg_cl(r) & 0xC0) << 2;
	u32 sec = reg_cl(r) & 0x3F, head = reg_dh(r);

	if (sec == 0 || sec > bios.spt || head >= bios.heads)
		return false;
	*lba = ((u64)cyl * bios.heads + head) * bios.spt + sec - 1;
	return true;
}

/* AH=02h read, 03h write, 04h verify: AL sectors at CH/CL/DH to ES:BX. */
static void int13_chs(struct bios_request *r, u8 ah)
{
	u8 count = reg_al(r), status;
	u64 lba;

	if (count == 0) {
		status = DISK_BAD_COMMAND;
	} else if (!chs_to_lba(r, &lba)) {
		status = DISK_NOT_FOUND;
	} else if (ah == 0x04) {
		status = lba < bios.sectors && count <= bios.sectors - lba ? DISK_OK : DISK_NOT_FOUND;
	} else {
		status = disk_transfer(lba, count, seg_off(r->es, (u16)r->ebx), ah == 0x03);
	}
	disk_status(r, status);
	set_al(r, status == DISK_OK ? count : 0); /* AL = sectors transferred */
}

/* AH=08h: the drive's geometry as maximum cylinder, head and sector. */
static void int13_params(struct bios_request *r)
{
	u32 max_cyl = (bios.cylinders > HD_MAX_CYLINDERS ? HD_MAX_CYLINDERS : bios.cylinders) - 1;

	set_cx(r, (u16)((max_cyl & 0xFF) << 8 | (max_cyl >> 2 & 0xC0) | bios.spt));
	if (bios.floppy) {
		set_bx(r, bios.format->drive_type); /* BH = 0, BL = drive type */
		set_dx(r, (u16)((bios.heads - 1) << 8 | bios.floppies));
		r->es = (u16)(bios.shim >> 4);
		r->edi = (r->edi & 0xFFFF0000u) | bios.diskette_params;
	} else {
		set_dx(r, (u16)((bios.heads - 1) << 8 | bios.hard_disks));
	}
	set_ax(r, 0);
	disk_status(r, DISK_OK);
}

/* AH=15h: disk type; a hard disk also gives its size in CX:DX. */
static void int13_disk_type(struct bios_request *r)
{
	u32 n = bios.sectors > 0xFFFFFFFFu ? 0xFFFFFFFFu : (u32)bios.sectors;

	if (bios.floppy) {
		/* Change line supported, and AH=16h always says "not changed":
		 * the image never changes under the guest. */
		set_ah(r, DISK_TYPE_FLOPPY_CHANGELINE);
	} else {
		set_ah(r, DISK_TYPE_HARD_DISK);
		set_cx(r, (u16)(n >> 16));
		set_dx(r, (u16)n);
	}
	set_cf(r, false);
	bios.last_status = DISK_OK;
}

/* AH=42h extended read, 43h write, 44h verify: the disk address packet
 * at DS:SI (EDD 1.1; a 64-bit flat buffer when the segment:offset is
 * FFFF:FFFF and the packet is 24 bytes or more, EDD 3.0). */
static void int13_extended(struct bios_request *r, u8 ah)
{
	gpa_t dap = seg_off(r->ds, (u16)r->esi), buf;
	u8 status;
	u16 count;
	u64 lba;

	if (!guest_ram(dap, 16) || *guest_ptr(dap) < 16) {
		disk_status(r, DISK_BAD_COMMAND);
		return;
	}
	count = rd16(dap + 2);
	lba = rd64(dap + 8);
	buf = seg_off(rd16(dap + 6), rd16(dap + 4));
	if (rd32(dap + 4) == 0xFFFFFFFFu && *guest_ptr(dap) >= 24 && guest_ram(dap, 24))
		buf = rd64(dap + 16);
	if (ah == 0x44)
		status = lba < bios.sectors && count <= bios.sectors - lba ? DISK_OK : DISK_NOT_FOUND;
	else
		status = disk_transfer(lba, count, buf, ah == 0x43);
	if (status != DISK_OK)
		wr16(dap + 2, 0); /* blocks transferred: none */
	disk_status(r, status);
}

/* AH=48h: drive parameters into the result buffer at DS:SI. */
static void int13_edd_params(struct bios_request *r)
{
	gpa_t p = seg_off(r->ds, (u16)r->esi);
	u16 size;
	u64 cyl = bios.sectors / (bios.heads * bios.spt);

	if (!guest_ram(p, 2) || (size = rd16(p)) < EDD_PARAMS_V1_SIZE ||
	    !guest_ram(p, size < EDD_PARAMS_V2_SIZE ? EDD_PARAMS_V1_SIZE : EDD_PARAMS_V2_SIZE)) {
		disk_status(r, DISK_BAD_COMMAND);
		return;
	}
	size = size < EDD_PARAMS_V2_SIZE ? EDD_PARAMS_V1_SIZE : EDD_PARAMS_V2_SIZE;
	wr16(p, size);
	/* No DMA here, so no boundary errors; CHS is valid while the disk
	 * fits what INT 13h AH=02h can address. */
	wr16(p + 2, EDD_INFO_DMA_TRANSPARENT | (cyl <= HD_MAX_CYLINDERS ? EDD_INFO_CHS_VALID : 0));
	wr32(p + 4, (u32)(cyl ? cyl : 1));
	wr32(p + 8, bios.heads);
	wr32(p + 12, bios.spt);
	wr64(p + 16, bios.sectors);
	wr16(p + 24, SECTOR);
	if (size >= EDD_PARAMS_V2_SIZE)
		wr32(p + 26, 0xFFFFFFFFu); /* no device parameter table extension */
	disk_status(r, DISK_OK);
}

static void int13(struct bios_request *r)
{
	u8 ah = reg_ah(r);

	switch (ah) {
	case 0x00: /* reset disk system: nothing to reset */
		disk_status(r, DISK_OK);
		break;
	case 0x01: /* status of the last operation */
		set_ah(r, bios.last_status);
		set_cf(r, bios.last_status != DISK_OK);
		break;
	case 0x02: /* read sectors (CHS) */
	case 0x03: /* write sectors (CHS): into Keel's copy */
	case 0x04: /* verify sectors */
		int13_chs(r, ah);
		break;
	case 0x08: /* drive parameters */
		int13_params(r);
		break;
	case 0x15: /* disk type */
		int13_disk_type(r);
		break;
	case 0x16: /* change line status: never changed */
		disk_status(r, DISK_OK);
		break;
	case 0x0C: /* seek, alternate reset, test ready, recalibrate: */
	case 0x0D: /* hard disks only, and nothing to do */
	case 0x10:
	case 0x11:
	case 0x47: /* extended seek */
		disk_status(r, bios.floppy ? DISK_BAD_COMMAND : DISK_OK);
		break;
	case 0x41: /* extensions installation check */
		if (bios.floppy || (u16)r->ebx != 0x55AA) {
			disk_status(r, DISK_BAD_COMMAND);
			break;
		}
		set_bx(r, 0xAA55);
		set_ah(r, EDD_VERSION_1_1);
		set_cx(r, EDD_SUBSET_DISK_ACCESS);
		set_cf(r, false);
		break;
	case 0x42: /* extended read */
	case 0x43: /* extended write (AL = verify flags; nothing to verify) */
	case 0x44: /* extended verify */
		if (bios.floppy)
			disk_status(r, DISK_BAD_COMMAND);
		else
			int13_extended(r, ah);
		break;
	case 0x48: /* extended drive parameters */
		if (bios.floppy)
			disk_status(r, DISK_BAD_COMMAND);
		else
			int13_edd_params(r);
		break;
	default:
		disk_status(r, DISK_BAD_COMMAND);
		break;
	}
}

/* ---- INT 15h -------------------------------------------------------------- */

/* AX=E820h: entry EBX of the guest's map into ES:DI, ECX bytes of it. */
static void int15_e820(struct bios_request *r)
{
	u32 idx = r->ebx, len = r->ecx >= E820_ACPI3_SIZE ? E820_ACPI3_SIZE : E820_MIN_SIZE;
	gpa_t buf = seg_off(r->es, (u16)r->edi);
	const struct mem_range *m;

	if (r->edx != E820_SMAP || idx >= (u32)bios.nmap || r->ecx < E820_MIN_SIZE ||
	    !guest_ram(buf, len)) {
		set_ah(r, INT15_UNSUPPORTED);
		set_cf(r, true);
		return;
	}
	m = &bios.map[idx];
	wr64(buf, m->base);
	wr64(buf + 8, m->len);
	wr32(buf + 16, m->type);
	if (len == E820_ACPI3_SIZE)
		wr32(buf + 20, E820_ATTR_ENABLED);
	r->eax = E820_SMAP;
	r->ecx = len;
	r->ebx = idx + 1 < (u32)bios.nmap ? idx + 1 : 0; /* 0: that was the last one */
	set_cf(r, false);
}

/* AX=E801h: AX = CX = KiB between 1 and 16 MiB, BX = DX = 64 KiB blocks
 * above 16 MiB, both up to the first hole (or Keel's region). */
static void int15_e801(struct bios_request *r)
{
	u64 end = ram_end_from(bios.map, bios.nmap, MiB(1));
	u64 low = (end < MiB(16) ? end : MiB(16)) - MiB(1);
	u64 high = end > MiB(16) ? ((end < GiB(4) ? end : GiB(4)) - MiB(16)) >> 16 : 0;

	if (high > 0xFFFF)
		high = 0xFFFF;
	set_ax(r, (u16)(low >> 10));
	set_cx(r, (u16)(low >> 10));
	set_bx(r, (u16)high);
	set_dx(r, (u16)high);
	set_cf(r, false);
}

/* AH=88h: KiB above 1 MiB up to the first hole, at most FFFFh. */
static void int15_88(struct bios_request *r)
{
	u64 kib = (ram_end_from(bios.map, bios.nmap, MiB(1)) - MiB(1)) >> 10;

	set_ax(r, (u16)(kib > 0xFFFF ? 0xFFFF : kib));
	set_cf(r, false);
}

bool bios_hypercall(struct vcpu *v, u64 fn)
{
	gpa_t blk = (u32)vcpu_get_reg(v, VCPU_RBX);
	struct bios_request r;

	/* Only the BIOS guest that is running, and only its own shim's block:
	 * anything else is an unknown hypercall (-1). */
	if (!bios.cfg || !v->guest || v->guest->cfg != bios.cfg || blk != bios.request)
		return false;
	if (fn == HC_BIOS_INT13 && !bios.has_disk)
		return false;
	if (fn < HC_BIOS_INT13 || fn > HC_BIOS_88)
		return false;
	memcpy(&r, guest_ptr(blk), sizeof(r));
	switch (fn) {
	case HC_BIOS_INT13:
		int13(&r);
		break;
	case HC_BIOS_E820:
		int15_e820(&r);
		break;
	case HC_BIOS_E801:
		int15_e801(&r);
		break;
	case HC_BIOS_88:
		int15_88(&r);
		break;
	}
	memcpy(guest_ptr(blk), &r, sizeof(r));
	vcpu_set_reg(v, VCPU_RAX, 0);
	return true;
}
