/* Stage 2: from the MBR's jump to the hypervisor's entry. */
#include "stage2.h"
#include "bios.h"
#include "../lib/console.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* CPUID 80000001h EDX bit 29: long mode (AMD APM vol. 3, E.4.2). */
#define CPUID_EXT_LM (1u << 29)

/* MBR partition table (at byte 446 of LBA 0). */
struct mbr_partition {
	u8 status;
	u8 chs_first[3];
	u8 type;
	u8 chs_last[3];
	u32 lba;
	u32 sectors;
} __attribute__((packed));

static u8 sector[FAT_SECTOR];     /* MBR, then the FAT reader's scratch */
struct hv_boot_tsc s2_boot_tsc = { .magic = HV_BOOT_TSC_MAGIC };
static struct mem_range map[MEMMAP_MAX];

void s2_log(const char *fmt, ...)
{
	va_list ap;

	con_write("keel: ", 6);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_write("\n", 1);
}

void s2_fatal(const char *fmt, ...)
{
	va_list ap;

	con_write("keel: FATAL: ", 13);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_write("\n", 1);
	emulator_exit(2);
	stage2_halt();
}

static void check_long_mode(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000001)
		s2_fatal("this CPU has no long mode (no CPUID leaf 80000001h); Keel needs x86-64");
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(d & CPUID_EXT_LM))
		s2_fatal("this CPU has no long mode (CPUID 80000001h EDX.LM = 0); Keel needs x86-64");
}

static bool is_fat_type(u8 type)
{
	/* FAT16 <32M, FAT16, FAT32 (CHS), FAT32 (LBA), FAT16 (LBA) */
	return type == 0x04 || type == 0x06 || type == 0x0B || type == 0x0C || type == 0x0E;
}

static void mount_partition1(struct fat_volume *vol)
{
	const struct mbr_partition *p;
	u32 lba;
	int rc;

	if (bios_disk_read(NULL, 0, 1, sector))
		s2_fatal("cannot read the boot disk's MBR");
	p = (const struct mbr_partition *)(sector + 446);
	if (!p->sectors || !is_fat_type(p->type))
		s2_fatal("partition 1 is not a FAT partition (type 0x%02x)", p->type);
	lba = p->lba; /* fat_mount reuses the sector buffer */
	rc = fat_mount(vol, bios_disk_read, NULL, lba, sector);
	if (rc)
		s2_fatal("partition 1 (LBA %u): %s", (unsigned)lba, fat_strerror(rc));
}

static const char *read_config(struct fat_volume *vol, size_t *len)
{
	char *text = flat_ptr(S2_CFG_TEXT);
	struct fat_file f;
	int rc;

	rc = fat_lookup(vol, CONFIG_NAME, &f);
	if (!rc)
		rc = fat_read_file(vol, &f, text, S2_CFG_TEXT_MAX);
	if (rc)
		s2_fatal("%s: %s", CONFIG_NAME, fat_strerror(rc));
	*len = f.size;
	return text;
}

void stage2_main(u32 drive)
{
	static struct fat_volume vol;
	struct config *cfg = flat_ptr(S2_CONFIG);
	struct cfg_error err;
	const char *method, *text;
	size_t len;
	int n, choice;

	_Static_assert(sizeof(struct config) <= S2_CONFIG_MAX, "struct config outgrew its place");

	con_init(CON_ALL);
	s2_log("stage2 boot drive 0x%02x", (unsigned)drive);
	bios_disk_init((u8)drive);
	check_long_mode();
	s2_boot_tsc.stage2 = s2_rdtsc();

	if (a20_enable(&method))
		s2_fatal("cannot enable the A20 line (tried BIOS, keyboard controller, port 0x92)");
	s2_log("a20 on (%s)", method);

	n = bios_memory_map(map, MEMMAP_MAX, &method);
	if (n < 0)
		s2_fatal("the BIOS gives no memory map (E820, E801 and 88h all failed)");
	n = memmap_sanitize(map, n, MEMMAP_MAX);
	if (n < 0)
		s2_fatal("the BIOS memory map has too many entries");
	s2_log("memory map from %s: %d entries, %u MiB of RAM", method, n,
	       (unsigned)(memmap_ram_bytes(map, n) >> 20));

	mount_partition1(&vol);
	text = read_config(&vol, &len);
	if (cfg_parse(text, len, cfg, &err)) {
		if (err.line)
			s2_fatal("%s:%d: %s", CONFIG_NAME, err.line, err.msg);
		s2_fatal("%s: %s", CONFIG_NAME, err.msg);
	}

	choice = menu_choose(cfg);
	s2_boot_tsc.menu = s2_rdtsc();
	s2_log("menu: starting entry %d \"%s\"", choice + 1, cfg->entries[choice].title);
	load_and_start(&vol, map, n, text, &cfg->entries[choice], (u8)drive);
}
