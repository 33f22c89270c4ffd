/* Device DMA protection (DESIGN.md "Guests", "Device DMA"): what hv/ asks
 * of the IOMMU code. Where the firmware describes IOMMUs (ACPI DMAR for
 * Intel VT-d, IVRS for AMD-Vi), Keel programs every unit so that devices
 * reach guest memory 1:1 and never Keel's region, hides the table and the
 * units' registers from guests, and reports what the units block. */
#ifndef KEEL_IOMMU_H
#define KEEL_IOMMU_H

#include "../lib/types.h"

struct pt_range;

/* Finds the IOMMUs, builds their translation, turns it on and logs one
 * line: `iommu: vt-d, N units, Keel's region closed to device DMA` (or
 * amd-vi), or why not (`iommu: none found: device DMA can reach Keel's
 * region`). Once, before the first guest. */
void iommu_init(void);

/* Takes the units' register windows out of a guest map r[0..n) (so that a
 * guest touching them gets a nested-page fault). Returns the new count,
 * or -1 when max is too small. */
int iommu_close_registers(struct pt_range *r, int n, int max);

/* Is gpa inside a unit's register window? (For the fault's log line.) */
bool iommu_registers(u64 gpa);

/* Is translation on (Keel's region closed to device DMA)? Memory Keel
 * gives back to guests would stay closed to their devices, so hv/guest.c
 * gives nothing back then. */
bool iommu_active(void);

/* After a VM exit: reads the units' fault logs when enough time has passed
 * since the last look, one log line per blocked access (a few per guest).
 * The guest runs on: nothing reached Keel (docs/security.md). */
void iommu_poll(void);

/* When a guest stops, before its stop line: reads the fault logs once
 * more and says how many blocked accesses were not logged. */
void iommu_guest_done(void);

#endif
