/* RDMSR and WRMSR exits, carried out by the policy table (hv/msr_policy.c,
 * docs/security.md "MSRs"): pass the access to the CPU, refuse it with
 * #GP, let a write change only some bits, or hand it to the handler of
 * its MSR below. Whatever value a guest writes, Keel's own WRMSR never
 * faults: every one goes through wrmsr_safe(). */
#include "hv.h"
#include "guest.h"
#include "lapic.h"
#include "msr.h"
#include "x86.h"
#include "../lib/io.h"

/* Set once by msr_intercepts() before the first guest; then only read. */
static u8 msr_vendor;
static u64 efer_allowed;
static u8 phys_bits;

#define CPUID_1_EDX_MTRR (1u << 12)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_D1_EAX_XSAVES (1u << 3)
#define CPUID_80000001_EDX_SYSCALL (1u << 11)
#define CPUID_80000001_EDX_NX (1u << 20)
#define CPUID_80000001_EDX_FFXSR (1u << 25)
#define CPUID_80000001_EDX_LM (1u << 29)
#define CPUID_80000001_ECX_TCE (1u << 17)
#define CPUID_80000008_EBX_MCOMMIT (1u << 8)
#define CPUID_80000008_EBX_INT_WBINVD (1u << 13)
#define CPUID_80000008_EBX_NO_LMSLE (1u << 20)
#define CPUID_80000021_EAX_AUTO_IBRS (1u << 8)
#define CPUID_80000021_EAX_UAI (1u << 7)

/* The EFER bits this AMD CPU implements (APM 3.1.7 and CPUID), less
 * SVME, which the guest must not see. */
static u64 efer_bits(void)
{
	u32 max, a, b, c, d, ext_c, ext_d;
	u64 bits = 0;

	cpuid(0x80000000, 0, &max, &b, &c, &d);
	cpuid(0x80000001, 0, &a, &b, &ext_c, &ext_d);
	if (ext_d & CPUID_80000001_EDX_SYSCALL)
		bits |= EFER_SCE;
	if (ext_d & CPUID_80000001_EDX_LM)
		bits |= EFER_LME;
	if (ext_d & CPUID_80000001_EDX_NX)
		bits |= EFER_NXE;
	if (ext_d & CPUID_80000001_EDX_FFXSR)
		bits |= EFER_FFXSR;
	if (ext_c & CPUID_80000001_ECX_TCE)
		bits |= EFER_TCE;
	b = 0;
	if (max >= 0x80000008)
		cpuid(0x80000008, 0, &a, &b, &c, &d);
	if (!(b & CPUID_80000008_EBX_NO_LMSLE))
		bits |= EFER_LMSLE;
	if (b & CPUID_80000008_EBX_MCOMMIT)
		bits |= EFER_MCOMMIT;
	if (b & CPUID_80000008_EBX_INT_WBINVD)
		bits |= EFER_INTWB;
	a = 0;
	if (max >= 0x80000021)
		cpuid(0x80000021, 0, &a, &b, &c, &d);
	if (a & CPUID_80000021_EAX_AUTO_IBRS)
		bits |= EFER_AIBRSE;
	if (a & CPUID_80000021_EAX_UAI)
		bits |= EFER_UAIE;
	return bits;
}

void msr_intercepts(u8 vendor, void (*fn)(void *ctx, u32 msr, bool read, bool write), void *ctx)
{
	u32 a, b, c, d;

	msr_vendor = vendor;
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	phys_bits = (u8)a;
	if (vendor == MSR_VENDOR_AMD)
		efer_allowed = efer_bits();
	for (unsigned i = 0; i < msr_policy_count; i++) {
		const struct msr_policy *p = &msr_policies[i];
		bool rd = p->read != MSR_PASS, wr = p->write != MSR_PASS;

		if (!(p->vendors & vendor) || (!rd && !wr))
			continue;
		for (u32 m = p->first; m <= p->last && m >= p->first; m++)
			fn(ctx, m, rd, wr);
	}
}

static void inject_gp(struct vcpu *v)
{
	v->ops->inject_exception(v, X86_EXC_GP, true, 0);
}

static void msr_result(struct vcpu *v, u64 val)
{
	vcpu_set_reg(v, VCPU_RAX, (u32)val);
	vcpu_set_reg(v, VCPU_RDX, val >> 32);
}

