/* Intel VT-d: one remapping unit (DRHD) set up for Keel and read for
 * faults. Every unit gets a root table whose 256 entries point at one
 * context table whose 256 entries point at the shared second-level
 * tables (iommu/iommu.c), so every device behind it, whatever its bus,
 * sees guest memory 1:1 and nothing of Keel's region. Register-based
 * invalidation (VT-d spec 6.5.1) is enough: Keel sets the tables once. */
#include "../hv/hv.h"
#include "vtd.h"

/* Per-unit state, set by probe() and enable() at start-up. */
static struct vtd_unit {
	u64 cap, ecap;
	unsigned aw;		/* context-entry address width code */
} vtd[IOMMU_MAX_UNITS];

/* GCMD holds commands, GSTS their state; a write to GCMD must repeat every
 * persistent bit that is on, and no one-shot bit but the one it sets
 * (VT-d spec 11.4.4). */
static int vtd_command(u64 base, u32 bit, bool on, bool oneshot)
{
	u32 sts = mmio_read32(base + VTD_GSTS_REG) & ~VTD_GSTS_ONESHOT;

	mmio_write32(base + VTD_GCMD_REG, on ? sts | bit : sts & ~bit);
	if (oneshot && bit == VTD_GCMD_WBF)
		return iommu_wait(base + VTD_GSTS_REG, 4, bit, 0);
	return iommu_wait(base + VTD_GSTS_REG, 4, bit, on ? bit : 0);
}

/* Prefers 4-level tables (48-bit), then 3-level (39-bit, the root of the
 * shared tables' first 512 GiB), then 5-level (an extra top page). */
static int vtd_probe(int i, struct iommu_unit *u, struct pt_format *fmt, u64 *limit,
		     const char **why)
{
	struct vtd_unit *v = &vtd[i];
	unsigned sagaw;
	u64 end;

	v->cap = mmio_read64(u->base + VTD_CAP_REG);
	v->ecap = mmio_read64(u->base + VTD_ECAP_REG);
	if (v->cap == ~0ull || !v->cap) {
		*why = "no unit answers at its register base";
		return -1;
	}
	sagaw = VTD_CAP_SAGAW(v->cap);
	if (sagaw & (1u << 2)) {
		v->aw = VTD_AW_4LEVEL;
	} else if (sagaw & (1u << 1)) {
		v->aw = VTD_AW_3LEVEL;
		if (*limit > GiB(512))
			*limit = GiB(512);
	} else if (sagaw & (1u << 3)) {
		v->aw = VTD_AW_5LEVEL;
	} else {
		*why = "it walks neither 3-, 4- nor 5-level tables (CAP.SAGAW)";
		return -1;
	}
	if (VTD_CAP_MGAW(v->cap) < 64 && *limit > (u64)1 << VTD_CAP_MGAW(v->cap))
		*limit = (u64)1 << VTD_CAP_MGAW(v->cap);
	if (!(v->cap & VTD_CAP_SLLPS_2M))
		fmt->large_2m = false;
	if (!(v->cap & VTD_CAP_SLLPS_1G))
		fmt->large_1g = false;
	/* The window reaches at least to the last fault recording register
	 * and the IOTLB registers. */
	end = VTD_CAP_FRO(v->cap) + 16 * VTD_CAP_NFR(v->cap);
	if (VTD_ECAP_IRO(v->ecap) + 16 > end)
		end = VTD_ECAP_IRO(v->ecap) + 16;
	if (ALIGN_UP(end, IOMMU_REG_PAGE) > u->size)
		u->size = ALIGN_UP(end, IOMMU_REG_PAGE);
	return 0;
}

/* The second-level table for this unit's walk length. */
static hpa_t vtd_slpt(const struct vtd_unit *v, const struct pt_builder *pt)
{
	hpa_t top;

	if (v->aw == VTD_AW_4LEVEL)
		return pt->root;
	if (v->aw == VTD_AW_3LEVEL) {
		u64 e = ((const u64 *)phys_to_virt(pt->root))[0];

		return pt->fmt->present(e) ? e & pt->fmt->addr_mask : 0;
	}
	top = page_alloc();
	if (top)
		((u64 *)phys_to_virt(top))[0] = pt->fmt->table_entry(pt->root, 5);
	return top;
}

static void vtd_clear_faults(u64 base, const struct vtd_unit *v)
{
	for (u64 k = 0; k < VTD_CAP_NFR(v->cap); k++)
		mmio_write32(base + VTD_CAP_FRO(v->cap) + 16 * k + 12, 1u << 31);
	mmio_write32(base + VTD_FSTS_REG, VTD_FSTS_PFO);
}

