/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cputime -- run a command and report the CPU time it used.
 *
 *   cputime FILE CMD [ARG...]
 *
 * Runs CMD, waits for it and writes `cpu_user=U cpu_sys=S cpu=T wall=W
 * vcsw=V ivcsw=I` to FILE: CPU and wall time in seconds, then how often CMD
 * went to sleep (voluntary context switches, i.e. wake-ups) and how often it
 * was preempted.  The times come from wait4(), so they cover every
 * thread of CMD and every child it waited for (trafgen's workers, say).
 * SIGINT, SIGTERM and SIGHUP are passed on to CMD; the exit status is
 * CMD's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static double seconds(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec * 1e-6;
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = forward};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double t0, wall;
	int status;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: cputime FILE CMD [ARG...]\n");
		return 2;
	}
	catch_signals();
	t0 = now();
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "cputime: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	child = pid;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 1;
	wall = now() - t0;
	out = fopen(argv[1], "w");
	if (!out)
		return 1;
	fprintf(out, "cpu_user=%.6f cpu_sys=%.6f cpu=%.6f wall=%.3f",
		seconds(ru.ru_utime), seconds(ru.ru_stime),
		seconds(ru.ru_utime) + seconds(ru.ru_stime), wall);
	fprintf(out, " vcsw=%ld ivcsw=%ld\n", ru.ru_nvcsw, ru.ru_nivcsw);
	fclose(out);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
