// SPDX-License-Identifier: BSD-2-Clause
/* The stop flag shared by every tool's main loop. */
#include <string.h>

#include "tool.h"

volatile sig_atomic_t tool_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	tool_stop = 1;
}

void tool_stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