/* The value a WRMSR writes: EDX:EAX. */
static u64 msr_operand(struct vcpu *v)
{
	return (vcpu_get_reg(v, VCPU_RDX) << 32) | (u32)vcpu_get_reg(v, VCPU_RAX);
}

/* A read done, or a write done: the guest goes on after the instruction. */
static void msr_done(struct vcpu *v, const struct vmexit *e)
{
	v->ops->advance_rip(v, e);
}

#define APIC_MODE(v) ((v) & (APIC_BASE_EN | APIC_BASE_EXTD))
#define APIC_XAPIC APIC_BASE_EN
#define APIC_X2APIC (APIC_BASE_EN | APIC_BASE_EXTD)

/* May the APIC go from mode cur to mode next (SDM 11.12.5, figure
 * 11-27)? Disabled and xAPIC both ways, xAPIC to x2APIC, x2APIC to
 * disabled; the mode itself is the guest's. */
static bool apic_mode_change_ok(u64 cur, u64 next)
{
	u32 a, b, c, d;

	if (cur == next || (next == 0 && cur != 0))
		return true;
	if (cur == 0)
		return next == APIC_XAPIC;
	if (next != APIC_X2APIC)
		return false;
	cpuid(1, 0, &a, &b, &c, &d);
	return c & CPUID_1_ECX_X2APIC;
}

/* The local APIC is the guest's, but its page may not move: the EPT/NPT
 * write-protect that page (hv/lapic.c), and over Keel's region Keel's
 * own accesses would reach the APIC. Anything the CPU would refuse is
 * #GP here rather than a fault in Keel. */
static bool apic_base_write(u64 val)
{
	u64 cur = rdmsr(MSR_IA32_APIC_BASE);

	if ((val & APIC_BASE_ADDR_MASK) != (cur & APIC_BASE_ADDR_MASK)) {
		log_line("guest tried to move its local APIC to 0x%llx: #GP",
			 (unsigned long long)(val & APIC_BASE_ADDR_MASK));
		return false;
	}
	if ((val & ~(APIC_BASE_ADDR_MASK | APIC_BASE_BSP | APIC_BASE_EN | APIC_BASE_EXTD)) ||
	    !apic_mode_change_ok(APIC_MODE(cur), APIC_MODE(val)))
		return false;
	return !wrmsr_safe(MSR_IA32_APIC_BASE, (val & ~APIC_BASE_BSP) | (cur & APIC_BASE_BSP));
}

/* MTRRs: the guest reads and writes its own copy, checked as the CPU
 * would check it. Under EPT the guest's memory types come from the EPT
 * and its PAT, never from the MTRRs (SDM 29.3.7.2); under NPT from the
 * firmware's MTRRs with the guest's PAT (APM 15.25.8). Either way a
 * guest's MTRR write could only change Keel's own memory type. */
static bool mtrr_access(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	struct vcpu_msrs *m = &v->msrs;
	int fixed = mtrr_fixed_index(msr), var = mtrr_var_index(msr, m->mtrr_cap);
	u64 *slot = msr == MSR_IA32_MTRR_DEF_TYPE ? &m->mtrr_def_type :
		    fixed >= 0 ? &m->mtrr_fixed[fixed] : var >= 0 ? &m->mtrr_var[var] : NULL;

	if (!m->mtrr || !slot)
		return false;
	if (!write) {
		*val = *slot;
		return true;
	}
	if (!mtrr_write_ok(msr, *val, m->mtrr_cap, phys_bits))
		return false;
	*slot = *val;
	return true;
}

/* IA32_XSS names the supervisor state XSAVES and XRSTORS handle; Intel
 * PT's (bit 8) would let XRSTORS load the RTIT MSRs Keel refuses. */
static bool xss_write(u64 val)
{
	u32 a, b, c, d;

	cpuid(0xD, 1, &a, &b, &c, &d);
	if (val & ~(((u64)d << 32 | c) & ~XSS_PT))
		return false;
	return !wrmsr_safe(MSR_IA32_XSS, val);
}

/* MSR_HANDLER: true when the access is done (*val holds a read's result),
 * false for the guest's #GP. */
