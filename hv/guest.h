/* A guest: one `guest` line of the chosen entry, run to its stop. */
#ifndef KEEL_GUEST_H
#define KEEL_GUEST_H

#include "../lib/config.h"
#include "../lib/memmap.h"
#include "percpu.h"
#include "vcpu.h"

#define GUEST_NAME_MAX 16

struct guest {
	int index;                      /* 1-based position in the entry */
	char name[GUEST_NAME_MAX];      /* its file's 8.3 name, or "partition N" */
	const struct cfg_guest *cfg;
	u32 ncpus;                      /* its vCPUs: the bootstrap CPU and ncpus - 1 APs */
	u8 member[CPU_MAX];             /* by CPU index: is it one of them? */
	/* Under guest_lock (hv/guest.c): */
	bool stopping;                  /* no more vCPUs join; every one leaves */
	enum stop_reason stop;          /* the first stop any vCPU met */
	u64 stop_code;
};

/* Runs the entry's guests in order on the bootstrap CPU's vCPU (the APs
 * join each at its start-up IPI), then does what `after` says. */
void guests_run(const struct cfg_entry *e) __attribute__((noreturn));

/* hv/vcpu.c: the loop a CPU runs its vCPU in; returns on the bootstrap
 * CPU once it left its guest, never on an AP. */
void vcpu_loop(struct vcpu *v);
/* From now on INIT and start-up IPIs reach vCPUs by mail (hv/lapic.c)
 * and they wait for them in Keel, not in the wait-for-SIPI state. */
void vcpu_set_sipi_by_mail(void);
bool vcpu_sipi_by_mail(void);
/* The state INIT and a start-up IPI with this vector leave a CPU in. */
void vcpu_init_state(struct guest_start *st, u8 vector);
/* v waits for a start-up IPI from here on (VT-x: it enters the guest in
 * the wait-for-SIPI activity state, with the INIT state loaded). */
void vcpu_wait_for_sipi(struct vcpu *v);
/* An INIT for v: back to waiting for SIPI, or its guest's reset when v
 * is the guest's bootstrap CPU. */
void vcpu_init_signal(struct vcpu *v);
/* A start-up IPI with this vector for v: it joins the running guest if it
 * waits and is one of that guest's CPUs. */
void vcpu_sipi(struct vcpu *v, u8 vector);

/* hv/guest.c, for the vCPU loop: the running guest, which v then runs
 * (state VCPU_RUNNING), or NULL when there is none or v is not one of its
 * CPUs. */
struct guest *guest_join(struct vcpu *v);
/* How many CPUs Keel runs vCPUs on: what cpus= may ask for at most. */
u32 cpus_for_guests(void);
/* v met a stop (guest_stop): the first one is the guest's; every other
 * vCPU of the guest is told to leave it. */
void guest_stopped_by(struct vcpu *v);

/* Is [gpa, gpa+len) guest RAM (in the machine's map, outside Keel's
 * region)? Loaders check every range they write. */
bool guest_ram(gpa_t gpa, u64 len);

/* An identity map of the first 4 GiB in 2 MiB pages at guest-physical
 * base (PML4, PDPT, four page directories: GUEST_IDMAP_PAGES pages), for
 * guests entered in long mode. */
#define GUEST_IDMAP_PAGES 6
void guest_identity_map(gpa_t base);

/* Guest-physical memory for a backend: the ranges guests may use (Keel's
 * region left out) mapped 1:1 in the nested-paging format fmt, except the
 * APIC page (read-only) and the BIOS's last page (a copy with the backend's
 * hypercall instruction at the reset vector). Returns how many ranges were
 * mapped, or -1. */
struct pt_builder;
struct pt_format;
int guest_map_memory(struct pt_builder *b, const struct pt_format *fmt, const u8 *hypercall);
/* Where that map ends: the CPU's physical-address width, capped at 2^48
 * (and at 1 TiB when fmt has no 1 GiB leaves). */
u64 guest_map_top(const struct pt_format *fmt);

/* The real-mode reset vector, F000:FFF0, and the page that holds it. */
#define RESET_VECTOR_LINEAR 0xFFFF0ull
#define RESET_VECTOR_PAGE 0xFF000ull

/* The loaded file of that name (a Multiboot module from stage 2). */
const void *guest_file(const char *name, u64 *size);

/* Loaders (guest/): fill *st, or return -1 after logging why. */
int flat_load(struct guest *g, struct guest_start *st);
int bios_load(struct vcpu *v, struct guest *g, struct guest_start *st);
int multiboot_load(struct guest *g, struct guest_start *st);
int linux_load(struct guest *g, struct guest_start *st);

/* The memory map guests are shown: the machine's, without Keel's region.
 * Returns the count, or -1. */
int guest_memmap(struct mem_range *out, int max);

/* BIOS-shim hypercalls 0x10-0x1f (guest/bios.c, docs/bios-shim.md): true
 * when fn was handled (RAX and guest memory updated); false leaves it to
 * the caller, which answers -1. */
bool bios_hypercall(struct vcpu *v, u64 fn);

/* The exit dispatcher (hv/exit.c). */
int hv_intercepted_ports(u16 *ports, int max);
void exit_dispatch(struct vcpu *v, const struct vmexit *e);
void guest_stop(struct vcpu *v, enum stop_reason why, u64 code);
const char *stop_reason_name(enum stop_reason why);

#endif
