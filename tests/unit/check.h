/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check.h -- the assertions of pktmap's unit tests, and the few netmap
 * calls they all make.
 *
 * Every check prints one line, "ok   NAME" or "FAIL NAME: why", and the
 * first failure ends the program with status 1, so the log names it.
 */
#ifndef PKTMAP_TEST_CHECK_H
#define PKTMAP_TEST_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <net/netmap.h>
#include <net/netmap_user.h>

static inline void check_report_(int ok, const char *file, int line,
				 const char *why, const char *fmt, va_list ap)
{
	printf("%s ", ok ? "ok  " : "FAIL");
	vprintf(fmt, ap);
	if (!ok)
		printf(": %s (%s:%d)", why, file, line);
	printf("\n");
	fflush(stdout);
	if (!ok)
		exit(1);
}

static inline void check_(int ok, const char *expr, const char *file, int line,
			  const char *fmt, ...)
{
	char why[256];
	va_list ap;

	snprintf(why, sizeof(why), "false: %s", expr);
	va_start(ap, fmt);
	check_report_(ok, file, line, why, fmt, ap);
	va_end(ap);
}

static inline void check_eq_(long long got, long long want, const char *file,
			     int line, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	snprintf(why, sizeof(why), "got %lld, want %lld", got, want);
	va_start(ap, fmt);
	check_report_(got == want, file, line, why, fmt, ap);
	va_end(ap);
}

/* @ret is a call's result, @err the errno it left; want -1 and @want_err. */
static inline void check_err_(long ret, int err, int want_err, const char *file,
			      int line, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	if (ret != -1)
		snprintf(why, sizeof(why), "returned %ld, want -1 with %s", ret,
			 strerror(want_err));
	else
		snprintf(why, sizeof(why), "errno %s, want %s", strerror(err),
			 strerror(want_err));
	va_start(ap, fmt);
	check_report_(ret == -1 && err == want_err, file, line, why, fmt, ap);
	va_end(ap);
}

/* @ret is a call's result, @err the errno it left; want 0 or more. */
static inline void check_ok_(long ret, int err, const char *file, int line,
			     const char *fmt, ...)
{
	char why[128];
	va_list ap;

	snprintf(why, sizeof(why), "returned %ld, errno %s", ret,
		 strerror(err));
	va_start(ap, fmt);
	check_report_(ret >= 0, file, line, why, fmt, ap);
	va_end(ap);
}

#define CHECK(cond, ...)                                                       \
	check_(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ(got, want, ...)                                               \
	check_eq_((long long)(got), (long long)(want), __FILE__, __LINE__,     \
		  __VA_ARGS__)
#define CHECK_ERR(call, want_err, ...)                                         \
	do {                                                                   \
		long r_ = (long)(call);                                        \
		check_err_(r_, errno, want_err, __FILE__, __LINE__,            \
			   __VA_ARGS__);                                       \
	} while (0)
#define CHECK_OK(call, ...)                                                    \
	do {                                                                   \
		long r_ = (long)(call);                                        \
		check_ok_(r_, errno, __FILE__, __LINE__, __VA_ARGS__);         \
	} while (0)

/* CHECK_OK that prints only on failure, for calls inside loops. */
#define MUST_OK(call, ...)                                                     \
	do {                                                                   \
		long r_ = (long)(call);                                        \
		if (r_ < 0)                                                    \
			check_ok_(r_, errno, __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* ---- netmap helpers ------------------------------------------------------ */

static inline int nmt_open(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	MUST_OK(fd, "open /dev/netmap");
	return fd;
}

/* A header for request @type on port @name with body @body. */
static inline void nmt_hdr(struct nmreq_header *hdr, uint16_t type,
			   const char *name, void *body)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->nr_version = NETMAP_API;
	hdr->nr_reqtype = type;
	snprintf(hdr->nr_name, sizeof(hdr->nr_name), "%s", name);
	hdr->nr_body = (uintptr_t)body;
}

/* A request of @type on @name, on a descriptor of its own; -1 + errno. */
static inline int nmt_ctrl(uint16_t type, const char *name, void *body)
{
	struct nmreq_header hdr;
	int fd = nmt_open(), ret, err;

	nmt_hdr(&hdr, type, name, body);
	ret = ioctl(fd, NIOCCTRL, &hdr);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* NIOCCTRL REGISTER of @name as @reg says; -1 with errno on failure. */
static inline int nmt_register(int fd, const char *name,
			       struct nmreq_register *reg)
{
	struct nmreq_header hdr;

	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, name, reg);
	return ioctl(fd, NIOCCTRL, &hdr);
}

/* A register body for @mode and @ringid, every count left to the port. */
static inline void nmt_reg_init(struct nmreq_register *reg, uint32_t mode,
				uint16_t ringid)
{
	memset(reg, 0, sizeof(*reg));
	reg->nr_mode = mode;
	reg->nr_ringid = ringid;
}

/* Maps the region of a registered fd, checking the mmap succeeded. */
static inline void *nmt_mmap(int fd, const struct nmreq_register *reg)
{
	void *mem = mmap(NULL, reg->nr_memsize, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);

	CHECK(mem != MAP_FAILED, "mmap %llu bytes",
	      (unsigned long long)reg->nr_memsize);
	return mem;
}

#endif /* PKTMAP_TEST_CHECK_H */
