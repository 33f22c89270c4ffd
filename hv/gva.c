/* See hv/gva.h. */
#include "gva.h"
#include "x86.h"

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ull	/* bits 51:12 */

/* One walk step: the entry for the index that bits [shift, shift+bits)
 * of la select in the table at table. */
static int entry(gva_read_fn read, void *ctx, u64 table, u64 la, unsigned shift,
		 unsigned bits, unsigned size, u64 *e)
{
	u64 index = (la >> shift) & ((1ull << bits) - 1);

	if (read(table + index * size, size, e, ctx) || !(*e & PTE_P))
		return -1;
	return 0;
}

/* 32-bit paging (SDM 4.3): two levels of 1024 four-byte entries; a PDE
 * with PS (and CR4.PSE) maps 4 MiB, bits 20:13 giving address bits 39:32. */
static int walk32(const struct gva_regs *r, u64 la, gva_read_fn read, void *ctx, gpa_t *gpa)
{
	u64 pde, pte;

	la &= 0xFFFFFFFFull;
	if (entry(read, ctx, r->cr3 & 0xFFFFF000ull, la, 22, 10, 4, &pde))
		return -1;
	if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xFFC00000ull) | ((pde >> 13) & 0xFF) << 32 | (la & 0x3FFFFF);
		return 0;
	}
	if (entry(read, ctx, pde & 0xFFFFF000ull, la, 12, 10, 4, &pte))
		return -1;
	*gpa = (pte & 0xFFFFF000ull) | (la & 0xFFF);
	return 0;
}

/* PAE (SDM 4.4) and IA-32e paging (SDM 4.5): 512 eight-byte entries a
 * table; PAE starts at one of four PDPTEs, which cannot map pages. */
static int walk64(const struct gva_regs *r, u64 la, gva_read_fn read, void *ctx, gpa_t *gpa)
{
	bool ia32e = r->efer & EFER_LMA;
	unsigned shift, levels;
	u64 table, e;

	if (ia32e) {
		levels = (r->cr4 & CR4_LA57) ? 5 : 4;
		table = r->cr3 & PTE_ADDR;
	} else {
		la &= 0xFFFFFFFFull;
		if (entry(read, ctx, r->cr3 & 0xFFFFFFE0ull, la, 30, 2, 8, &e))
			return -1;
		table = e & PTE_ADDR;
		levels = 2;
	}
	for (shift = 12 + 9 * (levels - 1);; shift -= 9) {
		if (entry(read, ctx, table, la, shift, 9, 8, &e))
			return -1;
		/* PS marks a 1 GiB (shift 30) or 2 MiB (shift 21) page. */
		if (shift == 12 || ((shift == 21 || shift == 30) && (e & PTE_PS))) {
			u64 page = 1ull << shift;

			*gpa = (e & PTE_ADDR & ~(page - 1)) | (la & (page - 1));
			return 0;
		}
		table = e & PTE_ADDR;
	}
}

int gva_translate(const struct gva_regs *r, u64 la, gva_read_fn read, void *ctx, gpa_t *gpa)
{
	if (!(r->cr0 & CR0_PG)) {
		*gpa = la & 0xFFFFFFFFull;
		return 0;
	}
	if (r->cr4 & CR4_PAE)
		return walk64(r, la, read, ctx, gpa);
	return walk32(r, la, read, ctx, gpa);
}

#define PDPTE_RESERVED 0x1E6ull	/* bits 2:1 and 8:5 */

int gva_pae_pdptes(u64 cr3, u8 phys_bits, gva_read_fn read, void *ctx, u64 pdpte[4])
{
	u64 reserved = PDPTE_RESERVED | (phys_bits < 64 ? ~0ull << phys_bits : 0);

	for (int i = 0; i < 4; i++) {
		if (read((cr3 & 0xFFFFFFE0ull) + 8 * (u64)i, 8, &pdpte[i], ctx))
			return -1;
		if ((pdpte[i] & PTE_P) && (pdpte[i] & reserved))
			return -2;
	}
	return 0;
}
