/* NMIs that reach Keel itself, and Keel's own NMIs to other CPUs.
 *
 * An NMI can arrive whenever a CPU runs Keel's code: in VMX root
 * operation, on AMD-V while GIF is set (before a CPU's first VMRUN, while
 * it waits with GIF set, or when Keel opens GIF to take the NMI a
 * #VMEXIT(NMI) left pending). None of them is fatal and none is lost: the
 * handler counts it in this_cpu()->nmis and raises ATTN_NMI, and the
 * CPU's vCPU loop decides later whether it was Keel's own kick or one
 * that belongs to the guest, which then gets it injected (hv/vcpu.c).
 *
 * Keel sends an NMI to a CPU to get its attention (cpu_kick): with NMI
 * exiting (VT-x) or the NMI intercept (AMD-V) it forces a running vCPU
 * out of its guest, and it wakes a CPU halted in Keel. Between a CPU's
 * last look at its attention word and the instruction that would wait
 * (HLT) or enter the guest (VMRESUME), an NMI would come too early to
 * stop either: those instruction ranges are registered as windows, and
 * an NMI inside one resumes at the window's exit instead (nmi_window_add).
 */
#include "hv.h"
#include "ipi.h"
#include "lapic.h"
#include "percpu.h"
#include "trap.h"

#define NMI_WINDOWS_MAX 4

struct nmi_window {
	u64 first, last;        /* the instructions an NMI must not return to */
	u64 resume;             /* where it returns instead */
};

/* Filled by the BSP before any AP runs, then only read. */
static struct nmi_window windows[NMI_WINDOWS_MAX];
static int nwindows;
/* Set by nmi_halt_others(): every CPU that takes an NMI stops. */
static volatile bool hv_dying;

void nmi_window_add(const void *first, const void *last, const void *resume)
{
	if (nwindows == NMI_WINDOWS_MAX)
		fatal("nmi: more than %d NMI windows", NMI_WINDOWS_MAX);
	windows[nwindows++] = (struct nmi_window){ (u64)(uintptr_t)first, (u64)(uintptr_t)last,
						   (u64)(uintptr_t)resume };
}

void hv_nmi(struct trap_frame *f)
{
	struct percpu *pc = this_cpu();

	if (hv_dying)
		hv_halt();
	pc->nmis++;
	cpu_attend(pc, ATTN_NMI);
	for (int i = 0; i < nwindows; i++) {
		if (f->rip >= windows[i].first && f->rip <= windows[i].last) {
			f->rip = windows[i].resume;
			break;
		}
	}
}

void cpu_kick(struct percpu *pc)
{
	if (pc == this_cpu())
		return;
	/* One kick in flight per CPU: NMIs sent while one is pending merge
	 * into it (SDM vol. 3A 6.7.1), and the loop counts each kick once. */
	if (__atomic_exchange_n(&pc->kick_pending, 1, __ATOMIC_SEQ_CST))
		return;
	lapic_send(pc->apic_id, ICR_MODE_NMI << 8 | ICR_LEVEL_ASSERT);
}

bool cpu_kick_taken(struct percpu *pc)
{
	return __atomic_exchange_n(&pc->kick_pending, 0, __ATOMIC_SEQ_CST);
}

void nmi_halt_others(void)
{
	if (hv_dying || cpu_count < 2)
		return;
	hv_dying = true;
	lapic_send(0, ICR_MODE_NMI << 8 | ICR_LEVEL_ASSERT | ICR_SH_OTHERS << 18);
}

bool nmi_dying(void)
{
	return hv_dying;
}
