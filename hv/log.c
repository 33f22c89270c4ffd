#include "hv.h"
#include "../lib/console.h"
#include "../lib/io.h"

void log_line(const char *fmt, ...)
{
	va_list ap;

	con_write("keel: ", 6);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_write("\n", 1);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	/* Whatever a guest did to the screen or COM1, this line must be seen. */
	con_set_sinks(CON_ALL);
	con_write("keel: FATAL: ", 13);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_write("\n", 1);
	emulator_exit(3);
	hv_halt();
}
