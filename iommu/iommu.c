/* The common IOMMU code: see iommu/iommu.h.
 *
 * One set of translation tables (hv/ptbuild.c, in the driver's format)
 * serves every unit and every device: guest memory and the firmware's
 * reserved ranges identity-mapped (iommu/dmamap.c), Keel's region and
 * the units' own registers not mapped. The tables live in Keel's region,
 * so no device can change them. */
#include "../hv/hv.h"
#include "../hv/acpi.h"
#include "../hv/bootinfo.h"
#include "../hv/gpmap.h"
#include "../lib/io.h"
#include "iommu.h"
#include "driver.h"
#include "dmamap.h"

#define DMA_MAP_MAX 64
#define FAULT_LINES_PER_GUEST 8
/* At most one look at the fault logs per 2^24 TSC ticks (a few ms):
 * reading a unit's registers on every exit would cost every exit. */
#define POLL_TICKS (1ull << 24)

static const struct iommu_driver *const drivers[] = { &vtd_driver, &amdvi_driver };

/* Set once by iommu_init() before the first guest. */
static const struct iommu_driver *drv;
static struct iommu_acpi acpi;
static int closed;		/* units whose registers guests cannot reach */
static bool on;			/* translation is on in every unit */

/* Fault reporting, on the bootstrap CPU between exits; reset per guest. */
static u64 last_poll;
static unsigned logged, unlogged, lost;

int iommu_wait(u64 reg, unsigned bytes, u64 mask, u64 want)
{
	for (int spin = 0;; spin++) {
		u64 v = bytes == 8 ? mmio_read64(reg) : mmio_read32(reg);

		if ((v & mask) == want)
			return 0;
		if (spin > IOMMU_SPIN)
			return -1;
		io_delay();
	}
}

bool iommu_registers(u64 gpa)
{
	for (int i = 0; i < closed; i++)
		if (gpa >= acpi.unit[i].base && gpa - acpi.unit[i].base < acpi.unit[i].size)
			return true;
	return false;
}

int iommu_close_registers(struct pt_range *r, int n, int max)
{
	for (int i = 0; i < closed && n >= 0; i++)
		n = gpmap_remove(r, n, max, acpi.unit[i].base, acpi.unit[i].size);
	return n;
}

/* Reads the capabilities of every unit, builds the shared tables in the
 * format all of them walk, and turns each unit on. false after logging
 * why not. */
static bool build_and_enable(struct pt_builder *pt)
{
	static struct pt_range ranges[DMA_MAP_MAX];
	static struct pt_format narrowed;
	const char *why = NULL;
	u64 limit = PT_ADDR_LIMIT, heap;
	int n, refused, i;

	heap = pages_free();
	narrowed = *drv->format;
	for (i = 0; i < acpi.nunits; i++) {
		struct iommu_unit *u = &acpi.unit[i];

		if (u->base + u->size > GiB(4) || u->base + u->size < u->base) {
			why = "its registers lie above 4 GiB, where Keel maps nothing";
			break;
		}
		if (drv->probe(i, u, &narrowed, &limit, &why))
			break;
	}
	if (i == acpi.nunits) {
		n = dmamap_build(boot_info.map, boot_info.nmap, hv_region.base, hv_region.size,
				 limit, &acpi, ranges, DMA_MAP_MAX, &refused);
		if (n < 0 || pt_init(pt, &narrowed, heap_table_alloc, heap_table_ptr, NULL) ||
		    pt_map_ranges(pt, ranges, n)) {
			log_line("iommu: %s: out of memory or map entries building the tables: "
				 "device DMA can reach Keel's region", drv->name);
			return false;
		}
		if (refused)
			log_line("iommu: %s: %d of the firmware's reserved memory ranges reach into "
				 "Keel's region; that part is not mapped", drv->name, refused);
		for (i = 0; i < acpi.nunits; i++)
			if (drv->enable(i, &acpi.unit[i], pt, &why))
				break;
		if (i == acpi.nunits) {
			log_line("iommu: %s: %d ranges, %u page-table pages, largest page %s, "
				 "%d reserved range%s; %llu KiB of Keel's memory in all", drv->name, n,
				 pt->tables,
				 narrowed.large_1g ? "1 GiB" : narrowed.large_2m ? "2 MiB" : "4 KiB",
				 acpi.nunity, acpi.nunity == 1 ? "" : "s",
				 (unsigned long long)((heap - pages_free()) >> 10));
			return true;
		}
	}
	log_line("iommu: %s: unit at 0x%llx: %s: device DMA can reach Keel's region", drv->name,
		 (unsigned long long)acpi.unit[i].base, why);
	return false;
}

