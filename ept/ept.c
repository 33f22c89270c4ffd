/* Entries of Intel extended page tables and the EPTP (see ept/ept.h).
 *
 * With EPT the MTRRs do not apply to guest-physical accesses: the memory
 * type in a leaf takes their place and is combined with the guest's PAT
 * type unless "ignore PAT" is set (SDM vol. 3C 29.3.7.2). Keel leaves
 * ignore-PAT clear so that a guest asking for UC gets UC, and marks MMIO
 * UC itself, since a BIOS guest runs without paging (PAT type WB). */
#include "ept.h"

static u64 ept_table_entry(hpa_t next_table, int level)
{
	/* An access is allowed only if every level allows it (SDM 29.3.3.2),
	 * so tables allow everything and the leaves decide. */
	(void)level;
	return (next_table & EPT_ADDR_MASK) | EPT_RWX;
}

static u64 ept_leaf_entry(hpa_t pa, int level, enum pt_mem_type type)
{
	u64 mt = type == PT_MEM_UC ? EPT_MEMTYPE_UC : EPT_MEMTYPE_WB;
	u64 e = (pa & EPT_ADDR_MASK) | EPT_RWX | (mt << EPT_MEMTYPE_SHIFT);

	/* Bit 7 of a PDE or PDPTE says it maps a 2 MiB or 1 GiB page
	 * (SDM Tables 29-2, 29-4); in a PTE it is ignored, left clear. */
	if (level > 1)
		e |= EPT_LARGE_PAGE;
	return e;
}

/* An EPT entry is not present when bits 2:0 are all clear (SDM 29.3.2). */
static bool ept_present(u64 entry)
{
	return entry & EPT_RWX;
}

/* Bit 7 is reserved in a PML4E and ignored in a PTE. */
static bool ept_is_leaf(u64 entry, int level)
{
	if (level == 1)
		return true;
	if (level == 4)
		return false;
	return entry & EPT_LARGE_PAGE;
}

const struct pt_format ept_format = {
	.name = "ept",
	.table_entry = ept_table_entry,
	.leaf_entry = ept_leaf_entry,
	.present = ept_present,
	.is_leaf = ept_is_leaf,
	.addr_mask = EPT_ADDR_MASK,
	.write_bit = EPT_WRITE,
	.large_2m = true,
	.large_1g = false,
};

u64 ept_eptp(hpa_t root)
{
	/* SDM 25.6.11: bits 2:0 the type of the table accesses, 5:3 the
	 * walk length minus one, bit 6 A/D (left clear), 51:12 the root. */
	return (root & EPT_ADDR_MASK) | EPTP_MEMTYPE_WB | EPTP_PWL_4;
}
