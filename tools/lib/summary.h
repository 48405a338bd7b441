/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The closing summary a tool prints on stdout: key=value pairs on one line
 * (what scripts and the tests read), or with -j one JSON object with the
 * same keys.  One summary at a time:
 *
 *	summary_begin(c.json);
 *	summary_u64("packets", n);
 *	summary_num("seconds", "%.3f", secs);
 *	summary_end();
 */
#ifndef TOOLS_SUMMARY_H
#define TOOLS_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

void summary_begin(bool json);
void summary_u64(const char *key, uint64_t v);
/* A number printed with @fmt (a single double conversion, "%.3f"). */
void summary_num(const char *key, const char *fmt, double v);
void summary_str(const char *key, const char *v);
void summary_bool(const char *key, bool v);
/* Ends the line (or the object) and flushes stdout. */
void summary_end(void);

#endif /* TOOLS_SUMMARY_H */
