/* The virtual-machine control structure: field encodings, control bits,
 * exit reasons, the VMX capability MSRs and the formats of the fields Keel
 * reads and writes.
 *
 * Sources are the Intel SDM vol. 3C as numbered since 2022: chapter 24
 * (introduction to VMX), chapter 25 (the VMCS), chapter 27 (VM entries),
 * chapter 28 (VM exits), chapter 31 (VMX instruction reference), appendix A
 * (capability reporting), appendix B (field encodings) and appendix C
 * (basic exit reasons). Older editions number these chapters one lower. */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include "../lib/types.h"
#include "../hv/x86.h"

/*
 * Field encodings (25.11.2, appendix B). An encoding is a 32-bit value:
 * bit 0 selects the high half of a 64-bit field, bits 9:1 are the index,
 * bits 11:10 the type and bits 14:13 the width.
 */
#define VMCS_FIELD_HIGH			(1u << 0)
#define VMCS_FIELD_TYPE(enc)		(((enc) >> 10) & 3)
#define VMCS_TYPE_CONTROL		0
#define VMCS_TYPE_EXIT_INFO		1	/* read-only data */
#define VMCS_TYPE_GUEST			2
#define VMCS_TYPE_HOST			3
#define VMCS_FIELD_WIDTH(enc)		(((enc) >> 13) & 3)
#define VMCS_WIDTH_16			0
#define VMCS_WIDTH_64			1
#define VMCS_WIDTH_32			2
#define VMCS_WIDTH_NATURAL		3

/* 16-bit control fields (B.1.1). */
#define VMCS_CTRL_VPID				0x0000
#define VMCS_CTRL_POSTED_INTR_NOTIFY_VECTOR	0x0002
#define VMCS_CTRL_EPTP_INDEX			0x0004

/* 16-bit guest-state fields (B.1.2). */
#define VMCS_GUEST_ES_SELECTOR		0x0800
#define VMCS_GUEST_CS_SELECTOR		0x0802
#define VMCS_GUEST_SS_SELECTOR		0x0804
#define VMCS_GUEST_DS_SELECTOR		0x0806
#define VMCS_GUEST_FS_SELECTOR		0x0808
#define VMCS_GUEST_GS_SELECTOR		0x080A
#define VMCS_GUEST_LDTR_SELECTOR	0x080C
#define VMCS_GUEST_TR_SELECTOR		0x080E
#define VMCS_GUEST_INTR_STATUS		0x0810
#define VMCS_GUEST_PML_INDEX		0x0812

/* 16-bit host-state fields (B.1.3). */
#define VMCS_HOST_ES_SELECTOR		0x0C00
#define VMCS_HOST_CS_SELECTOR		0x0C02
#define VMCS_HOST_SS_SELECTOR		0x0C04
#define VMCS_HOST_DS_SELECTOR		0x0C06
#define VMCS_HOST_FS_SELECTOR		0x0C08
#define VMCS_HOST_GS_SELECTOR		0x0C0A
#define VMCS_HOST_TR_SELECTOR		0x0C0C

/* 64-bit control fields (B.2.1); the high half is the encoding + 1. */
#define VMCS_CTRL_IO_BITMAP_A			0x2000
#define VMCS_CTRL_IO_BITMAP_B			0x2002
#define VMCS_CTRL_MSR_BITMAP			0x2004
#define VMCS_CTRL_EXIT_MSR_STORE_ADDR		0x2006
#define VMCS_CTRL_EXIT_MSR_LOAD_ADDR		0x2008
#define VMCS_CTRL_ENTRY_MSR_LOAD_ADDR		0x200A
#define VMCS_CTRL_EXECUTIVE_VMCS_POINTER	0x200C
#define VMCS_CTRL_PML_ADDR			0x200E
#define VMCS_CTRL_TSC_OFFSET			0x2010
#define VMCS_CTRL_VIRTUAL_APIC_ADDR		0x2012
#define VMCS_CTRL_APIC_ACCESS_ADDR		0x2014
#define VMCS_CTRL_POSTED_INTR_DESC_ADDR		0x2016
#define VMCS_CTRL_VMFUNC_CONTROLS		0x2018
#define VMCS_CTRL_EPT_POINTER			0x201A
#define VMCS_CTRL_EOI_EXIT_BITMAP0		0x201C
#define VMCS_CTRL_EOI_EXIT_BITMAP1		0x201E
#define VMCS_CTRL_EOI_EXIT_BITMAP2		0x2020
#define VMCS_CTRL_EOI_EXIT_BITMAP3		0x2022
#define VMCS_CTRL_EPTP_LIST_ADDR		0x2024
#define VMCS_CTRL_VMREAD_BITMAP			0x2026
#define VMCS_CTRL_VMWRITE_BITMAP		0x2028
#define VMCS_CTRL_VE_INFO_ADDR			0x202A
#define VMCS_CTRL_XSS_EXITING_BITMAP		0x202C
#define VMCS_CTRL_ENCLS_EXITING_BITMAP		0x202E
#define VMCS_CTRL_SPP_TABLE_POINTER		0x2030
#define VMCS_CTRL_TSC_MULTIPLIER		0x2032
#define VMCS_CTRL_PROC_BASED3			0x2034
#define VMCS_CTRL_ENCLV_EXITING_BITMAP		0x2036

