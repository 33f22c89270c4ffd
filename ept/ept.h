/* Intel extended page tables (SDM vol. 3C 29.3) and the EPT pointer
 * (SDM vol. 3C 25.6.11). */
#ifndef KEEL_EPT_H
#define KEEL_EPT_H

#include "../hv/ptbuild.h"

/* EPT paging-structure entry bits (SDM vol. 3C 29.3.2, Tables 29-1..29-6). */
#define EPT_READ		((u64)1 << 0)
#define EPT_WRITE		((u64)1 << 1)
#define EPT_EXECUTE		((u64)1 << 2)
#define EPT_RWX			(EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_SHIFT	3		/* leaves: memory type, bits 5:3 */
#define EPT_IGNORE_PAT		((u64)1 << 6)	/* leaves */
#define EPT_LARGE_PAGE		((u64)1 << 7)	/* PDE/PDPTE: maps a page */
#define EPT_ADDR_MASK		0x000ffffffffff000ull	/* bits 51:12 */

/* EPT memory types (SDM vol. 3C 29.3.7; the same encodings as the MTRRs). */
#define EPT_MEMTYPE_UC		0
#define EPT_MEMTYPE_WB		6

/* EPTP fields (SDM vol. 3C 25.6.11). */
#define EPTP_MEMTYPE_WB		6		/* bits 2:0: paging-structure type */
#define EPTP_PWL_SHIFT		3		/* bits 5:3: page-walk length - 1 */
#define EPTP_PWL_4		(3ull << EPTP_PWL_SHIFT)
#define EPTP_AD_ENABLE		((u64)1 << 6)	/* accessed/dirty flags */

/* The EPT format for hv/ptbuild.c. 1 GiB leaves are off: they need
 * IA32_VMX_EPT_VPID_CAP bit 17, which not every CPU model (Bochs' among
 * them) reports. A caller that has checked it may use a copy with
 * large_1g set. */
extern const struct pt_format ept_format;

/* The EPTP for a 4-level table at root: WB table walks, no A/D flags. */
u64 ept_eptp(hpa_t root);

#endif
