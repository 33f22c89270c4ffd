/* KEEL.CFG: the grammar is fixed by DESIGN.md and documented in
 * docs/config.md. The same parser runs in stage 2 (to build the menu and
 * find the files to load) and in the hypervisor (which receives the chosen
 * entry's lines as the Multiboot command line and parses them again). */
#ifndef KEEL_CONFIG_H
#define KEEL_CONFIG_H

#include "types.h"

#define CFG_MAX_ENTRIES 16
#define CFG_MAX_GUESTS 8
#define CFG_TITLE_MAX 64   /* entry title, with its NUL */
#define CFG_FILE_MAX 13    /* an 8.3 name, upper-cased, with its NUL */
#define CFG_CMDLINE_MAX 256
#define CFG_ERR_MAX 96
#define CFG_MAX_CPUS 256   /* cpus=: the boot CPU and up to 255 APs */
#define CFG_TRACE_MAX 1000000  /* trace=: exits logged at most */

#define CFG_DEFAULT_TIMEOUT 5
#define CFG_MAX_TIMEOUT 3600
#define CFG_MAX_WATCHDOG 3600

enum cfg_guest_kind { CFG_GUEST_BIOS, CFG_GUEST_LINUX, CFG_GUEST_FLAT, CFG_GUEST_MULTIBOOT };
enum cfg_mode { CFG_MODE_REAL, CFG_MODE_PROTECTED, CFG_MODE_LONG };
enum cfg_after { CFG_AFTER_POWEROFF, CFG_AFTER_RESTART, CFG_AFTER_MENU };

struct cfg_guest {
	enum cfg_guest_kind kind;
	int line;                       /* line of the `guest` line in its file */
	char image[CFG_FILE_MAX];       /* bios: image=, "" when absent */
	u8 drive;                       /* bios: drive= (default 0x00 for image=) */
	u8 partition;                   /* bios: partition= 1..4, 0 when absent */
	bool serial_console;            /* bios: console=serial (else screen) */
	char kernel[CFG_FILE_MAX];      /* linux: kernel= */
	char initrd[CFG_FILE_MAX];      /* linux: initrd=, "" when absent */
	char file[CFG_FILE_MAX];        /* flat, multiboot: file= */
	u64 load;                       /* flat: load= */
	enum cfg_mode mode;             /* flat: mode= (default real) */
	char cmdline[CFG_CMDLINE_MAX];  /* linux, multiboot: cmdline= */
	u32 trace;                      /* any kind: trace=, the exits to log (0: none) */
	bool has_cmdline;               /* cmdline= given, maybe empty ("" = none) */
	u16 watchdog;                   /* any kind: watchdog= seconds, 0 when absent */
	u16 cpus;                       /* any kind: cpus= 1..CFG_MAX_CPUS, 0 = all */
};

struct cfg_entry {
	char title[CFG_TITLE_MAX];
	int line;                       /* line of the `entry` line */
	u32 src_start, src_end;         /* byte range of the entry's lines in the text */
	int nguests;
	struct cfg_guest guests[CFG_MAX_GUESTS];
	enum cfg_after after;           /* default poweroff */
};

struct config {
	int timeout;                    /* seconds; default CFG_DEFAULT_TIMEOUT */
	int default_entry;              /* 1-based; default 1 */
	int nentries;
	struct cfg_entry entries[CFG_MAX_ENTRIES];
};

struct cfg_error {
	int line;                       /* 1-based; 0 when not tied to a line */
	char msg[CFG_ERR_MAX];          /* the reason, without file name or line */
};

/* Parses text[0..len). Returns 0 and fills *cfg, or -1 and fills *err with
 * the first problem found. Keel never guesses: every line it does not
 * understand is an error. */
int cfg_parse(const char *text, size_t len, struct config *cfg, struct cfg_error *err);

/* The distinct file names an entry needs loaded, in the order they first
 * appear. Returns how many were stored in names[0..max). */
int cfg_entry_files(const struct cfg_entry *e, const char *names[], int max);

/* The index (0-based) of the last guest of e that names file name, or -1:
 * after that guest, the entry needs the file no more (unless it restarts). */
int cfg_file_last_guest(const struct cfg_entry *e, const char *name);

const char *cfg_kind_name(enum cfg_guest_kind kind);  /* "bios", "linux", ... */
const char *cfg_mode_name(enum cfg_mode mode);        /* "real", ... */
const char *cfg_after_name(enum cfg_after after);     /* "poweroff", ... */

#endif
