/* The interface between the common IOMMU code (iommu/iommu.c) and the two
 * drivers (iommu/vtd.c, iommu/amdvi.c), as hv/ talks to vmx/ and svm/
 * through struct hv_backend. */
#ifndef KEEL_IOMMU_DRIVER_H
#define KEEL_IOMMU_DRIVER_H

#include "acpi_iommu.h"
#include "../hv/ptbuild.h"

/* One blocked DMA (or another event a unit reports), decoded. */
struct iommu_fault {
	u16 bdf;		/* requester: bus << 8 | device << 3 | function */
	u64 addr;		/* the address it asked for (VT-d: its page) */
	bool write;
	const char *what;	/* NULL: a blocked access; else the event's name */
	bool anonymous;		/* what says it all: no device or address known */
};

typedef void (*iommu_report_fn)(const struct iommu_fault *f);

struct iommu_driver {
	const char *name;		/* "vt-d", "amd-vi": the words of the log line */
	const char *table;		/* "DMAR", "IVRS" */
	int (*parse)(const void *table, u64 len, struct iommu_acpi *out, const char **why);
	/* The translation-table format every unit of this kind can walk
	 * (hv/ptbuild.c); probe() narrows a copy. */
	const struct pt_format *format;
	/* Reads unit i's capabilities. Clears what it cannot walk in *fmt
	 * (large pages), lowers *limit to the addresses it translates, may
	 * widen u->size to its whole register window. 0, or -1 and *why. */
	int (*probe)(int i, struct iommu_unit *u, struct pt_format *fmt, u64 *limit,
		     const char **why);
	/* Points every device behind unit i at the tables pt (built with the
	 * narrowed format, below the limit) and turns translation on.
	 * 0, or -1 and *why. */
	int (*enable)(int i, struct iommu_unit *u, const struct pt_builder *pt,
		      const char **why);
	/* Reads unit i's fault log: report() for each entry. Returns how
	 * many faults the unit dropped because its log was full. */
	unsigned (*poll)(int i, struct iommu_unit *u, iommu_report_fn report);
};

extern const struct iommu_driver vtd_driver;
extern const struct iommu_driver amdvi_driver;

/* Memory-mapped registers (below 4 GiB, where Keel's page tables map
 * everything 1:1; both drivers check that first). */
static inline u32 mmio_read32(u64 a)
{
	return *(volatile u32 *)(uintptr_t)a;
}

static inline u64 mmio_read64(u64 a)
{
	return *(volatile u64 *)(uintptr_t)a;
}

static inline void mmio_write32(u64 a, u32 v)
{
	*(volatile u32 *)(uintptr_t)a = v;
}

static inline void mmio_write64(u64 a, u64 v)
{
	*(volatile u64 *)(uintptr_t)a = v;
}

/* Spins until (the bytes-wide register at reg & mask) == want, for
 * about a second (IOMMU_SPIN port 80h writes of about a microsecond); 0,
 * or -1 when the unit never got there. */
#define IOMMU_SPIN 1000000
int iommu_wait(u64 reg, unsigned bytes, u64 mask, u64 want);

#endif
