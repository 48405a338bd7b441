/* SPDX-License-Identifier: BSD-2-Clause */
/* The debug log: silent unless PKTMAP_DEBUG is set to a non-zero value. */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int pm_debug;

__attribute__((constructor)) static void log_init(void)
{
	const char *s = getenv("PKTMAP_DEBUG");

	pm_debug = s && *s && *s != '0';
}

void pm_log_print(const char *func, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "pktmap[%d] %s: ", (int)getpid(),
		     func);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write: lines of concurrent threads do not interleave */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
