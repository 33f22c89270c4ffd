/* Keel's own page tables: an identity map of physical memory from 0 up to
 * the top hv/mem.c chooses (all of RAM, at least 4 GiB), built with the
 * page-table builder of the EPT/NPT tables (hv/ptbuild.c) in the long-mode
 * format, with the largest pages alignment allows and the MTRRs permit:
 * no 2 MiB or 1 GiB page spans two memory types (Intel SDM vol. 3A
 * 12.11.9). Every leaf is PAT entry 0 (write-back at reset), so the MTRRs
 * alone decide each page's type. Pure: unit-tested with test_mtrr.c. */
#ifndef KEEL_HOSTMAP_H
#define KEEL_HOSTMAP_H

#include "mtrr.h"
#include "ptbuild.h"

/* Long-mode 4-level paging entries (SDM vol. 3A 4.5, AMD APM vol. 2
 * 5.3), without 1 GiB leaves: hv/mem.c turns them on where CPUID
 * 80000001h EDX[26] (Page1GB) says the CPU has them. */
extern const struct pt_format hostmap_format;

/* Builds the identity map of [0, top) (top 4 KiB aligned) in b. mtrr NULL
 * means no MTRRs: any page size that fits. Returns 0, or -1 when a table
 * cannot be allocated. */
int hostmap_build(struct pt_builder *b, const struct pt_format *fmt, pt_alloc_fn alloc,
		  pt_ptr_fn ptr, void *ctx, const struct mtrr_state *mtrr, u64 top);

#endif
