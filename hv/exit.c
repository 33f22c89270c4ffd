/* The common VM-exit dispatcher: one table indexed by exit kind. Handlers
 * reach the guest only through the backend operations. */
#include "hv.h"
#include "acpi.h"
#include "cpuid.h"
#include "gp.h"
#include "guest.h"
#include "gva.h"
#include "lapic.h"
#include "mce.h"
#include "msr.h"
#include "percpu.h"
#include "x86.h"
#include "../iommu/iommu.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define KEEL_HYPERCALL_VERSION 0x00000001u

/* Hypercall numbers (DESIGN.md, docs/hypercalls.md). */
#define HC_VERSION 0x0
#define HC_PUTC 0x1
#define HC_EXIT 0x2
#define HC_NEXT 0x3
#define HC_BIOS_FIRST 0x10     /* 0x10-0x1f: the BIOS shim's requests */
#define HC_BIOS_LAST 0x1f
#define HC_POWEROFF 0x84000008u /* PSCI SYSTEM_OFF */

#define PORT_PCI_CONFIG_ADDRESS 0xCF8 /* a 32-bit register; CF9h is its byte 1 */
#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_RST_CPU 0x04
#define PORT_KBC_DATA 0x60
#define PORT_KBC_COMMAND 0x64
#define KBC_CMD_WRITE_OUTPUT 0xD1
#define KBC_CMD_PULSE_FIRST 0xF0     /* F0h-FFh pulse output lines; bit 0 = reset */
#define KBC_OUTPUT_RESET_LINE 0x01   /* output port bit 0: 0 resets the CPU */
#define PORT_SYSCTL_A 0x92
#define SYSCTL_A_FAST_RESET 0x01
/* ACPI 4.8.3.2.1, PM1 control: SLP_TYP is bits 12:10 and SLP_EN bit 13,
 * both in the register's second byte. */
#define PM1_HIGH_SLP_EN (1u << 5)
#define PM1_HIGH_SLP_TYP(b) (((b) >> 2) & 7)

/* The fixed ports both backends put in their I/O permission maps, and the
 * ACPI PM1 control ports and reset register found at start-up
 * (hv_intercepted_ports()). */
static const u16 fixed_ports[] = { PORT_RESET_CONTROL, PORT_KBC_COMMAND, PORT_KBC_DATA,
				   PORT_SYSCTL_A };
/* Set once by hv_intercepted_ports() before the first guest. */
static u16 pm1_ports[2];
/* The FADT's reset register when it is a port (ACPI 5.2.9; most PCs name
 * 0xCF9, which Keel catches anyway): its port (0: none) and value. */
static u16 reset_reg_port;
static u8 reset_reg_value;

int hv_intercepted_ports(u16 *ports, int max)
{
	struct acpi_reset_reg rr;
	int n = 0;

	acpi_pm1_control_ports(pm1_ports);
	if (acpi_fadt_reset_reg(acpi_find_table("FACP"), &rr) && rr.space == ACPI_SPACE_IO &&
	    rr.address && rr.address <= 0xFFFF) {
		reset_reg_port = (u16)rr.address;
		reset_reg_value = rr.value;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(fixed_ports) && n < max; i++)
		ports[n++] = fixed_ports[i];
	/* Both bytes of each PM1 control register: SLP_EN is bit 13, so a
	 * byte write to the second one alone sleeps the machine. */
	for (int i = 0; i < 2; i++)
		for (u16 b = 0; b < 2 && pm1_ports[i] && n < max; b++)
			ports[n++] = (u16)(pm1_ports[i] + b);
	if (reset_reg_port && n < max)
		ports[n++] = reset_reg_port;
	return n;
}

typedef void (*exit_handler)(struct vcpu *v, const struct vmexit *e);

static void handle_unknown(struct vcpu *v, const struct vmexit *e);

static void advance(struct vcpu *v, const struct vmexit *e)
{
	v->ops->advance_rip(v, e);
}

