/* Which virtualization extension this CPU offers, and whether firmware
 * lets Keel use it. Each "cannot host guests" case gets one reason. */
#include "hv.h"
#include "cpuid.h"
#include "x86.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* Intel SDM vol. 3C 23.6 and 23.7; AMD APM vol. 2 15.4. */
#define CPUID_80000001_EDX_LM (1u << 29)
#define CPUID_8000000A_EDX_NP (1u << 0)
#define CPUID_1_EDX_MCE (1u << 7)
#define CPUID_1_ECX_XSAVE (1u << 26)



static void detect_intel(struct cpu_info *ci, u32 ecx1)
{
	u64 fc;

	if (!(ecx1 & CPUID_1_ECX_VMX)) {
		ci->problem = "this Intel CPU has no VT-x (CPUID.1:ECX.VMX = 0), or it is hidden";
		return;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		ci->problem = "VT-x is turned off by the firmware (IA32_FEATURE_CONTROL is "
			      "locked without VMXON outside SMX): enable Intel Virtualization "
			      "Technology in the BIOS setup";
		return;
	}
	ci->backend = "vmx";
}

static void detect_amd(struct cpu_info *ci)
{
	u32 a, b, c, d;

	if (ci->max_ext_leaf < 0x80000001) {
		ci->problem = "this AMD CPU reports no extended CPUID leaves";
		return;
	}
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(c & CPUID_80000001_ECX_SVM)) {
		ci->problem = "this AMD CPU has no AMD-V (CPUID 80000001h:ECX.SVM = 0), or it is hidden";
		return;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		ci->problem = "AMD-V is turned off by the firmware (VM_CR.SVMDIS = 1): enable "
			      "SVM Mode in the BIOS setup";
		return;
	}
	if (ci->max_ext_leaf < 0x8000000A) {
		ci->problem = "this AMD CPU reports no SVM feature leaf (CPUID 8000000Ah)";
		return;
	}
	cpuid(0x8000000A, 0, &a, &b, &c, &d);
	if (!(d & CPUID_8000000A_EDX_NP)) {
		ci->problem = "this AMD CPU has AMD-V without nested paging (CPUID 8000000Ah:EDX.NP = 0)";
		return;
	}
	ci->backend = "svm";
}

void cpu_detect(struct cpu_info *ci)
{
	u32 a, b, c, d;

	memset(ci, 0, sizeof(*ci));
	cpuid(0, 0, &a, &b, &c, &d);
	ci->max_leaf = a;
	memcpy(ci->vendor_id, &b, 4);
	memcpy(ci->vendor_id + 4, &d, 4);
	memcpy(ci->vendor_id + 8, &c, 4);
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	ci->max_ext_leaf = a;

	if (!strcmp(ci->vendor_id, "GenuineIntel"))
		ci->vendor = CPU_VENDOR_INTEL;
	else if (!strcmp(ci->vendor_id, "AuthenticAMD"))
		ci->vendor = CPU_VENDOR_AMD;

	if (ci->max_ext_leaf < 0x80000001) {
		ci->problem = "this CPU has no long mode";
		return;
	}
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(d & CPUID_80000001_EDX_LM)) {
		ci->problem = "this CPU has no long mode";
		return;
	}
	cpuid(1, 0, &a, &b, &c, &d);
	if (ci->vendor == CPU_VENDOR_INTEL)
		detect_intel(ci, c);
	else if (ci->vendor == CPU_VENDOR_AMD)
		detect_amd(ci);
	else
		ci->problem = "unknown CPU vendor: Keel supports Intel VT-x and AMD-V";
}

/* QEMU 7.2's TCG takes CR4.OSXSAVE for reserved on models that have
 * XSAVE but not XSAVEOPT (Opteron_G4, Opteron_G5) and hangs at the MOV to
 * CR4 that sets it (docs/cpus.md). Such a CPU under another hypervisor
 * keeps Keel's OSXSAVE clear; real CPUs of that shape (AMD family 15h
 * model 01h) allow it (APM vol. 2 3.1.3), and get it. */
static bool osxsave_unsafe(u32 ecx1)
{
	u32 a, b, c, d;

	if (!(ecx1 & CPUID_1_ECX_HYPERVISOR))
		return false;
	cpuid(0xD, 1, &a, &b, &c, &d);
	return !(a & CPUID_D1_EAX_XSAVEOPT);
}

bool hv_osxsave(void)
{
	u64 cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return cr4 & CR4_OSXSAVE;
}

void hv_cpu_init(void)
{
	static bool told;
	u32 a, b, c, d;
	u64 cr4;

	cpuid(1, 0, &a, &b, &c, &d);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	/* With CR4.MCE clear a machine check shuts the CPU down (SDM vol. 3B
	 * 16.7); with it set Keel's #MC handler reports it (hv/mce.c). */
	if (d & CPUID_1_EDX_MCE)
		cr4 |= CR4_MCE;
	/* XSETBV needs CR4.OSXSAVE: Keel loads each guest's XCR0 (hv/exit.c,
	 * hv/msr.c). Keel itself uses no extended state. */
	if ((c & CPUID_1_ECX_XSAVE) && !osxsave_unsafe(c))
		cr4 |= CR4_OSXSAVE;
	else if ((c & CPUID_1_ECX_XSAVE) && !__atomic_exchange_n(&told, true, __ATOMIC_SEQ_CST))
		log_line("cpu: XSAVE without XSAVEOPT under another hypervisor (QEMU 7.2 hangs on "
			 "CR4.OSXSAVE there): Keel leaves OSXSAVE clear and does not reset guests' XCR0");
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

/* CPUID 80000001h EDX[26]: 1 GiB pages (Intel SDM vol. 3A 4.1.4; AMD APM
 * vol. 3 E.4.2), for Keel's own tables and nested paging alike. */
bool cpu_has_1g_pages(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000001)
		return false;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	return d & (1u << 26);
}

/* MAXPHYADDR: CPUID 80000008h EAX[7:0], 36 where the leaf is missing
 * (SDM vol. 3A 4.1.4). */
unsigned cpu_phys_bits(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	return a & 0xFF;
}
