/* AMD nested page tables (AMD APM vol. 2 15.25): the guest-physical ->
 * system-physical translation uses the normal long-mode page-table format
 * (APM vol. 2 5.3), so its entry bits carry the long-mode names. */
#ifndef KEEL_NPT_H
#define KEEL_NPT_H

#include "../hv/ptbuild.h"

/* Long-mode page-table entry bits (APM vol. 2 5.3.3, 5.4.1). */
#define NPT_PTE_P		((u64)1 << 0)	/* present */
#define NPT_PTE_RW		((u64)1 << 1)	/* read/write */
#define NPT_PTE_US		((u64)1 << 2)	/* user/supervisor */
#define NPT_PTE_PWT		((u64)1 << 3)	/* page-level writethrough */
#define NPT_PTE_PCD		((u64)1 << 4)	/* page-level cache disable */
#define NPT_PTE_A		((u64)1 << 5)	/* accessed */
#define NPT_PTE_D		((u64)1 << 6)	/* dirty (leaves) */
#define NPT_PTE_PS		((u64)1 << 7)	/* page size, PDE and PDPE */
#define NPT_PTE_PAT		((u64)1 << 7)	/* PAT index bit, 4 KiB PTE */
#define NPT_PTE_G		((u64)1 << 8)	/* global (leaves) */
#define NPT_PTE_PAT_LARGE	((u64)1 << 12)	/* PAT index bit, 2 MiB/1 GiB */
#define NPT_PTE_NX		((u64)1 << 63)	/* no-execute */
/* Physical-address field, bits 51:12. */
#define NPT_PTE_ADDR_MASK	0x000ffffffffff000ull

/* The nested page-table format for hv/ptbuild.c. 1 GiB leaves are off:
 * they need CPUID Fn8000_0001 EDX[26] (Page1GB), which not every CPU model
 * Keel runs on reports. A caller that has checked it may use a copy with
 * large_1g set. */
extern const struct pt_format npt_format;

#endif
