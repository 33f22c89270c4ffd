/* The Intel VT-x backend: VMXON with the fixed CR0/CR4 bits on every CPU,
 * one VMCS per vCPU whose every control comes from the capability MSRs,
 * one EPT all vCPUs share, a VPID per vCPU, unrestricted guest, NMI
 * exiting with virtual NMIs, APs waiting in the wait-for-SIPI activity
 * state, and the backend operations hv/ drives guests through. Intel SDM
 * vol. 3C chapters 24-31. The mirror of svm/svm.c. */
#include "../ept/ept.h"
#include "../hv/bootinfo.h"
#include "../hv/cpuid.h"
#include "../hv/gpmap.h"
#include "../hv/guest.h"
#include "../hv/hv.h"
#include "../hv/lapic.h"
#include "../hv/msr.h"
#include "../hv/nmi.h"
#include "../hv/percpu.h"
#include "../hv/ptbuild.h"
#include "../hv/trap.h"
#include "../hv/vcpu.h"
#include "../hv/x86.h"
#include "../lib/io.h"
#include "../lib/string.h"
#include "controls.h"
#include "exit.h"
#include "guest_check.h"
#include "vmcs.h"

#define MSR_IA32_PAT 0x277
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define VMX_BASIC_REVISION(b) ((u32)((b) & VMX_BASIC_REVISION_MASK))
#define VMX_VPID_FIRST 1	/* vCPU i has VPID i + 1: 0 is VMX root's */

/* The x2APIC MSRs the policy table intercepts (hv/msr_policy.c) that
 * vmx_apic_passthrough() gives back to the guest (hv/lapic.h). */
static const u32 x2apic_msrs[] = { MSR_X2APIC_ICR, MSR_X2APIC_LVT_CMCI, MSR_X2APIC_LVT_PERF,
				   MSR_X2APIC_LVT_LINT0, MSR_X2APIC_LVT_LINT1 };

struct vmx_vcpu {
	hpa_t vmcs_pa;
	u8 *io_bitmap;       /* A and B, 8 KiB */
	u8 *msr_bitmap;      /* 4 KiB */
	u32 entry_ctls;      /* without IA32E_MODE_GUEST (set_guest_efer) */
	u32 pin, proc;       /* as written: the watchdog and the NMI window change */
	u64 cr0_mask, cr4_mask;
	bool launched;
	bool checked;        /* Keel's guest-state check ran for this guest */
};

/* vmx/vmentry.asm: 0, or VMfailInvalid (1), VMfailValid (2), or
 * VMENTER_ABORTED when this CPU's attention word was set (hv/percpu.h). */
#define VMENTER_ABORTED 3
int vmx_vmenter(struct guest_gprs *gprs, int launched);
void vmx_exit_point(void);
extern const u8 vmx_entry_window[], vmx_entry_window_last[], vmx_entry_aborted[];

/* Set once by vmx_init() and vmx_map_memory() on the bootstrap CPU. */
static u64 vmx_basic, cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1, ept_vpid_cap;
static bool use_vpid, has_wait_sipi;
static bool has_preempt_timer;	/* the pin-based control may be 1 */
static u32 pin_ctls;		/* without the preemption timer (per guest) */
static struct pt_builder ept;	/* every vCPU's, one guest at a time */
/* Indexed by CPU (hv/percpu.h); each written by its own CPU. */
static struct vmx_vcpu vmx_vcpus[CPU_MAX];

static struct vmx_vcpu *to_vmx(struct vcpu *v)
{
	return v->arch;
}

/* Every VMX instruction's outcome is checked (SDM 31.2): CF = VMfailInvalid,
 * ZF = VMfailValid with the error in the VM-instruction error field. */
static const char *vmx_fail_words(bool invalid)
{
	u64 err = 0;

	if (invalid)
		return "VMfailInvalid (no current VMCS)";
	__asm__ volatile("vmread %1, %0" : "=r"(err) : "r"((u64)VMCS_RO_VM_INSTRUCTION_ERROR) : "cc");
	return vmx_instruction_error_str((u32)err);
}

static void vmwrite(u64 field, u64 val)
{
	bool cf, zf;

	__asm__ volatile("vmwrite %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "r"(val), "r"(field) : "memory");
	if (cf || zf)
		fatal("VMWRITE of field 0x%llx failed: %s", (unsigned long long)field,
		      vmx_fail_words(cf));
}

static u64 vmread(u64 field)
{
	bool cf, zf;
	u64 val;

	__asm__ volatile("vmread %3, %2" : "=@ccc"(cf), "=@ccz"(zf), "=r"(val) : "r"(field) : "memory");
	if (cf || zf)
		fatal("VMREAD of field 0x%llx failed: %s", (unsigned long long)field,
		      vmx_fail_words(cf));
	return val;
}

static int vmx_insn_pa(const char *name, hpa_t pa, int op)
{
	bool cf, zf;

	if (op == 0)
		__asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
	else if (op == 1)
		__asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
	else
		__asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
	if (cf || zf) {
		log_line("%s failed: %s", name, op == 0 && zf ? "VMfailValid" : vmx_fail_words(cf));
		return -1;
	}
	return 0;
}

static u64 read_cr(int n)
{
	u64 v = 0;

	if (n == 0)
		__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	else if (n == 3)
		__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	else
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* VMX operation on this CPU, with vmxon as its VMXON region: the bootstrap
 * CPU (vmx_init) and each parked AP (the backend's park(): in VMX root
 * operation an AP does not respond to INIT, SDM 23.8, and a start-up IPI
 * reaches only a CPU waiting for one). */
static int vmx_on(hpa_t vmxon)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL), cr0, cr4;

	/* hv/cpu.c refused a locked-off CPU; an unlocked one is set and locked
	 * here, as firmware would (SDM 23.7). */
	if (!(fc & FEATURE_CONTROL_LOCKED))
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCKED |
			  FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	/* SDM 23.8: CR0 and CR4 must hold the fixed bits in VMX operation. */
	cr0 = vmx_fixed_bits(read_cr(0), rdmsr(MSR_IA32_VMX_CR0_FIXED0),
			     rdmsr(MSR_IA32_VMX_CR0_FIXED1));
	cr4 = vmx_fixed_bits(read_cr(4) | CR4_VMXE, rdmsr(MSR_IA32_VMX_CR4_FIXED0),
			     rdmsr(MSR_IA32_VMX_CR4_FIXED1));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	*(u32 *)phys_to_virt(vmxon) = VMX_BASIC_REVISION(rdmsr(MSR_IA32_VMX_BASIC));
	return vmx_insn_pa("VMXON", vmxon, 0);
}

