/* BIOS guests (DESIGN.md "Guests"): placeholder until the shim lands. */
#include "../hv/hv.h"
#include "../hv/guest.h"

int bios_load(struct vcpu *v, struct guest *g, struct guest_start *st)
{
	(void)v;
	(void)st;
	log_line("guest %d \"%s\": BIOS guests are not supported by this build", g->index, g->name);
	return -1;
}

bool bios_hypercall(struct vcpu *v, u64 fn)
{
	(void)v;
	(void)fn;
	return false;
}