static bool msr_handler(struct vcpu *v, const struct msr_policy *p, u32 msr, bool write,
			u64 *val)
{
	u64 cur;

	switch (p->handler) {
	case MSRH_FEATURE_CONTROL:
		/* Locked with VMXON disabled, as firmware that turned VT-x off. */
		*val = FEATURE_CONTROL_LOCKED;
		return true;
	case MSRH_APIC_BASE:
		if (!write)
			return !rdmsr_safe(msr, val);
		return apic_base_write(*val);
	case MSRH_X2APIC:
		/* Outside x2APIC mode these MSRs do not exist. */
		if (!(rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD))
			return false;
		if (!write)
			return !rdmsr_safe(msr, val);
		return !lapic_x2apic_write(v, msr, *val);
	case MSRH_EFER:
		cur = vcpu_get_reg(v, VCPU_EFER);
		if (!write) {
			*val = cur;
			return true;
		}
		if (!efer_write_ok(cur, *val, vcpu_get_reg(v, VCPU_CR0), efer_allowed, val))
			return false;
		vcpu_set_reg(v, VCPU_EFER, *val);
		return true;
	case MSRH_MTRR:
		return mtrr_access(v, msr, write, val);
	case MSRH_XSS:
		return write ? xss_write(*val) : !rdmsr_safe(msr, val);
	default:
		return false;
	}
}

void handle_msr(struct vcpu *v, const struct vmexit *e)
{
	u32 msr = e->msr.index;
	bool write = e->msr.write, ok;
	const struct msr_policy *p = msr_policy_find(msr, msr_vendor);
	u64 val = write ? msr_operand(v) : 0, cur;

	switch (msr_action(msr, msr_vendor, write)) {
	case MSR_PASS:		/* exits only where a CPU forces it: do it */
	case MSR_NATIVE:
		ok = write ? !wrmsr_safe(msr, val) : !rdmsr_safe(msr, &val);
		break;
	case MSR_FILTER:
		ok = !write ? !rdmsr_safe(msr, &val) :
		     !rdmsr_safe(msr, &cur) && !((cur ^ val) & ~p->writable) &&
		     !wrmsr_safe(msr, val);
		break;
	case MSR_HANDLER:
		ok = msr_handler(v, p, msr, write, &val);
		break;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		inject_gp(v);
		return;
	}
	if (v->stop != STOP_NONE)	/* an x2APIC INIT to itself stopped the guest */
		return;
	if (!write)
		msr_result(v, val);
	msr_done(v, e);
}

void msr_guest_reset(struct vcpu *v)
{
	struct vcpu_msrs *m = &v->msrs;
	u32 a, b, c, d, xsave;
	int n;

	cpuid(1, 0, &a, &b, &xsave, &d);
	m->mtrr = d & CPUID_1_EDX_MTRR;
	if (m->mtrr) {
		m->mtrr_cap = rdmsr(MSR_IA32_MTRRCAP);
		m->mtrr_def_type = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
		for (u32 i = 0; i < MTRR_FIXED_COUNT; i++) {
			u32 msr = i == 0 ? MSR_IA32_MTRR_FIX64K_00000 :
				  i < 3 ? MSR_IA32_MTRR_FIX16K_80000 + i - 1 :
				  MSR_IA32_MTRR_FIX4K_C0000 + i - 3;

			m->mtrr_fixed[i] = 0;
			if (m->mtrr_cap & (1u << 8))	/* MTRRCAP.FIX */
				rdmsr_safe(msr, &m->mtrr_fixed[i]);
		}
		n = (int)(m->mtrr_cap & 0xFF);
		for (int i = 0; i < 2 * MTRR_VAR_MAX; i++) {
			m->mtrr_var[i] = 0;
			if (i < 2 * n)
				rdmsr_safe(MSR_IA32_MTRR_PHYSBASE0 + (u32)i, &m->mtrr_var[i]);
		}
	}
	/* After a reset XCR0 holds x87 state only and IA32_XSS is 0 (SDM
	 * vol. 1 13.3, 13.5); the last guest's values must not stay. XSETBV
	 * needs Keel's CR4.OSXSAVE (hv_cpu_init() says where it stays clear). */
	if ((xsave & CPUID_1_ECX_XSAVE) && hv_osxsave()) {
		xsetbv_safe(0, 1);
		cpuid(0xD, 1, &a, &b, &c, &d);
		if (a & CPUID_D1_EAX_XSAVES)
			wrmsr_safe(MSR_IA32_XSS, 0);
	}
}