/* Every CPU, the bootstrap CPU first: VMX operation with a VMXON region
 * of its own. */
static int vmx_init(void)
{
	hpa_t vmxon = page_alloc();
	bool bsp = this_cpu()->index == 0;

	if (!vmxon)
		return -1;
	if (bsp) {
		vmx_basic = rdmsr(MSR_IA32_VMX_BASIC);
		cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
		cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
		cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
		cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
		has_wait_sipi = rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_ACTIVITY_WAIT_SIPI;
		/* IA32_VMX_EPT_VPID_CAP exists only where the secondary controls
		 * allow EPT or VPID (SDM A.10). Read here, before the EPT is
		 * built (its 1 GiB leaves); a CPU without them gets its clear
		 * message from vmx_vcpu_create(). */
		if (vmx_ctl_allowed1(rdmsr(vmx_ctl_msr(vmx_basic, MSR_IA32_VMX_PROCBASED_CTLS)),
				     PROC_BASED_ACTIVATE_SECONDARY) &&
		    (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32 &
		     (PROC_BASED2_ENABLE_EPT | PROC_BASED2_ENABLE_VPID)))
			ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
		/* vmx/vmentry.asm: an NMI between the last look at this CPU's
		 * attention word and VMLAUNCH/VMRESUME aborts the entry. */
		nmi_window_add(vmx_entry_window, vmx_entry_window_last, vmx_entry_aborted);
	}
	if (vmx_on(vmxon))
		return -1;
	if (bsp)
		log_line("vmx on: revision 0x%x true-controls=%s", VMX_BASIC_REVISION(vmx_basic),
			 vmx_basic_true_ctls(vmx_basic) ? "yes" : "no");
	return 0;
}

/* A control word from its capability MSR (the TRUE_ one when
 * IA32_VMX_BASIC bit 55 says so): wanted bits or a clear message. The
 * secondary controls Keel needs are named, since old CPUs lack them. */
static u32 control(const char *name, u32 msr, u32 want, u32 optional)
{
	u32 out, missing;
	bool proc2 = msr == MSR_IA32_VMX_PROCBASED_CTLS2;

	if (vmx_adjust_controls(rdmsr(vmx_ctl_msr(vmx_basic, msr)), want, optional, &out, &missing))
		fatal("this CPU's VMX lacks %s controls 0x%x that Keel needs%s%s", name, missing,
		      proc2 && (missing & PROC_BASED2_ENABLE_EPT) ? " (EPT)" : "",
		      proc2 && (missing & PROC_BASED2_UNRESTRICTED_GUEST) ?
			      " (unrestricted guest: Keel runs real-mode guests natively)" : "");
	return out;
}

/* MSR bitmap: read-low at 0, read-high at 1024, write-low at 2048,
 * write-high at 3072 (SDM 25.6.9); MSRs outside both ranges always exit.
 * Called for each MSR the policy table intercepts (hv/msr.h). */
static void msr_intercept(void *bitmap, u32 msr, bool read, bool write)
{
	u8 *bm = bitmap;
	u32 bit = msr & 0x1FFF, high = msr >= 0xC0000000u ? 1024 : 0;

	if (msr >= 0x2000 && msr - 0xC0000000u >= 0x2000)
		return;
	if (read)
		bitmap_set(bm, (high + 0) * 8 + bit);
	if (write)
		bitmap_set(bm, (high + 2048) * 8 + bit);
}