/* 64-bit read-only data field (B.2.2). */
#define VMCS_RO_GUEST_PHYSICAL_ADDR	0x2400

/* 64-bit guest-state fields (B.2.3). */
#define VMCS_GUEST_VMCS_LINK_POINTER	0x2800
#define VMCS_GUEST_IA32_DEBUGCTL	0x2802
#define VMCS_GUEST_IA32_PAT		0x2804
#define VMCS_GUEST_IA32_EFER		0x2806
#define VMCS_GUEST_IA32_PERF_GLOBAL_CTRL 0x2808
#define VMCS_GUEST_PDPTE0		0x280A
#define VMCS_GUEST_PDPTE1		0x280C
#define VMCS_GUEST_PDPTE2		0x280E
#define VMCS_GUEST_PDPTE3		0x2810
#define VMCS_GUEST_IA32_BNDCFGS		0x2812
#define VMCS_GUEST_IA32_RTIT_CTL	0x2814
#define VMCS_GUEST_IA32_LBR_CTL		0x2816
#define VMCS_GUEST_IA32_PKRS		0x2818

/* 64-bit host-state fields (B.2.4). */
#define VMCS_HOST_IA32_PAT		0x2C00
#define VMCS_HOST_IA32_EFER		0x2C02
#define VMCS_HOST_IA32_PERF_GLOBAL_CTRL	0x2C04
#define VMCS_HOST_IA32_PKRS		0x2C06

/* 32-bit control fields (B.3.1). */
#define VMCS_CTRL_PIN_BASED		0x4000
#define VMCS_CTRL_PROC_BASED		0x4002
#define VMCS_CTRL_EXCEPTION_BITMAP	0x4004
#define VMCS_CTRL_PF_ERROR_CODE_MASK	0x4006
#define VMCS_CTRL_PF_ERROR_CODE_MATCH	0x4008
#define VMCS_CTRL_CR3_TARGET_COUNT	0x400A
#define VMCS_CTRL_EXIT			0x400C
#define VMCS_CTRL_EXIT_MSR_STORE_COUNT	0x400E
#define VMCS_CTRL_EXIT_MSR_LOAD_COUNT	0x4010
#define VMCS_CTRL_ENTRY			0x4012
#define VMCS_CTRL_ENTRY_MSR_LOAD_COUNT	0x4014
#define VMCS_CTRL_ENTRY_INTR_INFO	0x4016
#define VMCS_CTRL_ENTRY_EXCEPTION_ERROR	0x4018
#define VMCS_CTRL_ENTRY_INSTRUCTION_LEN	0x401A
#define VMCS_CTRL_TPR_THRESHOLD		0x401C
#define VMCS_CTRL_PROC_BASED2		0x401E
#define VMCS_CTRL_PLE_GAP		0x4020
#define VMCS_CTRL_PLE_WINDOW		0x4022

/* 32-bit read-only data fields (B.3.2). */
#define VMCS_RO_VM_INSTRUCTION_ERROR	0x4400
#define VMCS_RO_EXIT_REASON		0x4402
#define VMCS_RO_EXIT_INTR_INFO		0x4404
#define VMCS_RO_EXIT_INTR_ERROR		0x4406
#define VMCS_RO_IDT_VECTORING_INFO	0x4408
#define VMCS_RO_IDT_VECTORING_ERROR	0x440A
#define VMCS_RO_EXIT_INSTRUCTION_LEN	0x440C
#define VMCS_RO_EXIT_INSTRUCTION_INFO	0x440E

/* 32-bit guest-state fields (B.3.3). */
#define VMCS_GUEST_ES_LIMIT		0x4800
#define VMCS_GUEST_CS_LIMIT		0x4802
#define VMCS_GUEST_SS_LIMIT		0x4804
#define VMCS_GUEST_DS_LIMIT		0x4806
#define VMCS_GUEST_FS_LIMIT		0x4808
#define VMCS_GUEST_GS_LIMIT		0x480A
#define VMCS_GUEST_LDTR_LIMIT		0x480C
#define VMCS_GUEST_TR_LIMIT		0x480E
#define VMCS_GUEST_GDTR_LIMIT		0x4810
#define VMCS_GUEST_IDTR_LIMIT		0x4812
#define VMCS_GUEST_ES_ACCESS_RIGHTS	0x4814
#define VMCS_GUEST_CS_ACCESS_RIGHTS	0x4816
#define VMCS_GUEST_SS_ACCESS_RIGHTS	0x4818
#define VMCS_GUEST_DS_ACCESS_RIGHTS	0x481A
#define VMCS_GUEST_FS_ACCESS_RIGHTS	0x481C
#define VMCS_GUEST_GS_ACCESS_RIGHTS	0x481E
#define VMCS_GUEST_LDTR_ACCESS_RIGHTS	0x4820
#define VMCS_GUEST_TR_ACCESS_RIGHTS	0x4822
#define VMCS_GUEST_INTERRUPTIBILITY	0x4824
#define VMCS_GUEST_ACTIVITY_STATE	0x4826
#define VMCS_GUEST_SMBASE		0x4828
#define VMCS_GUEST_IA32_SYSENTER_CS	0x482A
/* The VMX-preemption timer value is guest non-register state (25.4.2);
 * Keel writes it with the controls, hence the second name. */