static void handle_cpuid(struct vcpu *v, const struct vmexit *e)
{
	u32 leaf = (u32)vcpu_get_reg(v, VCPU_RAX), sub = (u32)vcpu_get_reg(v, VCPU_RCX);
	struct cpuid_regs r;

	cpuid(leaf, sub, &r.eax, &r.ebx, &r.ecx, &r.edx);
	if (cpuid_leaf_filtered(leaf)) {
		struct cpuid_ctx ctx = { cpuid_controls,
					 cpuid_reads_cr4(leaf) ? vcpu_get_reg(v, VCPU_CR4) : 0 };

		cpuid_filter(leaf, sub, &ctx, &r);
	}
	vcpu_set_reg(v, VCPU_RAX, r.eax);
	vcpu_set_reg(v, VCPU_RBX, r.ebx);
	vcpu_set_reg(v, VCPU_RCX, r.ecx);
	vcpu_set_reg(v, VCPU_RDX, r.edx);
	advance(v, e);
}

static void handle_hlt(struct vcpu *v, const struct vmexit *e)
{
	int vector;

	/* Single-stepping: the #DB that advance() leaves pending ends the HLT
	 * at once, as a pending event wakes a halted CPU, even with
	 * interrupts off. */
	if (vcpu_get_reg(v, VCPU_RFLAGS) & X86_RFLAGS_TF) {
		advance(v, e);
		return;
	}
	if (!v->ops->interrupts_enabled(v) && v->cpu->index == 0) {
		/* Only an NMI, SMI or INIT could end this halt. An SMI the guest
		 * raised just before may still be pending: SeaBIOS on q35 changes
		 * CPU mode through SMM (OUT to port B2h, then HLT until the SMI
		 * arrives), and under SVM the HLT intercept can win the race. So
		 * the HLT runs once more, where a pending SMI comes first; a
		 * second exit from it in a row stops the guest. */
		if (v->hlt_retry != v->total_exits) {
			v->hlt_retry = v->total_exits + 1;
			return;
		}
		advance(v, e);
		guest_stop(v, STOP_HLT, 0);
		return;
	}
	/* An AP's HLT with interrupts off halts it for good (Linux's CPUs at
	 * shutdown, an offline CPU): until an NMI, an INIT or the guest's
	 * end (the backend's wait_for_interrupt). */
	advance(v, e);
	/* The vector is whatever the guest programmed its PIC or APIC with
	 * (a real-mode guest's PIC uses 8-15). An NMI is left to arrive again
	 * in the guest. */
	vector = v->ops->wait_for_interrupt(v);
	if (vector >= 0 && vector != X86_EXC_NMI)
		v->ops->inject_interrupt(v, (u8)vector);
}

static u64 io_mask(u8 size)
{
	return size == 4 ? 0xFFFFFFFFull : size == 2 ? 0xFFFFull : 0xFFull;
}

/* Does writing byte val to port reset the machine? Every way a PC can be
 * reset from a port: the reset control register, the keyboard controller
 * (a pulse command with the reset line, or its output port written with the
 * reset bit low), and system control port A's fast reset. Returns the
 * printf format of the log line that says which (its one argument: val),
 * or NULL. */
static const char *reset_by_port(struct vcpu *v, u16 port, u8 val)
{
	if (port == PORT_RESET_CONTROL && (val & RESET_CONTROL_RST_CPU))
		return "port 0xcf9 value 0x%02x";
	if (port == reset_reg_port && port && val == reset_reg_value)
		return "the FADT's reset register, value 0x%02x";
	if (port == PORT_SYSCTL_A && (val & SYSCTL_A_FAST_RESET))
		return "port 0x92 value 0x%02x (fast reset)";
	if (port == PORT_KBC_COMMAND) {
		v->kbc_command = val; /* D1h: the next data byte is the output port */
		if (val >= KBC_CMD_PULSE_FIRST && !(val & KBC_OUTPUT_RESET_LINE))
			return "keyboard controller command 0x%02x";
	}
	if (port == PORT_KBC_DATA && v->kbc_command == KBC_CMD_WRITE_OUTPUT) {
		v->kbc_command = 0;
		if (!(val & KBC_OUTPUT_RESET_LINE))
			return "keyboard controller output port value 0x%02x";
	}
	return NULL;
}

