/* The hypervisor core's common declarations. */
#ifndef KEEL_HV_H
#define KEEL_HV_H

#include "../lib/types.h"
#include "../lib/hvimage.h"
#include "../lib/io.h"

#define PAGE_SIZE 4096u

#define KEEL_VERSION "0.1"

/* Logging (hv/log.c): every line starts with "keel: " (docs/log.md). */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "keel: FATAL: ...", then the machine stops: emulators exit with code 3,
 * a real machine halts with the message on screen. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* " on cpu N" on an AP, "" on the bootstrap CPU: for lines that name it. */
const char *cpu_suffix(void);

void hv_halt(void) __attribute__((noreturn));

/* Keel's region (hv/mem.c). All of RAM, and everything below 4 GiB, is
 * identity-mapped in the hypervisor's page tables, so a host-physical
 * address there is also a pointer (guest RAM included: check it with
 * guest_ram() first). The image itself runs at HV_VIRT_BASE. */
struct hv_region {
	hpa_t base;
	u64 size;         /* shrinks when finished guests' files go back (region_give_back) */
	hpa_t heap_start; /* first free byte after the image and the hand-off */
	hpa_t heap_end;   /* the first file (lib/region.h: files sit at the top) */
	unsigned cpus;    /* processors the MADT lists (the region is sized per CPU) */
};
extern struct hv_region hv_region;

static inline void *phys_to_virt(hpa_t pa)
{
	return flat_ptr((uintptr_t)pa);
}

hpa_t virt_to_phys(const void *p);

void mem_init(hpa_t base, u64 size, hpa_t heap_start, hpa_t heap_end);
/* One zeroed 4 KiB page from the region, or 0 when none is left. */
hpa_t page_alloc(void);
/* n contiguous zeroed pages, aligned to align bytes, or 0. */
hpa_t pages_alloc(unsigned n, u64 align);
/* page_alloc() for page tables and the pages guests' tables point at
 * (counted as tables= in `keel: region use`, not as per-CPU state). */
hpa_t table_page_alloc(void);
u64 pages_free(void);
/* `keel: region use ...`: where the region went (docs/log.md). */
void mem_report(void);
/* Ends the region at new_end (4 KiB aligned, at or above the heap's end):
 * what lay above goes back to guests. */
void region_give_back(hpa_t new_end);
/* hv/ptbuild.c's callbacks for tables on Keel's heap (EPT/NPT, IOMMU). */
hpa_t heap_table_alloc(void *ctx);
void *heap_table_ptr(hpa_t pa, void *ctx);
void paging_init(void);
/* Clears CR0.CD and CR0.NW (after WBINVD) on this CPU; true when either
 * was set. VT-x leaves the guest's CD and NW in CR0 across VM exits. */
bool cache_enable(void);

/* Descriptor tables and exceptions (hv/trap.c). */
void trap_init(void);

/* Halt until an interrupt arrives; returns its vector, or -1 when an NMI
 * or another CPU wanted this CPU's attention first (hv/idle.c). */
int idle_wait(void);
/* The idle IDT and the NMI windows of hv/idle_stubs.asm: once, early. */
void idle_init(void);
/* Interrupts off; halts until this CPU's attention word is set. */
void halt_until_attention(void);

/* The TSC's rate in Hz, measured once against the PIT (hv/tsc.c); 0
 * when neither the PIT nor CPUID tells. */
u64 tsc_hz(void);

/* Power (hv/power.c). */
void power_off(int code) __attribute__((noreturn));

/* CPU detection (hv/cpu.c). */
enum cpu_vendor { CPU_VENDOR_OTHER, CPU_VENDOR_INTEL, CPU_VENDOR_AMD };
struct cpu_info {
	enum cpu_vendor vendor;
	char vendor_id[13];
	u32 max_leaf, max_ext_leaf;
	const char *backend;  /* "vmx", "svm", or NULL */
	const char *problem;  /* why the CPU cannot host guests, or NULL */
};
void cpu_detect(struct cpu_info *ci);
/* Keel's own CR4 on this CPU (the bootstrap CPU and each AP): #MC
 * reported rather than a shutdown, XSETBV allowed. */
void hv_cpu_init(void);
/* Is CR4.OSXSAVE set on this CPU (hv_cpu_init() sets it where it is safe)? */
bool hv_osxsave(void);
bool cpu_has_1g_pages(void);
unsigned cpu_phys_bits(void);

/* Sets bit n of a permission map (I/O and MSR bitmaps, IOPM, MSRPM). */
static inline void bitmap_set(u8 *map, u32 n)
{
	map[n / 8] |= (u8)(1u << (n % 8));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

/* WRMSR of a value a guest chose: 0, or -1 when the CPU refused it with
 * #GP (hv/isr.asm; the fault is taken and undone in Keel). */
int wrmsr_safe(u32 msr, u64 v);
/* RDMSR into *v, or -1 when the CPU refused (#GP); XSETBV likewise. */
int rdmsr_safe(u32 msr, u64 *v);
int xsetbv_safe(u32 xcr, u64 v);

#endif
