/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Messages of pktmap's tools: every line starts with the program's name and
 * goes to stderr, so stdout stays free for machine-readable results.
 */
#ifndef TOOLS_LOG_H
#define TOOLS_LOG_H

#include <stdbool.h>

/* Sets the name printed before every message (argv[0]'s last component). */
void log_init(const char *argv0);

/* The name given to log_init(). */
const char *log_prog(void);

/* Debug messages are printed only after log_set_verbose(true). */
void log_set_verbose(bool on);
bool log_verbose(void);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the message and exits with @status (1 error, 2 usage). */
void log_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif /* TOOLS_LOG_H */
