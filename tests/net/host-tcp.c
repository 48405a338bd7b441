/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A TCP echo for the host-ring tests: plain sockets, no netmap.
 *
 *   host-tcp serve ADDR PORT SECONDS
 *       listens ("listening" once ready), echoes one connection back until
 *       its peer stops sending, then prints "accepted=1 echoed=BYTES";
 *       with no connection within SECONDS it prints "accepted=0".
 *   host-tcp connect ADDR PORT BYTES SECONDS [MSS]
 *       connects (with TCP_MAXSEG=MSS if given), sends BYTES of a pattern,
 *       reads them back and compares;
 *       prints "connected=1 sent=N received=N match=1|0", or
 *       "connected=0 error=..." if no connection within SECONDS (exit 1).
 *
 * Everything that waits gives up after SECONDS.  Exit 0 when all went as
 * described, 1 otherwise, 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int address(const char *ip, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Blocking reads and writes on @fd give up after @seconds. */
static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int serve(const struct sockaddr_in *sa, int seconds)
{
	struct pollfd pfd = {.events = POLLIN};
	long long echoed = 0;
	char buf[4096];
	int one = 1, c;
	ssize_t n;

	pfd.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(pfd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (pfd.fd < 0 || bind(pfd.fd, (const void *)sa, sizeof(*sa)) < 0 ||
	    listen(pfd.fd, 4) < 0) {
		printf("error=%s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	if (poll(&pfd, 1, seconds * 1000) <= 0) {
		printf("accepted=0\n");
		return 0;
	}
	c = accept(pfd.fd, NULL, NULL);
	if (c < 0) {
		printf("accepted=0 error=%s\n", strerror(errno));
		return 1;
	}
	set_timeouts(c, seconds);
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (write_all(c, buf, (size_t)n) < 0)
			break;
		echoed += n;
	}
	printf("accepted=1 echoed=%lld%s\n", echoed,
	       n < 0 ? " error=timeout" : "");
	close(c);
	return n < 0;
}

/* A connect() that gives up after @seconds. */
static int connect_within(int fd, const struct sockaddr_in *sa, int seconds)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t len = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (const void *)sa, sizeof(*sa)) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&pfd, 1, seconds * 1000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			errno = err;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

static int client(const struct sockaddr_in *sa, size_t bytes, int seconds,
		  int mss)
{
	char *out = malloc(bytes + 1), *in = malloc(bytes + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n = 0;

	if (fd >= 0 && mss)
		setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
	if (fd < 0 || !out || !in || connect_within(fd, sa, seconds) < 0) {
		printf("connected=0 error=%s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < bytes; i++)
		out[i] = (char)('a' + i % 26);
	set_timeouts(fd, seconds);
	if (write_all(fd, out, bytes) < 0 || shutdown(fd, SHUT_WR) < 0) {
		printf("connected=1 error=%s\n", strerror(errno));
		return 1;
	}
	while (got <= bytes && (n = read(fd, in + got, bytes + 1 - got)) > 0)
		got += (size_t)n;
	printf("connected=1 sent=%zu received=%zu match=%d\n", bytes, got,
	       got == bytes && memcmp(in, out, bytes) == 0);
	close(fd);
	return got == bytes && memcmp(in, out, bytes) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "serve") == 0 &&
	    address(argv[2], argv[3], &sa) == 0)
		return serve(&sa, atoi(argv[4]));
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "connect") == 0 &&
	    address(argv[2], argv[3], &sa) == 0)
		return client(&sa, strtoul(argv[4], NULL, 0), atoi(argv[5]),
			      argc == 7 ? atoi(argv[6]) : 0);
	fprintf(stderr, "usage: host-tcp serve ADDR PORT SECONDS\n"
			"       host-tcp connect ADDR PORT BYTES SECONDS [MSS]\n");
	return 2;
}
