/* Guest lifecycle: the entry's guests run one after another on the
 * bootstrap CPU; each runs until it stops (DESIGN.md "Guests"), then its
 * exits are summed up in the log and the next one starts. */
#include "hv.h"
#include "bootinfo.h"
#include "gpmap.h"
#include "guest.h"
#include "lapic.h"
#include "msr.h"
#include "ptbuild.h"
#include "trace.h"
#include "../iommu/iommu.h"
#include "../lib/console.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

static const char *const stop_names[] = {
	[STOP_NONE] = "none",
	[STOP_EXIT_CODE] = "exit-code",
	[STOP_NEXT] = "next",
	[STOP_HLT] = "hlt",
	[STOP_RESET] = "reset",
	[STOP_SHUTDOWN] = "triple-fault",
	[STOP_POWEROFF] = "poweroff",
	[STOP_FAULT] = "fault",
	[STOP_UNHANDLED] = "unhandled-exit",
	[STOP_ENTRY_FAILED] = "entry-failed",
	[STOP_STUCK] = "stuck",
};

/* The one vCPU; owned by guests_run(). */
static struct vcpu vcpu0;
/* No guest has started yet (the boot's timing line comes before the first). */
static bool first_start = true;

const char *stop_reason_name(enum stop_reason why)
{
	return why < ARRAY_SIZE(stop_names) ? stop_names[why] : "?";
}

void guest_stop(struct vcpu *v, enum stop_reason why, u64 code)
{
	v->stop = why;
	v->stop_code = code;
}

bool guest_ram(gpa_t gpa, u64 len)
{
	if (!len || gpa + len < gpa)
		return false;
	if (gpa < hv_region.base + hv_region.size && hv_region.base < gpa + len)
		return false;
	for (int i = 0; i < boot_info.nmap; i++) {
		const struct mem_range *r = &boot_info.map[i];

		if (r->type == E820_RAM && gpa >= r->base && gpa + len <= r->base + r->len)
			return true;
	}
	return false;
}

int guest_memmap(struct mem_range *out, int max)
{
	int n = boot_info.nmap;

	if (n > max)
		return -1;
	memcpy(out, boot_info.map, n * sizeof(*out));
	return memmap_carve(out, n, max, hv_region.base, hv_region.size);
}

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define GUEST_MAP_MAX 64