#define VMCS_GUEST_PREEMPTION_TIMER	0x482E
#define VMCS_CTRL_PREEMPTION_TIMER	VMCS_GUEST_PREEMPTION_TIMER

/* 32-bit host-state field (B.3.4). */
#define VMCS_HOST_IA32_SYSENTER_CS	0x4C00

/* Natural-width control fields (B.4.1). */
#define VMCS_CTRL_CR0_GUEST_HOST_MASK	0x6000
#define VMCS_CTRL_CR4_GUEST_HOST_MASK	0x6002
#define VMCS_CTRL_CR0_READ_SHADOW	0x6004
#define VMCS_CTRL_CR4_READ_SHADOW	0x6006
#define VMCS_CTRL_CR3_TARGET_VALUE0	0x6008
#define VMCS_CTRL_CR3_TARGET_VALUE1	0x600A
#define VMCS_CTRL_CR3_TARGET_VALUE2	0x600C
#define VMCS_CTRL_CR3_TARGET_VALUE3	0x600E

/* Natural-width read-only data fields (B.4.2). */
#define VMCS_RO_EXIT_QUALIFICATION	0x6400
#define VMCS_RO_IO_RCX			0x6402
#define VMCS_RO_IO_RSI			0x6404
#define VMCS_RO_IO_RDI			0x6406
#define VMCS_RO_IO_RIP			0x6408
#define VMCS_RO_GUEST_LINEAR_ADDR	0x640A

/* Natural-width guest-state fields (B.4.3). */
#define VMCS_GUEST_CR0			0x6800
#define VMCS_GUEST_CR3			0x6802
#define VMCS_GUEST_CR4			0x6804
#define VMCS_GUEST_ES_BASE		0x6806
#define VMCS_GUEST_CS_BASE		0x6808
#define VMCS_GUEST_SS_BASE		0x680A
#define VMCS_GUEST_DS_BASE		0x680C
#define VMCS_GUEST_FS_BASE		0x680E
#define VMCS_GUEST_GS_BASE		0x6810
#define VMCS_GUEST_LDTR_BASE		0x6812
#define VMCS_GUEST_TR_BASE		0x6814
#define VMCS_GUEST_GDTR_BASE		0x6816
#define VMCS_GUEST_IDTR_BASE		0x6818
#define VMCS_GUEST_DR7			0x681A
#define VMCS_GUEST_RSP			0x681C
#define VMCS_GUEST_RIP			0x681E
#define VMCS_GUEST_RFLAGS		0x6820
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS 0x6822
#define VMCS_GUEST_IA32_SYSENTER_ESP	0x6824
#define VMCS_GUEST_IA32_SYSENTER_EIP	0x6826
#define VMCS_GUEST_IA32_S_CET		0x6828
#define VMCS_GUEST_SSP			0x682A
#define VMCS_GUEST_IA32_INTR_SSP_TABLE_ADDR 0x682C

/* Natural-width host-state fields (B.4.4). */
#define VMCS_HOST_CR0			0x6C00
#define VMCS_HOST_CR3			0x6C02
#define VMCS_HOST_CR4			0x6C04
#define VMCS_HOST_FS_BASE		0x6C06
#define VMCS_HOST_GS_BASE		0x6C08
#define VMCS_HOST_TR_BASE		0x6C0A
#define VMCS_HOST_GDTR_BASE		0x6C0C
#define VMCS_HOST_IDTR_BASE		0x6C0E
#define VMCS_HOST_IA32_SYSENTER_ESP	0x6C10
#define VMCS_HOST_IA32_SYSENTER_EIP	0x6C12
#define VMCS_HOST_RSP			0x6C14
#define VMCS_HOST_RIP			0x6C16
#define VMCS_HOST_IA32_S_CET		0x6C18
#define VMCS_HOST_SSP			0x6C1A
#define VMCS_HOST_IA32_INTR_SSP_TABLE_ADDR 0x6C1C

/*
 * VM-execution controls (25.6). Bits not named here are reserved; their
 * settings come from the capability MSRs (appendix A, vmx/controls.c).
 */

/* Pin-based VM-execution controls (25.6.1). */
#define PIN_BASED_EXT_INTR_EXITING	(1u << 0)
#define PIN_BASED_NMI_EXITING		(1u << 3)
#define PIN_BASED_VIRTUAL_NMIS		(1u << 5)
#define PIN_BASED_PREEMPTION_TIMER	(1u << 6)
#define PIN_BASED_POSTED_INTERRUPTS	(1u << 7)

