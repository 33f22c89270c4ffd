/* Intel VT-d: the remapping registers (Intel Virtualization Technology for
 * Directed I/O, Architecture Specification, chapter 11), the root and
 * context tables of legacy mode (9.1-9.3) and second-level paging entries
 * (9.8), as Keel uses them. */
#ifndef KEEL_VTD_H
#define KEEL_VTD_H

#include "driver.h"

/* Register offsets (11.4). */
#define VTD_VER_REG		0x00
#define VTD_CAP_REG		0x08
#define VTD_ECAP_REG		0x10
#define VTD_GCMD_REG		0x18
#define VTD_GSTS_REG		0x1C
#define VTD_RTADDR_REG		0x20
#define VTD_CCMD_REG		0x28
#define VTD_FSTS_REG		0x34
#define VTD_FECTL_REG		0x38

/* CAP_REG (11.4.2). */
#define VTD_CAP_RWBF		((u64)1 << 4)	/* write buffers need flushing */
#define VTD_CAP_SAGAW(c)	(((c) >> 8) & 0x1F)	/* bit 1: 3-level, 2: 4-level, 3: 5-level */
#define VTD_CAP_MGAW(c)		((((c) >> 16) & 0x3F) + 1)	/* address bits translated */
#define VTD_CAP_FRO(c)		((((c) >> 24) & 0x3FF) * 16)	/* fault recording offset */
#define VTD_CAP_SLLPS_2M	((u64)1 << 34)
#define VTD_CAP_SLLPS_1G	((u64)1 << 35)
#define VTD_CAP_NFR(c)		((((c) >> 40) & 0xFF) + 1)	/* fault recording registers */
#define VTD_CAP_DWD		((u64)1 << 54)	/* write draining */
#define VTD_CAP_DRD		((u64)1 << 55)	/* read draining */

/* ECAP_REG (11.4.3). */
#define VTD_ECAP_C		((u64)1 << 0)	/* table walks snoop the caches */
#define VTD_ECAP_IRO(e)		((((e) >> 8) & 0x3FF) * 16)	/* IOTLB registers' offset */

/* GCMD_REG / GSTS_REG (11.4.4, 11.4.5): the same bit positions. */
#define VTD_GCMD_TE		(1u << 31)	/* translation enable */
#define VTD_GCMD_SRTP		(1u << 30)	/* set root table pointer (one-shot) */
#define VTD_GCMD_WBF		(1u << 27)	/* write buffer flush (one-shot) */
#define VTD_GCMD_QIE		(1u << 26)	/* queued invalidation enable */
/* GSTS bits that are one-shot status, to be dropped when GSTS is written
 * back to GCMD to change one persistent bit (11.4.4). */
#define VTD_GSTS_ONESHOT	((1u << 30) | (1u << 29) | (1u << 27) | (1u << 24))

/* CCMD_REG (11.4.6) and IOTLB_REG (11.4.8.1): global invalidation. */
#define VTD_CCMD_ICC		((u64)1 << 63)
#define VTD_CCMD_GLOBAL		((u64)1 << 61)
#define VTD_IOTLB_IVT		((u64)1 << 63)
#define VTD_IOTLB_GLOBAL	((u64)1 << 60)
#define VTD_IOTLB_DR		((u64)1 << 49)
#define VTD_IOTLB_DW		((u64)1 << 48)

/* FSTS_REG (11.4.9), FECTL_REG (11.4.10), fault recording (11.4.14):
 * the upper 64 bits of each 128-bit record hold F, T, the reason and the
 * source ID; the lower 64 the faulting page. */
#define VTD_FSTS_PFO		(1u << 0)	/* a fault was lost: all records full */
#define VTD_FSTS_PPF		(1u << 1)	/* a record holds a fault */
#define VTD_FECTL_IM		(1u << 31)	/* fault event interrupt masked */
#define VTD_FRCD_F		((u64)1 << 63)
#define VTD_FRCD_T		((u64)1 << 62)	/* 1: read, 0: write */
#define VTD_FRCD_FR(hi)		((unsigned)((hi) >> 32) & 0xFF)
#define VTD_FRCD_SID(hi)	((u16)(hi))

/* Root and context entries (9.1, 9.3) and second-level entries (9.8). */
#define VTD_ENTRY_P		((u64)1 << 0)
#define VTD_SL_R		((u64)1 << 0)
#define VTD_SL_W		((u64)1 << 1)
#define VTD_SL_PS		((u64)1 << 7)
#define VTD_ADDR_MASK		0x000FFFFFFFFFF000ull
#define VTD_AW_3LEVEL		1	/* context entry AW: 39-bit, 3 levels */
#define VTD_AW_4LEVEL		2	/* 48-bit, 4 levels */
#define VTD_AW_5LEVEL		3	/* 57-bit, 5 levels */
#define VTD_DOMAIN		1	/* every device shares one domain */

/* The second-level format for hv/ptbuild.c, before a unit's capabilities
 * narrow it: 2 MiB and 1 GiB leaves allowed. */
extern const struct pt_format vtd_sl_format;

/* Legacy-mode root table (256 entries of 16 bytes, one per bus) whose
 * every entry points at one context table ctx_pa, and that context table
 * (256 entries, one per device and function) whose every entry
 * translates through the second-level table slpt with address-width
 * code aw in domain VTD_DOMAIN. Every device behind the unit then sees
 * the same map. */
void vtd_fill_root(u64 *root, hpa_t ctx_pa);
void vtd_fill_context(u64 *ctx, hpa_t slpt, unsigned aw);

/* A fault record (lo, hi) decoded. */
void vtd_decode_fault(u64 lo, u64 hi, struct iommu_fault *f);

#endif