/* The I/O exit's port, size and direction as one io_count_key(): struct
 * vmexit_io begins with exactly these, so one load reads them. */
_Static_assert(offsetof(struct vmexit_io, port) == 0 && offsetof(struct vmexit_io, size) == 2 &&
	       offsetof(struct vmexit_io, in) == 3 && sizeof(bool) == 1,
	       "io_key() reads port, size and in as one u32");
static u32 io_key(const struct vmexit_io *io)
{
	typedef u32 __attribute__((may_alias)) u32_alias;

	return *(const u32_alias *)io;
}

/* Is port the second byte of a PM1 control register? */
static bool pm1_high_byte(u16 port)
{
	return (pm1_ports[0] && port == pm1_ports[0] + 1) ||
	       (pm1_ports[1] && port == pm1_ports[1] + 1);
}

/* Only the ports in the permission map exit; everything but a reset is
 * done on the real port, as the guest asked. A wide access is checked
 * byte by byte: a 16-bit write can cover 0x64 or 0xCF9. */
static void do_io(struct vcpu *v, const struct vmexit *e)
{
	const struct vmexit_io *io = &e->io;
	u64 rax = vcpu_get_reg(v, VCPU_RAX), mask = io_mask(io->size);
	u32 val = (u32)(rax & mask);

	if (io->string) {
		guest_stop(v, STOP_UNHANDLED, e->reason);
		log_line("string I/O to intercepted port 0x%x is not supported", io->port);
		return;
	}
	if (!io->in) {
		/* A 32-bit write to CF8h is the PCI configuration address (PCI
		 * configuration mechanism #1) and never reaches CF9h, nor any
		 * other port: it goes straight through (Linux's PCI scans make
		 * most of a boot's I/O exits, docs/performance.md); narrower
		 * writes there are plain port writes and are checked. */
		bool pci_address = io->port == PORT_PCI_CONFIG_ADDRESS && io->size == 4;

		for (u8 i = 0; i < io->size && !pci_address; i++) {
			u8 b = (u8)(val >> (8 * i));
			const char *how = reset_by_port(v, (u16)(io->port + i), b);
			char what[64];

			if (how) {
				fmt_snprintf(what, sizeof(what), how, b);
				log_line("guest reset request: %s", what);
				guest_stop(v, STOP_RESET, 0);
				return;
			}
		}
		for (u8 i = 0; i < io->size && !pci_address; i++) {
			u16 port = (u16)(io->port + i);
			u8 b = (u8)(val >> (8 * i));

			if (!pm1_high_byte(port) || !(b & PM1_HIGH_SLP_EN))
				continue;
			/* The guest asks for a sleep state (S5 is its power-off):
			 * the machine is Keel's, so the guest stops here. */
			log_line("guest asked for ACPI sleep state SLP_TYP=%u (port 0x%x): power off",
				 PM1_HIGH_SLP_TYP(b), port - 1u);
			guest_stop(v, STOP_POWEROFF, 0);
			return;
		}
		if (io->size == 1)
			outb(io->port, (u8)val);
		else if (io->size == 2)
			outw(io->port, (u16)val);
		else
			outl(io->port, val);
	} else {
		u32 in = io->size == 1 ? inb(io->port) : io->size == 2 ? inw(io->port) : inl(io->port);

		vcpu_set_reg(v, VCPU_RAX, (rax & ~mask) | in);
	}
	advance(v, e);
}

/* Counted after the work, when nothing else needs the exit's fields. */
static void handle_io(struct vcpu *v, const struct vmexit *e)
{
	do_io(v, e);
	io_count(&v->io_exits, io_key(&e->io));
}

static void inject_gp(struct vcpu *v)
{
	v->ops->inject_exception(v, X86_EXC_GP, true, 0);
}