/* Primary processor-based VM-execution controls (25.6.2). */
#define PROC_BASED_INTR_WINDOW_EXITING	(1u << 2)
#define PROC_BASED_USE_TSC_OFFSETTING	(1u << 3)
#define PROC_BASED_HLT_EXITING		(1u << 7)
#define PROC_BASED_INVLPG_EXITING	(1u << 9)
#define PROC_BASED_MWAIT_EXITING	(1u << 10)
#define PROC_BASED_RDPMC_EXITING	(1u << 11)
#define PROC_BASED_RDTSC_EXITING	(1u << 12)
#define PROC_BASED_CR3_LOAD_EXITING	(1u << 15)
#define PROC_BASED_CR3_STORE_EXITING	(1u << 16)
#define PROC_BASED_ACTIVATE_TERTIARY	(1u << 17)
#define PROC_BASED_CR8_LOAD_EXITING	(1u << 19)
#define PROC_BASED_CR8_STORE_EXITING	(1u << 20)
#define PROC_BASED_USE_TPR_SHADOW	(1u << 21)
#define PROC_BASED_NMI_WINDOW_EXITING	(1u << 22)
#define PROC_BASED_MOV_DR_EXITING	(1u << 23)
#define PROC_BASED_UNCOND_IO_EXITING	(1u << 24)
#define PROC_BASED_USE_IO_BITMAPS	(1u << 25)
#define PROC_BASED_MONITOR_TRAP_FLAG	(1u << 27)
#define PROC_BASED_USE_MSR_BITMAPS	(1u << 28)
#define PROC_BASED_MONITOR_EXITING	(1u << 29)
#define PROC_BASED_PAUSE_EXITING	(1u << 30)
#define PROC_BASED_ACTIVATE_SECONDARY	(1u << 31)

/* Secondary processor-based VM-execution controls (25.6.2). */
#define PROC_BASED2_VIRTUALIZE_APIC_ACCESSES	(1u << 0)
#define PROC_BASED2_ENABLE_EPT			(1u << 1)
#define PROC_BASED2_DESC_TABLE_EXITING		(1u << 2)
#define PROC_BASED2_ENABLE_RDTSCP		(1u << 3)
#define PROC_BASED2_VIRTUALIZE_X2APIC		(1u << 4)
#define PROC_BASED2_ENABLE_VPID			(1u << 5)
#define PROC_BASED2_WBINVD_EXITING		(1u << 6)
#define PROC_BASED2_UNRESTRICTED_GUEST		(1u << 7)
#define PROC_BASED2_APIC_REGISTER_VIRT		(1u << 8)
#define PROC_BASED2_VIRTUAL_INTR_DELIVERY	(1u << 9)
#define PROC_BASED2_PAUSE_LOOP_EXITING		(1u << 10)
#define PROC_BASED2_RDRAND_EXITING		(1u << 11)
#define PROC_BASED2_ENABLE_INVPCID		(1u << 12)
#define PROC_BASED2_ENABLE_VMFUNC		(1u << 13)
#define PROC_BASED2_VMCS_SHADOWING		(1u << 14)
#define PROC_BASED2_ENCLS_EXITING		(1u << 15)
#define PROC_BASED2_RDSEED_EXITING		(1u << 16)
#define PROC_BASED2_ENABLE_PML			(1u << 17)
#define PROC_BASED2_EPT_VIOLATION_VE		(1u << 18)
#define PROC_BASED2_CONCEAL_VMX_FROM_PT		(1u << 19)
#define PROC_BASED2_ENABLE_XSAVES		(1u << 20)
#define PROC_BASED2_MODE_BASED_EPT_EXEC		(1u << 22)
#define PROC_BASED2_SUBPAGE_WRITE_PERMS		(1u << 23)
#define PROC_BASED2_PT_USES_GUEST_PHYS		(1u << 24)
#define PROC_BASED2_USE_TSC_SCALING		(1u << 25)
#define PROC_BASED2_ENABLE_USER_WAIT_PAUSE	(1u << 26)
#define PROC_BASED2_ENABLE_PCONFIG		(1u << 27)
#define PROC_BASED2_ENCLV_EXITING		(1u << 28)
#define PROC_BASED2_BUS_LOCK_DETECTION		(1u << 30)
#define PROC_BASED2_INSTRUCTION_TIMEOUT		(1u << 31)

