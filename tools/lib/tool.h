/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every pktmap tool includes: logging, option tables, rates, frames,
 * ports and rings, and a clean stop on SIGINT/SIGTERM.
 */
#ifndef TOOLS_TOOL_H
#define TOOLS_TOOL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "frame.h"
#include "log.h"
#include "opts.h"
#include "port.h"
#include "ring.h"
#include "stats.h"
#include "summary.h"

/* Set by SIGINT/SIGTERM once tool_stop_on_signals() has run; loops poll it. */
extern volatile sig_atomic_t tool_stop;

/*
 * Installs the handlers, without SA_RESTART so that a blocking call returns
 * EINTR and the loop around it sees tool_stop.
 */
void tool_stop_on_signals(void);

/*
 * -a CPU: the CPU @spec names, checked against the CPUs this process may
 * run on (bad usage, exit 2, otherwise); -1 for NULL.  Thread @i of a tool
 * runs on the @i-th allowed CPU from it, wrapping around.
 */
int tool_cpu_parse(const char *spec);
/* Pins thread @t to allowed CPU @first + @i (see above); @first -1: no. */
void tool_pin(pthread_t t, int first, unsigned int i);

/*
 * Why a port's poll or sync failed, for a message: ENXIO (the library's
 * word for an interface that disappeared) says so in plain words.
 */
const char *tool_port_error(int err);

#endif /* TOOLS_TOOL_H */
