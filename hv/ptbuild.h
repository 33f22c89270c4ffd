/* One builder for the guest-physical -> host-physical identity tables of
 * both vendors. EPT (Intel SDM vol. 3C 29.3) and nested paging (AMD APM
 * vol. 2 15.25, which reuses the long-mode page-table format) share the
 * shape: four levels of 512 eight-byte entries, 4 KiB / 2 MiB / 1 GiB
 * leaves, 48-bit addresses. They differ only in the bits of an entry, which
 * a small per-format table (ept/ept.c, npt/npt.c) supplies.
 *
 * Levels are numbered as the manuals' page sizes suggest: 4 = PML4,
 * 3 = PDPT (1 GiB leaves), 2 = PD (2 MiB leaves), 1 = PT (4 KiB leaves). */
#ifndef KEEL_PTBUILD_H
#define KEEL_PTBUILD_H

#include "../lib/types.h"

#define PT_LEVELS 4
#define PT_ENTRIES 512
#define PT_PAGE_SIZE 4096u
/* 4-level tables translate 48-bit guest-physical addresses. */
#define PT_ADDR_LIMIT ((u64)1 << 48)

enum pt_mem_type { PT_MEM_WB, PT_MEM_UC };

/* A guest-physical range to identity-map; base and len 4 KiB aligned. */
struct pt_range {
	u64 base, len;
	enum pt_mem_type type;
};

struct pt_format {
	const char *name;				/* "npt", "ept" */
	/* A non-leaf entry at this level pointing at a table of level - 1
	 * (AMD-Vi's entries name that level; EPT and NPT ignore it). */
	u64 (*table_entry)(hpa_t next_table, int level);
	/* A leaf; level 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB. */
	u64 (*leaf_entry)(hpa_t pa, int level, enum pt_mem_type type);
	/* The entry maps something (a table or a page). */
	bool (*present)(u64 entry);
	/* A present entry at this level is a leaf; level 1 entries always are. */
	bool (*is_leaf)(u64 entry, int level);
	u64 addr_mask;					/* bits holding the address */
	u64 write_bit;					/* a leaf allows writes */
	bool large_2m;					/* 2 MiB leaves allowed */
	bool large_1g;					/* 1 GiB leaves allowed */
};

/* A zeroed 4 KiB page, or 0 when none is left. */
typedef hpa_t (*pt_alloc_fn)(void *ctx);
/* A pointer through which the table page at pa can be read and written. */
typedef void *(*pt_ptr_fn)(hpa_t pa, void *ctx);

struct pt_builder {
	const struct pt_format *fmt;
	pt_alloc_fn alloc;
	pt_ptr_fn ptr;
	void *ctx;
	hpa_t root;		/* the PML4 */
	unsigned tables;	/* table pages allocated, the root included */
	/* May [addr, addr+size) be one large leaf (2 MiB or 1 GiB)? NULL
	 * (pt_init's choice): whenever alignment and length allow. Keel's
	 * own map asks the MTRRs (hv/hostmap.c). */
	bool (*leaf_ok)(u64 addr, u64 size, const void *leaf_ctx);
	const void *leaf_ctx;
};

/* Allocates the root. Returns 0, or -1 when alloc fails. */
int pt_init(struct pt_builder *b, const struct pt_format *fmt,
	    pt_alloc_fn alloc, pt_ptr_fn ptr, void *ctx);

/* Maps [base, base+len) onto itself with the largest pages that fit
 * (1 GiB when fmt->large_1g and aligned, else 2 MiB when fmt->large_2m,
 * else 4 KiB), sharing
 * the tables that earlier calls built for neighbouring ranges. Returns 0,
 * or -1 when base or len is not 4 KiB aligned, the range passes 2^48, a
 * table cannot be allocated, or the range overlaps one mapped before (the
 * ranges given to one builder must not overlap). On -1 the pages mapped
 * before the failure stay mapped. len 0 maps nothing and returns 0. */
int pt_map_identity(struct pt_builder *b, u64 base, u64 len,
		    enum pt_mem_type type);

/* pt_map_identity() for r[0..n); stops at the first failure with -1. */
int pt_map_ranges(struct pt_builder *b, const struct pt_range *r, int n);

/* Translates gpa: 0 with *pa, *level (of the leaf) and *entry (the leaf
 * entry) when gpa is mapped, -1 otherwise. Any output may be NULL. */
int pt_walk(const struct pt_builder *b, u64 gpa, hpa_t *pa, int *level,
	    u64 *entry);

/* Changes the 4 KiB leaf that maps gpa (its memory type stays): it maps
 * host page pa, with write permission or without (a guest write is then a
 * nested-page fault: hv/lapic.c). Returns 0, or -1 when gpa is not mapped
 * by a 4 KiB leaf or pa is not a page address. */
int pt_set_page(struct pt_builder *b, u64 gpa, hpa_t pa, bool writable);

#endif