/* VM-exit controls (25.7.1). */
#define EXIT_CTRL_SAVE_DEBUG_CONTROLS	(1u << 2)
#define EXIT_CTRL_HOST_ADDR_SPACE_SIZE	(1u << 9)
#define EXIT_CTRL_LOAD_PERF_GLOBAL_CTRL	(1u << 12)
#define EXIT_CTRL_ACK_INTR_ON_EXIT	(1u << 15)
#define EXIT_CTRL_SAVE_IA32_PAT		(1u << 18)
#define EXIT_CTRL_LOAD_IA32_PAT		(1u << 19)
#define EXIT_CTRL_SAVE_IA32_EFER	(1u << 20)
#define EXIT_CTRL_LOAD_IA32_EFER	(1u << 21)
#define EXIT_CTRL_SAVE_PREEMPTION_TIMER	(1u << 22)
#define EXIT_CTRL_CLEAR_IA32_BNDCFGS	(1u << 23)
#define EXIT_CTRL_CONCEAL_VMX_FROM_PT	(1u << 24)
#define EXIT_CTRL_CLEAR_IA32_RTIT_CTL	(1u << 25)
#define EXIT_CTRL_CLEAR_IA32_LBR_CTL	(1u << 26)
#define EXIT_CTRL_CLEAR_UINV		(1u << 27)
#define EXIT_CTRL_LOAD_CET_STATE	(1u << 28)
#define EXIT_CTRL_LOAD_PKRS		(1u << 29)
#define EXIT_CTRL_SAVE_PERF_GLOBAL_CTRL	(1u << 30)
#define EXIT_CTRL_ACTIVATE_SECONDARY	(1u << 31)

/* VM-entry controls (25.8.1). */
#define ENTRY_CTRL_LOAD_DEBUG_CONTROLS	(1u << 2)
#define ENTRY_CTRL_IA32E_MODE_GUEST	(1u << 9)
#define ENTRY_CTRL_ENTRY_TO_SMM		(1u << 10)
#define ENTRY_CTRL_DEACTIVATE_DUAL_MONITOR (1u << 11)
#define ENTRY_CTRL_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define ENTRY_CTRL_LOAD_IA32_PAT	(1u << 14)
#define ENTRY_CTRL_LOAD_IA32_EFER	(1u << 15)
#define ENTRY_CTRL_LOAD_IA32_BNDCFGS	(1u << 16)
#define ENTRY_CTRL_CONCEAL_VMX_FROM_PT	(1u << 17)
#define ENTRY_CTRL_LOAD_IA32_RTIT_CTL	(1u << 18)
#define ENTRY_CTRL_LOAD_UINV		(1u << 19)
#define ENTRY_CTRL_LOAD_CET_STATE	(1u << 20)
#define ENTRY_CTRL_LOAD_IA32_LBR_CTL	(1u << 21)
#define ENTRY_CTRL_LOAD_PKRS		(1u << 22)

/*
 * VMX capability MSRs (appendix A); IA32_FEATURE_CONTROL and its lock and
 * VMXON bits are in hv/x86.h, which the core shares (24.7).
 */
#define FEATURE_CONTROL_SENTER_LOCAL	(0x7Fu << 8)
#define FEATURE_CONTROL_SENTER_GLOBAL	(1u << 15)
#define FEATURE_CONTROL_SGX_LC		(1u << 17)
#define FEATURE_CONTROL_SGX_GLOBAL	(1u << 18)
#define FEATURE_CONTROL_LMCE_ON		(1u << 20)

#define MSR_IA32_VMX_BASIC		0x480
#define MSR_IA32_VMX_PINBASED_CTLS	0x481
#define MSR_IA32_VMX_PROCBASED_CTLS	0x482
#define MSR_IA32_VMX_EXIT_CTLS		0x483
#define MSR_IA32_VMX_ENTRY_CTLS		0x484
#define MSR_IA32_VMX_MISC		0x485
#define MSR_IA32_VMX_CR0_FIXED0		0x486
#define MSR_IA32_VMX_CR0_FIXED1		0x487
#define MSR_IA32_VMX_CR4_FIXED0		0x488
#define MSR_IA32_VMX_CR4_FIXED1		0x489
#define MSR_IA32_VMX_VMCS_ENUM		0x48A
#define MSR_IA32_VMX_PROCBASED_CTLS2	0x48B
#define MSR_IA32_VMX_EPT_VPID_CAP	0x48C
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS	0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48E
#define MSR_IA32_VMX_TRUE_EXIT_CTLS	0x48F
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS	0x490
#define MSR_IA32_VMX_VMFUNC		0x491
#define MSR_IA32_VMX_PROCBASED_CTLS3	0x492

/* IA32_VMX_BASIC (A.1). */
#define VMX_BASIC_REVISION_MASK		0x7FFFFFFFull		/* bits 30:0 */
#define VMX_BASIC_VMCS_SIZE(b)		((u32)(((b) >> 32) & 0x1FFF))	/* bits 44:32 */
#define VMX_BASIC_32BIT_ADDRESSES	(1ull << 48)
#define VMX_BASIC_DUAL_MONITOR		(1ull << 49)
#define VMX_BASIC_MEMORY_TYPE(b)	((u32)(((b) >> 50) & 0xF))	/* bits 53:50 */
#define VMX_BASIC_MEMORY_TYPE_WB	6
#define VMX_BASIC_INS_OUTS_INFO		(1ull << 54)
#define VMX_BASIC_TRUE_CTLS		(1ull << 55)
#define VMX_BASIC_NO_ERROR_CODE_REQ	(1ull << 56)

