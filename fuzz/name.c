// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target: libnetmap's port names (nmport_parse: the header, the
 * register mode and ring, the @options).  The input is the name.
 *
 * Beyond not crashing, what parse promises: a name that parses leaves a
 * NUL-terminated nr_name; one that fails leaves the descriptor as it was.
 */
#include <libnetmap.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 512

static struct nmctx quiet; /* no messages: failures are the common case */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	quiet = *nmctx_get();
	quiet.verbose = 0;
	nmctx_set_default(&quiet);
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char name[MAX_NAME + 1];
	struct nmport_d *d = nmport_new();

	if (!d || size > MAX_NAME) {
		nmport_delete(d);
		return 0;
	}
	memcpy(name, data, size);
	name[size] = '\0';
	struct nmreq_header hdr = d->hdr;
	struct nmreq_register reg = d->reg;
	if (nmport_parse(d, name) == 0) {
		if (strnlen(d->hdr.nr_name, sizeof(d->hdr.nr_name)) ==
		    sizeof(d->hdr.nr_name))
			abort(); /* nr_name without its NUL */
	} else if (memcmp(&hdr, &d->hdr, sizeof(hdr)) != 0 ||
		   memcmp(&reg, &d->reg, sizeof(reg)) != 0 || d->clist) {
		abort(); /* a failed parse changed the descriptor */
	}
	nmport_undo_parse(d);
	nmport_delete(d);
	return 0;
}
