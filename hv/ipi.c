/* See hv/ipi.h. */
#include "ipi.h"

/* Does a logical destination select this CPU (SDM 11.6.2.2)? */
static bool logical_match(const struct ipi_self *s, u32 dest)
{
	if (s->x2apic)	/* cluster in bits 31:16, a member bitmap in 15:0 */
		return (dest >> 16) == (s->ldr >> 16) && (dest & s->ldr & 0xFFFF);
	if (dest == 0xFF)
		return true;
	if (s->cluster)
		return (dest >> 4) == (s->ldr >> 4) && (dest & s->ldr & 0xF);
	return dest & s->ldr;
}

bool ipi_reaches(const struct ipi_self *sender, const struct ipi_self *cpu, u32 lo, u32 dest)
{
	u32 broadcast = sender->x2apic ? 0xFFFFFFFFu : 0xFF;

	switch (ICR_SHORTHAND(lo)) {
	case ICR_SH_SELF:
		return cpu == sender;
	case ICR_SH_ALL:
		return true;
	case ICR_SH_OTHERS:
		return cpu != sender;
	default:
		if (lo & ICR_DEST_LOGICAL)
			return logical_match(cpu, dest);
		return dest == cpu->id || dest == broadcast;
	}
}

enum ipi_action ipi_classify(u32 lo)
{
	switch (ICR_MODE(lo)) {
	case ICR_MODE_STARTUP:
		return IPI_STARTUP;
	case ICR_MODE_INIT:
		/* The level de-assert that follows an INIT on old systems
		 * (SDM 11.6.1) resets nothing. */
		if ((lo & ICR_TRIGGER_LEVEL) && !(lo & ICR_LEVEL_ASSERT))
			return IPI_DROP;
		return IPI_INIT;
	default:
		return IPI_PASS;
	}
}

u32 ipi_x2apic_ldr(u32 x2apic_id)
{
	return (x2apic_id >> 4) << 16 | 1u << (x2apic_id & 0xF);
}
