// SPDX-License-Identifier: BSD-2-Clause
/* The stop flag shared by every tool's main loop; CPU affinity; errors. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
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

int tool_cpu_parse(const char *spec)
{
	cpu_set_t allowed;
	char *end;
	unsigned long cpu;

	if (!spec)
		return -1;
	errno = 0;
	cpu = strtoul(spec, &end, 10);
	if (errno || end == spec || *end || spec[0] == '-' ||
	    cpu >= CPU_SETSIZE) {
		log_err("invalid value '%s' for --affinity: not a CPU number",
			spec);
		exit(2);
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 &&
	    !CPU_ISSET(cpu, &allowed)) {
		log_err("invalid value '%s' for --affinity: CPU %lu is not "
			"one this process may run on (%d allowed)",
			spec, cpu, CPU_COUNT(&allowed));
		exit(2);
	}
	return (int)cpu;
}

void tool_pin(pthread_t t, int first, unsigned int i)
{
	cpu_set_t allowed, one;
	int cpu = first, err;

	if (first < 0)
		return;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		CPU_ZERO(&allowed);
	/* the i-th allowed CPU from @first on, wrapping around */
	for (unsigned int n = 0; n < i && CPU_COUNT(&allowed) > 1;) {
		cpu = (cpu + 1) % CPU_SETSIZE;
		n += CPU_ISSET(cpu, &allowed) != 0;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	err = pthread_setaffinity_np(t, sizeof(one), &one);
	if (err)
		log_die(1, "cannot run on CPU %d: %s", cpu, strerror(err));
	log_debug("thread %u on CPU %d", i, cpu);
}

const char *tool_port_error(int err)
{
	return err == ENXIO ? "the interface went away" : strerror(err);
}