/* Each vCPU has its own line: two CPUs' output never mixes in one. */
static void guest_putc(struct vcpu *v, char c)
{
	/* A guest must not forge Keel's own lines: no carriage returns, form
	 * feeds or escape sequences get into the log (docs/security.md). */
	if (((u8)c < 0x20 && c != '\n' && c != '\t') || (u8)c == 0x7F)
		c = '?';
	if (c != '\n' && v->line_len < VCPU_LINE_MAX - 1) {
		v->line[v->line_len++] = c;
		return;
	}
	v->line[v->line_len] = 0;
	log_line("[%s] %s", v->guest->name, v->line);
	v->line_len = 0;
	if (c != '\n')
		v->line[v->line_len++] = c;
}

/* Is the guest at the reset vector, where Keel's copy of the ROM page
 * holds the hypercall instruction (hv/guest.c)? In real mode IP is a
 * multiple of 16 there, which spares most hypercalls reading CS. */
static bool at_reset_vector(struct vcpu *v)
{
	u64 rip = vcpu_get_reg(v, VCPU_RIP);

	return !(rip & 0xF) &&
	       ((vcpu_get_reg(v, VCPU_CS_BASE) + rip) & 0xFFFFFFFFull) == RESET_VECTOR_LINEAR;
}

static void handle_hypercall(struct vcpu *v, const struct vmexit *e)
{
	u64 fn = vcpu_get_reg(v, VCPU_RAX), arg = vcpu_get_reg(v, VCPU_RBX);
	u64 ret = 0;

	if (at_reset_vector(v)) {
		log_line("guest reset request: jump to the reset vector (F000:FFF0)");
		guest_stop(v, STOP_RESET, 0);
		return;
	}

	switch (fn) {
	case HC_VERSION:
		ret = KEEL_HYPERCALL_VERSION;
		break;
	case HC_PUTC:
		guest_putc(v, (char)arg);
		break;
	case HC_EXIT:
		guest_stop(v, STOP_EXIT_CODE, arg);
		break;
	case HC_NEXT:
		guest_stop(v, STOP_NEXT, 0);
		break;
	case HC_POWEROFF:
		guest_stop(v, STOP_POWEROFF, 0);
		break;
	default:
		if (fn >= HC_BIOS_FIRST && fn <= HC_BIOS_LAST && bios_hypercall(v, fn)) {
			advance(v, e);
			return;
		}
		ret = (u64)-1; /* unknown: -1 and nothing else changes */
		break;
	}
	vcpu_set_reg(v, VCPU_RAX, ret);
	advance(v, e);
}

static void handle_virt_insn(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	/* The guest sees a CPU without VMX or SVM: such instructions are #UD. */
	v->ops->inject_exception(v, X86_EXC_UD, false, 0);
}

static void handle_shutdown(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	log_line("guest triple fault (shutdown) at rip=0x%llx",
		 (unsigned long long)vcpu_get_reg(v, VCPU_RIP));
	guest_stop(v, STOP_SHUTDOWN, 0);
}

static void handle_npf(struct vcpu *v, const struct vmexit *e)
{
	gpa_t gpa = e->npf.gpa;
	bool keel = gpa >= hv_region.base && gpa - hv_region.base < hv_region.size;

	if (lapic_npf(v, e))
		return;
	log_line("guest %s at 0x%llx (%s) rip=0x%llx: stopped",
		 e->npf.exec ? "fetch" : e->npf.write ? "write" : "read", (unsigned long long)gpa,
		 keel ? "Keel's region" : iommu_registers(gpa) ? "IOMMU registers" : "no memory there",
		 (unsigned long long)vcpu_get_reg(v, VCPU_RIP));
	guest_stop(v, STOP_FAULT, gpa);
}