/* IA32_VMX_MISC (A.6). */
#define VMX_MISC_PREEMPTION_TIMER_RATE(m) ((u32)((m) & 0x1F))	/* TSC >> rate */
#define VMX_MISC_STORES_LMA		(1ull << 5)
#define VMX_MISC_ACTIVITY_HLT		(1ull << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN	(1ull << 7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI	(1ull << 8)
#define VMX_MISC_PT_IN_VMX		(1ull << 14)
#define VMX_MISC_RDMSR_SMBASE		(1ull << 15)
#define VMX_MISC_CR3_TARGETS(m)		((u32)(((m) >> 16) & 0x1FF))
#define VMX_MISC_MAX_MSR_LIST(m)	(512u * ((u32)(((m) >> 25) & 7) + 1))
#define VMX_MISC_SMM_BLOCK_SMI		(1ull << 28)
#define VMX_MISC_VMWRITE_ANY_FIELD	(1ull << 29)
#define VMX_MISC_INJECT_ZERO_LEN	(1ull << 30)

/* IA32_VMX_EPT_VPID_CAP (A.10). */
#define VMX_EPT_EXECUTE_ONLY		(1ull << 0)
#define VMX_EPT_PAGE_WALK_4		(1ull << 6)
#define VMX_EPT_PAGE_WALK_5		(1ull << 7)
#define VMX_EPT_MEMTYPE_UC		(1ull << 8)
#define VMX_EPT_MEMTYPE_WB		(1ull << 14)
#define VMX_EPT_2MB_PAGES		(1ull << 16)
#define VMX_EPT_1GB_PAGES		(1ull << 17)
#define VMX_EPT_INVEPT			(1ull << 20)
#define VMX_EPT_ACCESSED_DIRTY		(1ull << 21)
#define VMX_EPT_ADVANCED_EXIT_INFO	(1ull << 22)
#define VMX_EPT_SUPERVISOR_SHADOW_STACK	(1ull << 23)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT	(1ull << 25)
#define VMX_EPT_INVEPT_ALL_CONTEXT	(1ull << 26)
#define VMX_VPID_INVVPID		(1ull << 32)
#define VMX_VPID_INVVPID_ADDRESS	(1ull << 40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT	(1ull << 41)
#define VMX_VPID_INVVPID_ALL_CONTEXT	(1ull << 42)
#define VMX_VPID_INVVPID_SINGLE_NONGLOBAL (1ull << 43)

/* INVEPT and INVVPID types (31.3, "INVEPT" and "INVVPID"). */
#define INVEPT_SINGLE_CONTEXT		1
#define INVEPT_ALL_CONTEXT		2
#define INVVPID_INDIVIDUAL_ADDRESS	0
#define INVVPID_SINGLE_CONTEXT		1
#define INVVPID_ALL_CONTEXT		2
#define INVVPID_SINGLE_NONGLOBAL	3

/*
 * Exit reason (25.9.1): bits 15:0 are the basic exit reason (appendix C).
 */
#define VMX_EXIT_REASON_BASIC(r)	((u32)(r) & 0xFFFF)
#define VMX_EXIT_REASON_ENCLAVE		(1u << 27)
#define VMX_EXIT_REASON_PENDING_MTF	(1u << 28)
#define VMX_EXIT_REASON_FROM_ROOT	(1u << 29)
#define VMX_EXIT_REASON_ENTRY_FAILURE	(1u << 31)

