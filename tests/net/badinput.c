/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * badinput -- makes one bad request and prints how it was refused, as
 * "result=ENAME" (the errno's name) or "result=OK", one line per request.
 *
 *   badinput open NAME       nm_open(NAME)
 *   badinput ctrl IF         NIOCCTRL REGISTER of IF, all NIC rings
 *   badinput version IF V    the same with nr_version V
 *   badinput register2 IF    REGISTER twice on one fd (two result lines)
 *
 * Exit status 0 when the requests were made, whatever their result: the
 * test judges the results.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

static void print_result(int ret)
{
	const char *name = ret == 0 ? "OK" : strerrorname_np(errno);

	printf("result=%s\n", name ? name : "unknown-errno");
}

static int try_nm_open(const char *name)
{
	struct nm_desc *d;

	errno = 0;
	d = nm_open(name, NULL, 0, NULL);
	print_result(d ? 0 : -1);
	if (d)
		nm_close(d);
	return 0;
}

static int register_port(int fd, const char *ifname, uint16_t version)
{
	struct nmreq_register reg = {.nr_mode = NR_REG_ALL_NIC};
	struct nmreq_header hdr = {
	    .nr_version = version,
	    .nr_reqtype = NETMAP_REQ_REGISTER,
	    .nr_body = (uintptr_t)&reg,
	};

	snprintf(hdr.nr_name, sizeof(hdr.nr_name), "%s", ifname);
	return ioctl(fd, NIOCCTRL, &hdr);
}

static int open_device(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0) {
		perror("badinput: /dev/netmap");
		exit(1);
	}
	return fd;
}

static int try_register(const char *ifname, uint16_t version, int times)
{
	int fd = open_device();

	for (int i = 0; i < times; i++)
		print_result(register_port(fd, ifname, version));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "open"))
		return try_nm_open(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "ctrl"))
		return try_register(argv[2], NETMAP_API, 1);
	if (argc == 4 && !strcmp(argv[1], "version"))
		return try_register(argv[2], atoi(argv[3]), 1);
	if (argc == 3 && !strcmp(argv[1], "register2"))
		return try_register(argv[2], NETMAP_API, 2);
	fprintf(stderr, "usage: badinput open NAME | ctrl IF | version IF V | "
			"register2 IF\n");
	return 2;
}
