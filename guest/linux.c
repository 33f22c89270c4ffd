/* The Linux guest (DESIGN.md "Linux guest", docs/linux.md): Keel loads a
 * bzImage itself through the 64-bit boot protocol (the 32-bit one for a
 * kernel without XLF_KERNEL_64), skipping the real-mode setup code and
 * every BIOS call. guest/bzimage.c checks the header and decides where
 * things go; this file copies them into guest memory and fills the start
 * state. Guest RAM below 4 GiB is identity-mapped in Keel's page tables,
 * so phys_to_virt(gpa) reaches it.
 *
 * Low memory, one block at LINUX_LOW_BASE (above the real-mode IVT, BDA
 * and the BIOS's own data, far below the EBDA):
 *   +0x0000 zero page (struct boot_params)
 *   +0x1000 command line
 *   +0x2000 GDT: 0x08 32-bit code, 0x10 __BOOT_CS, 0x18 __BOOT_DS
 *   +0x3000 identity map of the first 4 GiB: PML4, PDPT, four PDs (2 MiB pages)
 * The kernel reserves the first megabyte for itself, and copies the zero
 * page and the command line before it uses that memory. */
#include "../hv/hv.h"
#include "../hv/acpi.h"
#include "../hv/guest.h"
#include "../lib/format.h"
#include "../lib/string.h"
#include "bzimage.h"

#define LINUX_LOW_BASE 0x20000u
#define LINUX_ZERO_PAGE (LINUX_LOW_BASE + 0x0000)
#define LINUX_CMDLINE (LINUX_LOW_BASE + 0x1000)
#define LINUX_CMDLINE_MAX 4096u
#define LINUX_GDT (LINUX_LOW_BASE + 0x2000)
#define LINUX_PT (LINUX_LOW_BASE + 0x3000)
#define LINUX_PT_PAGES GUEST_IDMAP_PAGES
#define LINUX_LOW_SIZE (0x3000 + LINUX_PT_PAGES * PAGE_SIZE)

#define LINUX_DEFAULT_CMDLINE "console=ttyS0"


/* GDT descriptors (SDM vol. 3, 3.4.5), accessed bit set so the CPU never
 * writes the table: base 0, limit 4 GiB, G=1, DPL 0. */
#define GDT_CODE32 0x00CF9B000000FFFFull /* D=1, execute/read */
#define GDT_CODE64 0x00AF9B000000FFFFull /* L=1, execute/read */
#define GDT_DATA 0x00CF93000000FFFFull   /* B=1, read/write */
#define GDT_ENTRIES 4
/* boot.rst "32-bit Boot Protocol" and "64-bit Boot Protocol". */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

/* The guest's memory map (the machine's, less Keel's region); owned by
 * linux_load(), kept off the 16 KiB hypervisor stack. */
static struct mem_range guest_map[MEMMAP_MAX];

static int fail(const struct guest *g, const char *why)
{
	log_line("guest %d \"%s\": linux: %s", g->index, g->name, why);
	return -1;
}

static void build_gdt(bool long_mode)
{
	u64 *gdt = phys_to_virt(LINUX_GDT);

	gdt[0] = 0;
	gdt[1] = GDT_CODE32;
	gdt[BOOT_CS / 8] = long_mode ? GDT_CODE64 : GDT_CODE32;
	gdt[BOOT_DS / 8] = GDT_DATA;
}