#define VMX_EXIT_EXCEPTION_NMI		0
#define VMX_EXIT_EXTERNAL_INTERRUPT	1
#define VMX_EXIT_TRIPLE_FAULT		2
#define VMX_EXIT_INIT			3
#define VMX_EXIT_SIPI			4
#define VMX_EXIT_IO_SMI			5
#define VMX_EXIT_OTHER_SMI		6
#define VMX_EXIT_INTERRUPT_WINDOW	7
#define VMX_EXIT_NMI_WINDOW		8
#define VMX_EXIT_TASK_SWITCH		9
#define VMX_EXIT_CPUID			10
#define VMX_EXIT_GETSEC			11
#define VMX_EXIT_HLT			12
#define VMX_EXIT_INVD			13
#define VMX_EXIT_INVLPG			14
#define VMX_EXIT_RDPMC			15
#define VMX_EXIT_RDTSC			16
#define VMX_EXIT_RSM			17
#define VMX_EXIT_VMCALL			18
#define VMX_EXIT_VMCLEAR		19
#define VMX_EXIT_VMLAUNCH		20
#define VMX_EXIT_VMPTRLD		21
#define VMX_EXIT_VMPTRST		22
#define VMX_EXIT_VMREAD			23
#define VMX_EXIT_VMRESUME		24
#define VMX_EXIT_VMWRITE		25
#define VMX_EXIT_VMXOFF			26
#define VMX_EXIT_VMXON			27
#define VMX_EXIT_CR_ACCESS		28
#define VMX_EXIT_MOV_DR			29
#define VMX_EXIT_IO			30
#define VMX_EXIT_RDMSR			31
#define VMX_EXIT_WRMSR			32
#define VMX_EXIT_INVALID_GUEST_STATE	33
#define VMX_EXIT_MSR_LOADING		34
#define VMX_EXIT_MWAIT			36
#define VMX_EXIT_MONITOR_TRAP		37
#define VMX_EXIT_MONITOR		39
#define VMX_EXIT_PAUSE			40
#define VMX_EXIT_MCE_DURING_ENTRY	41
#define VMX_EXIT_TPR_BELOW_THRESHOLD	43
#define VMX_EXIT_APIC_ACCESS		44
#define VMX_EXIT_VIRTUALIZED_EOI	45
#define VMX_EXIT_GDTR_IDTR		46
#define VMX_EXIT_LDTR_TR		47
#define VMX_EXIT_EPT_VIOLATION		48
#define VMX_EXIT_EPT_MISCONFIG		49
#define VMX_EXIT_INVEPT			50
#define VMX_EXIT_RDTSCP			51
#define VMX_EXIT_PREEMPTION_TIMER	52
#define VMX_EXIT_INVVPID		53
#define VMX_EXIT_WBINVD			54
#define VMX_EXIT_XSETBV			55
#define VMX_EXIT_APIC_WRITE		56
#define VMX_EXIT_RDRAND			57
#define VMX_EXIT_INVPCID		58
#define VMX_EXIT_VMFUNC			59
#define VMX_EXIT_ENCLS			60
#define VMX_EXIT_RDSEED			61
#define VMX_EXIT_PML_FULL		62
#define VMX_EXIT_XSAVES			63
#define VMX_EXIT_XRSTORS		64
#define VMX_EXIT_PCONFIG		65
#define VMX_EXIT_SPP_EVENT		66
#define VMX_EXIT_UMWAIT			67
#define VMX_EXIT_TPAUSE			68
#define VMX_EXIT_LOADIWKEY		69
#define VMX_EXIT_ENCLV			70
#define VMX_EXIT_ENQCMD_PASID_FAILURE	72
#define VMX_EXIT_ENQCMDS_PASID_FAILURE	73
#define VMX_EXIT_BUS_LOCK		74
#define VMX_EXIT_INSTRUCTION_TIMEOUT	75
#define VMX_EXIT_SEAMCALL		76
#define VMX_EXIT_TDCALL			77
#define VMX_EXIT_RDMSRLIST		78
#define VMX_EXIT_WRMSRLIST		79
#define VMX_EXIT_REASON_COUNT		80

/*
 * VM-instruction error numbers (31.4), read from VMCS_RO_VM_INSTRUCTION_ERROR
 * after VMfailValid. 14, 21 and 27 are reserved.
 */
#define VMXERR_VMCALL_IN_ROOT			1
#define VMXERR_VMCLEAR_INVALID_ADDR		2
#define VMXERR_VMCLEAR_VMXON_POINTER		3
#define VMXERR_VMLAUNCH_NONCLEAR_VMCS		4
#define VMXERR_VMRESUME_NONLAUNCHED_VMCS	5
#define VMXERR_VMRESUME_AFTER_VMXOFF		6
#define VMXERR_ENTRY_INVALID_CONTROL		7
#define VMXERR_ENTRY_INVALID_HOST_STATE		8
#define VMXERR_VMPTRLD_INVALID_ADDR		9
#define VMXERR_VMPTRLD_VMXON_POINTER		10
#define VMXERR_VMPTRLD_BAD_REVISION		11
#define VMXERR_UNSUPPORTED_COMPONENT		12
#define VMXERR_VMWRITE_READ_ONLY		13
#define VMXERR_VMXON_IN_ROOT			15
#define VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS	16
#define VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS	17
#define VMXERR_ENTRY_EXECUTIVE_NOT_VMXON	18
#define VMXERR_VMCALL_NONCLEAR_VMCS		19
#define VMXERR_VMCALL_INVALID_EXIT_CONTROLS	20
#define VMXERR_VMCALL_BAD_MSEG_REVISION		22
#define VMXERR_VMXOFF_DUAL_MONITOR		23
#define VMXERR_VMCALL_BAD_SMM_FEATURES		24
#define VMXERR_ENTRY_BAD_EXECUTIVE_CONTROLS	25
#define VMXERR_ENTRY_MOV_SS_BLOCKING		26
#define VMXERR_INVEPT_INVVPID_OPERAND		28
#define VMXERR_LAST				28

/* The SDM's words for a VM-instruction error number (vmx/vminsn_error.c);
 * "unknown VM-instruction error" for a number outside 1-28. */
const char *vmx_instruction_error_str(u32 n);
/* The name of a basic exit reason (appendix C); bits 31:16 are ignored, so
 * the whole exit-reason field may be passed. "unknown exit reason" for a
 * number appendix C does not define. */
