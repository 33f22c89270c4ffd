/* The exit trace: `trace=N` on a guest line (docs/config.md) logs that
 * guest's first N exits, one line each (docs/log.md): the reason, the
 * guest's RIP and what the reason is about.
 *
 * It costs nothing while off. Rather than a test on every exit, the trace
 * puts itself between the run loop and the backend for a traced guest
 * only: v->ops then points to a copy of the backend whose run operation
 * logs each exit it returns. An untraced guest runs through the backend
 * itself, the very instructions it ran before the trace existed. */
#include "hv.h"
#include "guest.h"
#include "trace.h"
#include "../lib/format.h"

/* Owned by trace_start()/trace_stop(), which guests_run() calls around a
 * traced guest; one guest runs at a time. The counter is shared by every
 * vCPU of that guest. */
static struct hv_backend traced;
static const struct hv_backend *untraced;
static u32 trace_limit, trace_seq;

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

typedef unsigned long long ull;

/* What the exit is about, for the kinds that carry more than a reason. */
static void trace_details(struct vcpu *v, const struct vmexit *e, char *buf, size_t len)
{
	const struct vmexit_io *io = &e->io;

	switch (e->kind) {
	case VMEXIT_CPUID:
		fmt_snprintf(buf, len, " leaf=0x%llx subleaf=0x%llx",
			     (ull)(u32)vcpu_get_reg(v, VCPU_RAX), (ull)(u32)vcpu_get_reg(v, VCPU_RCX));
		return;
	case VMEXIT_IO:
		if (io->in || io->string)
			fmt_snprintf(buf, len, " port=0x%x size=%u %s%s%s", io->port, io->size,
				     io->in ? "in" : "out", io->string ? " string" : "",
				     io->rep ? " rep" : "");
		else
			fmt_snprintf(buf, len, " port=0x%x size=%u out value=0x%llx", io->port,
				     io->size, (ull)(vcpu_get_reg(v, VCPU_RAX) &
						     (io->size == 4 ? 0xFFFFFFFFull :
						      io->size == 2 ? 0xFFFFull : 0xFFull)));
		return;
	case VMEXIT_MSR:
		if (e->msr.write)
			fmt_snprintf(buf, len, " msr=0x%x write value=0x%llx", e->msr.index,
				     (ull)(vcpu_get_reg(v, VCPU_RDX) << 32 |
					   (u32)vcpu_get_reg(v, VCPU_RAX)));
		else
			fmt_snprintf(buf, len, " msr=0x%x read", e->msr.index);
		return;
	case VMEXIT_CR:
		if (e->cr.clts)
			fmt_snprintf(buf, len, " cr0 clts");
		else if (e->cr.lmsw)
			fmt_snprintf(buf, len, " cr0 lmsw value=0x%x", e->cr.lmsw_source);
		else
			fmt_snprintf(buf, len, " cr%u %s %s", e->cr.cr, e->cr.write ? "write" : "read",
				     gpr_names[e->cr.gpr & 15]);
		return;
	case VMEXIT_XSETBV:
		fmt_snprintf(buf, len, " xcr=%u value=0x%llx", (unsigned)vcpu_get_reg(v, VCPU_RCX),
			     (ull)(vcpu_get_reg(v, VCPU_RDX) << 32 | (u32)vcpu_get_reg(v, VCPU_RAX)));
		return;
	case VMEXIT_NPF:
		fmt_snprintf(buf, len, " gpa=0x%llx %s%s%s", (ull)e->npf.gpa,
			     e->npf.exec ? "fetch" : e->npf.write ? "write" : "read",
			     e->npf.present ? " present" : "", e->npf.misconfig ? " misconfig" : "");
		return;
	case VMEXIT_EXCEPTION:
		if (e->exc.has_error)
			fmt_snprintf(buf, len, " vector=%u error=0x%x", e->exc.vector, e->exc.error);
		else
			fmt_snprintf(buf, len, " vector=%u", e->exc.vector);
		return;
	case VMEXIT_HYPERCALL:
		fmt_snprintf(buf, len, " rax=0x%llx rbx=0x%llx", (ull)vcpu_get_reg(v, VCPU_RAX),
			     (ull)vcpu_get_reg(v, VCPU_RBX));
		return;
	case VMEXIT_HLT:
		fmt_snprintf(buf, len, " if=%u", v->ops->interrupts_enabled(v) ? 1 : 0);
		return;
	default:
		/* The rest: the vendor's code and exit information, as in
		 * Keel's "unhandled exit" line. */
		fmt_snprintf(buf, len, " code=0x%llx info1=0x%llx info2=0x%llx", (ull)e->reason,
			     (ull)e->info1, (ull)e->info2);
		return;
	}
}

static int trace_run(struct vcpu *v, struct vmexit *e)
{
	int r = untraced->run(v, e);
	u32 seq;
	char details[96], base[32] = "";
	u64 cs_base;

	if (r)
		return r;
	seq = __atomic_add_fetch(&trace_seq, 1, __ATOMIC_RELAXED);
	if (seq > trace_limit)
		return r;
	trace_details(v, e, details, sizeof(details));
	/* Real mode (and any code segment not at 0): where RIP counts from. */
	cs_base = vcpu_get_reg(v, VCPU_CS_BASE);
	if (cs_base)
		fmt_snprintf(base, sizeof(base), " cs.base=0x%llx", (ull)cs_base);
	log_line("trace %u %s rip=0x%llx%s%s%s", seq, vmexit_kind_name(e->kind),
		 (ull)vcpu_get_reg(v, VCPU_RIP), base, details, cpu_suffix());
	if (seq == trace_limit)
		log_line("trace: the first %u exits were logged, later ones are not", seq);
	return r;
}

void trace_start(struct vcpu *v, u32 n)
{
	trace_limit = n;
	if (!n)
		return;
	untraced = v->ops;
	traced = *v->ops;
	traced.run = trace_run;
	trace_limit = n;
	trace_seq = 0;
	v->ops = &traced;
}

void trace_join(struct vcpu *v)
{
	if (trace_limit && untraced)
		v->ops = &traced;
}

void trace_stop(struct vcpu *v)
{
	if (v->ops == &traced)
		v->ops = untraced;
}