int linux_load(struct guest *g, struct guest_start *st)
{
	const struct cfg_guest *c = g->cfg;
	const char *cmdline = c->has_cmdline ? c->cmdline : LINUX_DEFAULT_CMDLINE;
	const u8 *kernel, *initrd = NULL;
	u64 ksize, isize = 0, load, initrd_at = 0;
	struct mem_range low = { LINUX_LOW_BASE, LINUX_LOW_SIZE, E820_RESERVED };
	struct bzimage_info bi;
	size_t clen = strlen(cmdline);
	bool long_mode;
	char err[160], what[64];
	int n;

	kernel = guest_file(c->kernel, &ksize);
	if (!kernel)
		return fail(g, "the kernel file was not loaded");
	if (bzimage_parse(kernel, ksize, &bi, err, sizeof(err)))
		return fail(g, err);
	if (clen > bi.cmdline_size || clen >= LINUX_CMDLINE_MAX) {
		fmt_snprintf(err, sizeof(err), "the command line (%zu bytes) is longer than the "
			     "kernel takes (%u)", clen, bi.cmdline_size);
		return fail(g, err);
	}
	if (c->initrd[0]) {
		initrd = guest_file(c->initrd, &isize);
		if (!initrd || !isize)
			return fail(g, "the initrd file was not loaded");
	}
	n = guest_memmap(guest_map, MEMMAP_MAX);
	if (n < 0)
		return fail(g, "the memory map has too many ranges");
	if (!guest_ram(LINUX_LOW_BASE, LINUX_LOW_SIZE))
		return fail(g, "0x20000-0x28fff (zero page, command line, page tables) is not RAM");
	if (bzimage_place(&bi, guest_map, n, &load, err, sizeof(err)))
		return fail(g, err);
	if (initrd && bzimage_place_initrd(&bi, guest_map, n, load, &low, 1, isize, GiB(4),
					   &initrd_at, err, sizeof(err)))
		return fail(g, err);
	/* bzimage.c worked from the same map; guest_ram() is the rule every
	 * loader answers to, so ask it before writing. */
	if (!guest_ram(load, bi.init_size) || (initrd && !guest_ram(initrd_at, isize)))
		return fail(g, "the chosen place is not guest RAM (internal error)");

	memcpy(phys_to_virt(load), kernel + bi.kernel_offset, bi.kernel_size);
	memset(phys_to_virt(load + bi.kernel_size), 0, bi.kernel_pad);
	if (initrd)
		memcpy(phys_to_virt(initrd_at), initrd, isize);
	memcpy(phys_to_virt(LINUX_CMDLINE), cmdline, clen + 1);
	bzimage_build_zero_page(phys_to_virt(LINUX_ZERO_PAGE), kernel, &bi, load, LINUX_CMDLINE,
				initrd_at, isize, guest_map, n);
	bzimage_set_rsdp(phys_to_virt(LINUX_ZERO_PAGE), &bi, acpi_rsdp());

	/* boot.rst: the 64-bit entry is at load + 0x200, in long mode on an
	 * identity map; the 32-bit one at load, with paging off and EBP, EDI
	 * and EBX zero (guest_load() cleared *st). Both: interrupts off,
	 * RSI/ESI = the zero page, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS. */
	long_mode = bi.xloadflags & XLF_KERNEL_64;
	build_gdt(long_mode);
	st->rflags = 0;
	st->rsp = 0;
	st->gprs.rsi = LINUX_ZERO_PAGE;
	if (long_mode) {
		/* The 64-bit entry needs the kernel, zero page, command line and
		 * initrd mapped: all lie below 4 GiB. */
		guest_identity_map(LINUX_PT);
		st->mode = CFG_MODE_LONG;
		st->rip = load + BZ_ENTRY64_OFFSET;
		st->cr3 = LINUX_PT;
	} else {
		st->mode = CFG_MODE_PROTECTED;
		st->rip = load;
	}
	/* Without these fields the backend gives flat 0x08/0x10 segments and
	 * no GDT, which the kernel replaces in its first instructions. */
#ifdef GUEST_START_HAS_GDT
	st->gdt_base = LINUX_GDT;
	st->gdt_limit = GDT_ENTRIES * 8 - 1;
	st->cs_selector = BOOT_CS;
	st->ds_selector = BOOT_DS;
#endif

	if (initrd)
		fmt_snprintf(what, sizeof(what), "initrd at 0x%llx (%llu bytes)",
			     (unsigned long long)initrd_at, (unsigned long long)isize);
	else
		fmt_snprintf(what, sizeof(what), "no initrd");
	log_line("linux: protocol %u.%02u, kernel at 0x%llx (init_size %llu), %s, cmdline \"%s\", "
		 "%s entry at 0x%llx", bi.version >> 8, bi.version & 0xFF, (unsigned long long)load,
		 (unsigned long long)bi.init_size, what, cmdline, long_mode ? "64-bit" : "32-bit",
		 (unsigned long long)st->rip);
	return 0;
}
