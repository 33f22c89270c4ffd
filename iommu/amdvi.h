/* AMD-Vi: the IOMMU's MMIO registers (AMD I/O Virtualization Technology
 * (IOMMU) Specification, 3.4), device table entries (2.2.2), I/O page
 * tables (2.2.3), commands (2.4) and event log entries (2.5), as Keel
 * uses them. */
#ifndef KEEL_AMDVI_H
#define KEEL_AMDVI_H

#include "driver.h"

/* MMIO offsets (3.4). */
#define AMDVI_DEV_TABLE_BASE	0x0000	/* 51:12 base, 8:0 size in 4 KiB pages - 1 */
#define AMDVI_CMD_BUF_BASE	0x0008	/* 51:12 base, 59:56 log2 of the entries */
#define AMDVI_EVENT_LOG_BASE	0x0010
#define AMDVI_CONTROL		0x0018
#define AMDVI_EXCL_BASE		0x0020
#define AMDVI_EXCL_LIMIT	0x0028
#define AMDVI_EFR		0x0030	/* extended feature register */
#define AMDVI_CMD_BUF_HEAD	0x2000
#define AMDVI_CMD_BUF_TAIL	0x2008
#define AMDVI_EVENT_LOG_HEAD	0x2010
#define AMDVI_EVENT_LOG_TAIL	0x2018
#define AMDVI_STATUS		0x2020

/* Control register (3.4.5). */
#define AMDVI_CTRL_IOMMU_EN	((u64)1 << 0)
#define AMDVI_CTRL_EVENT_LOG_EN	((u64)1 << 2)
#define AMDVI_CTRL_EVENT_INT_EN	((u64)1 << 3)
#define AMDVI_CTRL_COMWAIT_INT_EN ((u64)1 << 4)
#define AMDVI_CTRL_CMD_BUF_EN	((u64)1 << 12)
#define AMDVI_CTRL_PPR_LOG_EN	((u64)1 << 13)
#define AMDVI_CTRL_GT_EN	((u64)1 << 16)
#define AMDVI_CTRL_GA_EN	((u64)1 << 17)

/* Status register (3.4.14). */
#define AMDVI_STATUS_EVENT_OVERFLOW ((u64)1 << 0)
#define AMDVI_STATUS_EVENT_RUN	((u64)1 << 3)
#define AMDVI_STATUS_CMD_RUN	((u64)1 << 4)

/* Extended feature register (3.4.6). */
#define AMDVI_EFR_IA_SUP	((u64)1 << 6)	/* INVALIDATE_IOMMU_ALL */
#define AMDVI_EFR_PC_SUP	((u64)1 << 9)	/* performance counters: 512 KiB window */

/* The command buffer and event log Keel uses: 256 entries of 16 bytes,
 * one page each (length code 8, the smallest allowed). */
#define AMDVI_RING_LEN_CODE	8ull
#define AMDVI_RING_ENTRIES	256u
#define AMDVI_ENTRY_BYTES	16u

/* Page-table entries (2.2.3): PR, the level of the table a directory
 * entry points at (0 in a leaf), the address, FC, IR and IW. */
#define AMDVI_PTE_PR		((u64)1 << 0)
#define AMDVI_PTE_NEXT_LEVEL(e)	((unsigned)((e) >> 9) & 7)
#define AMDVI_PTE_FC		((u64)1 << 60)	/* force coherent */
#define AMDVI_PTE_IR		((u64)1 << 61)
#define AMDVI_PTE_IW		((u64)1 << 62)
#define AMDVI_ADDR_MASK		0x000FFFFFFFFFF000ull

/* Device table entry, first quadword (2.2.2.1). */
#define AMDVI_DTE_V		((u64)1 << 0)
#define AMDVI_DTE_TV		((u64)1 << 1)
#define AMDVI_DTE_MODE_SHIFT	9
#define AMDVI_DTE_IR		((u64)1 << 61)
#define AMDVI_DTE_IW		((u64)1 << 62)
#define AMDVI_DTE_BYTES		32u
#define AMDVI_DEVICE_IDS	0x10000u
#define AMDVI_DOMAIN		1	/* every device shares one domain */

/* Command opcodes (2.4), in bits 63:60 of the first quadword. */
#define AMDVI_CMD_COMPLETION_WAIT	1ull
#define AMDVI_CMD_INV_DEVTAB_ENTRY	2ull
#define AMDVI_CMD_INV_IOMMU_PAGES	3ull
#define AMDVI_CMD_INV_IOMMU_ALL		8ull
#define AMDVI_CMD_OPCODE(op)		((op) << 60)
#define AMDVI_COMPLETION_WAIT_S		((u64)1 << 0)	/* store the data */

/* Event codes (2.5), in bits 63:60 of an entry's first quadword. */
#define AMDVI_EVENT_IO_PAGE_FAULT	2
#define AMDVI_EVENT_CODE(q0)		((unsigned)((q0) >> 60))
#define AMDVI_EVENT_DEVID(q0)		((u16)(q0))
#define AMDVI_EVENT_RW			((u64)1 << 53)	/* IO_PAGE_FAULT: a write */
#define AMDVI_EVENT_I			((u64)1 << 51)	/* IO_PAGE_FAULT: an interrupt */

/* The I/O page-table format for hv/ptbuild.c: 2 MiB leaves as PTEs with
 * next level 0 in a level-2 table. */
extern const struct pt_format amdvi_pt_format;

/* A device table entry (4 quadwords) translating through the tables at
 * root (levels deep) with read and write allowed, in AMDVI_DOMAIN;
 * interrupts pass unmapped (IV clear). */
void amdvi_fill_dte(u64 *dte, hpa_t root, unsigned levels);

/* A present directory entry that allows nothing (IR = IW = 0), pointing
 * at the (zeroed) table at table: every access below it is refused and
 * reported as an IO_PAGE_FAULT. */
u64 amdvi_deny_entry(hpa_t table);

/* Commands (2 quadwords each). */
void amdvi_cmd_completion_wait(u64 *cmd, hpa_t store, u64 data);
void amdvi_cmd_inv_devtab_entry(u64 *cmd, u16 devid);
void amdvi_cmd_inv_all_pages(u64 *cmd, u16 domain);
void amdvi_cmd_inv_all(u64 *cmd);

/* An event log entry decoded. */
void amdvi_decode_event(const u64 *ev, struct iommu_fault *f);

#endif
