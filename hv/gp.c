/* See hv/gp.h. APM vol. 2 15.5 ("VMRUN instruction"; VMLOAD and VMSAVE
 * alike): the CPU checks rAX -- page-aligned, inside the physical address
 * width -- and CPL before it looks at the VMRUN intercept, and raises #GP
 * when either fails; STGI, CLGI, SKINIT and INVLPGA check CPL the same
 * way. A guest of Keel must see a CPU without SVM, which raises #UD for
 * all of them whatever rAX and CPL hold (the intercepts give #UD for the
 * rest, hv/exit.c). So the VMCB intercepts #GP (svm/svm.c) and Keel reads
 * the instruction it came from, through the guest's paging. */
#include "hv.h"
#include "fetch.h"
#include "gp.h"
#include "insn.h"
#include "x86.h"

bool gp_intercept(struct vcpu *v, const struct vmexit *e)
{
	const struct vmexit_event *ev = &e->delivering;
	/* Real mode pushes no error code (SDM vol. 3A 20.1.4). */
	bool pe = vcpu_get_reg(v, VCPU_CR0) & CR0_PE;
	unsigned bits = (unsigned)vcpu_get_reg(v, VCPU_CS_BITS), n;
	u8 buf[INSN_MAX_LEN];

	/* The #GP came while the CPU delivered an exception: combine them as
	 * the CPU does with its own (an interrupt or INT n just gives way). */
	if (ev->type == EVENT_EXCEPTION) {
		switch (x86_exc_combine(ev->vector, X86_EXC_GP)) {
		case X86_EXC_SHUTDOWN:
			return false;
		case X86_EXC_DOUBLE_FAULT:
			v->ops->inject_exception(v, X86_EXC_DF, pe, 0);
			return true;
		case X86_EXC_DELIVER_SECOND:
			break;
		}
	}
	if (ev->type == EVENT_NONE) {
		n = guest_fetch_insn(v, buf, bits);
		if (insn_is_svm(buf, n, bits)) {
			v->ops->inject_exception(v, X86_EXC_UD, false, 0);
			return true;
		}
	}
	v->ops->inject_exception(v, X86_EXC_GP, pe && e->exc.has_error, e->exc.error);
	return true;
}
