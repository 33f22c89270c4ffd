/* What the firmware's ACPI tables say about the IOMMUs: the DMAR (Intel
 * VT-d spec, chapter 8, "BIOS Considerations") and the IVRS (AMD I/O
 * Virtualization Technology (IOMMU) Specification, chapter 5, "I/O
 * Virtualization ACPI Table"), reduced to what Keel needs: where each
 * unit's registers are, and which memory ranges the firmware reserves
 * for devices (VT-d RMRR, AMD-Vi IVMD), which must stay reachable by DMA.
 *
 * The parsers are pure: they read only [table, table+len) and are built
 * for the host by the unit tests and the fuzzer. */
#ifndef KEEL_ACPI_IOMMU_H
#define KEEL_ACPI_IOMMU_H

#include "../lib/types.h"

#define IOMMU_MAX_UNITS 16
#define IOMMU_MAX_UNITY 32
#define IOMMU_REG_PAGE 4096u

/* One remapping unit: a VT-d DRHD or an AMD-Vi IVHD. */
struct iommu_unit {
	u64 base;		/* its register window */
	u64 size;		/* bytes, a multiple of 4 KiB */
	u16 segment;		/* PCI segment */
	u16 flags;		/* DRHD flags (INCLUDE_PCI_ALL) or IVHD flags */
	u16 devid;		/* AMD-Vi: the IOMMU's own PCI function (bus << 8 | devfn) */
	u16 cap_offset;		/* AMD-Vi: its capability block in configuration space */
};

/* [base, end): a range the firmware reserves for device DMA, rounded
 * outward to 4 KiB pages. */
struct iommu_range {
	u64 base, end;
};

struct iommu_acpi {
	int nunits;
	struct iommu_unit unit[IOMMU_MAX_UNITS];
	int nunity;
	struct iommu_range unity[IOMMU_MAX_UNITY];
	u8 addr_bits;		/* DMAR host address width, IVRS PA size; 0 if unknown */
};

/* DMAR structure types (VT-d spec 8.2) and DRHD flags (8.3). */
#define DMAR_TYPE_DRHD 0
#define DMAR_TYPE_RMRR 1
#define DRHD_INCLUDE_PCI_ALL 0x01

/* IVRS block types (AMD IOMMU spec 5.2.2): IVHD 10h/11h/40h describe
 * one IOMMU each (a firmware may describe the same IOMMU in more than one
 * type), IVMD 20h-22h a memory block. */
#define IVRS_IVHD_10 0x10
#define IVRS_IVHD_11 0x11
#define IVRS_IVHD_40 0x40
#define IVRS_IVMD_ALL 0x20
#define IVRS_IVMD_ONE 0x21
#define IVRS_IVMD_RANGE 0x22
#define IVMD_FLAG_UNITY 0x01
#define IVMD_FLAG_EXCLUSION 0x08

/* Both return how many units the table describes (0 or more), or -1 with
 * *why saying what is wrong with it. A table Keel cannot honour in full
 * (more units or reserved ranges than it keeps) is refused too: a partial
 * reading would leave devices with the wrong translation. */
int dmar_parse(const void *table, u64 len, struct iommu_acpi *out, const char **why);
int ivrs_parse(const void *table, u64 len, struct iommu_acpi *out, const char **why);

#endif
