/* AMD-Vi: one IOMMU (IVHD) set up for Keel and read for events. Every
 * unit shares one device table with all 65,536 device IDs valid and
 * translating through the shared I/O page tables (iommu/iommu.c), so that
 * no device, listed in the IVRS or not, reaches Keel's region. Each unit
 * has its own command buffer (to invalidate its caches once) and event
 * log (read by polling). */
#include "../hv/hv.h"
#include "amdvi.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* Per-unit state, set by enable() at start-up; head moves in poll(). */
static struct amdvi_unit {
	u64 efr;
	u64 *cmd, *events;	/* one page each */
	hpa_t cmd_pa, events_pa;
	u32 cmd_tail, event_head;	/* byte offsets into the rings */
} amdvi[IOMMU_MAX_UNITS];

/* The device table all units share: 2 MiB, built once. */
static hpa_t devtab;

/* Where COMPLETION_WAIT stores its data; in Keel's image. */
static volatile u64 completion;

#define RING_BYTES (AMDVI_RING_ENTRIES * AMDVI_ENTRY_BYTES)
/* PCI configuration mechanism #1 and the status register (PCI Local Bus
 * 3.0, 3.2.2.3.2 and 6.2.3): its upper word, bit 11 Signaled Target Abort. */
#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_STATUS_DWORD 0x04
#define PCI_STATUS_STA 0x0800
#define DEVTAB_PAGES (AMDVI_DEVICE_IDS * AMDVI_DTE_BYTES / 4096)

static int amdvi_probe(int i, struct iommu_unit *u, struct pt_format *fmt, u64 *limit,
		       const char **why)
{
	(void)fmt;
	(void)limit;
	amdvi[i].efr = mmio_read64(u->base + AMDVI_EFR);
	if (amdvi[i].efr == ~0ull) {
		*why = "no IOMMU answers at its register base";
		return -1;
	}
	/* With performance counters the window is 512 KiB (spec 3.4). */
	if ((amdvi[i].efr & AMDVI_EFR_PC_SUP) && u->size < KiB(512))
		u->size = KiB(512);
	return 0;
}

/* Queues one command (spec 2.4): the ring is full while the IOMMU's head
 * sits right after the tail; the tail register hands the command over. */
static int amdvi_command(struct amdvi_unit *a, u64 base, const u64 *cmd)
{
	u32 next = (a->cmd_tail + AMDVI_ENTRY_BYTES) % RING_BYTES;

	for (int spin = 0; (u32)mmio_read64(base + AMDVI_CMD_BUF_HEAD) % RING_BYTES == next;
	     spin++) {
		if (spin > IOMMU_SPIN)
			return -1;
		io_delay();
	}
	memcpy(&a->cmd[a->cmd_tail / 8], cmd, AMDVI_ENTRY_BYTES);
	a->cmd_tail = next;
	mmio_write64(base + AMDVI_CMD_BUF_TAIL, next);
	return 0;
}

/* Waits until every command queued so far is done. */
static int amdvi_sync(struct amdvi_unit *a, u64 base)
{
	u64 cmd[2];

	completion = 0;
	amdvi_cmd_completion_wait(cmd, virt_to_phys((const void *)&completion), 1);
	if (amdvi_command(a, base, cmd))
		return -1;
	for (int spin = 0; !completion; spin++) {
		if (spin > IOMMU_SPIN)
			return -1;
		io_delay();
	}
	return 0;
}

/* Forgets whatever the IOMMU cached from tables the firmware may have
 * used: everything at once where it can (EFR.IASup), else every device
 * table entry and Keel's domain's pages. */
static int amdvi_invalidate(struct amdvi_unit *a, u64 base)
{
	u64 cmd[2];

	if (a->efr & AMDVI_EFR_IA_SUP) {
		amdvi_cmd_inv_all(cmd);
		return amdvi_command(a, base, cmd) || amdvi_sync(a, base);
	}
	for (u32 id = 0; id < AMDVI_DEVICE_IDS; id++) {
		amdvi_cmd_inv_devtab_entry(cmd, (u16)id);
		if (amdvi_command(a, base, cmd))
			return -1;
	}
	amdvi_cmd_inv_all_pages(cmd, AMDVI_DOMAIN);
	return amdvi_command(a, base, cmd) || amdvi_sync(a, base);
}

