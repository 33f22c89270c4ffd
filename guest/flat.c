/* Flat test guests (DESIGN.md "Test guests"): a raw image copied to its
 * load address and entered there, in real mode at (load >> 4):0, in
 * protected mode with paging off, or in long mode on an identity map. */
#include "../hv/hv.h"
#include "../hv/guest.h"
#include "../lib/string.h"

/* Long-mode guests get an identity map of the first 4 GiB
 * (guest_identity_map) at this guest-physical address. */
#define FLAT_PT_BASE 0x1000u
#define FLAT_PT_PAGES GUEST_IDMAP_PAGES
/* The initial stack: 64 KiB below the image when that is RAM, else the
 * top of this fallback area in conventional memory. */
#define FLAT_STACK_SIZE 0x10000u
#define FLAT_STACK_FALLBACK_TOP 0x80000u

int flat_load(struct guest *g, struct guest_start *st)
{
	const struct cfg_guest *c = g->cfg;
	u64 size;
	const void *img = guest_file(c->file, &size);

	if (!img) {
		log_line("guest %d \"%s\": file not loaded", g->index, g->name);
		return -1;
	}
	if (!guest_ram(c->load, size)) {
		log_line("guest %d \"%s\": load=0x%llx+0x%llx is not guest RAM", g->index, g->name,
			 (unsigned long long)c->load, (unsigned long long)size);
		return -1;
	}
	if (c->mode == CFG_MODE_LONG &&
	    (c->load < FLAT_PT_BASE + FLAT_PT_PAGES * PAGE_SIZE && FLAT_PT_BASE < c->load + size)) {
		log_line("guest %d \"%s\": a long-mode image may not overlap its page tables "
			 "at 0x%x-0x%x", g->index, g->name, FLAT_PT_BASE,
			 FLAT_PT_BASE + FLAT_PT_PAGES * PAGE_SIZE);
		return -1;
	}
	memcpy(phys_to_virt(c->load), img, size);

	st->mode = c->mode;
	st->rflags = 0;
	if (c->mode == CFG_MODE_REAL) {
		st->cs_selector = (u16)(c->load >> 4);
		st->rip = 0;
		st->rsp = 0xFFF0;
	} else {
		st->rip = c->load;
		/* Below 1 MiB + load lies the BIOS area at F0000h-FFFFFh, which
		 * is reserved (shadow ROM): stack pushes there would be lost. */
		if (c->load >= FLAT_STACK_SIZE && guest_ram(c->load - FLAT_STACK_SIZE, FLAT_STACK_SIZE))
			st->rsp = c->load;
		else
			st->rsp = FLAT_STACK_FALLBACK_TOP;
		if (c->mode == CFG_MODE_LONG) {
			guest_identity_map(FLAT_PT_BASE);
			st->cr3 = FLAT_PT_BASE;
		}
	}
	return 0;
}
