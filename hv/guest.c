/* Guest lifecycle: the entry's guests run one after another; each runs
 * until one of its vCPUs meets a stop (DESIGN.md "Guests", "CPUs"), then
 * every vCPU leaves it, its exits are summed up in the log, and the next
 * one starts with every AP waiting for a start-up IPI again. The
 * sequencer runs on the bootstrap CPU, which also runs each guest's
 * bootstrap vCPU; the APs join in hv/vcpu.c. */
#include "hv.h"
#include "acpi.h"
#include "bootinfo.h"
#include "gpmap.h"
#include "guest.h"
#include "fetch.h"
#include "lapic.h"
#include "lock.h"
#include "nmi.h"
#include "msr.h"
#include "ptbuild.h"
#include "trace.h"
#include "../iommu/iommu.h"
#include "../lib/console.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/region.h"
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

/* How long the sequencer waits for a vCPU to leave a stopped guest, and
 * how often it kicks it meanwhile, in io_delay()s (about 1 us each on a
 * PC; less under emulators, whose other CPUs then run less meanwhile). */
#define LEAVE_WAIT_DELAYS 3000000u
#define LEAVE_KICK_EVERY 100000u

/* The guest APs may join (hv/lock.h: guest_lock, first in the lock
 * order); NULL between guests. The struct is the sequencer's, on the
 * bootstrap CPU's stack for the guest's run. */
static struct spinlock guest_lock;
static struct guest *running;
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
	cpu_attend(v->cpu, ATTN_STOP);
}

struct guest *guest_join(struct vcpu *v)
{
	struct guest *g;

	spin_lock(&guest_lock);
	g = running;
	if (g && !g->stopping && g->member[v->cpu->index]) {
		v->guest = g;
		__atomic_store_n(&v->state, VCPU_RUNNING, __ATOMIC_RELEASE);
	} else {
		g = NULL;
	}
	spin_unlock(&guest_lock);
	return g;
}

/* Every other vCPU of g that runs it: leave. */
static void tell_others_to_leave(const struct guest *g)
{
	struct percpu *me = this_cpu();

	for (u32 i = 0; i < cpu_count; i++) {
		struct percpu *pc = cpu_table[i];

		if (pc == me || !g->member[i] || pc->vcpu.state != VCPU_RUNNING)
			continue;
		cpu_attend(pc, ATTN_LEAVE);
		cpu_kick(pc);
	}
}

