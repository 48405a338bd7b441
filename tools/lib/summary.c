// SPDX-License-Identifier: BSD-2-Clause
/* key=value or JSON summaries on stdout. */
#include <math.h>
#include <stdio.h>

#include "summary.h"

static bool json, first;

void summary_begin(bool as_json)
{
	json = as_json;
	first = true;
	if (json)
		putchar('{');
}

static void key(const char *k)
{
	if (json)
		printf("%s\"%s\": ", first ? "" : ", ", k);
	else
		printf("%s%s=", first ? "" : " ", k);
	first = false;
}

void summary_u64(const char *k, uint64_t v)
{
	key(k);
	printf("%llu", (unsigned long long)v);
}

void summary_num(const char *k, const char *fmt, double v)
{
	key(k);
	if (json && !isfinite(v))
		printf("null");
	else
		printf(fmt, v);
}

void summary_str(const char *k, const char *v)
{
	key(k);
	if (!json) {
		printf("%s", v);
		return;
	}
	putchar('"');
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void summary_bool(const char *k, bool v)
{
	key(k);
	if (json)
		printf("%s", v ? "true" : "false");
	else
		printf("%d", v);
}

void summary_end(void)
{
	printf(json ? "}\n" : "\n");
	fflush(stdout);
}
