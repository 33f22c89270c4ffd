/* AMD-Vi's in-memory structures: see iommu/amdvi.h. Pure: built for the
 * host by the unit tests. */
#include "amdvi.h"
#include "../lib/string.h"

/* A directory entry names the level of the table it points at (2.2.3);
 * access rights are the AND of every level's IR and IW, so directories
 * allow both and the leaves decide. */
static u64 pt_table_entry(hpa_t next, int level)
{
	return (next & AMDVI_ADDR_MASK) | AMDVI_PTE_PR | (u64)(level - 1) << 9 |
	       AMDVI_PTE_IR | AMDVI_PTE_IW;
}

/* Next level 0 makes an entry a leaf whose page is as large as what its
 * table's level covers (2 MiB in a level-2 table). FC asks for a coherent
 * access whatever the device's no-snoop attribute. */
static u64 pt_leaf_entry(hpa_t pa, int level, enum pt_mem_type type)
{
	(void)level;
	(void)type;
	return (pa & AMDVI_ADDR_MASK) | AMDVI_PTE_PR | AMDVI_PTE_FC | AMDVI_PTE_IR |
	       AMDVI_PTE_IW;
}

static bool pt_present(u64 e)
{
	return e & AMDVI_PTE_PR;
}

/* Next level 7 is a leaf with an encoded page size; Keel writes none but
 * reads it as a leaf all the same. */
static bool pt_is_leaf(u64 e, int level)
{
	unsigned next = AMDVI_PTE_NEXT_LEVEL(e);

	return level == 1 || next == 0 || next == 7;
}

const struct pt_format amdvi_pt_format = {
	.name = "amd-vi",
	.table_entry = pt_table_entry,
	.leaf_entry = pt_leaf_entry,
	.present = pt_present,
	.is_leaf = pt_is_leaf,
	.addr_mask = AMDVI_ADDR_MASK,
	.write_bit = AMDVI_PTE_IW,
	.large_2m = true,
	.large_1g = false,
};

u64 amdvi_deny_entry(hpa_t table)
{
	return (table & AMDVI_ADDR_MASK) | AMDVI_PTE_PR | (u64)1 << 9;
}

/* DTE (2.2.2.1): V, TV, the paging mode (levels) and the root in the first
 * quadword with IR and IW; the domain in the second; IV clear in the
 * third, so interrupts are forwarded as they come (Keel does not remap
 * interrupts: docs/security.md). */
void amdvi_fill_dte(u64 *dte, hpa_t root, unsigned levels)
{
	dte[0] = AMDVI_DTE_V | AMDVI_DTE_TV | (u64)(levels & 7) << AMDVI_DTE_MODE_SHIFT |
		 (root & AMDVI_ADDR_MASK) | AMDVI_DTE_IR | AMDVI_DTE_IW;
	dte[1] = AMDVI_DOMAIN;
	dte[2] = 0;
	dte[3] = 0;
}

/* COMPLETION_WAIT (2.4.1): with S set, the IOMMU writes data to store
 * (8-byte aligned, bits 51:3) once every command before it is done. */
void amdvi_cmd_completion_wait(u64 *cmd, hpa_t store, u64 data)
{
	cmd[0] = AMDVI_CMD_OPCODE(AMDVI_CMD_COMPLETION_WAIT) | (store & 0x000FFFFFFFFFFFF8ull) |
		 AMDVI_COMPLETION_WAIT_S;
	cmd[1] = data;
}

void amdvi_cmd_inv_devtab_entry(u64 *cmd, u16 devid)
{
	cmd[0] = AMDVI_CMD_OPCODE(AMDVI_CMD_INV_DEVTAB_ENTRY) | devid;
	cmd[1] = 0;
}

/* INVALIDATE_IOMMU_PAGES (2.4.3) with S and PDE set and the address
 * 7FFF_FFFF_FFFF_F000h: every page and directory entry of the domain. */
void amdvi_cmd_inv_all_pages(u64 *cmd, u16 domain)
{
	cmd[0] = AMDVI_CMD_OPCODE(AMDVI_CMD_INV_IOMMU_PAGES) | (u64)domain << 32;
	cmd[1] = 0x7FFFFFFFFFFFF000ull | 2 | 1;
}

void amdvi_cmd_inv_all(u64 *cmd)
{
	cmd[0] = AMDVI_CMD_OPCODE(AMDVI_CMD_INV_IOMMU_ALL);
	cmd[1] = 0;
}

static const char *const events[] = {
	[1] = "amd-vi: illegal device table entry",
	[3] = "amd-vi: device table hardware error",
	[4] = "amd-vi: page table hardware error",
	[5] = "amd-vi: illegal command",
	[6] = "amd-vi: command hardware error",
	[7] = "amd-vi: IOTLB invalidation timeout",
	[8] = "amd-vi: invalid device request",
};

/* Event log entry (2.5): the device at bits 15:0, the code at 63:60 and,
 * for IO_PAGE_FAULT (2.5.3), RW at bit 53 and I (an interrupt request)
 * at bit 51 of the first quadword; the address in the second. */
void amdvi_decode_event(const u64 *ev, struct iommu_fault *f)
{
	unsigned code = AMDVI_EVENT_CODE(ev[0]);

	*f = (struct iommu_fault){
		.bdf = AMDVI_EVENT_DEVID(ev[0]),
		.addr = ev[1],
		.write = ev[0] & AMDVI_EVENT_RW,
	};
	if (code == AMDVI_EVENT_IO_PAGE_FAULT && (ev[0] & AMDVI_EVENT_I))
		f->what = "amd-vi: blocked interrupt request";
	else if (code != AMDVI_EVENT_IO_PAGE_FAULT)
		f->what = code < sizeof(events) / sizeof(events[0]) && events[code] ? events[code]
										    : "amd-vi: event";
}
