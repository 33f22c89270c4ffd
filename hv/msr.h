/* The MSR policy: what a guest may do with each model-specific register.
 * One table (hv/msr_policy.c) says, for every MSR Keel cares about, what
 * happens to a read and to a write; both backends build their MSR
 * permission maps from it, and hv/msr.c carries it out on an exit. The
 * table, with the reasons, is docs/security.md "MSRs". */
#ifndef KEEL_MSR_H
#define KEEL_MSR_H

#include "../lib/types.h"

enum msr_action {
	MSR_PASS,       /* not intercepted: the guest reaches the MSR itself */
	MSR_NATIVE,     /* exits (outside the maps' ranges); Keel does the
			 * access on the CPU, and a #GP there is the guest's */
	MSR_REFUSE,     /* #GP, as on a CPU without the MSR or with it locked */
	MSR_FILTER,     /* write: only the bits in .writable may change (else
			 * #GP), then done on the CPU */
	MSR_HANDLER,    /* checked or emulated by .handler (hv/msr.c) */
};

enum msr_handler {
	MSRH_NONE,
	MSRH_FEATURE_CONTROL, /* reads as locked with VMX off */
	MSRH_APIC_BASE,       /* mode changes as the SDM allows; the base stays */
	MSRH_X2APIC,          /* ICR and LVTs: through Keel's IPI filter */
	MSRH_EFER,            /* SVM: SVME hidden, reserved bits and LME #GP */
	MSRH_MTRR,            /* a copy per vCPU; the CPU's MTRRs stay the firmware's */
	MSRH_XSS,             /* no Intel PT state through XRSTORS */
};

#define MSR_VENDOR_INTEL 1u
#define MSR_VENDOR_AMD 2u
#define MSR_VENDOR_BOTH (MSR_VENDOR_INTEL | MSR_VENDOR_AMD)

struct msr_policy {
	u32 first, last;         /* an inclusive range */
	u8 vendors;              /* MSR_VENDOR_* this entry applies to */
	u8 read, write;          /* enum msr_action */
	u8 handler;              /* enum msr_handler, for MSR_HANDLER */
	u64 writable;            /* MSR_FILTER: the bits a write may change */
	const char *name;        /* the manual's name */
};

/* MSR numbers (SDM vol. 4, AMD APM vol. 2 appendix A, AMD BKDG/PPR). */
#define MSR_IA32_BIOS_UPDT_TRIG 0x79u
#define MSR_IA32_BIOS_SIGN_ID 0x8Bu
#define MSR_IA32_MTRRCAP 0xFEu
#define MSR_IA32_MCG_CAP 0x179u
#define MSR_IA32_MCG_STATUS 0x17Au
#define MSR_IA32_DEBUGCTL 0x1D9u
#define MSR_IA32_MTRR_PHYSBASE0 0x200u
#define MSR_IA32_MTRR_FIX64K_00000 0x250u
#define MSR_IA32_MTRR_FIX16K_80000 0x258u
#define MSR_IA32_MTRR_FIX16K_A0000 0x259u
#define MSR_IA32_MTRR_FIX4K_C0000 0x268u
#define MSR_IA32_MTRR_FIX4K_F8000 0x26Fu
#define MSR_IA32_MTRR_DEF_TYPE 0x2FFu
#define MSR_IA32_PEBS_ENABLE 0x3F1u
#define MSR_IA32_MC0_CTL 0x400u
#define MSR_IA32_RTIT_OUTPUT_BASE 0x560u
#define MSR_IA32_RTIT_OUTPUT_MASK_PTRS 0x561u
#define MSR_IA32_RTIT_CTL 0x570u
#define MSR_IA32_RTIT_CR3_MATCH 0x572u
#define MSR_IA32_RTIT_ADDR0_A 0x580u
#define MSR_IA32_RTIT_ADDR3_B 0x587u
#define MSR_IA32_DS_AREA 0x600u
#define MSR_IA32_XSS 0xDA0u
#define MSR_AMD_SMCA_FIRST 0xC0002000u   /* MCA_CTL of bank 0 (PPR, SMCA) */
#define MSR_AMD_SMCA_LAST 0xC0002FFFu
#define MSR_AMD_SYSCFG 0xC0010010u
#define MSR_AMD_HWCR 0xC0010015u
#define MSR_AMD_IORR_BASE0 0xC0010016u
#define MSR_AMD_IORR_MASK1 0xC0010019u
#define MSR_AMD_TOP_MEM 0xC001001Au
#define MSR_AMD_TOM2 0xC001001Du
#define MSR_AMD_PATCH_LOADER 0xC0010020u
#define MSR_AMD_MMIO_CFG_BASE 0xC0010058u
#define MSR_HV_FIRST 0x40000000u         /* hypervisor-defined MSRs (Hyper-V's) */
#define MSR_HV_LAST 0x400000FFu
#define MSR_KVM_FIRST 0x4B564D00u        /* KVM's paravirtual MSRs */
#define MSR_KVM_LAST 0x4B564DFFu

