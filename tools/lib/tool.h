/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every pktmap tool includes: logging, option tables, rates, frames,
 * ports and rings, and a clean stop on SIGINT/SIGTERM.
 */
#ifndef TOOLS_TOOL_H
#define TOOLS_TOOL_H

#include <signal.h>

#include "frame.h"
#include "log.h"
#include "opts.h"
#include "port.h"
#include "ring.h"
#include "stats.h"

/* Set by SIGINT/SIGTERM once tool_stop_on_signals() has run; loops poll it. */
extern volatile sig_atomic_t tool_stop;

/*
 * Installs the handlers, without SA_RESTART so that a blocking call returns
 * EINTR and the loop around it sees tool_stop.
 */
void tool_stop_on_signals(void);

#endif /* TOOLS_TOOL_H */
