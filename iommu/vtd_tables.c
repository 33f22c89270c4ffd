/* VT-d's in-memory structures: see iommu/vtd.h. Pure: built for the host
 * by the unit tests. */
#include "vtd.h"

/* Access rights are the AND of every level's R and W (VT-d spec 3.6.1 with
 * 9.8), so directory entries allow both and the leaves decide. */
static u64 sl_table_entry(hpa_t next, int level)
{
	(void)level;
	return (next & VTD_ADDR_MASK) | VTD_SL_R | VTD_SL_W;
}

/* Bit 7 (PS) makes a PDE or PDPTE a 2 MiB or 1 GiB page (9.8). The
 * memory type fields stay 0: in legacy mode without snoop control they
 * are ignored, and a device's accesses keep their own snoop attribute. */
static u64 sl_leaf_entry(hpa_t pa, int level, enum pt_mem_type type)
{
	(void)type;
	return (pa & VTD_ADDR_MASK) | VTD_SL_R | VTD_SL_W | (level > 1 ? VTD_SL_PS : 0);
}

/* An entry with R and W both clear is not present (9.8). */
static bool sl_present(u64 e)
{
	return e & (VTD_SL_R | VTD_SL_W);
}

static bool sl_is_leaf(u64 e, int level)
{
	if (level == 1)
		return true;
	if (level == 4)
		return false;
	return e & VTD_SL_PS;
}

const struct pt_format vtd_sl_format = {
	.name = "vt-d",
	.table_entry = sl_table_entry,
	.leaf_entry = sl_leaf_entry,
	.present = sl_present,
	.is_leaf = sl_is_leaf,
	.addr_mask = VTD_ADDR_MASK,
	.write_bit = VTD_SL_W,
	.large_2m = true,
	.large_1g = true,
};

void vtd_fill_root(u64 *root, hpa_t ctx_pa)
{
	for (int bus = 0; bus < 256; bus++) {
		root[2 * bus] = (ctx_pa & VTD_ADDR_MASK) | VTD_ENTRY_P;
		root[2 * bus + 1] = 0;
	}
}

/* Context entry (9.3): lower half P, FPD clear (faults are recorded),
 * TT = 00b (untranslated requests go through the second-level table),
 * the table's address; upper half AW in bits 2:0, the domain in 23:8. */
void vtd_fill_context(u64 *ctx, hpa_t slpt, unsigned aw)
{
	for (int devfn = 0; devfn < 256; devfn++) {
		ctx[2 * devfn] = (slpt & VTD_ADDR_MASK) | VTD_ENTRY_P;
		ctx[2 * devfn + 1] = (u64)(aw & 7) | (u64)VTD_DOMAIN << 8;
	}
}

/* Fault reasons (VT-d spec, appendix A) other than "not present or no
 * permission" (5h write, 6h read) and "beyond the address width" (4h),
 * which are what Keel's tables make of a blocked access. */
static const char *const reasons[] = {
	[0x1] = "vt-d: root entry not present",
	[0x2] = "vt-d: context entry not present",
	[0x3] = "vt-d: invalid context entry",
	[0x7] = "vt-d: could not read a paging entry",
	[0x8] = "vt-d: could not read the root entry",
	[0x9] = "vt-d: could not read the context entry",
	[0xA] = "vt-d: reserved bits in the root entry",
	[0xB] = "vt-d: reserved bits in the context entry",
	[0xC] = "vt-d: reserved bits in a paging entry",
	[0xD] = "vt-d: translation type blocked",
};

void vtd_decode_fault(u64 lo, u64 hi, struct iommu_fault *f)
{
	unsigned fr = VTD_FRCD_FR(hi);

	*f = (struct iommu_fault){
		.bdf = VTD_FRCD_SID(hi),
		.addr = lo & ~0xFFFull,
		.write = !(hi & VTD_FRCD_T),
	};
	if (fr != 0x4 && fr != 0x5 && fr != 0x6)
		f->what = fr < sizeof(reasons) / sizeof(reasons[0]) && reasons[fr] ? reasons[fr]
										 : "vt-d: fault";
}
