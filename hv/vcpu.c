/* The loop every CPU runs its vCPU in (DESIGN.md "CPUs", docs/cpus.md).
 *
 * The bootstrap CPU runs the guest's bootstrap vCPU, started by the
 * sequencer (hv/guest.c), and comes back out of vcpu_loop() once it has
 * left that guest. Every AP runs the loop for good: it waits for a
 * start-up IPI as a real AP waits after INIT (VT-x: in the guest, in the
 * wait-for-SIPI activity state; AMD-V: halted in Keel until hv/lapic.c
 * posts one), joins the running guest at the IPI's vector if it is one of
 * that guest's CPUs, and runs it until the guest stops or an INIT sends
 * it back to waiting.
 *
 * The fast path -- enter, exit, dispatch -- looks at one word, its CPU's
 * attention bits (hv/percpu.h); everything else (NMIs, stops, INIT and
 * SIPI by mail, NMIs to inject) waits behind it. */
#include "hv.h"
#include "fetch.h"
#include "guest.h"
#include "msr.h"
#include "nmi.h"
#include "percpu.h"
#include "trace.h"
#include "../iommu/iommu.h"
#include "../lib/console.h"
#include "../lib/io.h"
#include "../lib/string.h"

/* One NMI being delivered and one held (SDM vol. 3A 6.7.1): more merge. */
#define NMI_PENDING_MAX 2

/* Do INIT and start-up IPIs reach vCPUs by mail from hv/lapic.c, the
 * vCPUs waiting for them in Keel? Always on AMD-V; on VT-x where Keel
 * must see every ICR write (hv/main.c). Set before the first guest. */
static bool sipi_by_mail;

void vcpu_set_sipi_by_mail(void)
{
	sipi_by_mail = true;
}

bool vcpu_sipi_by_mail(void)
{
	return sipi_by_mail;
}

/* VT-x without mail: v waits in the wait-for-SIPI activity state. */
static bool waits_in_guest(const struct vcpu *v)
{
	return v->ops->vcpu_wait_sipi && !sipi_by_mail;
}

/* The state an AP starts in at a start-up IPI: real mode at CS = vector
 * << 8, IP = 0 (SDM vol. 3A 9.4.4.1) and the rest as INIT leaves it
 * (table 9-1): EDX the processor signature, the other registers 0,
 * segments with base 0 and limit FFFFh, CR0 with only ET set (INIT keeps
 * CD and NW, which Keel's CPUs have clear). */
void vcpu_init_state(struct guest_start *st, u8 vector)
{
	u32 a, b, c, d;

	memset(st, 0, sizeof(*st));
	st->mode = CFG_MODE_REAL;
	st->cs_selector = (u16)(vector << 8);
	cpuid(1, 0, &a, &b, &c, &d);
	st->gprs.rdx = a;
}

void vcpu_wait_for_sipi(struct vcpu *v)
{
	struct guest_start st;

	if (!waits_in_guest(v))
		return;
	vcpu_init_state(&st, 0);
	v->ops->vcpu_reset(v, &st);
	v->ops->vcpu_wait_sipi(v);
}

/* Out of the guest: what the guest left pending dies with it. */
static void leave(struct vcpu *v)
{
	/* VT-x keeps the guest's CR0.CD and NW across VM exits (SDM vol. 3C
	 * 28.5.1): a guest that turned caching off must not leave Keel and
	 * the guests after it uncached, on any CPU. */
	if (cache_enable() && v->guest)
		log_line("caches: guest %d \"%s\" left caching off on Keel's CPU (CR0.CD or NW): "
			 "turned back on%s", v->guest->index, v->guest->name, cpu_suffix());
	trace_stop(v);
	v->nmi_pending = 0;
	v->ops->left_guest(v);
	if (v->cpu->index)
		vcpu_wait_for_sipi(v);
	__atomic_store_n(&v->state, VCPU_WAITING, __ATOMIC_RELEASE);
}

static u64 exits_so_far(const struct vcpu *v)
{
	u64 n = 0;

	for (int k = 0; k < VMEXIT_KIND_COUNT; k++)
		n += v->exits[k];
	return n;
}

void vcpu_init_signal(struct vcpu *v)
{
	if (v->state != VCPU_RUNNING) {
		/* Waiting already (VT-x: the INIT exit left the wait state). */
		vcpu_wait_for_sipi(v);
		return;
	}
	/* SDM vol. 3C 25.2: in the wait-for-SIPI state INIT is blocked; the
	 * INIT that came before the SIPI then exits as soon as the vCPU
	 * starts, before its first instruction. It is done with already. */
	if (v->exits_at_sipi && exits_so_far(v) == v->exits_at_sipi + 1 &&
	    vcpu_get_reg(v, VCPU_RIP) == 0) {
		v->exits_at_sipi = 0;
		return;
	}
	if (v->cpu->index == 0) {
		/* The guest's bootstrap CPU: that is how a PC resets itself. */
		log_line("guest reset request: INIT IPI to its own CPU (an INIT signal reached "
			 "the bootstrap CPU)");
		guest_stop(v, STOP_RESET, 0);
		return;
	}
	leave(v);
}