#define SYSCFG_MTRR_FIX_DRAM_MOD_EN (1ull << 19)
#define HWCR_MC_STATUS_WR_EN (1ull << 18)
#define HWCR_CPB_DIS (1ull << 25)
#define HWCR_IR_PERF_EN (1ull << 30)
#define XSS_PT (1ull << 8)               /* SDM vol. 1 13.5.6: PT state */
#define MCG_STATUS_RIPV (1ull << 0)
#define MCG_STATUS_EIPV (1ull << 1)
#define MCG_STATUS_MCIP (1ull << 2)

/* The variable-range MTRRs Keel keeps a copy of per vCPU (IA32_MTRRCAP
 * VCNT is 8-10 on real CPUs; more are refused). */
#define MTRR_VAR_MAX 32
#define MTRR_FIXED_COUNT 11

struct vcpu_msrs {
	bool mtrr;                        /* the CPU has MTRRs (CPUID.1:EDX[12]) */
	u64 mtrr_cap, mtrr_def_type;
	u64 mtrr_fixed[MTRR_FIXED_COUNT];
	u64 mtrr_var[2 * MTRR_VAR_MAX];   /* PHYSBASEn, PHYSMASKn */
};

/* The table, sorted by .first, ranges disjoint (tests/unit/test_msr.c). */
extern const struct msr_policy msr_policies[];
extern const unsigned msr_policy_count;

/* The entry for msr on this vendor, or NULL: then an MSR inside the
 * permission maps' ranges is MSR_PASS and one outside them MSR_REFUSE
 * (msr_action()). */
const struct msr_policy *msr_policy_find(u32 msr, u8 vendor);
enum msr_action msr_action(u32 msr, u8 vendor, bool write);

/* May the guest's WRMSR of val to EFER (value cur, CR0 cr0) go through?
 * allowed: the EFER bits this CPU implements, without SVME (which Keel
 * hides). On success *out is the value to load: LMA stays as it is. */
bool efer_write_ok(u64 cur, u64 val, u64 cr0, u64 allowed, u64 *out);

/* Is val a value the CPU would accept in this MTRR (SDM vol. 3A 12.11.2,
 * 12.11.3)? cap is IA32_MTRRCAP, phys_bits the physical-address width.
 * Returns false for an MSR that is not an MTRR or beyond VCNT. */
bool mtrr_write_ok(u32 msr, u64 val, u64 cap, u8 phys_bits);

/* The index of msr in struct vcpu_msrs: its fixed-range slot (0-10) or its
 * variable slot (0..2*VCNT-1); -1 when msr is neither. */
int mtrr_fixed_index(u32 msr);
int mtrr_var_index(u32 msr, u64 cap);

struct vcpu;
struct vmexit;
/* The exit handler for RDMSR and WRMSR (hv/msr.c). */
void handle_msr(struct vcpu *v, const struct vmexit *e);
/* Calls fn for every MSR this vendor's permission map must intercept, with
 * whether reads and writes exit; remembers the vendor for handle_msr. */
void msr_intercepts(u8 vendor, void (*fn)(void *ctx, u32 msr, bool read, bool write), void *ctx);
/* A new guest starts with the CPU's MTRRs in its copy, XCR0 = x87 only
 * and IA32_XSS = 0, as after a reset. */
void msr_guest_reset(struct vcpu *v);

#endif