static void setup_host_state(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) gdtr, idtr;
	u16 tr;
	const u8 *d;
	u64 tr_base;

	__asm__ volatile("sgdt %0; sidt %1; str %2" : "=m"(gdtr), "=m"(idtr), "=r"(tr));
	d = (const u8 *)gdtr.base + tr;
	tr_base = d[2] | (u64)d[3] << 8 | (u64)d[4] << 16 | (u64)d[7] << 24 |
		  (u64)*(const u32 *)(d + 8) << 32;
	vmwrite(VMCS_HOST_CR0, read_cr(0));
	vmwrite(VMCS_HOST_CR3, read_cr(3));
	vmwrite(VMCS_HOST_CR4, read_cr(4));
	vmwrite(VMCS_HOST_CS_SELECTOR, 0x08);
	vmwrite(VMCS_HOST_SS_SELECTOR, 0x10);
	vmwrite(VMCS_HOST_DS_SELECTOR, 0x10);
	vmwrite(VMCS_HOST_ES_SELECTOR, 0x10);
	vmwrite(VMCS_HOST_FS_SELECTOR, 0x10);
	vmwrite(VMCS_HOST_GS_SELECTOR, 0x10);
	vmwrite(VMCS_HOST_TR_SELECTOR, tr);
	vmwrite(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmwrite(VMCS_HOST_TR_BASE, tr_base);
	vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	vmwrite(VMCS_HOST_IA32_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmwrite(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(VMCS_HOST_RIP, (u64)(uintptr_t)vmx_exit_point);
}

/* MSR bitmap: clear the read and write bits of msr again. */
static void msr_pass(u8 *bm, u32 msr)
{
	u32 bit = msr & 0x1FFF, high = msr >= 0xC0000000u ? 1024 : 0;

	bm[(high + 0) + bit / 8] &= (u8)~(1u << (bit % 8));
	bm[(high + 2048) + bit / 8] &= (u8)~(1u << (bit % 8));
}

/* On the vCPU's own CPU (the host state is that CPU's: its GDT, TSS and
 * GS base). Each CPU reads the capability MSRs for itself. */
static int vmx_vcpu_create(struct vcpu *v)
{
	struct vmx_vcpu *x = &vmx_vcpus[v->cpu->index];
	hpa_t io = pages_alloc(2, PAGE_SIZE), msr = page_alloc();
	u32 proc2_want = PROC_BASED2_ENABLE_EPT | PROC_BASED2_UNRESTRICTED_GUEST;
	u32 proc2_opt = PROC_BASED2_ENABLE_RDTSCP | PROC_BASED2_ENABLE_INVPCID |
			PROC_BASED2_ENABLE_XSAVES | PROC_BASED2_ENABLE_USER_WAIT_PAUSE;
	u32 pin, proc, proc2, exit;
	u16 ports[12];
	int nports;

	*x = (struct vmx_vcpu){ .vmcs_pa = page_alloc() };	/* an AP started again: afresh */
	if (!io || !msr || !x->vmcs_pa)
		return -1;
	x->io_bitmap = phys_to_virt(io);
	x->msr_bitmap = phys_to_virt(msr);
	/* Only the ports Keel needs (hv/exit.c): the reset paths and the
	 * ACPI sleep request; everything else passes through. */
	nports = hv_intercepted_ports(ports, ARRAY_SIZE(ports));
	for (int i = 0; i < nports; i++)
		bitmap_set(x->io_bitmap, ports[i]);
	msr_intercepts(MSR_VENDOR_INTEL, msr_intercept, x->msr_bitmap);

	*(u32 *)phys_to_virt(x->vmcs_pa) = VMX_BASIC_REVISION(vmx_basic);
	if (vmx_insn_pa("VMCLEAR", x->vmcs_pa, 1) || vmx_insn_pa("VMPTRLD", x->vmcs_pa, 2))
		return -1;

	/* External interrupts are not intercepted: the guest owns the PIC and
	 * APIC. NMIs exit, so that Keel's own NMI can force a vCPU out of its
	 * guest (hv/nmi.c); with virtual NMIs the guest's own are injected
	 * back and their blocking tracked in the VMCS (SDM 25.3, 27.7.1).
	 * HLT exits (to catch HLT with interrupts off). */
	pin = control("pin-based", MSR_IA32_VMX_PINBASED_CTLS,
		      PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS, 0);
	/* The VMX-preemption timer is the watchdog a guest line may ask for
	 * (watchdog=, vmx_vcpu_reset()); no guest runs with it otherwise. */
	has_preempt_timer = vmx_ctl_allowed1(rdmsr(vmx_ctl_msr(vmx_basic, MSR_IA32_VMX_PINBASED_CTLS)),
					     PIN_BASED_PREEMPTION_TIMER);
	pin_ctls = pin;
	proc = control("processor-based", MSR_IA32_VMX_PROCBASED_CTLS,
		       PROC_BASED_HLT_EXITING | PROC_BASED_USE_IO_BITMAPS |
		       PROC_BASED_USE_MSR_BITMAPS | PROC_BASED_ACTIVATE_SECONDARY, 0);
	proc2 = control("secondary processor-based", MSR_IA32_VMX_PROCBASED_CTLS2, proc2_want,
			proc2_opt);

	/* IA32_VMX_EPT_VPID_CAP: read by vmx_init() (SDM A.10). */
	if ((ept_vpid_cap & (VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_WB | VMX_EPT_2MB_PAGES)) !=
	    (VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_WB | VMX_EPT_2MB_PAGES))
		fatal("this CPU's EPT lacks 4-level walks, write-back tables or 2 MiB pages "
		      "(IA32_VMX_EPT_VPID_CAP 0x%llx)", (unsigned long long)ept_vpid_cap);
	/* VPID only with INVVPID for all contexts, so a new guest never sees
	 * the last one's translations. */
	if ((ept_vpid_cap & (VMX_VPID_INVVPID | VMX_VPID_INVVPID_ALL_CONTEXT)) ==
	    (VMX_VPID_INVVPID | VMX_VPID_INVVPID_ALL_CONTEXT))
		proc2 = control("secondary processor-based", MSR_IA32_VMX_PROCBASED_CTLS2,
				proc2_want, proc2_opt | PROC_BASED2_ENABLE_VPID);
	use_vpid = proc2 & PROC_BASED2_ENABLE_VPID;
	/* The CPUID features that work only under a control (hv/cpuid.c). */
	cpuid_controls = vmx_cpuid_controls(proc2);
	/* The debug controls keep the guest's DR7 and IA32_DEBUGCTL across
	 * exits: without them each exit leaves DR7 = 400h and DEBUGCTL = 0
	 * (SDM 28.5.1) and the next entry does not load the guest's. */
	exit = control("VM-exit", MSR_IA32_VMX_EXIT_CTLS,
		       EXIT_CTRL_HOST_ADDR_SPACE_SIZE | EXIT_CTRL_SAVE_IA32_EFER |
		       EXIT_CTRL_LOAD_IA32_EFER | EXIT_CTRL_SAVE_DEBUG_CONTROLS,
		       EXIT_CTRL_SAVE_IA32_PAT | EXIT_CTRL_LOAD_IA32_PAT);
	x->entry_ctls = control("VM-entry", MSR_IA32_VMX_ENTRY_CTLS,
				ENTRY_CTRL_LOAD_IA32_EFER | ENTRY_CTRL_LOAD_DEBUG_CONTROLS,
				ENTRY_CTRL_LOAD_IA32_PAT);
	x->entry_ctls &= ~ENTRY_CTRL_IA32E_MODE_GUEST;

	x->pin = pin;
	x->proc = proc;
	vmwrite(VMCS_CTRL_PIN_BASED, pin);
	vmwrite(VMCS_CTRL_PROC_BASED, proc);
	vmwrite(VMCS_CTRL_PROC_BASED2, proc2);
	vmwrite(VMCS_CTRL_EXIT, exit);
	vmwrite(VMCS_CTRL_ENTRY, x->entry_ctls);
	/* Machine checks in the guest exit, so that Keel logs them before
	 * handing them back (hv/mce.c; the #MC is not delivered in the host
	 * by itself, SDM 26.2). */
	vmwrite(VMCS_CTRL_EXCEPTION_BITMAP, 1u << X86_EXC_MC);
	vmwrite(VMCS_CTRL_IO_BITMAP_A, io);
	vmwrite(VMCS_CTRL_IO_BITMAP_B, io + PAGE_SIZE);
	vmwrite(VMCS_CTRL_MSR_BITMAP, msr);
	vmwrite(VMCS_CTRL_CR3_TARGET_COUNT, 0);
	/* The fields Keel relies on being zero: a new VMCS's contents are
	 * the CPU's own format (SDM 25.11.1), not the zeroed page. */
	vmwrite(VMCS_CTRL_PF_ERROR_CODE_MASK, 0);
	vmwrite(VMCS_CTRL_PF_ERROR_CODE_MATCH, 0);
	vmwrite(VMCS_CTRL_TSC_OFFSET, 0);
	vmwrite(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_CTRL_ENTRY_EXCEPTION_ERROR, 0);
	vmwrite(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, 0);
	if (proc2 & PROC_BASED2_ENABLE_XSAVES)	/* no XSAVES/XRSTORS exits (25.6.20) */
		vmwrite(VMCS_CTRL_XSS_EXITING_BITMAP, 0);
	if (use_vpid)
		vmwrite(VMCS_CTRL_VPID, VMX_VPID_FIRST + v->cpu->index);
	vmwrite(VMCS_CTRL_EPT_POINTER, ept_eptp(ept.root));

	/* Guest/host masks: the bits VMX operation fixes (SDM 25.6.6), less
	 * PE and PG, which unrestricted guest leaves to the guest. */
	x->cr0_mask = (cr0_fixed0 | ~cr0_fixed1) & 0xFFFFFFFFull & ~(CR0_PE | CR0_PG);
	x->cr4_mask = (cr4_fixed0 | ~cr4_fixed1) & 0xFFFFFFFFull;
	vmwrite(VMCS_CTRL_CR0_GUEST_HOST_MASK, x->cr0_mask);
	vmwrite(VMCS_CTRL_CR4_GUEST_HOST_MASK, x->cr4_mask);
	setup_host_state();
	if (v->cpu->index == 0)
		log_line("vmx controls: pin=0x%x proc=0x%x proc2=0x%x exit=0x%x entry=0x%x vpid=%s "
			 "watchdog=%s", pin, proc, proc2, exit, x->entry_ctls, use_vpid ? "yes" : "no",
			 has_preempt_timer ? "preemption-timer" : "none");
	v->arch = x;
	return 0;
}

static int vmx_map_memory(void)
{
	/* ept_format, with 1 GiB leaves where the CPU has them (SDM A.10);
	 * the builder keeps a pointer to it. */
	static struct pt_format fmt;
	int n;

	fmt = ept_format;
	fmt.large_1g = ept_vpid_cap & VMX_EPT_1GB_PAGES;
	n = guest_map_memory(&ept, &fmt, vmx_backend.hypercall_insn);
	if (n < 0)
		return -1;
	log_line("ept: %d ranges, %u tables, Keel's region unmapped; mapped to 0x%llx with %s pages",
		 n, ept.tables, (unsigned long long)guest_map_top(&fmt),
		 fmt.large_1g ? "1 GiB" : "2 MiB");
	return 0;
}

/* Every CPU is Keel's and runs the guest: guests write their local APIC
 * themselves (hv/lapic.h). Before the first guest: no TLB holds the
 * read-only mapping yet. */
static void vmx_apic_passthrough(void)
{
	pt_set_page(&ept, lapic_page(), lapic_page(), true);
	for (u32 c = 0; c < cpu_count; c++)
		for (unsigned i = 0; cpu_table[c]->state == CPU_UP && i < ARRAY_SIZE(x2apic_msrs); i++)
			msr_pass(vmx_vcpus[c].msr_bitmap, x2apic_msrs[i]);
}

static void write_seg(u64 sel_field, u64 base_field, u64 limit_field, u64 ar_field,
		      u16 sel, u64 base, u32 limit, u32 ar)
{
	vmwrite(sel_field, sel);
	vmwrite(base_field, base);
	vmwrite(limit_field, limit);
	vmwrite(ar_field, ar);
}

#define WRITE_SEG(S, sel, base, limit, ar)                                                 \
	write_seg(VMCS_GUEST_##S##_SELECTOR, VMCS_GUEST_##S##_BASE, VMCS_GUEST_##S##_LIMIT, \
		  VMCS_GUEST_##S##_ACCESS_RIGHTS, sel, base, limit, ar)

static void set_cr0(struct vmx_vcpu *x, u64 val)
{
	/* The guest's own bits where unmasked, the fixed bits where masked;
	 * the read shadow makes masked bits read as the guest wrote them. */
	u64 real = vmx_fixed_bits(val, cr0_fixed0 & ~(CR0_PE | CR0_PG), cr0_fixed1);

	vmwrite(VMCS_GUEST_CR0, real);
	vmwrite(VMCS_CTRL_CR0_READ_SHADOW, val & x->cr0_mask);
}

static void set_cr4(struct vmx_vcpu *x, u64 val)
{
	vmwrite(VMCS_GUEST_CR4, vmx_fixed_bits(val, cr4_fixed0, cr4_fixed1));
	vmwrite(VMCS_CTRL_CR4_READ_SHADOW, val & x->cr4_mask);
}

/* The guest's EFER, and with it the "IA-32e mode guest" entry control,
 * which must equal EFER.LMA (SDM 26.2.4). Every VM exit stores LMA into
 * that control itself, so only Keel's own changes need this. */
static void set_guest_efer(struct vmx_vcpu *x, u64 efer)
{
	vmwrite(VMCS_GUEST_IA32_EFER, efer);
	vmwrite(VMCS_CTRL_ENTRY, x->entry_ctls | ((efer & EFER_LMA) ? ENTRY_CTRL_IA32E_MODE_GUEST : 0));
}

static void vmx_flush_tlb(struct vcpu *v);

static void set_pin(struct vmx_vcpu *x, u32 pin)
{
	if (pin != x->pin)
		vmwrite(VMCS_CTRL_PIN_BASED, x->pin = pin);
}

static void set_proc(struct vmx_vcpu *x, u32 proc)
{
	if (proc != x->proc)
		vmwrite(VMCS_CTRL_PROC_BASED, x->proc = proc);
}

/* The watchdog a guest line asked for (hv/exit.c handle_preempt): a
 * preemption-timer period of one second, which the timer counts down
 * once every 2^rate TSC ticks (SDM 26.5.1, A.6). Without "save
 * VMX-preemption timer value" a VM exit leaves the field as it is (SDM
 * 28.3.4), so each entry starts a whole second from this one write: the
 * timer fires only after a second with no exit at all. */
static void vmx_watchdog(struct vcpu *v, unsigned seconds)
{
	u64 ticks = seconds && has_preempt_timer ?
		tsc_hz() >> VMX_MISC_PREEMPTION_TIMER_RATE(rdmsr(MSR_IA32_VMX_MISC)) : 0;

	v->watchdog = 0;
	if (ticks) {
		v->watchdog = seconds;
		vmwrite(VMCS_GUEST_PREEMPTION_TIMER, ticks > 0xFFFFFFFFull ? 0xFFFFFFFFull : ticks);
	}
	set_pin(to_vmx(v), pin_ctls | (v->watchdog ? PIN_BASED_PREEMPTION_TIMER : 0));
}

static void vmx_vcpu_reset(struct vcpu *v, const struct guest_start *st)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 code, data, tr = VMX_AR_TYPE(11) | VMX_AR_P; /* busy 32-bit TSS */
	u64 cr0 = CR0_ET, cr4 = 0, efer = 0;
	u16 cs = st->cs_selector ? st->cs_selector : 0x08;
	u16 ds = st->ds_selector ? st->ds_selector : 0x10;

	v->gprs = st->gprs;
	vmx_watchdog(v, st->watchdog);
	set_proc(x, x->proc & ~PROC_BASED_NMI_WINDOW_EXITING);
	switch (st->mode) {
	case CFG_MODE_REAL:
		code = VMX_AR_TYPE(0xB) | VMX_AR_S | VMX_AR_P;
		data = VMX_AR_TYPE(0x3) | VMX_AR_S | VMX_AR_P;
		WRITE_SEG(CS, st->cs_selector, (u64)st->cs_selector << 4, 0xFFFF, code);
		WRITE_SEG(DS, 0, 0, 0xFFFF, data);
		WRITE_SEG(ES, 0, 0, 0xFFFF, data);
		WRITE_SEG(SS, 0, 0, 0xFFFF, data);
		WRITE_SEG(FS, 0, 0, 0xFFFF, data);
		WRITE_SEG(GS, 0, 0, 0xFFFF, data);
		vmwrite(VMCS_GUEST_IDTR_LIMIT, 0x3FF);
		break;
	case CFG_MODE_PROTECTED:
	case CFG_MODE_LONG:
	default:
		cr0 |= CR0_PE;
		code = VMX_AR_TYPE(0xB) | VMX_AR_S | VMX_AR_P | VMX_AR_G;
		code |= st->mode == CFG_MODE_LONG ? VMX_AR_L : VMX_AR_DB;
		data = VMX_AR_TYPE(0x3) | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G;
		WRITE_SEG(CS, cs, 0, 0xFFFFFFFF, code);
		WRITE_SEG(DS, ds, 0, 0xFFFFFFFF, data);
		WRITE_SEG(ES, ds, 0, 0xFFFFFFFF, data);
		WRITE_SEG(SS, ds, 0, 0xFFFFFFFF, data);
		WRITE_SEG(FS, ds, 0, 0xFFFFFFFF, data);
		WRITE_SEG(GS, ds, 0, 0xFFFFFFFF, data);
		vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xFFFF);
		if (st->mode == CFG_MODE_LONG) {
			cr0 |= CR0_PG;
			cr4 |= CR4_PAE;
			efer |= EFER_LME | EFER_LMA;
		}
		break;
	}
	WRITE_SEG(TR, 0, 0, 0xFFFF, tr);
	WRITE_SEG(LDTR, 0, 0, 0xFFFF, VMX_AR_UNUSABLE);
	if (st->mode != CFG_MODE_REAL && st->gdt_limit) {
		vmwrite(VMCS_GUEST_GDTR_BASE, st->gdt_base);
		vmwrite(VMCS_GUEST_GDTR_LIMIT, st->gdt_limit);
	} else {
		vmwrite(VMCS_GUEST_GDTR_BASE, 0);
		vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
	}
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	set_cr0(x, cr0);
	set_cr4(x, cr4);
	vmwrite(VMCS_GUEST_CR3, st->cr3);
	set_guest_efer(x, efer);
	vmwrite(VMCS_GUEST_IA32_PAT, 0x0007040600070406ull); /* the power-on PAT */
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_IA32_DEBUGCTL, 0);
	for (u64 f = VMCS_GUEST_PDPTE0; f <= VMCS_GUEST_PDPTE3; f += 2)
		vmwrite(f, 0);
	vmwrite(VMCS_GUEST_RSP, st->rsp);
	vmwrite(VMCS_GUEST_RIP, st->rip);
	vmwrite(VMCS_GUEST_RFLAGS, st->rflags | X86_RFLAGS_FIXED);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(VMCS_GUEST_VMCS_LINK_POINTER, ~0ull);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO, 0);
	vmx_flush_tlb(v);
	x->checked = false;
	v->halted = false;
}