void iommu_init(void)
{
	static struct pt_builder pt;
	const struct acpi_header *t = NULL;
	const char *why = NULL;
	int n;

	for (unsigned i = 0; i < ARRAY_SIZE(drivers) && !t; i++) {
		drv = drivers[i];
		t = acpi_find_table(drv->table);
	}
	if (!t) {
		log_line("iommu: none found: device DMA can reach Keel's region");
		return;
	}
	n = drv->parse(t, t->length, &acpi, &why);
	/* Guests never see the table, usable or not: an OS that found it
	 * would program units that are Keel's (or that Keel left closed). */
	acpi_hide_table(drv->table);
	if (n <= 0) {
		log_line("iommu: %s: the %s table cannot be used (%s): device DMA can reach "
			 "Keel's region", drv->name, drv->table, n < 0 ? why : "it lists no unit");
		return;
	}
	closed = n;
	on = build_and_enable(&pt);
	for (int i = 0; i < n; i++)
		log_line("iommu: %s unit %d: registers 0x%llx-0x%llx, not mapped for guests",
			 drv->name, i + 1, (unsigned long long)acpi.unit[i].base,
			 (unsigned long long)(acpi.unit[i].base + acpi.unit[i].size));
	if (!on)
		return;
	log_line("iommu: %s, %d units, Keel's region closed to device DMA", drv->name, n);
}

static const char *where(u64 addr)
{
	if (addr >= hv_region.base && addr - hv_region.base < hv_region.size)
		return "Keel's region";
	if (iommu_registers(addr))
		return "IOMMU registers";
	return "no memory there";
}

static void report(const struct iommu_fault *f)
{
	unsigned bus = f->bdf >> 8, dev = (f->bdf >> 3) & 0x1F, fn = f->bdf & 7;

	if (logged == FAULT_LINES_PER_GUEST) {
		unlogged++;
		return;
	}
	logged++;
	if (f->anonymous)
		log_line("iommu: %s", f->what);
	else if (f->what)
		log_line("iommu: %s: device %02x:%02x.%x address 0x%llx", f->what, bus, dev, fn,
			 (unsigned long long)f->addr);
	else
		log_line("iommu: blocked DMA %s by %02x:%02x.%x at 0x%llx (%s)",
			 f->write ? "write" : "read", bus, dev, fn, (unsigned long long)f->addr,
			 where(f->addr));
}

static void read_faults(void)
{
	for (int i = 0; i < acpi.nunits; i++)
		lost += drv->poll(i, &acpi.unit[i], report);
}

bool iommu_active(void)
{
	return on;
}

void iommu_poll(void)
{
	u64 now;

	if (!on)
		return;
	now = rdtsc();
	if (now - last_poll < POLL_TICKS)
		return;
	last_poll = now;
	read_faults();
}

void iommu_guest_done(void)
{
	if (!on)
		return;
	read_faults();
	if (unlogged || lost)
		log_line("iommu: %u more blocked DMA accesses not logged%s", unlogged,
			 lost ? "; the units' fault logs overflowed, so some were not seen" : "");
	logged = unlogged = lost = 0;
}