void guest_stopped_by(struct vcpu *v)
{
	struct guest *g = v->guest;

	spin_lock(&guest_lock);
	if (g->stop == STOP_NONE) {
		g->stop = v->stop;
		g->stop_code = v->stop_code;
	}
	g->stopping = true;
	spin_unlock(&guest_lock);
	tell_others_to_leave(g);
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

/* The guest-physical map reaches the CPU's physical-address width, where
 * device memory above RAM lives (64-bit BARs, high MMIO windows): the rule
 * is lib/region.c's, which the loaders sized the region by. */
u64 guest_map_top(const struct pt_format *fmt)
{
	return region_guest_map_top(cpu_phys_bits(), fmt->large_1g);
}

int guest_map_memory(struct pt_builder *b, const struct pt_format *fmt, const u8 *hypercall)
{
	static struct pt_range ranges[GUEST_MAP_MAX];
	int n = gpmap_build(boot_info.map, boot_info.nmap, hv_region.base, hv_region.size,
			    guest_map_top(fmt), ranges, GUEST_MAP_MAX);

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

/* "cpuid=3 hlt=0 ..." for counts[], every kind but the failed entries. */
static void format_exits(char *buf, size_t size, const u64 *counts)
{
	int n = 0;

	buf[0] = 0;
	for (int k = VMEXIT_CPUID; k < VMEXIT_KIND_COUNT && n < (int)size - 32; k++) {
		if (k == VMEXIT_INVALID)
			continue;
		n += fmt_snprintf(buf + n, size - n, "%s%s=%llu", n ? " " : "",
				  vmexit_kind_name(k), (unsigned long long)counts[k]);
	}
	if (counts[VMEXIT_UNKNOWN])
		fmt_snprintf(buf + n, size - n, " unknown=%llu", (unsigned long long)counts[VMEXIT_UNKNOWN]);
}

static u64 total(const u64 *counts)
{
	u64 t = 0;

	for (int k = 0; k < VMEXIT_KIND_COUNT; k++)
		t += counts[k];
	return t;
}

/* The stop line, the exits of all its vCPUs summed, and one line per vCPU
 * (docs/log.md). */
static void log_stop(struct guest *g)
{
	u64 sum[VMEXIT_KIND_COUNT] = { 0 }, mine[VMEXIT_KIND_COUNT];
	struct io_counts io = { 0 };
	char buf[256];

	for (u32 i = 0; i < cpu_count; i++) {
		struct vcpu *v = &cpu_table[i]->vcpu;

		if (!g->member[i])
			continue;
		if (v->line_len && v->guest == g) {
			v->line[v->line_len] = 0;
			log_line("[%s] %s", g->name, v->line);
		}
		v->line_len = 0;
		v->guest = NULL;
		for (int k = 0; k < VMEXIT_KIND_COUNT; k++)
			sum[k] += v->exits[k] - v->exits_at_start[k];
		io_count_add(&io, &v->io_exits);
	}
	if (g->stop == STOP_EXIT_CODE)
		log_line("guest %d \"%s\" stop reason=exit-code code=%llu exits=%llu", g->index, g->name,
			 (unsigned long long)g->stop_code, (unsigned long long)total(sum));
	else
		log_line("guest %d \"%s\" stop reason=%s exits=%llu", g->index, g->name,
			 stop_reason_name(g->stop), (unsigned long long)total(sum));
	format_exits(buf, sizeof(buf), sum);
	log_line("exits %s", buf);
	io_count_log(&io);
	for (u32 i = 0; i < cpu_count; i++) {
		struct vcpu *v = &cpu_table[i]->vcpu;

		if (!g->member[i])
			continue;
		for (int k = 0; k < VMEXIT_KIND_COUNT; k++)
			mine[k] = v->exits[k] - v->exits_at_start[k];
		format_exits(buf, sizeof(buf), mine);
		log_line("cpu %u exits=%llu %s", i, (unsigned long long)total(mine), buf);
	}
}

/* The guest's CPUs: the bootstrap CPU and the next ncpus - 1 APs Keel
 * runs, in MADT order; their APIC IDs are what its MADT shows. */
static u32 choose_cpus(struct guest *g, u32 ncpus, u32 *ids)
{
	u32 n = 0;

	for (u32 i = 0; i < cpu_count && n < ncpus; i++) {
		if (cpu_table[i]->state != CPU_UP)
			continue;
		g->member[i] = 1;
		ids[n++] = cpu_table[i]->apic_id;
	}
	return n;
}

u32 cpus_for_guests(void)
{
	u32 n = 0;

	for (u32 i = 0; i < cpu_count; i++)
		n += cpu_table[i]->state == CPU_UP;
	return n;
}

/* After the bootstrap vCPU left g: no vCPU joins any more, every one that
 * runs it leaves. One that does not within LEAVE_WAIT_DELAYS is out of
 * Keel's hands (under QEMU TCG an INIT from the I/O APIC resets an AMD
 * CPU whatever Keel intercepts, docs/emulators.md): no later guest gets
 * it. */
static void wind_down(struct guest *g)
{
	bool all_out = false;

	spin_lock(&guest_lock);
	g->stopping = true;
	running = NULL;
	spin_unlock(&guest_lock);
	for (u32 t = 0; !all_out; t++) {
		all_out = true;
		for (u32 i = 1; i < cpu_count; i++) {
			struct percpu *pc = cpu_table[i];

			if (!g->member[i] || pc->state != CPU_UP || pc->vcpu.state != VCPU_RUNNING)
				continue;
			all_out = false;
			if (t % LEAVE_KICK_EVERY == 0) {
				/* Again and again: a kick that merged with another
				 * NMI or was lost must not keep this one out. */
				if (t)
					pc->kick_pending = 0;
				cpu_attend(pc, ATTN_LEAVE);
				cpu_kick(pc);
			}
			if (t == LEAVE_WAIT_DELAYS) {
				log_line("cpus: cpu %u (APIC ID %u) did not leave guest %d \"%s\"; "
					 "no later guest gets it", i, pc->apic_id, g->index, g->name);
				pc->state = CPU_LOST;
			}
		}
		io_delay();
	}
}

/* NMIs that reached the bootstrap CPU while no guest ran on it (QEMU's
 * monitor `nmi` during start-up, say) were Keel's, as a firmware's would
 * be on a machine without Keel: the new guest, whose handler is not even
 * set up yet, does not get them. They are said in the log. */
static void drop_early_nmis(const struct guest *g)
{
	u32 n = __atomic_exchange_n(&this_cpu()->nmis, 0, __ATOMIC_SEQ_CST);

	if (n)
		log_line("cpus: %u NMI%s reached Keel before guest %d \"%s\" started: not the "
			 "guest's, not injected", n, n == 1 ? "" : "s", g->index, g->name);
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
static enum stop_reason run_guest(const struct cfg_entry *e, int i)
{
	struct guest g = { .index = i + 1, .cfg = &e->guests[i] };
	struct vcpu *v = &cpu_table[0]->vcpu;
	static u32 ids[CPU_MAX];
	struct guest_start st;
	u32 up = cpus_for_guests();

	guest_name(&g, g.cfg);
	log_line("guest %d \"%s\" start kind=%s", g.index, g.name, cfg_kind_name(g.cfg->kind));
	if (g.cfg->cpus > up) {
		log_line("guest %d \"%s\": cpus=%u is more than the %u CPU%s this machine gives guests",
			 g.index, g.name, g.cfg->cpus, up, up == 1 ? "" : "s");
		log_line("guest %d \"%s\" stop reason=load-error exits=0", g.index, g.name);
		return STOP_UNHANDLED;
	}
	g.ncpus = choose_cpus(&g, g.cfg->cpus ? g.cfg->cpus : up, ids);
	acpi_madt_show(ids, g.ncpus);
	if (guest_load(v, &g, &st)) {
		acpi_madt_restore();
		log_line("guest %d \"%s\" stop reason=load-error exits=0", g.index, g.name);
		return STOP_UNHANDLED;
	}
	for (u32 c = 0; c < cpu_count; c++) {
		struct vcpu *m = &cpu_table[c]->vcpu;

		if (!g.member[c])
			continue;
		memcpy(m->exits_at_start, m->exits, sizeof(m->exits));
		memset(&m->io_exits, 0, sizeof(m->io_exits));
	}
	v->guest = &g;
	v->stop = STOP_NONE;
	v->kbc_command = 0;
	v->stuck_periods = 0;
	v->line_len = 0;
	v->nmi_pending = 0;
	v->lapic_ldr = 0;
	v->lapic_dfr = 0xFFFFFFFFu;
	v->hlt_retry = 0;
	rom_copy_refresh();
	msr_guest_reset(v);
	st.watchdog = g.cfg->watchdog;
	v->ops->vcpu_reset(v, &st);
	drop_early_nmis(&g);
	if (st.watchdog)
		log_watchdog(v, &g);
	spin_lock(&guest_lock);
	running = &g;
	__atomic_store_n(&v->state, VCPU_RUNNING, __ATOMIC_RELEASE);
	spin_unlock(&guest_lock);
	/* From here the guest owns COM1 and the screen. */
	con_set_sinks(CON_E9);
	trace_start(v, g.cfg->trace);
	if (first_start) {
		bootinfo_log_tsc();
		first_start = false;
	}

	vcpu_loop(v);
	wind_down(&g);
	trace_stop(v);
	iommu_guest_done();
	log_stop(&g);
	acpi_madt_restore();
	v->guest = NULL;
	return g.stop;
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

void guests_run(const struct cfg_entry *e)
{
	for (;;) {
		for (int i = 0; i < e->nguests; i++) {
			if (run_guest(e, i) == STOP_POWEROFF)
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