/* SDM vol. 3C 26.6 and 27.3.1.5: the vCPU waits in the wait-for-SIPI
 * activity state; an INIT or a start-up IPI then exits (reasons 3 and 4)
 * and nothing else reaches it. The watchdog sleeps meanwhile. */
static void vmx_vcpu_wait_sipi(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	if (!has_wait_sipi)
		fatal("this CPU's VMX lacks the wait-for-SIPI activity state (IA32_VMX_MISC bit 8), "
		      "which Keel's APs wait in");
	set_pin(x, x->pin & ~PIN_BASED_PREEMPTION_TIMER);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_WAIT_SIPI);
}

/* This CPU forgets every guest's translations (EPT and VPID-tagged,
 * SDM 29.4.3): the next guest must not see the last one's. */
static void vmx_flush_tlb(struct vcpu *v)
{
	struct { u64 a, b; } desc = { 0, 0 };

	(void)v;
	if (ept_vpid_cap & VMX_EPT_INVEPT_ALL_CONTEXT)
		__asm__ volatile("invept %0, %1" : : "m"(desc), "r"((u64)INVEPT_ALL_CONTEXT) : "memory", "cc");
	if (use_vpid)
		__asm__ volatile("invvpid %0, %1" : : "m"(desc), "r"((u64)INVVPID_ALL_CONTEXT) : "memory", "cc");
}

