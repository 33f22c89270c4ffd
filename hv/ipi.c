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

static bool targets_self(const struct ipi_self *s, u32 lo, u32 dest)
{
	u32 broadcast = s->x2apic ? 0xFFFFFFFFu : 0xFF;

	switch (ICR_SHORTHAND(lo)) {
	case ICR_SH_SELF:
	case ICR_SH_ALL:
		return true;
	case ICR_SH_OTHERS:
		return false;
	default:
		if (lo & ICR_DEST_LOGICAL)
			return logical_match(s, dest);
		return dest == s->id || dest == broadcast;
	}
}

enum ipi_action ipi_filter(const struct ipi_self *self, u32 *lo, u32 *dest)
{
	u32 mode = ICR_MODE(*lo);

	if (mode == ICR_MODE_STARTUP)
		return IPI_DROP;
	if (mode == ICR_MODE_INIT) {
		/* The level de-assert that follows an INIT on old systems
		 * (SDM 11.6.1) resets nothing. */
		if ((*lo & ICR_TRIGGER_LEVEL) && !(*lo & ICR_LEVEL_ASSERT))
			return IPI_DROP;
		return targets_self(self, *lo, *dest) ? IPI_RESET : IPI_DROP;
	}
	if (!targets_self(self, *lo, *dest))
		return IPI_DROP;
	*lo &= ~((3u << 18) | ICR_DEST_LOGICAL);
	*dest = self->id;
	return IPI_SEND;
}
