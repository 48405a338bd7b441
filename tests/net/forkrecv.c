/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forkrecv PORT N LEN TIMEOUT_S -- registers PORT, then forks: the child
 * receives exactly N test frames (as "frames recv" does, see frames.c) on
 * the file descriptor and the mapping it inherited, without opening or
 * registering anything itself.  The parent waits and exits with the child's
 * status, printing "child_status=S".
 */
/* frames' receiver, with its command line renamed out of the way */
#define main frames_command_line
#include "frames.c"
#undef main

#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct nm_desc *d;
	int status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 5) {
		fprintf(stderr, "usage: forkrecv PORT N LEN TIMEOUT_S\n");
		return 1;
	}
	d = open_port(argv[1]);
	/* Frames arriving before the child polls wait in the port's rings. */
	printf("ready\n");
	pid = fork();
	if (pid < 0) {
		perror("forkrecv: fork");
		return 1;
	}
	if (pid == 0)
		_exit(receive_frames(d, argv[1], number(argv[2], "count"),
				     number(argv[3], "length"),
				     number(argv[4], "timeout")));
	if (waitpid(pid, &status, 0) < 0) {
		perror("forkrecv: waitpid");
		return 1;
	}
	status =
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("child_status=%d\n", status);
	nm_close(d);
	return status;
}
