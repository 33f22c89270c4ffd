/* Words for the VM-instruction error field (SDM vol. 3C 31.4, "VM
 * Instruction Error Numbers") and for the basic exit reasons (appendix C,
 * "VMX Basic Exit Reasons"), for Keel's diagnostics. */
#include "vmcs.h"

/* 31.4: the SDM's words; the parenthesized parts are the SDM's own. */
static const char *const vminsn_errors[VMXERR_LAST + 1] = {
	[VMXERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
	[VMXERR_VMCLEAR_INVALID_ADDR] = "VMCLEAR with invalid physical address",
	[VMXERR_VMCLEAR_VMXON_POINTER] = "VMCLEAR with VMXON pointer",
	[VMXERR_VMLAUNCH_NONCLEAR_VMCS] = "VMLAUNCH with non-clear VMCS",
	[VMXERR_VMRESUME_NONLAUNCHED_VMCS] = "VMRESUME with non-launched VMCS",
	[VMXERR_VMRESUME_AFTER_VMXOFF] =
		"VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
	[VMXERR_ENTRY_INVALID_CONTROL] = "VM entry with invalid control field(s)",
	[VMXERR_ENTRY_INVALID_HOST_STATE] = "VM entry with invalid host-state field(s)",
	[VMXERR_VMPTRLD_INVALID_ADDR] = "VMPTRLD with invalid physical address",
	[VMXERR_VMPTRLD_VMXON_POINTER] = "VMPTRLD with VMXON pointer",
	[VMXERR_VMPTRLD_BAD_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
	[VMXERR_UNSUPPORTED_COMPONENT] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMXERR_VMWRITE_READ_ONLY] = "VMWRITE to read-only VMCS component",
	[14] = "reserved VM-instruction error 14",
	[VMXERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
	[VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS] = "VM entry with invalid executive-VMCS pointer",
	[VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS] = "VM entry with non-launched executive VMCS",
	[VMXERR_ENTRY_EXECUTIVE_NOT_VMXON] =
		"VM entry with executive-VMCS pointer not VMXON pointer (when attempting "
		"to deactivate the dual-monitor treatment of SMIs and SMM)",
	[VMXERR_VMCALL_NONCLEAR_VMCS] =
		"VMCALL with non-clear VMCS (when attempting to activate the dual-monitor "
		"treatment of SMIs and SMM)",
	[VMXERR_VMCALL_INVALID_EXIT_CONTROLS] = "VMCALL with invalid VM-exit control fields",
	[21] = "reserved VM-instruction error 21",
	[VMXERR_VMCALL_BAD_MSEG_REVISION] =
		"VMCALL with incorrect MSEG revision identifier (when attempting to "
		"activate the dual-monitor treatment of SMIs and SMM)",
	[VMXERR_VMXOFF_DUAL_MONITOR] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMXERR_VMCALL_BAD_SMM_FEATURES] =
		"VMCALL with invalid SMM-monitor features (when attempting to activate "
		"the dual-monitor treatment of SMIs and SMM)",
	[VMXERR_ENTRY_BAD_EXECUTIVE_CONTROLS] =
		"VM entry with invalid VM-execution control fields in executive VMCS "
		"(when attempting to return from SMM)",
	[VMXERR_ENTRY_MOV_SS_BLOCKING] = "VM entry with events blocked by MOV SS",
	[27] = "reserved VM-instruction error 27",
	[VMXERR_INVEPT_INVVPID_OPERAND] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_str(u32 n)
{
	if (n >= ARRAY_SIZE(vminsn_errors) || !vminsn_errors[n])
		return "unknown VM-instruction error";
	return vminsn_errors[n];
}

/* Appendix C, table C-1; 35, 38, 42 and 71 are unused. */
static const char *const exit_reasons[VMX_EXIT_REASON_COUNT] = {
	[VMX_EXIT_EXCEPTION_NMI] = "exception or NMI",
	[VMX_EXIT_EXTERNAL_INTERRUPT] = "external interrupt",
	[VMX_EXIT_TRIPLE_FAULT] = "triple fault",
	[VMX_EXIT_INIT] = "INIT signal",
	[VMX_EXIT_SIPI] = "start-up IPI (SIPI)",
	[VMX_EXIT_IO_SMI] = "I/O system-management interrupt (SMI)",
	[VMX_EXIT_OTHER_SMI] = "other SMI",
	[VMX_EXIT_INTERRUPT_WINDOW] = "interrupt window",
	[VMX_EXIT_NMI_WINDOW] = "NMI window",
	[VMX_EXIT_TASK_SWITCH] = "task switch",
	[VMX_EXIT_CPUID] = "CPUID",
	[VMX_EXIT_GETSEC] = "GETSEC",
	[VMX_EXIT_HLT] = "HLT",
	[VMX_EXIT_INVD] = "INVD",
	[VMX_EXIT_INVLPG] = "INVLPG",
	[VMX_EXIT_RDPMC] = "RDPMC",
	[VMX_EXIT_RDTSC] = "RDTSC",
	[VMX_EXIT_RSM] = "RSM",
	[VMX_EXIT_VMCALL] = "VMCALL",
	[VMX_EXIT_VMCLEAR] = "VMCLEAR",
	[VMX_EXIT_VMLAUNCH] = "VMLAUNCH",
	[VMX_EXIT_VMPTRLD] = "VMPTRLD",
	[VMX_EXIT_VMPTRST] = "VMPTRST",
	[VMX_EXIT_VMREAD] = "VMREAD",
	[VMX_EXIT_VMRESUME] = "VMRESUME",
	[VMX_EXIT_VMWRITE] = "VMWRITE",
	[VMX_EXIT_VMXOFF] = "VMXOFF",
	[VMX_EXIT_VMXON] = "VMXON",
	[VMX_EXIT_CR_ACCESS] = "control-register accesses",
	[VMX_EXIT_MOV_DR] = "MOV DR",
	[VMX_EXIT_IO] = "I/O instruction",
	[VMX_EXIT_RDMSR] = "RDMSR",
	[VMX_EXIT_WRMSR] = "WRMSR",
	[VMX_EXIT_INVALID_GUEST_STATE] = "VM-entry failure due to invalid guest state",
	[VMX_EXIT_MSR_LOADING] = "VM-entry failure due to MSR loading",
	[VMX_EXIT_MWAIT] = "MWAIT",
	[VMX_EXIT_MONITOR_TRAP] = "monitor trap flag",
	[VMX_EXIT_MONITOR] = "MONITOR",
	[VMX_EXIT_PAUSE] = "PAUSE",
	[VMX_EXIT_MCE_DURING_ENTRY] = "VM-entry failure due to machine-check event",
	[VMX_EXIT_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[VMX_EXIT_APIC_ACCESS] = "APIC access",
	[VMX_EXIT_VIRTUALIZED_EOI] = "virtualized EOI",
	[VMX_EXIT_GDTR_IDTR] = "access to GDTR or IDTR",
	[VMX_EXIT_LDTR_TR] = "access to LDTR or TR",
	[VMX_EXIT_EPT_VIOLATION] = "EPT violation",
	[VMX_EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
	[VMX_EXIT_INVEPT] = "INVEPT",
	[VMX_EXIT_RDTSCP] = "RDTSCP",
	[VMX_EXIT_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[VMX_EXIT_INVVPID] = "INVVPID",
	[VMX_EXIT_WBINVD] = "WBINVD or WBNOINVD",
	[VMX_EXIT_XSETBV] = "XSETBV",
	[VMX_EXIT_APIC_WRITE] = "APIC write",
	[VMX_EXIT_RDRAND] = "RDRAND",
	[VMX_EXIT_INVPCID] = "INVPCID",
	[VMX_EXIT_VMFUNC] = "VMFUNC",
	[VMX_EXIT_ENCLS] = "ENCLS",
	[VMX_EXIT_RDSEED] = "RDSEED",
	[VMX_EXIT_PML_FULL] = "page-modification log full",
	[VMX_EXIT_XSAVES] = "XSAVES",
	[VMX_EXIT_XRSTORS] = "XRSTORS",
	[VMX_EXIT_PCONFIG] = "PCONFIG",
	[VMX_EXIT_SPP_EVENT] = "SPP-related event",
	[VMX_EXIT_UMWAIT] = "UMWAIT",
	[VMX_EXIT_TPAUSE] = "TPAUSE",
	[VMX_EXIT_LOADIWKEY] = "LOADIWKEY",
	[VMX_EXIT_ENCLV] = "ENCLV",
	[VMX_EXIT_ENQCMD_PASID_FAILURE] = "ENQCMD PASID translation failure",
	[VMX_EXIT_ENQCMDS_PASID_FAILURE] = "ENQCMDS PASID translation failure",
	[VMX_EXIT_BUS_LOCK] = "bus lock",
	[VMX_EXIT_INSTRUCTION_TIMEOUT] = "instruction timeout",
	[VMX_EXIT_SEAMCALL] = "SEAMCALL",
	[VMX_EXIT_TDCALL] = "TDCALL",
	[VMX_EXIT_RDMSRLIST] = "RDMSRLIST",
	[VMX_EXIT_WRMSRLIST] = "WRMSRLIST",
};

const char *vmx_exit_reason_str(u32 basic_reason)
{
	u32 n = VMX_EXIT_REASON_BASIC(basic_reason);

	if (n >= ARRAY_SIZE(exit_reasons) || !exit_reasons[n])
		return "unknown exit reason";
	return exit_reasons[n];
}
