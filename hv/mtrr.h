/* The memory-type range registers as Keel reads them: which memory type
 * the MTRRs give a physical address, and which types a range holds, so
 * that no large page of Keel's own map spans two types (Intel SDM vol. 3A
 * 12.11.9 "Large Page Size Considerations": the TLB caches one type per
 * page, and a page over several is undefined behaviour) and so that Keel
 * can tell whether its region is write-back. Pure: the MSRs are read by
 * hv/mem.c; unit-tested on the host (tests/unit/test_mtrr.c). */
#ifndef KEEL_MTRR_H
#define KEEL_MTRR_H

#include "../lib/types.h"

/* Memory types (SDM vol. 3A table 12-8, AMD APM vol. 2 7.7.1). */
#define MTRR_TYPE_UC 0
#define MTRR_TYPE_WC 1
#define MTRR_TYPE_WT 4
#define MTRR_TYPE_WP 5
#define MTRR_TYPE_WB 6

/* The MSRs (SDM vol. 3A 12.11.2, 12.11.3). */
#define MSR_IA32_MTRRCAP 0xFEu
#define MTRRCAP_VCNT_MASK 0xFFu
#define MTRRCAP_FIX (1u << 8)
#define MSR_IA32_MTRR_DEF_TYPE 0x2FFu
#define MTRR_DEF_TYPE_FE (1u << 10)	/* fixed ranges enabled */
#define MTRR_DEF_TYPE_E (1u << 11)	/* MTRRs enabled */
#define MSR_IA32_MTRR_PHYSBASE(n) (0x200u + 2 * (n))
#define MSR_IA32_MTRR_PHYSMASK(n) (0x201u + 2 * (n))
#define MTRR_PHYSMASK_V (1u << 11)	/* the pair is in use */
#define MSR_IA32_MTRR_FIX64K_00000 0x250u
#define MSR_IA32_MTRR_FIX16K_80000 0x258u
#define MSR_IA32_MTRR_FIX16K_A0000 0x259u
#define MSR_IA32_MTRR_FIX4K_C0000 0x268u	/* through 26Fh (F8000h) */

/* 8 ranges of 64 KiB (0-7FFFFh), 16 of 16 KiB (80000h-BFFFFh), 64 of
 * 4 KiB (C0000h-FFFFFh): one type byte each, in address order. */
#define MTRR_FIXED_RANGES 88
#define MTRR_FIXED_END 0x100000ull
/* More variable pairs than any CPU has (Intel 10, AMD 8); hv/mem.c says
 * so if a CPU reports more. */
#define MTRR_VAR_MAX 32

struct mtrr_state {
	bool enabled;                   /* IA32_MTRR_DEF_TYPE.E */
	bool fixed_enabled;             /* .FE, on a CPU with fixed ranges */
	u8 def_type;
	u8 fixed[MTRR_FIXED_RANGES];
	unsigned nvar;
	struct { u64 base, mask; } var[MTRR_VAR_MAX];	/* PHYSBASEn, PHYSMASKn */
	unsigned phys_bits;             /* MAXPHYADDR (CPUID 80000008h EAX[7:0]) */
};

/* Fills fixed[] from the eleven fixed-range MSR values, in MSR order
 * (250h, 258h, 259h, 268h-26Fh), one type per byte, low byte first. */
void mtrr_set_fixed(struct mtrr_state *m, const u64 msr[11]);

/* The type the MTRRs give addr (SDM vol. 3A 12.11.4.1). */
u8 mtrr_type(const struct mtrr_state *m, u64 addr);

/* The types the 4 KiB granules of [base, base+len) have, as a bit set
 * (bit t for type t); 0 when the range is empty or Keel cannot tell
 * cheaply (a variable range with a non-contiguous mask cutting it into
 * more than a few dozen pieces, which the SDM does not allow anyway). */
unsigned mtrr_types(const struct mtrr_state *m, u64 base, u64 len);

/* Do all of [base, base+len) have one type? The page-size rule: a 2 MiB
 * or 1 GiB page of Keel's map is used only where this holds. */
bool mtrr_one_type(const struct mtrr_state *m, u64 base, u64 len);

/* "UC", "WC", "WT", "WP", "WB", or "type N". */
const char *mtrr_type_name(u8 type);

#endif