static void handle_xsetbv(struct vcpu *v, const struct vmexit *e)
{
	u32 idx = (u32)vcpu_get_reg(v, VCPU_RCX);
	u64 val = (vcpu_get_reg(v, VCPU_RDX) << 32) | (u32)vcpu_get_reg(v, VCPU_RAX);
	u32 a, b, c, d;

	/* Anything the CPU would refuse is #GP in the guest (SDM vol. 1
	 * 13.3, xcr0_valid()); letting it through would fault in Keel, and
	 * xsetbv_safe() catches what the rules missed. Keel's CR4.OSXSAVE is
	 * set (hv_cpu_init()). */
	cpuid(0xD, 0, &a, &b, &c, &d);
	if (idx != 0 || !xcr0_valid(val, (u64)d << 32 | a) || xsetbv_safe(idx, val)) {
		inject_gp(v);
		return;
	}
	advance(v, e);
}

static void handle_invd(struct vcpu *v, const struct vmexit *e)
{
	/* Dropping dirty lines could lose Keel's own data: write them back. */
	__asm__ volatile("wbinvd" ::: "memory");
	advance(v, e);
}

/* A MOV to CR0, CR3 or CR4 that Keel does for the guest and that leaves
 * it in PAE paging: the CPU would load the four PDPTEs from CR3 (SDM
 * 4.4.1); with EPT, VM entry takes them from the VMCS instead (SDM
 * 27.3.2.4), so the backend gets them here. Writes the register; -1 for
 * the guest's #GP (a reserved bit in a present PDPTE, or no memory). */
static int pae_pdptes_load(struct vcpu *v, enum vcpu_reg cr, u64 val)
{
	u64 cr0 = cr == VCPU_CR0 ? val : vcpu_get_reg(v, VCPU_CR0);
	u64 cr3 = cr == VCPU_CR3 ? val : vcpu_get_reg(v, VCPU_CR3);
	u64 cr4 = cr == VCPU_CR4 ? val : vcpu_get_reg(v, VCPU_CR4);
	u64 pdpte[4];
	u32 a, b, c, d;

	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (vcpu_get_reg(v, VCPU_EFER) & EFER_LME)) {
		vcpu_set_reg(v, cr, val);
		return 0;
	}
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	if (gva_pae_pdptes(cr3, (u8)a, guest_read_entry, NULL, pdpte))
		return -1;
	vcpu_set_reg(v, cr, val);
	if (v->ops->load_pdptes)
		v->ops->load_pdptes(v, pdpte);
	return 0;
}

/* Control-register accesses that exit: on VMX the bits under the CR0/CR4
 * guest/host masks (the guest sees its read shadow; the backend keeps the
 * fixed bits set), and CR3 where a CPU forces CR3 exiting. */
static void handle_cr(struct vcpu *v, const struct vmexit *e)
{
	const struct vmexit_cr *c = &e->cr;
	enum vcpu_reg cr = c->cr == 0 ? VCPU_CR0 : c->cr == 3 ? VCPU_CR3 : VCPU_CR4;
	u64 val;

	if (c->cr != 0 && c->cr != 3 && c->cr != 4) {
		handle_unknown(v, e);
		return;
	}
	if (c->clts) {
		vcpu_set_reg(v, VCPU_CR0, vcpu_get_reg(v, VCPU_CR0) & ~CR0_TS);
	} else if (c->lmsw) {
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM LMSW). */
		val = vcpu_get_reg(v, VCPU_CR0);
		val = (val & ~0xEull) | (c->lmsw_source & 0xF) | (val & CR0_PE);
		vcpu_set_reg(v, VCPU_CR0, val);
	} else if (c->write) {
		val = vcpu_get_reg(v, (enum vcpu_reg)c->gpr);
		if (pae_pdptes_load(v, cr, val)) {
			inject_gp(v);
			return;
		}
	} else {
		vcpu_set_reg(v, (enum vcpu_reg)c->gpr, vcpu_get_reg(v, cr));
	}
	advance(v, e);
}

/* The watchdog a guest line asked for (watchdog=SECONDS, VT-x's
 * preemption timer): a second passed with no exit at all. A guest that
 * has interrupts off at the end of each of SECONDS such seconds in a row
 * can never give the CPU back: it stops. Any exit, or interrupts on,
 * starts the count again; no guest runs with a watchdog unless its line
 * asks (docs/config.md). */
