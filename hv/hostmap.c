/* See hv/hostmap.h. */
#include "hostmap.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)	/* in a PDE or PDPTE: a 2 MiB or 1 GiB page */
#define PTE_ADDR 0x000FFFFFFFFFF000ull

static u64 host_table_entry(hpa_t next_table, int level)
{
	(void)level;
	return (next_table & PTE_ADDR) | PTE_P | PTE_RW;
}

/* PWT, PCD and PAT stay clear: PAT entry 0 (WB), so the MTRRs decide
 * (SDM vol. 3A 12.5.2.2, table 12-7). type is not used for that reason. */
static u64 host_leaf_entry(hpa_t pa, int level, enum pt_mem_type type)
{
	(void)type;
	return (pa & PTE_ADDR) | PTE_P | PTE_RW | (level > 1 ? PTE_PS : 0);
}

static bool host_present(u64 entry)
{
	return entry & PTE_P;
}

/* PS is reserved in a PML4E and is the PAT bit in a PTE. */
static bool host_is_leaf(u64 entry, int level)
{
	return level == 1 || (level < 4 && (entry & PTE_PS));
}

const struct pt_format hostmap_format = {
	.name = "keel",
	.table_entry = host_table_entry,
	.leaf_entry = host_leaf_entry,
	.present = host_present,
	.is_leaf = host_is_leaf,
	.addr_mask = PTE_ADDR,
	.write_bit = PTE_RW,
	.large_2m = true,
	.large_1g = false,
};

static bool one_type(u64 addr, u64 size, const void *mtrr)
{
	return mtrr_one_type(mtrr, addr, size);
}

int hostmap_build(struct pt_builder *b, const struct pt_format *fmt, pt_alloc_fn alloc,
		  pt_ptr_fn ptr, void *ctx, const struct mtrr_state *mtrr, u64 top)
{
	if (pt_init(b, fmt, alloc, ptr, ctx))
		return -1;
	if (mtrr) {
		b->leaf_ok = one_type;
		b->leaf_ctx = mtrr;
	}
	return pt_map_identity(b, 0, top, PT_MEM_WB);
}