static void read_seg(struct vmx_seg *s, u64 sel, u64 base, u64 limit, u64 ar)
{
	s->sel = (u16)vmread(sel);
	s->base = vmread(base);
	s->limit = (u32)vmread(limit);
	s->ar = (u32)vmread(ar);
}

#define READ_SEG(s, S)                                                                   \
	read_seg(s, VMCS_GUEST_##S##_SELECTOR, VMCS_GUEST_##S##_BASE, VMCS_GUEST_##S##_LIMIT, \
		 VMCS_GUEST_##S##_ACCESS_RIGHTS)

/* Keel's own check of the guest-state area before the first entry
 * (SDM 27.3.1): the first rule that fails, in words. */
static const char *check_guest_state(struct vmx_vcpu *x)
{
	struct vmx_guest_state g;
	struct vmx_guest_ctx c = {
		.cr0_fixed0 = cr0_fixed0, .cr0_fixed1 = cr0_fixed1,
		.cr4_fixed0 = cr4_fixed0, .cr4_fixed1 = cr4_fixed1,
		.unrestricted = true,
		.ia32e_guest = vmread(VMCS_CTRL_ENTRY) & ENTRY_CTRL_IA32E_MODE_GUEST,
		.load_efer = x->entry_ctls & ENTRY_CTRL_LOAD_IA32_EFER,
		.load_pat = x->entry_ctls & ENTRY_CTRL_LOAD_IA32_PAT,
		.entry_intr_info = (u32)vmread(VMCS_CTRL_ENTRY_INTR_INFO),
		.virtual_nmis = x->pin & PIN_BASED_VIRTUAL_NMIS,
	};

	memset(&g, 0, sizeof(g));
	g.cr0 = vmread(VMCS_GUEST_CR0);
	g.cr3 = vmread(VMCS_GUEST_CR3);
	g.cr4 = vmread(VMCS_GUEST_CR4);
	g.dr7 = vmread(VMCS_GUEST_DR7);
	g.rsp = vmread(VMCS_GUEST_RSP);
	g.rip = vmread(VMCS_GUEST_RIP);
	g.rflags = vmread(VMCS_GUEST_RFLAGS);
	g.efer = vmread(VMCS_GUEST_IA32_EFER);
	g.pat = vmread(VMCS_GUEST_IA32_PAT);
	g.link_ptr = vmread(VMCS_GUEST_VMCS_LINK_POINTER);
	READ_SEG(&g.es, ES);
	READ_SEG(&g.cs, CS);
	READ_SEG(&g.ss, SS);
	READ_SEG(&g.ds, DS);
	READ_SEG(&g.fs, FS);
	READ_SEG(&g.gs, GS);
	READ_SEG(&g.ldtr, LDTR);
	READ_SEG(&g.tr, TR);
	g.gdtr_base = vmread(VMCS_GUEST_GDTR_BASE);
	g.gdtr_limit = (u32)vmread(VMCS_GUEST_GDTR_LIMIT);
	g.idtr_base = vmread(VMCS_GUEST_IDTR_BASE);
	g.idtr_limit = (u32)vmread(VMCS_GUEST_IDTR_LIMIT);
	g.activity = (u32)vmread(VMCS_GUEST_ACTIVITY_STATE);
	g.interruptibility = (u32)vmread(VMCS_GUEST_INTERRUPTIBILITY);
	g.pending_dbg = vmread(VMCS_GUEST_PENDING_DBG_EXCEPTIONS);
	g.sysenter_esp = vmread(VMCS_GUEST_IA32_SYSENTER_ESP);
	g.sysenter_eip = vmread(VMCS_GUEST_IA32_SYSENTER_EIP);
	return vmx_check_guest_state(&g, &c);
}

/* Every failed entry, not only the first: the guest-state rules again on
 * the state the CPU refused, so the log names the one broken, or says
 * that none of them is (then the dump and the guest's instruction that
 * follow are what is left to go on). */
static void explain_failed_entry(struct vmx_vcpu *x)
{
	const char *rule = check_guest_state(x);

	log_line("guest-state check after the failed entry: %s",
		 rule ? rule : "no rule Keel checks is broken");
}

/* The exit fields this exit's decoding and handling use: the frequent
 * instruction exits need the reason and the length only (each VMREAD
 * is an instruction on the path of every exit); the rest, and anything
 * Keel may report, get every field. */
static void read_exit_info(struct vmx_exit_info *xi)
{
	xi->reason = (u32)vmread(VMCS_RO_EXIT_REASON);
	xi->insn_len = (u32)vmread(VMCS_RO_EXIT_INSTRUCTION_LEN);
	xi->qualification = 0;
	xi->guest_linear = 0;
	xi->idt_info = 0;
	switch (xi->reason) {	/* bit 31 (entry failure) set: the default */
	case VMX_EXIT_CPUID:
	case VMX_EXIT_HLT:
	case VMX_EXIT_VMCALL:
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
	case VMX_EXIT_XSETBV:
	case VMX_EXIT_INVD:
	case VMX_EXIT_EXTERNAL_INTERRUPT:
	case VMX_EXIT_PREEMPTION_TIMER:
		return;
	case VMX_EXIT_IO:
	case VMX_EXIT_CR_ACCESS:
		xi->qualification = vmread(VMCS_RO_EXIT_QUALIFICATION);
		return;
	default:
		xi->qualification = vmread(VMCS_RO_EXIT_QUALIFICATION);
		xi->intr_info = (u32)vmread(VMCS_RO_EXIT_INTR_INFO);
		xi->intr_error = (u32)vmread(VMCS_RO_EXIT_INTR_ERROR);
		xi->guest_linear = vmread(VMCS_RO_GUEST_LINEAR_ADDR);
		xi->guest_physical = vmread(VMCS_RO_GUEST_PHYSICAL_ADDR);
		/* Only these exits can come in the middle of delivering an
		 * event (SDM 28.2.4); the instruction exits above cannot. */
		xi->idt_info = (u32)vmread(VMCS_RO_IDT_VECTORING_INFO);
		return;
	}
}

/* The event whose delivery the exit interrupted is delivered again at the
 * next entry, as KVM and Jailhouse do: the IDT-vectoring fields become
 * the VM-entry event (SDM 28.2.4, 27.6). An NMI that did not get through
 * leaves no virtual-NMI blocking behind. */
static void reinject(const struct vmx_exit_info *xi)
{
	u32 info = xi->idt_info, type = INTR_INFO_TYPE(info);

	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO, info & ~INTR_INFO_NMI_UNBLOCKING);
	if (info & INTR_INFO_DELIVER_ERROR_CODE)
		vmwrite(VMCS_CTRL_ENTRY_EXCEPTION_ERROR, vmread(VMCS_RO_IDT_VECTORING_ERROR));
	if (type == INTR_TYPE_SW_INT || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SW_EXCEPTION)
		vmwrite(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, xi->insn_len);
	if (type == INTR_TYPE_NMI)
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
			vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~(u64)VMX_INTR_BLOCKING_NMI);
}