void guest_identity_map(gpa_t base)
{
	u64 *pml4 = phys_to_virt(base), *pdpt = pml4 + 512, *pd = pml4 + 1024;

	memset(pml4, 0, GUEST_IDMAP_PAGES * PAGE_SIZE);
	pml4[0] = (base + 0x1000) | PTE_P | PTE_RW;
	for (u64 i = 0; i < 4; i++)
		pdpt[i] = (base + 0x2000 + i * 0x1000) | PTE_P | PTE_RW;
	for (u64 i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
}

/* The EPT/NPT tables guest_map_memory() built for the backend, which
 * give_back_files() extends. Owned by guests_run(). */
static struct pt_builder *guest_pt;

/* The guest's view of the BIOS ROM's last page: a copy in Keel's region
 * whose reset vector (F000:FFF0) holds the hypercall instruction, so that
 * a jump there (DOS's warm reboot) comes to Keel as a reset request
 * instead of running the BIOS's POST inside the guest (DESIGN.md
 * "Guests"; hv/exit.c). Refreshed for every guest. */
static hpa_t rom_copy;
static u8 rom_hypercall[3];

static void rom_copy_refresh(void)
{
	u8 *p = phys_to_virt(rom_copy);

	memcpy(p, phys_to_virt(RESET_VECTOR_PAGE), PAGE_SIZE);
	memcpy(p + (RESET_VECTOR_LINEAR & (PAGE_SIZE - 1)), rom_hypercall, sizeof(rom_hypercall));
}

int guest_map_memory(struct pt_builder *b, const struct pt_format *fmt, const u8 *hypercall)
{
	static struct pt_range ranges[GUEST_MAP_MAX];
	int n = gpmap_build(boot_info.map, boot_info.nmap, hv_region.base, hv_region.size,
			    ranges, GUEST_MAP_MAX);

	/* The APIC page and the ROM's last page on 4 KiB leaves of their
	 * own: APIC writes go through hv/lapic.c, the ROM page is a copy.
	 * The IOMMUs' registers are Keel's: not mapped at all. */
	if (n >= 0)
		n = iommu_close_registers(ranges, n, GUEST_MAP_MAX);
	if (n >= 0)
		n = gpmap_isolate_page(ranges, n, GUEST_MAP_MAX, lapic_page());
	if (n >= 0)
		n = gpmap_isolate_page(ranges, n, GUEST_MAP_MAX, RESET_VECTOR_PAGE);
	if (!rom_copy)
		rom_copy = table_page_alloc();
	memcpy(rom_hypercall, hypercall, sizeof(rom_hypercall));
	guest_pt = b;
	if (n < 0 || !rom_copy || pt_init(b, fmt, heap_table_alloc, heap_table_ptr, NULL) ||
	    pt_map_ranges(b, ranges, n) || pt_set_page(b, lapic_page(), lapic_page(), false) ||
	    pt_set_page(b, RESET_VECTOR_PAGE, rom_copy, true))
		return -1;
	return n;
}

const void *guest_file(const char *name, u64 *size)
{
	const struct boot_module *m = bootinfo_module(name);

	if (!m)
		return NULL;
	*size = m->end - m->start;
	return phys_to_virt(m->start);
}

static void guest_name(struct guest *g, const struct cfg_guest *c)
{
	const char *n = c->kind == CFG_GUEST_LINUX ? c->kernel : c->kind == CFG_GUEST_BIOS ? c->image : c->file;

	if (c->kind == CFG_GUEST_BIOS && !c->image[0]) {
		memcpy(g->name, "partition ", 10);
		g->name[10] = (char)('0' + c->partition);
		g->name[11] = 0;
		return;
	}
	memcpy(g->name, n, CFG_FILE_MAX);
}

static int guest_load(struct vcpu *v, struct guest *g, struct guest_start *st)
{
	memset(st, 0, sizeof(*st));
	switch (g->cfg->kind) {
	case CFG_GUEST_FLAT:
		return flat_load(g, st);
	case CFG_GUEST_BIOS:
		return bios_load(v, g, st);
	case CFG_GUEST_MULTIBOOT:
		return multiboot_load(g, st);
	case CFG_GUEST_LINUX:
		return linux_load(g, st);
	default:
		log_line("guest %d \"%s\": kind %s is not supported by this build", g->index,
			 g->name, cfg_kind_name(g->cfg->kind));
		return -1;
	}
}

static void log_exits(const struct vcpu *v)
{
	char buf[256];
	int n = 0;

	for (int k = VMEXIT_CPUID; k < VMEXIT_KIND_COUNT && n < (int)sizeof(buf) - 32; k++) {
		if (k == VMEXIT_INVALID)
			continue;
		n += fmt_snprintf(buf + n, sizeof(buf) - n, "%s%s=%llu", n ? " " : "",
				  vmexit_kind_name(k), (unsigned long long)v->exits[k]);
	}
	if (v->exits[VMEXIT_UNKNOWN])
		fmt_snprintf(buf + n, sizeof(buf) - n, " unknown=%llu",
			     (unsigned long long)v->exits[VMEXIT_UNKNOWN]);
	log_line("exits %s", buf);
}

static void log_watchdog(const struct vcpu *v, const struct guest *g)
{
	if (v->watchdog)
		log_line("guest %d \"%s\" watchdog=%u s: stopped after that long with interrupts "
			 "off and no exit (TSC %llu kHz)", g->index, g->name, v->watchdog,
			 (unsigned long long)(tsc_hz() / 1000));
	else
		log_line("guest %d \"%s\" watchdog=%u s not available: the %s backend has no "
			 "preemption timer; the guest runs without one", g->index, g->name,
			 g->cfg->watchdog, v->ops->name);
}

/* Runs one guest to its stop; returns how it stopped. */
static enum stop_reason run_guest(struct vcpu *v, const struct cfg_entry *e, int i)
{
	struct guest g = { .index = i + 1, .cfg = &e->guests[i] };
	struct guest_start st;
	struct vmexit ex;

	guest_name(&g, g.cfg);
	log_line("guest %d \"%s\" start kind=%s", g.index, g.name, cfg_kind_name(g.cfg->kind));
	if (guest_load(v, &g, &st)) {
		log_line("guest %d \"%s\" stop reason=load-error exits=0", g.index, g.name);
		return STOP_UNHANDLED;
	}
	v->guest = &g;
	v->stop = STOP_NONE;
	v->kbc_command = 0;
	v->stuck_periods = 0;
	v->hlt_retry = 0;
	v->ipi_refused = false;
	v->total_exits = 0;
	memset(v->exits, 0, sizeof(v->exits));
	memset(&v->io_exits, 0, sizeof(v->io_exits));
	rom_copy_refresh();
	msr_guest_reset(v);
	st.watchdog = g.cfg->watchdog;
	v->ops->vcpu_reset(v, &st);
	if (st.watchdog)
		log_watchdog(v, &g);
	/* From here the guest owns COM1 and the screen. */
	con_set_sinks(CON_E9);
	trace_start(v, g.cfg->trace);
	if (first_start) {
		bootinfo_log_tsc();
		first_start = false;
	}

	while (v->stop == STOP_NONE) {
		if (v->ops->run(v, &ex)) {
			con_set_sinks(CON_ALL);
			log_line("VM entry failed for guest %d \"%s\"", g.index, g.name);
			v->ops->dump(v);
			guest_stop(v, STOP_ENTRY_FAILED, 0);
			break;
		}
		v->exits[ex.kind]++;
		v->total_exits++;
		exit_dispatch(v, &ex);
		iommu_poll();
	}
	trace_stop(v);
	iommu_guest_done();
	if (g.line_len) {
		g.line[g.line_len] = 0;
		log_line("[%s] %s", g.name, g.line);
	}
	if (v->stop == STOP_EXIT_CODE)
		log_line("guest %d \"%s\" stop reason=exit-code code=%llu exits=%llu", g.index, g.name,
			 (unsigned long long)v->stop_code, (unsigned long long)v->total_exits);
	else
		log_line("guest %d \"%s\" stop reason=%s exits=%llu", g.index, g.name,
			 stop_reason_name(v->stop), (unsigned long long)v->total_exits);
	log_exits(v);
	io_count_log(&v->io_exits);
	v->guest = NULL;
	return v->stop;
}

/* The module whose pages end at end, or NULL. */
static const struct boot_module *module_ending_at(hpa_t end)
{
	for (int i = 0; i < boot_info.nmods; i++) {
		const struct boot_module *m = &boot_info.mods[i];

		if (ALIGN_UP(m->end, PAGE_SIZE) == end && m->start < end)
			return m;
	}
	return NULL;
}

/* After guest done (0-based) stopped: the files no later guest of the
 * entry names lie at the top of the region (stage 2 put them there, the
 * first guest's topmost: lib/region.h). They go back to the guests that
 * follow -- mapped in the nested tables, and in every memory map a guest
 * obtains, since those carve out hv_region as it is now. The region
 * stays one block below them (DESIGN.md); only its top moves. */
static void give_back_files(const struct cfg_entry *e, int done)
{
	hpa_t end = hv_region.base + hv_region.size, start = end;
	const struct boot_module *m;
	char names[MB_MAX_MODULES * CFG_FILE_MAX];
	int n = 0;

	while ((m = module_ending_at(start)) && cfg_file_last_guest(e, m->name) <= done) {
		start = ALIGN_DOWN(m->start, PAGE_SIZE);
		n += fmt_snprintf(names + n, sizeof(names) - n, "%s%s", n ? " " : "", m->name);
	}
	if (start == end)
		return;
	if (iommu_active()) {
		/* The IOMMU's tables close the whole region to device DMA;
		 * opening part of it again is not done (docs/disk.md). */
		log_line("region keeps 0x%llx-0x%llx (%llu KiB: %s): the IOMMU closes it to "
			 "device DMA", (unsigned long long)start, (unsigned long long)end,
			 (unsigned long long)((end - start) >> 10), names);
		return;
	}
	if (pt_map_identity(guest_pt, start, end - start, PT_MEM_WB))
		fatal("out of memory mapping 0x%llx-0x%llx for guests",
		      (unsigned long long)start, (unsigned long long)end);
	region_give_back(start);
	log_line("region gave 0x%llx-0x%llx (%llu KiB: %s) back to guests; Keel keeps %llu KiB",
		 (unsigned long long)start, (unsigned long long)end,
		 (unsigned long long)((end - start) >> 10), names,
		 (unsigned long long)(hv_region.size >> 10));
}

void guests_run(const struct cfg_entry *e, const struct hv_backend *ops)
{
	struct vcpu *v = &vcpu0;

	v->ops = ops;
	if (ops->init())
		fatal("%s: could not turn the extension on", ops->name);
	if (ops->vcpu_create(v) || ops->map_memory(v))
		fatal("%s: out of memory setting up the virtual CPU", ops->name);
	mem_report();

	for (;;) {
		for (int i = 0; i < e->nguests; i++) {
			if (run_guest(v, e, i) == STOP_POWEROFF)
				power_off(0);
			/* A restart needs every file again. */
			if (e->after != CFG_AFTER_RESTART && i + 1 < e->nguests)
				give_back_files(e, i);
		}
		if (e->after == CFG_AFTER_RESTART) {
			log_line("after: restart");
			continue;
		}
		if (e->after == CFG_AFTER_MENU) {
			/* The boot menu belongs to stage 2: reset the machine. */
			log_line("after: menu (machine reset)");
			outb(0xCF9, 0x06);
			hv_halt();
		}
		power_off(0);
	}
}
