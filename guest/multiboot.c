/* Multiboot (v1) kernels as guests (DESIGN.md "Test guests"), so that test
 * suites built as Multiboot kernels run under Keel unchanged. The loading
 * itself is guest/mbload.c; this file connects it to guest memory. */
#include "../hv/hv.h"
#include "../hv/guest.h"
#include "mbload.h"

/* The information structure goes here in guest memory (Multiboot lets the
 * loader choose; low conventional memory is free in a flat guest). */
#define MB_INFO_GPA 0x10000u
#define MB_INFO_SIZE 0x1000u

static bool mb_is_ram(void *ctx, u64 gpa, u64 len)
{
	(void)ctx;
	return guest_ram(gpa, len);
}

static void *mb_ptr(void *ctx, u64 gpa)
{
	(void)ctx;
	return phys_to_virt(gpa);
}

int multiboot_load(struct guest *g, struct guest_start *st)
{
	static struct mem_range map[MEMMAP_MAX];
	const struct mb_guest_mem mem = { .is_ram = mb_is_ram, .ptr = mb_ptr };
	struct mb_load_result res;
	char err[128];
	u64 size;
	const u8 *file = guest_file(g->cfg->file, &size);
	int n = guest_memmap(map, MEMMAP_MAX);

	if (!file || n < 0) {
		log_line("guest %d \"%s\": file not loaded", g->index, g->name);
		return -1;
	}
	if (mb_load_kernel(file, size, g->cfg->cmdline, map, n, &mem, MB_INFO_GPA, MB_INFO_SIZE,
			   &res, err, sizeof(err))) {
		log_line("guest %d \"%s\": %s", g->index, g->name, err);
		return -1;
	}
	/* Multiboot 3.2: 32-bit protected mode, paging off, EAX = magic,
	 * EBX = the information structure, interrupts off; flat segments,
	 * here from a GDT the kernel can use until it loads its own. */
	st->mode = CFG_MODE_PROTECTED;
	st->gdt_base = res.gdt_gpa;
	st->gdt_limit = res.gdt_limit;
	st->cs_selector = MB_GDT_CODE_SEL;
	st->ds_selector = MB_GDT_DATA_SEL;
	st->rip = res.entry;
	st->rsp = 0;
	st->rflags = 0;
	st->gprs.rax = MULTIBOOT_BOOTLOADER_MAGIC;
	st->gprs.rbx = res.info_gpa;
	log_line("multiboot: entry 0x%x, image 0x%x-0x%x, info at 0x%x", res.entry,
		 res.load_start, res.load_end, res.info_gpa);
	return 0;
}