/* An NMI exit: the NMI is consumed (and this CPU's vCPU loop decides
 * whose it was, hv/vcpu.c); an NMI-window exit: the guest can take the
 * NMI Keel holds for it now. */
static void nmi_exit(struct vcpu *v, const struct vmx_exit_info *xi)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct percpu *pc = v->cpu;

	if ((xi->reason & 0xFFFF) == VMX_EXIT_NMI_WINDOW) {
		set_proc(x, x->proc & ~PROC_BASED_NMI_WINDOW_EXITING);
		cpu_attend(pc, ATTN_EVENT);
		return;
	}
	__atomic_add_fetch(&pc->nmis, 1, __ATOMIC_SEQ_CST);
	cpu_attend(pc, ATTN_NMI);
	nmi_unblock();
}

static int vmx_run(struct vcpu *v, struct vmexit *e)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct vmx_exit_info xi;
	const char *rule;
	int rc;

	if (!x->checked) {
		x->checked = true;
		rule = check_guest_state(x);
		if (rule) {
			memset(e, 0, sizeof(*e));
			e->kind = VMEXIT_INVALID;
			log_line("guest-state check failed before VM entry: %s", rule);
			return RUN_FAILED;
		}
	}
	rc = vmx_vmenter(&v->gprs, x->launched);
	if (rc == VMENTER_ABORTED)
		return RUN_ABORTED;
	if (rc) {
		memset(e, 0, sizeof(*e));
		e->kind = VMEXIT_INVALID;
		log_line("%s failed: %s", x->launched ? "VMRESUME" : "VMLAUNCH", vmx_fail_words(rc == 1));
		explain_failed_entry(x);
		return RUN_FAILED;
	}
	x->launched = true;
	read_exit_info(&xi);
	vmx_decode_exit(&xi, e);
	if (e->kind == VMEXIT_MSR)
		e->msr.index = (u32)v->gprs.rcx;
	if (xi.idt_info & INTR_INFO_VALID)
		reinject(&xi);
	if (e->kind == VMEXIT_NMI)
		nmi_exit(v, &xi);
	if (e->kind == VMEXIT_INVALID) {
		log_line("VM entry failed: exit reason %u (%s)", xi.reason & 0xFFFF,
			 vmx_exit_reason_str(xi.reason & 0xFFFF));
		explain_failed_entry(x);
		return RUN_FAILED;
	}
	return 0;
}