static void handle_preempt(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	if (v->ops->interrupts_enabled(v)) {
		v->stuck_periods = 0;
		return;
	}
	if (++v->stuck_periods < v->watchdog)
		return;
	log_line("guest looped with interrupts off and no exit for %u s (watchdog=%u, "
		 "rip=0x%llx): stopped", v->stuck_periods, v->watchdog,
		 (unsigned long long)vcpu_get_reg(v, VCPU_RIP));
	guest_stop(v, STOP_STUCK, 0);
}

/* VT-x: INIT and start-up IPIs reach a vCPU as exits (SDM vol. 3C 25.2,
 * 26.6); AMD-V gets them by mail instead (hv/lapic.c). hv/vcpu.c. */
static void handle_init(struct vcpu *v, const struct vmexit *e)
{
	(void)e;
	vcpu_init_signal(v);
}

static void handle_sipi(struct vcpu *v, const struct vmexit *e)
{
	vcpu_sipi(v, (u8)e->info1);	/* the exit qualification: the vector */
}

static void handle_nothing(struct vcpu *v, const struct vmexit *e)
{
	(void)v;
	(void)e;
}

static void handle_unknown(struct vcpu *v, const struct vmexit *e)
{
	log_line("unhandled exit %s (code 0x%llx) rip=0x%llx info1=0x%llx info2=0x%llx",
		 vmexit_kind_name(e->kind), (unsigned long long)e->reason,
		 (unsigned long long)vcpu_get_reg(v, VCPU_RIP), (unsigned long long)e->info1,
		 (unsigned long long)e->info2);
	guest_stop(v, STOP_UNHANDLED, e->reason);
}

/* The exceptions Keel intercepts: #MC on both vendors (logged, then
 * handed back by guest_events_deliver()), #GP on AMD-V (hv/gp.c). */
static void handle_exception(struct vcpu *v, const struct vmexit *e)
{
	if (e->exc.vector == X86_EXC_MC)
		mce_report("the guest", vcpu_get_reg(v, VCPU_RIP));
	else if (e->exc.vector != X86_EXC_GP)
		handle_unknown(v, e);
	else if (!gp_intercept(v, e))
		handle_shutdown(v, e);
}

static const exit_handler exit_handlers[VMEXIT_KIND_COUNT] = {
	[VMEXIT_UNKNOWN] = handle_unknown,
	[VMEXIT_CPUID] = handle_cpuid,
	[VMEXIT_HLT] = handle_hlt,
	[VMEXIT_IO] = handle_io,
	[VMEXIT_MSR] = handle_msr,
	[VMEXIT_CR] = handle_cr,
	[VMEXIT_XSETBV] = handle_xsetbv,
	[VMEXIT_INVD] = handle_invd,
	[VMEXIT_NPF] = handle_npf,
	[VMEXIT_EXCEPTION] = handle_exception,
	[VMEXIT_HYPERCALL] = handle_hypercall,
	[VMEXIT_VIRT_INSN] = handle_virt_insn,
	[VMEXIT_SHUTDOWN] = handle_shutdown,
	[VMEXIT_INIT] = handle_init,
	[VMEXIT_SIPI] = handle_sipi,
	[VMEXIT_INTR] = handle_nothing,
	[VMEXIT_NMI] = handle_nothing,
	[VMEXIT_PREEMPT] = handle_preempt,
	[VMEXIT_INVALID] = handle_unknown,
};

void exit_dispatch(struct vcpu *v, const struct vmexit *e)
{
	exit_handler h = e->kind < VMEXIT_KIND_COUNT ? exit_handlers[e->kind] : handle_unknown;

	if (e->kind != VMEXIT_PREEMPT)
		v->stuck_periods = 0; /* an exit: the guest is not stuck */
	h(v, e);
	if (guest_events_noted)
		guest_events_deliver(v);
}