/* Every whole 2 MiB of Keel's region gets a present directory entry
 * that allows neither reads nor writes (IR = IW = 0) instead of no entry:
 * the access is refused either way, but a walk that meets a present entry
 * without permission reports an IO_PAGE_FAULT in every implementation
 * Keel was tried on, where QEMU 7.2's walker gives up silently at an
 * empty entry (docs/emulators.md). The entry points at a zeroed table. */
static int amdvi_deny_region(const struct pt_builder *pt)
{
	hpa_t zero = page_alloc();
	u64 a = ALIGN_UP(hv_region.base, MiB(2));

	if (!zero)
		return -1;
	for (; a + MiB(2) <= hv_region.base + hv_region.size; a += MiB(2)) {
		const u64 *pml4 = phys_to_virt(pt->root), *pdpt;
		u64 *pd;

		if (!(pml4[(a >> 39) & 511] & AMDVI_PTE_PR))
			continue;
		pdpt = phys_to_virt(pml4[(a >> 39) & 511] & AMDVI_ADDR_MASK);
		if (!(pdpt[(a >> 30) & 511] & AMDVI_PTE_PR) ||
		    !AMDVI_PTE_NEXT_LEVEL(pdpt[(a >> 30) & 511]))
			continue;
		pd = phys_to_virt(pdpt[(a >> 30) & 511] & AMDVI_ADDR_MASK);
		if (!pd[(a >> 21) & 511])
			pd[(a >> 21) & 511] = amdvi_deny_entry(zero);
	}
	return 0;
}

static int amdvi_build_devtab(const struct pt_builder *pt)
{
	u64 *d;

	if (devtab)
		return 0;
	devtab = pages_alloc(DEVTAB_PAGES, 4096);
	if (!devtab || amdvi_deny_region(pt))
		return -1;
	d = phys_to_virt(devtab);
	for (u32 id = 0; id < AMDVI_DEVICE_IDS; id++)
		amdvi_fill_dte(d + id * (AMDVI_DTE_BYTES / 8), pt->root, PT_LEVELS);
	return 0;
}

/* Spec 3.4 and 2.4: with the IOMMU off, device table, command buffer and
 * event log are set up; then the IOMMU, its command buffer and its event
 * log go on together, its caches are invalidated, and the exclusion
 * range (which would bypass translation) stays off. */
static int amdvi_enable(int i, struct iommu_unit *u, const struct pt_builder *pt,
			const char **why)
{
	struct amdvi_unit *a = &amdvi[i];
	u64 base = u->base, ctrl;

	a->cmd_pa = page_alloc();
	a->events_pa = page_alloc();
	if (!a->cmd_pa || !a->events_pa || amdvi_build_devtab(pt)) {
		*why = "out of memory for its device table, command buffer and event log";
		return -1;
	}
	a->cmd = phys_to_virt(a->cmd_pa);
	a->events = phys_to_virt(a->events_pa);
	ctrl = mmio_read64(base + AMDVI_CONTROL);
	ctrl &= ~(AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_EVENT_LOG_EN | AMDVI_CTRL_EVENT_INT_EN |
		  AMDVI_CTRL_COMWAIT_INT_EN | AMDVI_CTRL_CMD_BUF_EN | AMDVI_CTRL_PPR_LOG_EN |
		  AMDVI_CTRL_GT_EN | AMDVI_CTRL_GA_EN);
	mmio_write64(base + AMDVI_CONTROL, ctrl);
	if (iommu_wait(base + AMDVI_STATUS, 8, AMDVI_STATUS_CMD_RUN | AMDVI_STATUS_EVENT_RUN, 0)) {
		*why = "its command buffer or event log does not stop";
		return -1;
	}
	mmio_write64(base + AMDVI_DEV_TABLE_BASE, devtab | (DEVTAB_PAGES - 1));
	mmio_write64(base + AMDVI_CMD_BUF_BASE, a->cmd_pa | AMDVI_RING_LEN_CODE << 56);
	mmio_write64(base + AMDVI_EVENT_LOG_BASE, a->events_pa | AMDVI_RING_LEN_CODE << 56);
	mmio_write64(base + AMDVI_CMD_BUF_HEAD, 0);
	mmio_write64(base + AMDVI_CMD_BUF_TAIL, 0);
	mmio_write64(base + AMDVI_EVENT_LOG_HEAD, 0);
	mmio_write64(base + AMDVI_EVENT_LOG_TAIL, 0);
	mmio_write64(base + AMDVI_EXCL_BASE, 0);
	mmio_write64(base + AMDVI_EXCL_LIMIT, 0);
	mmio_write64(base + AMDVI_STATUS, AMDVI_STATUS_EVENT_OVERFLOW | 6);
	a->cmd_tail = 0;
	a->event_head = 0;
	__asm__ volatile("wbinvd" ::: "memory");
	mmio_write64(base + AMDVI_CONTROL, ctrl | AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_CMD_BUF_EN |
						   AMDVI_CTRL_EVENT_LOG_EN);
	if (amdvi_invalidate(a, base)) {
		*why = "it does not complete commands (COMPLETION_WAIT)";
		return -1;
	}
	return 0;
}