/* Keel completed the instruction for the guest. With RFLAGS.TF set the
 * CPU would have raised a single-step #DB after it (unless DEBUGCTL.BTF
 * asks for branches only): the pending debug exceptions field's BS bit
 * makes VM entry deliver it (SDM 27.7.3), and keeps the entry check of
 * 27.3.1.5 (BS = TF & !BTF) that HLT with TF would otherwise fail. */
static void vmx_advance_rip(struct vcpu *v, const struct vmexit *e)
{
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);

	(void)v;
	vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + e->insn_len);
	/* The instruction ends any STI or MOV SS shadow (written only when
	 * there is one: this runs on every instruction exit). */
	if (intr & (VMX_INTR_BLOCKING_STI | VMX_INTR_BLOCKING_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
			intr & ~(u64)(VMX_INTR_BLOCKING_STI | VMX_INTR_BLOCKING_MOV_SS));
	if ((vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_TF) &&
	    !(vmread(VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF))
		vmwrite(VMCS_GUEST_PENDING_DBG_EXCEPTIONS,
			vmread(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) | VMX_PENDING_DBG_BS);
}

static u64 vmx_get_reg(struct vcpu *v, enum vcpu_reg r)
{
	struct vmx_vcpu *x = to_vmx(v);

	switch (r) {
	case VCPU_RSP: return vmread(VMCS_GUEST_RSP);
	case VCPU_RIP: return vmread(VMCS_GUEST_RIP);
	case VCPU_RFLAGS: return vmread(VMCS_GUEST_RFLAGS);
	case VCPU_CR0:
		return (vmread(VMCS_GUEST_CR0) & ~x->cr0_mask) |
		       (vmread(VMCS_CTRL_CR0_READ_SHADOW) & x->cr0_mask);
	case VCPU_CR3: return vmread(VMCS_GUEST_CR3);
	case VCPU_CR4:
		return (vmread(VMCS_GUEST_CR4) & ~x->cr4_mask) |
		       (vmread(VMCS_CTRL_CR4_READ_SHADOW) & x->cr4_mask);
	case VCPU_EFER: return vmread(VMCS_GUEST_IA32_EFER);
	case VCPU_CS_BASE: return vmread(VMCS_GUEST_CS_BASE);
	case VCPU_CS_BITS: {
		u64 ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);

		if ((vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (ar & VMX_AR_L))
			return 64;
		return (vmread(VMCS_GUEST_CR0) & CR0_PE) && (ar & VMX_AR_DB) ? 32 : 16;
	}
	default: return ((u64 *)&v->gprs)[r];
	}
}

static void vmx_set_reg(struct vcpu *v, enum vcpu_reg r, u64 val)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 efer;

	switch (r) {
	case VCPU_RSP: vmwrite(VMCS_GUEST_RSP, val); break;
	case VCPU_RIP: vmwrite(VMCS_GUEST_RIP, val); break;
	case VCPU_RFLAGS: vmwrite(VMCS_GUEST_RFLAGS, val); break;
	case VCPU_CR0:
		/* A MOV to CR0 that exited skipped the CPU's own IA-32e switch
		 * (SDM 10.8.5): EFER.LMA follows PG when EFER.LME is set. */
		efer = vmread(VMCS_GUEST_IA32_EFER);
		if ((efer & EFER_LME) && (val & CR0_PG))
			efer |= EFER_LMA;
		else if (!(val & CR0_PG))
			efer &= ~EFER_LMA;
		set_guest_efer(x, efer);
		set_cr0(x, val);
		break;
	case VCPU_CR3: vmwrite(VMCS_GUEST_CR3, val); break;
	case VCPU_CR4: set_cr4(x, val); break;
	case VCPU_EFER: set_guest_efer(x, val); break;
	case VCPU_CS_BASE: case VCPU_CS_BITS: case VCPU_REG_COUNT: break;
	default: ((u64 *)&v->gprs)[r] = val; break;
	}
}

static void vmx_load_pdptes(struct vcpu *v, const u64 pdpte[4])
{
	(void)v;
	for (int i = 0; i < 4; i++)
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * (u64)i, pdpte[i]);
}

static void vmx_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	u32 info = INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_HW_EXCEPTION) | vector;

	/* SDM 26.2.1.3: no error code is delivered in real mode. */
	if (has_error && (vmread(VMCS_GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_DELIVER_ERROR_CODE;
		vmwrite(VMCS_CTRL_ENTRY_EXCEPTION_ERROR, error);
	}
	(void)v;
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO, info);
}

/* SDM 26.6.1.2, 27.3.1.5: an NMI goes in with the next entry unless one
 * is in service (virtual-NMI blocking), MOV SS or STI blocks it, or the
 * entry already delivers an event; then the NMI-window exit (SDM 26.7.6)
 * says when it can. */
static bool vmx_inject_nmi(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 blocking = VMX_INTR_BLOCKING_STI | VMX_INTR_BLOCKING_MOV_SS | VMX_INTR_BLOCKING_NMI;

	if ((vmread(VMCS_CTRL_ENTRY_INTR_INFO) & INTR_INFO_VALID) ||
	    (vmread(VMCS_GUEST_INTERRUPTIBILITY) & blocking)) {
		set_proc(x, x->proc | PROC_BASED_NMI_WINDOW_EXITING);
		return false;
	}
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO,
		INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_NMI) | X86_EXC_NMI);
	return true;
}

/* Leaves VMX operation (SDM 31.3 VMXOFF): an AP whose INIT stays pending
 * (hv/smp.c) lets it reset the CPU this way. */
static void vmx_off(void)
{
	__asm__ volatile("vmxoff" ::: "cc", "memory");
}

static void vmx_halt(struct vcpu *v)
{
	(void)v;
	halt_until_attention();
}

/* The pending debug exceptions field delivers the trap at entry with
 * DR6 updated (SDM 27.7.3): B0-B3 with "enabled breakpoint", BS. */