/* VT-d spec 10.4 and 6.5.1: root table pointer, then global context-cache
 * and IOTLB invalidation, then translation on. Firmware may have left
 * translation or queued invalidation on; both give way to Keel's. */
static int vtd_enable(int i, struct iommu_unit *u, const struct pt_builder *pt,
		      const char **why)
{
	struct vtd_unit *v = &vtd[i];
	hpa_t root = page_alloc(), ctx = page_alloc(), slpt = vtd_slpt(v, pt);
	u64 base = u->base, iotlb = base + VTD_ECAP_IRO(v->ecap) + 8;

	if (!root || !ctx || !slpt) {
		*why = "out of memory for its root and context tables";
		return -1;
	}
	vtd_fill_root(phys_to_virt(root), ctx);
	vtd_fill_context(phys_to_virt(ctx), slpt, v->aw);
	/* A unit whose walks do not snoop (ECAP.C = 0) reads memory, not the
	 * caches: write every table back first (spec 6.6). */
	if (!(v->ecap & VTD_ECAP_C))
		__asm__ volatile("wbinvd" ::: "memory");
	if ((mmio_read32(base + VTD_GSTS_REG) & VTD_GCMD_QIE) &&
	    vtd_command(base, VTD_GCMD_QIE, false, false)) {
		*why = "queued invalidation, left on by the firmware, does not turn off";
		return -1;
	}
	mmio_write64(base + VTD_RTADDR_REG, root);
	if (vtd_command(base, VTD_GCMD_SRTP, true, true)) {
		*why = "it does not take the root table (GSTS.RTPS stays clear)";
		return -1;
	}
	if ((v->cap & VTD_CAP_RWBF) && vtd_command(base, VTD_GCMD_WBF, true, true)) {
		*why = "its write buffer flush does not finish";
		return -1;
	}
	mmio_write64(base + VTD_CCMD_REG, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
	if (iommu_wait(base + VTD_CCMD_REG, 8, VTD_CCMD_ICC, 0)) {
		*why = "its context-cache invalidation does not finish";
		return -1;
	}
	mmio_write64(iotlb, VTD_IOTLB_IVT | VTD_IOTLB_GLOBAL |
			    (v->cap & VTD_CAP_DRD ? VTD_IOTLB_DR : 0) |
			    (v->cap & VTD_CAP_DWD ? VTD_IOTLB_DW : 0));
	if (iommu_wait(iotlb, 8, VTD_IOTLB_IVT, 0)) {
		*why = "its IOTLB invalidation does not finish";
		return -1;
	}
	/* Faults are read by polling (iommu_poll()), not by interrupt: the
	 * guest owns the local APIC and its vectors. */
	mmio_write32(base + VTD_FECTL_REG, VTD_FECTL_IM);
	vtd_clear_faults(base, v);
	if (vtd_command(base, VTD_GCMD_TE, true, false)) {
		*why = "translation does not turn on (GSTS.TES stays clear)";
		return -1;
	}
	return 0;
}

/* Fault recording (VT-d spec 7.2.1): PPF says a record holds a fault; each
 * record with F set is read and given back by writing F; PFO says faults
 * were dropped because every record was full. */
static unsigned vtd_poll(int i, struct iommu_unit *u, iommu_report_fn report)
{
	const struct vtd_unit *v = &vtd[i];
	u32 fsts = mmio_read32(u->base + VTD_FSTS_REG);
	unsigned lost = 0;

	if (!(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO)))
		return 0;
	for (u64 k = 0; k < VTD_CAP_NFR(v->cap); k++) {
		u64 rec = u->base + VTD_CAP_FRO(v->cap) + 16 * k;
		u64 hi = mmio_read64(rec + 8);
		struct iommu_fault f;

		if (!(hi & VTD_FRCD_F))
			continue;
		vtd_decode_fault(mmio_read64(rec), hi, &f);
		mmio_write32(rec + 12, 1u << 31);
		report(&f);
	}
	if (fsts & VTD_FSTS_PFO) {
		mmio_write32(u->base + VTD_FSTS_REG, VTD_FSTS_PFO);
		lost = 1;
	}
	return lost;
}

const struct iommu_driver vtd_driver = {
	.name = "vt-d",
	.table = "DMAR",
	.parse = dmar_parse,
	.format = &vtd_sl_format,
	.probe = vtd_probe,
	.enable = vtd_enable,
	.poll = vtd_poll,
};
