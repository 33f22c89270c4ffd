/* Entries of AMD nested page tables (see npt/npt.h).
 *
 * Nested paging reuses the long-mode format (APM vol. 2 15.25), with two
 * rules of its own that shape every entry here:
 * - every nested table walk is a user-level access (APM 15.25.5), so US
 *   must be set at every level or the walk faults;
 * - the memory type an entry gives comes from PWT, PCD and the PAT bit
 *   indexing the host's PAT (APM 15.25.8), combined with the guest's
 *   own type. Keel uses PAT index 0 (WB at reset) and index 3 (UC at
 *   reset), so the PAT bit itself is never set.
 * NX stays clear: guest code may run from anywhere it mapped. */
#include "npt.h"

static u64 npt_table_entry(hpa_t next_table, int level)
{
	(void)level;
	return (next_table & NPT_PTE_ADDR_MASK) | NPT_PTE_P | NPT_PTE_RW |
	       NPT_PTE_US;
}

static u64 npt_leaf_entry(hpa_t pa, int level, enum pt_mem_type type)
{
	u64 e = (pa & NPT_PTE_ADDR_MASK) | NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US;

	/* A PDE or PDPE with PS set maps a 2 MiB or 1 GiB page (APM 5.3.4,
	 * 5.3.5); in a PTE the same bit would be the PAT bit. */
	if (level > 1)
		e |= NPT_PTE_PS;
	/* PCD|PWT selects PAT entry 3 (APM 7.8.2), UC in the reset PAT. */
	if (type == PT_MEM_UC)
		e |= NPT_PTE_PCD | NPT_PTE_PWT;
	return e;
}

static bool npt_present(u64 entry)
{
	return entry & NPT_PTE_P;
}

/* PS is reserved in a PML4E and is the PAT bit in a PTE. */
static bool npt_is_leaf(u64 entry, int level)
{
	if (level == 1)
		return true;
	if (level == 4)
		return false;
	return entry & NPT_PTE_PS;
}

const struct pt_format npt_format = {
	.name = "npt",
	.table_entry = npt_table_entry,
	.leaf_entry = npt_leaf_entry,
	.present = npt_present,
	.is_leaf = npt_is_leaf,
	.addr_mask = NPT_PTE_ADDR_MASK,
	.write_bit = NPT_PTE_RW,
	.large_2m = true,
	.large_1g = false,
};