void vcpu_sipi(struct vcpu *v, u8 vector)
{
	struct guest_start st;
	/* Only a CPU waiting for one starts; a second SIPI finds it running. */
	if (v->state != VCPU_WAITING)
		return;
	if (!guest_join(v)) {
		/* No guest, or not one of its CPUs: keep waiting. */
		vcpu_wait_for_sipi(v);
		return;
	}
	vcpu_init_state(&st, vector);
	st.watchdog = v->guest->cfg->watchdog;
	v->kbc_command = 0;
	v->stuck_periods = 0;
	v->hlt_retry = 0;
	v->line_len = 0;
	v->stop = STOP_NONE;
	v->lapic_ldr = 0;
	v->lapic_dfr = 0xFFFFFFFFu;
	msr_guest_reset(v);
	v->ops->vcpu_reset(v, &st);
	trace_join(v);
	v->exits_at_sipi = waits_in_guest(v) ? exits_so_far(v) : 0;
}

/* NMIs this CPU took (in Keel, or as NMI exits): Keel's kicks are
 * counted off; the rest belong to the guest the vCPU runs. A CPU in no
 * guest drops them, as a real AP waiting for SIPI does. */
static void take_nmis(struct vcpu *v)
{
	struct percpu *pc = v->cpu;
	u32 n = __atomic_exchange_n(&pc->nmis, 0, __ATOMIC_SEQ_CST);

	while (n--) {
		if (cpu_kick_taken(pc))
			continue;
		if (v->state == VCPU_RUNNING && v->nmi_pending < NMI_PENDING_MAX)
			v->nmi_pending++;
	}
}

/* The slow path. True when the bootstrap CPU has left its guest. */
static bool attend(struct vcpu *v)
{
	struct percpu *pc = v->cpu;
	u32 a = __atomic_exchange_n(&pc->attention, 0, __ATOMIC_SEQ_CST);

	if (nmi_dying())
		hv_halt();
	if (a & ATTN_NMI)
		take_nmis(v);
	if ((a & ATTN_STOP) && v->state == VCPU_RUNNING)
		guest_stopped_by(v);
	if ((a & (ATTN_STOP | ATTN_LEAVE)) && v->state == VCPU_RUNNING) {
		leave(v);
		if (pc->index == 0)
			return true;
	}
	/* Done, then no longer posted (hv/lapic.c deliver() reads them in
	 * the other order). */
	if (a & ATTN_INIT) {
		vcpu_init_signal(v);
		__atomic_and_fetch(&pc->mail, ~ATTN_INIT, __ATOMIC_SEQ_CST);
	}
	if (a & ATTN_SIPI) {
		vcpu_sipi(v, pc->sipi_vector);
		__atomic_and_fetch(&pc->mail, ~ATTN_SIPI, __ATOMIC_SEQ_CST);
	}
	if (v->nmi_pending && v->state == VCPU_RUNNING) {
		if (v->ops->inject_nmi(v))
			v->nmi_pending--;
		if (v->nmi_pending)
			cpu_attend(pc, ATTN_EVENT);
	}
	return false;
}

static void entry_failed(struct vcpu *v)
{
	struct guest *g = v->guest;

	con_set_sinks(CON_ALL);
	log_line("VM entry failed for guest %d \"%s\"%s", g ? g->index : 0, g ? g->name : "",
		 cpu_suffix());
	v->ops->dump(v);
	guest_log_insn(v);
	guest_stop(v, STOP_ENTRY_FAILED, 0);
}

/* An AP whose entry to wait for a start-up IPI failed cannot take part
 * in any guest: it stays in Keel, halted, and no guest sees it. */
static void __attribute__((noreturn)) cpu_lost(struct vcpu *v)
{
	log_line("cpus: cpu %u (APIC ID %u) could not enter the guest to wait for a start-up IPI; "
		 "no guest gets it", v->cpu->index, v->cpu->apic_id);
	v->ops->dump(v);
	v->cpu->state = CPU_LOST;
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

void vcpu_loop(struct vcpu *v)
{
	struct percpu *pc = v->cpu;
	struct vmexit ex;
	int rc;

	for (;;) {
		if (pc->attention && attend(v))
			return;
		if (v->state == VCPU_WAITING && !waits_in_guest(v)) {
			v->ops->halt(v);
			continue;
		}
		rc = v->ops->run(v, &ex);
		if (rc == RUN_ABORTED)
			continue;
		if (rc) {
			if (v->state != VCPU_RUNNING)
				cpu_lost(v);
			entry_failed(v);
			continue;
		}
		v->exits[ex.kind]++;
		v->total_exits++;
		exit_dispatch(v, &ex);
		if (pc->index == 0)	/* one CPU looks at the IOMMUs' fault logs */
			iommu_poll();
	}
}
