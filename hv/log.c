/* Keel's log lines (docs/log.md). Every CPU logs; a line is formatted on
 * the CPU's own stack and written whole under log_lock (hv/lock.h), so
 * that lines from two CPUs never interleave. */
#include "hv.h"
#include "lock.h"
#include "percpu.h"
#include "trap.h"
#include "../lib/console.h"
#include "../lib/format.h"
#include "../lib/io.h"
#include "../lib/string.h"

#define LOG_LINE_MAX 320
/* About a second of spinning: a CPU that died holding the lock must not
 * silence the others for good. */
#define LOG_LOCK_SPINS 2000000

static struct spinlock log_lock;
/* The CPU (index + 1) that holds log_lock, so that a FATAL raised while
 * it writes can still be written. */
static volatile u32 log_owner;

static void log_write(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	u32 me = this_cpu()->index + 1;
	bool locked = false;
	size_t n = strlen(prefix), m = strlen(suffix);

	memcpy(buf, prefix, n);
	fmt_vsnprintf(buf + n, sizeof(buf) - n - m - 1, fmt, ap);
	n = strlen(buf);
	memcpy(buf + n, suffix, m);
	n += m;
	buf[n++] = '\n';
	if (log_owner != me) {
		for (u32 i = 0; i < LOG_LOCK_SPINS && !locked; i++) {
			locked = spin_trylock(&log_lock);
			if (!locked)
				cpu_relax();
		}
		if (locked)
			log_owner = me;
	}
	con_write(buf, n);
	if (locked) {
		log_owner = 0;
		spin_unlock(&log_lock);
	}
}

void log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write("keel: ", "", fmt, ap);
	va_end(ap);
}

const char *cpu_suffix(void)
{
	static char suffix[CPU_MAX][16];
	u32 i = this_cpu()->index;

	if (i == 0)
		return "";
	fmt_snprintf(suffix[i], sizeof(suffix[i]), " on cpu %u", i);
	return suffix[i];
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	nmi_halt_others();
	/* Whatever a guest did to the screen or COM1, this line must be seen. */
	con_set_sinks(CON_ALL);
	va_start(ap, fmt);
	log_write("keel: FATAL: ", cpu_suffix(), fmt, ap);
	va_end(ap);
	emulator_exit(3);
	hv_halt();
}
