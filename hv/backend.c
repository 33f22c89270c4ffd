/* The backend table for this CPU's extension (STYLE.md: one const struct
 * hv_backend picked at start-up). */
#include "vcpu.h"
#include "../lib/string.h"

const struct hv_backend *hv_backend_select(const char *name)
{
	static const struct hv_backend *const backends[] = { &svm_backend, &vmx_backend };

	for (unsigned i = 0; name && i < ARRAY_SIZE(backends); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}