/* Did the IOMMU signal a target abort (PCI status bit 11, which it sets
 * when it aborts a request, spec 2.5) since the last look? Read and
 * cleared through the configuration ports, the guest's CF8h value put
 * back. Only segment 0 is reachable that way. */
static bool amdvi_target_abort(const struct iommu_unit *u)
{
	u32 addr = PCI_CONFIG_ENABLE | (u32)u->devid << 8 | PCI_STATUS_DWORD;
	u32 saved;
	bool sta;

	if (u->segment)
		return false;
	saved = inl(PCI_CONFIG_ADDRESS);
	outl(PCI_CONFIG_ADDRESS, addr);
	sta = inw(PCI_CONFIG_DATA + 2) & PCI_STATUS_STA;
	if (sta)
		outw(PCI_CONFIG_DATA + 2, PCI_STATUS_STA);
	outl(PCI_CONFIG_ADDRESS, saved);
	return sta;
}

/* The event log (spec 2.5 and 3.4.13): entries from head to the IOMMU's
 * tail; the head register gives them back. After an overflow the IOMMU
 * stops logging until the log is turned off and on again. */
static unsigned amdvi_poll(int i, struct iommu_unit *u, iommu_report_fn report)
{
	struct amdvi_unit *a = &amdvi[i];
	u64 base = u->base, ctrl;
	u32 tail = (u32)mmio_read64(base + AMDVI_EVENT_LOG_TAIL) % RING_BYTES;
	unsigned lost = 0, seen = 0;

	while (a->event_head != tail) {
		u64 *ev = &a->events[a->event_head / 8];
		struct iommu_fault f;

		amdvi_decode_event(ev, &f);
		ev[0] = ev[1] = 0;
		report(&f);
		a->event_head = (a->event_head + AMDVI_ENTRY_BYTES) % RING_BYTES;
		seen++;
	}
	mmio_write64(base + AMDVI_EVENT_LOG_HEAD, a->event_head);
	if (amdvi_target_abort(u) && !seen) {
		struct iommu_fault f = { .anonymous = true,
			.what = "blocked DMA by an unknown device at an unknown address "
				"(amd-vi signalled a target abort and logged no event)" };

		report(&f);
	}
	if (mmio_read64(base + AMDVI_STATUS) & AMDVI_STATUS_EVENT_OVERFLOW) {
		lost = 1;
		ctrl = mmio_read64(base + AMDVI_CONTROL);
		mmio_write64(base + AMDVI_CONTROL, ctrl & ~AMDVI_CTRL_EVENT_LOG_EN);
		iommu_wait(base + AMDVI_STATUS, 8, AMDVI_STATUS_EVENT_RUN, 0);
		mmio_write64(base + AMDVI_STATUS, AMDVI_STATUS_EVENT_OVERFLOW);
		mmio_write64(base + AMDVI_EVENT_LOG_HEAD, 0);
		mmio_write64(base + AMDVI_EVENT_LOG_TAIL, 0);
		a->event_head = 0;
		mmio_write64(base + AMDVI_CONTROL, ctrl | AMDVI_CTRL_EVENT_LOG_EN);
	}
	return lost;
}

const struct iommu_driver amdvi_driver = {
	.name = "amd-vi",
	.table = "IVRS",
	.parse = ivrs_parse,
	.format = &amdvi_pt_format,
	.probe = amdvi_probe,
	.enable = amdvi_enable,
	.poll = amdvi_poll,
};
