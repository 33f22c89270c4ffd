/* The hypervisor's C entry: take over from stage 2, report what was
 * found, pick the backend for this CPU, and run the chosen entry. */
#include "hv.h"
#include "acpi.h"
#include "smp.h"
#include "bootinfo.h"
#include "firmware.h"
#include "guest.h"
#include "lapic.h"
#include "percpu.h"
#include "../iommu/iommu.h"
#include "../lib/config.h"
#include "../lib/console.h"
#include "../lib/io.h"

/* The chosen entry, parsed from the hand-off command line. ~40 KiB, so it
 * lives in .bss; owned by hv_main(). */
static struct config entry_cfg;

static const char *const range_type_names[] = {
	[E820_RAM] = "ram", [E820_RESERVED] = "reserved", [E820_ACPI] = "acpi",
	[E820_NVS] = "nvs", [E820_UNUSABLE] = "unusable",
};

static void report_memory(void)
{
	const struct boot_info *bi = &boot_info;

	for (int i = 0; i < bi->nmap; i++) {
		const struct mem_range *r = &bi->map[i];
		const char *t = r->type < ARRAY_SIZE(range_type_names) && range_type_names[r->type]
					? range_type_names[r->type] : "other";

		log_line("memory 0x%012llx-0x%012llx %s", (unsigned long long)r->base,
			 (unsigned long long)(r->base + r->len), t);
	}
	log_line("region base=0x%llx size=%llu MiB heap=%llu KiB free",
		 (unsigned long long)hv_region.base, (unsigned long long)(hv_region.size >> 20),
		 (unsigned long long)(pages_free() >> 10));
	for (int i = 0; i < bi->nmods; i++)
		log_line("module %s at 0x%llx size=%llu", bi->mods[i].name,
			 (unsigned long long)bi->mods[i].start,
			 (unsigned long long)(bi->mods[i].end - bi->mods[i].start));
}

/* Every CPU a vCPU (DESIGN.md "CPUs"): the extension on, guest memory
 * mapped once for all of them, the bootstrap CPU's vCPU, then the APs,
 * each into its own vCPU loop. */
static void cpus_start(const struct hv_backend *ops)
{
	struct vcpu *v = &this_cpu()->vcpu;

	if (ops->init())
		fatal("%s: could not turn the extension on", ops->name);
	if (ops->map_memory())
		fatal("%s: out of memory mapping guest memory", ops->name);
	v->ops = ops;
	if (ops->vcpu_create(v))
		fatal("%s: out of memory setting up the virtual CPU", ops->name);
	smp_start_aps(ops);
	/* With every other CPU a vCPU of the guest's, its IPIs may go where
	 * it sends them (VT-x: INIT and SIPI come back as exits). A CPU
	 * outside Keel's control must not get a guest's start-up IPI, and
	 * where an INIT stays pending after its exit none may reach a vCPU:
	 * then every write to the local APIC goes through Keel (hv/lapic.c). */
	if (ops->apic_passthrough && !vcpu_sipi_by_mail()) {
		ops->apic_passthrough();
	} else {
		vcpu_set_sipi_by_mail();
		lapic_set_filtered(true);
	}
	log_line("cpus: %u CPU%s for guests; their writes to the local APIC %s", cpus_for_guests(),
		 cpus_for_guests() == 1 ? "" : "s", lapic_filtered() ?
		 "go through Keel (hv/lapic.c)" : "go to the local APIC directly");
	mem_report();
}

static const struct cfg_entry *parse_entry(void)
{
	struct cfg_error err;

	if (cfg_parse(boot_info.cmdline, boot_info.cmdline_len, &entry_cfg, &err))
		fatal("the hand-off command line (the chosen KEEL.CFG entry) does not parse: "
		      "line %d: %s", err.line, err.msg);
	if (entry_cfg.nentries != 1)
		fatal("the hand-off command line holds %d entries, not one", entry_cfg.nentries);
	return &entry_cfg.entries[0];
}

void hv_main(u64 magic, u64 info_pa, u64 region_base, u64 region_size, u64 rsdp,
	     u64 boot_flags)
{
	const struct hv_backend *ops;
	const struct cfg_entry *e;
	struct cpu_info ci;
	u64 tsc = rdtsc();

	trap_init();
	percpu_init_bsp();
	if (boot_flags & HV_BOOT_UEFI)
		con_limit(CON_E9 | CON_COM1); /* UEFI left a graphics mode: no text screen */
	con_init(CON_ALL);
	log_line("Keel %s hypervisor in long mode", KEEL_VERSION);
	if (magic != HV_ENTRY_MAGIC)
		fatal("entered with magic 0x%llx: not started by Keel's stage 2",
		      (unsigned long long)magic);
	hv_cpu_init();
	idle_init();
	bootinfo_read(info_pa, region_base, region_size);
	boot_info.tsc.hv = tsc;
	mem_init(region_base, region_size, boot_info.heap_start, boot_info.heap_end);
	paging_init();
	report_memory();
	firmware_init(rsdp, boot_flags);
	/* Once the RSDP is known: the CPUs the loader sized the region for. */
	hv_region.cpus = acpi_madt_cpu_count(acpi_find_table("APIC"));

	cpu_detect(&ci);
	log_line("cpu vendor=%s backend=%s",
		 ci.vendor == CPU_VENDOR_INTEL ? "Intel" :
		 ci.vendor == CPU_VENDOR_AMD ? "AMD" : ci.vendor_id,
		 ci.backend ? ci.backend : "none");
	if (ci.problem)
		fatal("%s", ci.problem);

	ops = hv_backend_select(ci.backend);
	if (!ops)
		fatal("no %s backend in this build", ci.backend);
	e = parse_entry();
	firmware_check_entry(e);
	/* Before the EPT/NPT is built: the IOMMUs' registers stay out of it. */
	iommu_init();
	cpus_start(ops);
	log_line("entry \"%s\" with %d guest%s, after %s", e->title, e->nguests,
		 e->nguests == 1 ? "" : "s", cfg_after_name(e->after));
	guests_run(e);
}