static void vmx_debug_trap(struct vcpu *v, u64 dr6)
{
	u64 bits = dr6 & (VMX_PENDING_DBG_B0_B3 | VMX_PENDING_DBG_BS);

	(void)v;
	if (bits & VMX_PENDING_DBG_B0_B3)
		bits |= VMX_PENDING_DBG_ENABLED_BP;
	vmwrite(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, vmread(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) | bits);
}

static void vmx_inject_interrupt(struct vcpu *v, u8 vector)
{
	(void)v;
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO,
		INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_EXT_INTR) | vector);
}

/* The guest halts in its own activity state (SDM 25.4.2): the CPU wakes
 * it on its next interrupt, with no exit and no host spinning. */
static int vmx_wait_for_interrupt(struct vcpu *v)
{
	(void)v;
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT);
	return -1;
}

static bool vmx_interrupts_enabled(struct vcpu *v)
{
	(void)v;
	return vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF;
}

static void dump_seg(const char *name, u64 sel, u64 base, u64 limit, u64 ar)
{
	log_line("  %-4s sel=%04llx ar=%05llx limit=%08llx base=%016llx", name,
		 (unsigned long long)vmread(sel), (unsigned long long)vmread(ar),
		 (unsigned long long)vmread(limit), (unsigned long long)vmread(base));
}

#define DUMP_SEG(name, S)                                                                 \
	dump_seg(name, VMCS_GUEST_##S##_SELECTOR, VMCS_GUEST_##S##_BASE, VMCS_GUEST_##S##_LIMIT, \
		 VMCS_GUEST_##S##_ACCESS_RIGHTS)

static void vmx_dump(struct vcpu *v)
{
	(void)v;
	log_line("guest state:");
	log_line("  rip=%016llx rsp=%016llx rflags=%08llx activity=%llu intr=%llx",
		 (unsigned long long)vmread(VMCS_GUEST_RIP), (unsigned long long)vmread(VMCS_GUEST_RSP),
		 (unsigned long long)vmread(VMCS_GUEST_RFLAGS),
		 (unsigned long long)vmread(VMCS_GUEST_ACTIVITY_STATE),
		 (unsigned long long)vmread(VMCS_GUEST_INTERRUPTIBILITY));
	log_line("  cr0=%016llx cr3=%016llx cr4=%016llx efer=%016llx",
		 (unsigned long long)vmread(VMCS_GUEST_CR0), (unsigned long long)vmread(VMCS_GUEST_CR3),
		 (unsigned long long)vmread(VMCS_GUEST_CR4),
		 (unsigned long long)vmread(VMCS_GUEST_IA32_EFER));
	DUMP_SEG("cs", CS);
	DUMP_SEG("ss", SS);
	DUMP_SEG("ds", DS);
	DUMP_SEG("es", ES);
	DUMP_SEG("tr", TR);
	DUMP_SEG("ldtr", LDTR);
	log_line("  gdtr=%016llx/%llx idtr=%016llx/%llx link=%016llx",
		 (unsigned long long)vmread(VMCS_GUEST_GDTR_BASE),
		 (unsigned long long)vmread(VMCS_GUEST_GDTR_LIMIT),
		 (unsigned long long)vmread(VMCS_GUEST_IDTR_BASE),
		 (unsigned long long)vmread(VMCS_GUEST_IDTR_LIMIT),
		 (unsigned long long)vmread(VMCS_GUEST_VMCS_LINK_POINTER));
	log_line("host state:");
	log_line("  cr0=%016llx cr3=%016llx cr4=%016llx rip=%016llx efer=%016llx",
		 (unsigned long long)vmread(VMCS_HOST_CR0), (unsigned long long)vmread(VMCS_HOST_CR3),
		 (unsigned long long)vmread(VMCS_HOST_CR4), (unsigned long long)vmread(VMCS_HOST_RIP),
		 (unsigned long long)vmread(VMCS_HOST_IA32_EFER));
	log_line("  tr=%04llx base=%016llx gdtr=%016llx idtr=%016llx",
		 (unsigned long long)vmread(VMCS_HOST_TR_SELECTOR),
		 (unsigned long long)vmread(VMCS_HOST_TR_BASE),
		 (unsigned long long)vmread(VMCS_HOST_GDTR_BASE),
		 (unsigned long long)vmread(VMCS_HOST_IDTR_BASE));
	log_line("controls:");
	log_line("  pin=%08llx proc=%08llx proc2=%08llx exit=%08llx entry=%08llx",
		 (unsigned long long)vmread(VMCS_CTRL_PIN_BASED),
		 (unsigned long long)vmread(VMCS_CTRL_PROC_BASED),
		 (unsigned long long)vmread(VMCS_CTRL_PROC_BASED2),
		 (unsigned long long)vmread(VMCS_CTRL_EXIT), (unsigned long long)vmread(VMCS_CTRL_ENTRY));
	log_line("  cr0 mask=%08llx shadow=%08llx cr4 mask=%08llx shadow=%08llx eptp=%016llx",
		 (unsigned long long)vmread(VMCS_CTRL_CR0_GUEST_HOST_MASK),
		 (unsigned long long)vmread(VMCS_CTRL_CR0_READ_SHADOW),
		 (unsigned long long)vmread(VMCS_CTRL_CR4_GUEST_HOST_MASK),
		 (unsigned long long)vmread(VMCS_CTRL_CR4_READ_SHADOW),
		 (unsigned long long)vmread(VMCS_CTRL_EPT_POINTER));
	log_line("  exit reason=%llx qualification=%llx entry intr=%llx",
		 (unsigned long long)vmread(VMCS_RO_EXIT_REASON),
		 (unsigned long long)vmread(VMCS_RO_EXIT_QUALIFICATION),
		 (unsigned long long)vmread(VMCS_CTRL_ENTRY_INTR_INFO));
}

const struct hv_backend vmx_backend = {
	.name = "vmx",
	.init = vmx_init,
	.map_memory = vmx_map_memory,
	.apic_passthrough = vmx_apic_passthrough,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_wait_sipi = vmx_vcpu_wait_sipi,
	.halt = vmx_halt,
	.off = vmx_off,
	.run = vmx_run,
	.advance_rip = vmx_advance_rip,
	.get_reg = vmx_get_reg,
	.set_reg = vmx_set_reg,
	.inject_exception = vmx_inject_exception,
	.inject_interrupt = vmx_inject_interrupt,
	.inject_nmi = vmx_inject_nmi,
	.left_guest = vmx_flush_tlb,
	.wait_for_interrupt = vmx_wait_for_interrupt,
	.interrupts_enabled = vmx_interrupts_enabled,
	.load_pdptes = vmx_load_pdptes,
	.debug_trap = vmx_debug_trap,
	.dump = vmx_dump,
	.hypercall_insn = { 0x0F, 0x01, 0xC1 }, /* VMCALL */
};