const char *vmx_exit_reason_str(u32 basic_reason);

/*
 * Segment access rights in the VMCS format (25.4.1): the descriptor's
 * attribute bits with bits 11:8 dropped, plus the unusable bit.
 */
#define VMX_AR_TYPE(t)			((u32)(t) & 0xF)	/* bits 3:0 */
#define VMX_AR_TYPE_OF(ar)		((ar) & 0xF)
#define VMX_AR_S			(1u << 4)	/* code or data segment */
#define VMX_AR_DPL(n)			(((u32)(n) & 3) << 5)	/* bits 6:5 */
#define VMX_AR_DPL_OF(ar)		(((ar) >> 5) & 3)
#define VMX_AR_P			(1u << 7)
#define VMX_AR_RESERVED_LOW		(0xFu << 8)	/* bits 11:8, MBZ */
#define VMX_AR_AVL			(1u << 12)
#define VMX_AR_L			(1u << 13)	/* 64-bit code (CS only) */
#define VMX_AR_DB			(1u << 14)
#define VMX_AR_G			(1u << 15)
#define VMX_AR_UNUSABLE			(1u << 16)
#define VMX_AR_RESERVED_HIGH		0xFFFE0000u	/* bits 31:17, MBZ */

/* Descriptor types (SDM vol. 3A 3.4.5.1, table 3-1; 3.5 table 3-2). */
#define SEG_TYPE_ACCESSED		0x1
#define SEG_TYPE_DATA_RW		0x2	/* data: writable */
#define SEG_TYPE_CODE_READ		0x2	/* code: readable */
#define SEG_TYPE_CONFORMING		0x4	/* code: conforming */
#define SEG_TYPE_CODE			0x8
#define SEG_TYPE_DATA_RW_ACCESSED	0x3
#define SEG_TYPE_CODE_RX_ACCESSED	0xB
#define SEG_TYPE_LDT			0x2	/* system (S = 0) */
#define SEG_TYPE_TSS16_BUSY		0x3
#define SEG_TYPE_TSS_BUSY		0xB	/* 32-bit, or 64-bit in IA-32e mode */

/* Guest activity state (25.4.2). */
#define VMX_ACTIVITY_ACTIVE		0
#define VMX_ACTIVITY_HLT		1
#define VMX_ACTIVITY_SHUTDOWN		2
#define VMX_ACTIVITY_WAIT_SIPI		3

/* Guest interruptibility state (25.4.2). */
#define VMX_INTR_BLOCKING_STI		(1u << 0)
#define VMX_INTR_BLOCKING_MOV_SS	(1u << 1)
#define VMX_INTR_BLOCKING_SMI		(1u << 2)
#define VMX_INTR_BLOCKING_NMI		(1u << 3)
#define VMX_INTR_ENCLAVE_INTERRUPTION	(1u << 4)
#define VMX_INTR_RESERVED		0xFFFFFFE0u	/* bits 31:5 */

/* Guest pending debug exceptions (25.4.2). */
#define VMX_PENDING_DBG_B0_B3		0xFull
#define VMX_PENDING_DBG_ENABLED_BP	(1ull << 12)
#define VMX_PENDING_DBG_BS		(1ull << 14)
#define VMX_PENDING_DBG_RTM		(1ull << 16)
#define VMX_PENDING_DBG_RESERVED	(~(VMX_PENDING_DBG_B0_B3 | VMX_PENDING_DBG_ENABLED_BP | \
					   VMX_PENDING_DBG_BS | VMX_PENDING_DBG_RTM))

/* The only link pointer Keel uses: no shadow VMCS (25.4.2). */
#define VMX_VMCS_LINK_NONE		0xFFFFFFFFFFFFFFFFull

/*
 * Interruption information: the VM-entry field (25.8.3), the VM-exit field
 * (25.9.2) and IDT-vectoring information (25.9.3) share this format. The
 * three value macros are written exactly as in vmx/exit.c, so that both
 * definitions may meet in one file.
 */
#define INTR_INFO_VECTOR(i) ((u8)((i) & 0xFF))
#define INTR_INFO_TYPE(i) (((i) >> 8) & 7)
#define INTR_INFO_MAKE_TYPE(t)		(((u32)(t) & 7) << 8)
#define INTR_INFO_DELIVER_ERROR_CODE	(1u << 11)
#define INTR_INFO_NMI_UNBLOCKING	(1u << 12)	/* exit and IDT-vectoring only */
#define INTR_INFO_RESERVED		0x7FFFF000u	/* bits 30:12 on entry */
#define INTR_INFO_VALID			(1u << 31)

#define INTR_TYPE_EXT_INTR		0
#define INTR_TYPE_NMI 2
#define INTR_TYPE_HW_EXCEPTION		3
#define INTR_TYPE_SW_INT		4
#define INTR_TYPE_PRIV_SW_EXCEPTION	5
#define INTR_TYPE_SW_EXCEPTION		6
#define INTR_TYPE_OTHER_EVENT		7

#endif
