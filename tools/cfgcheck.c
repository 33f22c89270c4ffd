/* keel-cfgcheck: a KEEL.CFG checked on the host by Keel's own parser
 * (lib/config.c, the code stage 2 and the hypervisor run), so that
 * tools/keel-image refuses a file Keel would refuse, with Keel's words,
 * before it goes onto a disk (docs/image-tool.md). The Makefile builds it
 * as build/tools/keel-cfgcheck.
 *
 *   keel-cfgcheck [--files] FILE     FILE may be - (standard input)
 *
 * Status 0 when Keel accepts the file; with --files it then prints, for
 * each entry, the files stage 2 will load, one per line:
 * "NAME<tab>LINE<tab>TITLE" (LINE: the entry's line). Status 1 when Keel
 * refuses it: one line "KEEL.CFG:LINE: reason", as stage 2 prints it
 * (docs/config.md lists the reasons). Status 2: usage, or FILE unreadable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/config.h"
#include "../stage2/stage2.h"

static struct config cfg;

int main(int argc, char **argv)
{
	static char text[S2_CFG_TEXT_MAX + 1];
	const char *path, *names[2 * CFG_MAX_GUESTS];
	struct cfg_error err;
	bool files = false;
	size_t len;
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "--files")) {
		files = true;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: keel-cfgcheck [--files] FILE   (FILE may be -)\n");
		return 2;
	}
	path = argv[1];
	f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "keel-cfgcheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	len = fread(text, 1, sizeof(text), f);
	if (ferror(f)) {
		fprintf(stderr, "keel-cfgcheck: %s: read error\n", path);
		return 2;
	}
	if (f != stdin)
		fclose(f);
	/* Stage 2 reads at most S2_CFG_TEXT_MAX bytes (docs/disk.md). */
	if (len > S2_CFG_TEXT_MAX) {
		printf("KEEL.CFG: larger than the %u bytes stage 2 reads\n", S2_CFG_TEXT_MAX);
		return 1;
	}
	if (cfg_parse(text, len, &cfg, &err)) {
		if (err.line)
			printf("KEEL.CFG:%d: %s\n", err.line, err.msg);
		else
			printf("KEEL.CFG: %s\n", err.msg);
		return 1;
	}
	for (int i = 0; files && i < cfg.nentries; i++) {
		const struct cfg_entry *e = &cfg.entries[i];
		int n = cfg_entry_files(e, names, (int)ARRAY_SIZE(names));

		for (int k = 0; k < n; k++)
			printf("%s\t%d\t%s\n", names[k], e->line, e->title);
	}
	return 0;
}
