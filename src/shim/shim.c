/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shim: libc's entry points, interposed.  A descriptor that is a netmap
 * file is answered by pktmap; every other one goes straight to the next
 * definition (libc's) after one table lookup.
 *
 * A netmap file is a memfd of its own (so it has its own inode and survives
 * fork like any descriptor) until it registers a port in shared memory:
 * then it becomes the port's wake-up socket, which SCM_RIGHTS carries to
 * other processes.  The table in fdtable.c says which descriptors are
 * netmap files in this process; it follows the kernel's through close,
 * close_range, closefrom, dup2/dup3, F_DUPFD and fork.  Programs that
 * bypass the C library (raw system calls, static binaries) reach the
 * kernel directly: to them a netmap descriptor is an empty memfd or a
 * socket, and a number they close and reuse is recognised as another
 * file by its inode when next used for anything but a sync or poll.
 *
 * exec: the table does not survive it.  A netmap descriptor without
 * FD_CLOEXEC does, as what it is to the kernel: a pipe end's or VALE
 * port's socket, which the new program's pktmap adopts at its first
 * netmap ioctl or mmap as if received by SCM_RIGHTS, or an interface's
 * memfd, which it refuses (EOPNOTSUPP): open the interface again.
 */
#include "control/control.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NETMAP_DEVICE "/dev/netmap"

struct pm_libc pm_libc;

static struct {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*close_range)(unsigned, unsigned, int);
	void (*closefrom)(int);
} real;

static void *next_symbol(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* Resolves the next definitions once; racing threads store the same values. */
static void resolve(void)
{
	real.open = next_symbol("open");
	real.openat = next_symbol("openat");
	real.mmap = next_symbol("mmap");
	real.poll = next_symbol("poll");
	real.select = next_symbol("select");
	real.pselect = next_symbol("pselect");
	real.dup = next_symbol("dup");
	real.dup2 = next_symbol("dup2");
	real.dup3 = next_symbol("dup3");
	real.fcntl = next_symbol("fcntl");
	real.close_range = next_symbol("close_range");
	real.closefrom = next_symbol("closefrom");
	pm_libc.ioctl = next_symbol("ioctl");
	pm_libc.fcntl = real.fcntl;
	pm_libc.ppoll = next_symbol("ppoll");
	__atomic_store_n(&pm_libc.close, (int (*)(int))next_symbol("close"),
			 __ATOMIC_RELEASE);
}

static inline void ensure_resolved(void)
{
	if (unlikely(!__atomic_load_n(&pm_libc.close, __ATOMIC_ACQUIRE)))
		resolve();
}

/*
 * The process whose memory the table is.  A vfork() child (Python's
 * subprocess, posix_spawn emulations) shares that memory but not the
 * descriptors: its close and dup calls between fork and exec must leave
 * the parent's table alone, and only the system call runs.
 */
static pid_t table_pid;

static void forked(void)
{
	table_pid = getpid();
	pm_fork_child();
}

static bool in_vfork_child(void)
{
	return unlikely(getpid() != table_pid);
}

/* A forked child holds the ports and files it inherits (see port.c). */
__attribute__((constructor)) static void shim_init(void)
{
	ensure_resolved();
	table_pid = getpid();
	pthread_atfork(pm_fork_prepare, pm_fork_parent, forked);
}

static int fail(int err)
{
	errno = -err;
	return -1;
}

/* ---- open ------------------------------------------------------------- */

static bool is_netmap_path(const char *path)
{
	return path && path[0] == '/' && strcmp(path, NETMAP_DEVICE) == 0;
}

static int netmap_open(int flags)
{
	struct pm_file *f = pm_file_new();
	int fd, err;

	if (!f)
		return fail(-ENOMEM);
	fd = memfd_create("pktmap-netmap", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
	if (fd < 0) {
		err = -errno;
		pm_file_put(f);
		return fail(err);
	}
	pm_file_identify(f, fd);
	err = pm_fd_install(fd, f);
	if (err) {
		pm_libc.close(fd);
		pm_file_put(f);
		return fail(err);
	}
	pm_log("fd %d", fd);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

PM_PUBLIC int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	ensure_resolved();
	if (unlikely(is_netmap_path(path)))
		return netmap_open(flags);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return real.open(path, flags, mode);
}

PM_PUBLIC int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	ensure_resolved();
	if (unlikely(is_netmap_path(path)))
		return netmap_open(flags);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return real.openat(dirfd, path, flags, mode);
}

/* The other names programs import open by (LFS, _FORTIFY_SOURCE). */
PM_PUBLIC int open64(const char *path, int flags, ...)
    __attribute__((alias("open")));
PM_PUBLIC int openat64(int dirfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

PM_PUBLIC int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

PM_PUBLIC int __open64_2(const char *path, int flags)
{
	return open(path, flags);
}

PM_PUBLIC int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

PM_PUBLIC int __openat64_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

/* ---- ioctl, mmap --------------------------------------------------------- */

/*
 * A netmap descriptor this process did not open: received by SCM_RIGHTS
 * (after fork the table is inherited).  A port in shared memory is
 * adopted, and referenced for the caller as pm_fd_get does; an
 * interface's cannot be, its rings are driven by the sender's sockets:
 * say so.
 */
static struct pm_file *received(int fd)
{
	char link[64], target[64];
	struct pm_file *f = pm_file_adopt(fd);
	ssize_t n;

	if (f) {
		pm_file_identify(f, fd);
		if (pm_fd_install(fd, f) == 0 && pm_file_tryget(f))
			return f;
		pm_file_put(f);
		return NULL;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0 && (target[n] = '\0',
		      strncmp(target, "/memfd:pktmap-netmap", 20) == 0))
		pm_log("fd %d: an interface port of another process; open "
		       "the port here",
		       fd);
	return NULL;
}

/*
 * A port in shared memory can be passed along: its descriptor becomes the
 * port's socket, which the kernel carries through SCM_RIGHTS and fork.
 */
static void become_port_socket(int fd, struct pm_file *f)
{
	int sock = pm_file_socket(f);
	int cloexec = pm_libc.fcntl(fd, F_GETFD) & FD_CLOEXEC;

	if (sock >= 0 && real.dup3(sock, fd, cloexec ? O_CLOEXEC : 0) < 0)
		pm_log("fd %d: %s", fd, strerror(errno));
	else if (sock >= 0)
		pm_file_identify(f, fd);
}

/*
 * The file @fd names, referenced, for a call off the fast path: there the
 * descriptor is checked to still name it (one fstat), since a number
 * closed by a raw system call may name another file now.  Syncs and poll
 * trust the table: no system call on the fast path.
 */
static struct pm_file *get_checked(int fd)
{
	struct pm_file *f = pm_fd_get(fd);

	if (likely(!f) || likely(pm_file_named_by(f, fd)))
		return f;
	pm_log("fd %d: closed behind our back, now another file", fd);
	if (pm_fd_remove_if(fd, f))
		pm_file_put(f); /* the table's reference */
	pm_file_put(f);
	return NULL;
}

/*
 * Syncs trust the table and adopt nothing: a received descriptor is
 * adopted at its first mmap or control request (a program maps the
 * region before it can see a ring), where the number is checked.  A sync
 * on a number that is not a netmap file here never takes whatever file
 * it names at that instant, perhaps one the library is about to close.
 */
PM_PUBLIC int ioctl(int fd, unsigned long req, ...)
{
	bool sync = req == NIOCTXSYNC || req == NIOCRXSYNC;
	struct pm_file *f = sync ? pm_fd_get(fd) : get_checked(fd);
	va_list ap;
	void *arg;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	ensure_resolved();
	if (likely(!f)) {
		if (likely(!pm_is_netmap_request(req)))
			return pm_libc.ioctl(fd, req, arg);
		f = sync ? NULL : received(fd);
		if (!f)
			return fail(pm_libc.fcntl(fd, F_GETFD) < 0
					? -EBADF
					: -EOPNOTSUPP);
	}
	bool had_port = f->port != NULL; /* arg may not be readable */
	err = pm_ioctl(f, req, arg);
	if (!err && !had_port && f->port)
		become_port_socket(fd, f);
	pm_file_put(f);
	return err ? fail(err) : 0;
}

PM_PUBLIC void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		     off_t off)
{
	struct pm_file *f = get_checked(fd);
	void *map;

	ensure_resolved();
	if (likely(!f) &&
	    (fd < 0 || !(flags & MAP_SHARED) || !(f = received(fd))))
		return real.mmap(addr, len, prot, flags, fd, off);
	if (!f->port || off < 0 || (size_t)off + len > f->port->mem->size) {
		errno = f->port ? EINVAL : ENXIO;
		pm_log("fd %d: mmap of %zu bytes at %jd refused", fd, len,
		       (intmax_t)off);
		map = MAP_FAILED;
	} else {
		map = real.mmap(addr, len, prot, flags, f->port->mem->fd,
				PM_REGION_META + off);
	}
	pm_file_put(f);
	return map;
}

PM_PUBLIC void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off) __attribute__((alias("mmap")));

/* ---- poll, select ----------------------------------------------------------
 */

static bool any_netmap_fd(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (unlikely(pm_fd_lookup(fds[i].fd) != NULL))
			return true;
	return false;
}

PM_PUBLIC int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
		    const sigset_t *sigmask)
{
	ensure_resolved();
	if (likely(!any_netmap_fd(fds, n)))
		return pm_libc.ppoll(fds, n, t, sigmask);
	return pm_poll(fds, n, t, sigmask);
}

PM_PUBLIC int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct timespec t = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};

	ensure_resolved();
	if (likely(!any_netmap_fd(fds, n)))
		return real.poll(fds, n, timeout_ms);
	return pm_poll(fds, n, timeout_ms < 0 ? NULL : &t, NULL);
}

/* _FORTIFY_SOURCE's checked variants: glibc would call its own poll. */
PM_PUBLIC int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms,
			 size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort(); /* what glibc's check does: a buffer overflow */
	return poll(fds, n, timeout_ms);
}

PM_PUBLIC int __ppoll_chk(struct pollfd *fds, nfds_t n,
			  const struct timespec *t, const sigset_t *sigmask,
			  size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return ppoll(fds, n, t, sigmask);
}

static bool sets_have_netmap_fd(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	for (int fd = 0; fd < nfds; fd++) {
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		     (e && FD_ISSET(fd, e))) &&
		    pm_fd_lookup(fd))
			return true;
	}
	return false;
}

/* select() over netmap files: the same engine as poll, on the sets. */
static int select_via_poll(int nfds, fd_set *r, fd_set *w, fd_set *e,
			   const struct timespec *t, const sigset_t *sigmask)
{
	struct pollfd *fds = calloc((size_t)nfds, sizeof(*fds));
	nfds_t n = 0;
	int ret;

	if (!fds)
		return fail(-ENOMEM);
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (r && FD_ISSET(fd, r) ? POLLIN : 0) |
			   (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
			   (e && FD_ISSET(fd, e) ? POLLPRI : 0);
		if (ev)
			fds[n++] = (struct pollfd){fd, ev, 0};
	}
	ret = pm_poll(fds, n, t, sigmask);
	if (ret >= 0) {
		ret = 0;
		for (nfds_t i = 0; i < n; i++) {
			int fd = fds[i].fd;
			short rev = fds[i].revents;
			bool rd = rev & (POLLIN | POLLHUP | POLLERR);
			bool wr = rev & (POLLOUT | POLLERR);
			bool ex = rev & POLLPRI;
			if (r && FD_ISSET(fd, r) && !rd)
				FD_CLR(fd, r);
			if (w && FD_ISSET(fd, w) && !wr)
				FD_CLR(fd, w);
			if (e && FD_ISSET(fd, e) && !ex)
				FD_CLR(fd, e);
			ret += (r && rd && FD_ISSET(fd, r)) +
			       (w && wr && FD_ISSET(fd, w)) +
			       (e && ex && FD_ISSET(fd, e));
		}
	}
	free(fds);
	return ret;
}

PM_PUBLIC int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		     struct timeval *tv)
{
	ensure_resolved();
	if (likely(!sets_have_netmap_fd(nfds, r, w, e)))
		return real.select(nfds, r, w, e, tv);
	struct timespec t;
	if (tv)
		t = (struct timespec){tv->tv_sec, tv->tv_usec * 1000};
	return select_via_poll(nfds, r, w, e, tv ? &t : NULL, NULL);
}

PM_PUBLIC int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      const struct timespec *t, const sigset_t *sigmask)
{
	ensure_resolved();
	if (likely(!sets_have_netmap_fd(nfds, r, w, e)))
		return real.pselect(nfds, r, w, e, t, sigmask);
	return select_via_poll(nfds, r, w, e, t, sigmask);
}

/* ---- close and the dup family ----------------------------------------------
 */

PM_PUBLIC int close(int fd)
{
	ensure_resolved();
	if (in_vfork_child())
		return pm_libc.close(fd);

	struct pm_file *f = pm_fd_remove(fd);
	int ret;

	pm_epoll_forget(fd);
	ret = pm_libc.close(fd);
	if (unlikely(f != NULL)) {
		pm_log("fd %d", fd);
		pm_file_put(f);
	}
	return ret;
}

/*
 * The files of descriptors in [lo, hi] leave the table before the kernel
 * closes them and are put after: a port's socket is its descriptor too,
 * and the port checks it is closed everywhere before it goes.
 */
struct closing {
	struct pm_file **f;
	size_t n, cap;
};

static void take(int fd, struct pm_file *f, void *arg)
{
	struct closing *c = arg;

	if (!pm_fd_remove_if(fd, f))
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct pm_file **more = realloc(c->f, cap * sizeof(*more));
		if (!more) {
			pm_file_put(f); /* early, rather than never */
			return;
		}
		c->f = more;
		c->cap = cap;
	}
	c->f[c->n++] = f;
}

static void put_all(struct closing *c)
{
	for (size_t i = 0; i < c->n; i++)
		pm_file_put(c->f[i]);
	free(c->f);
}

PM_PUBLIC int close_range(unsigned first, unsigned last, int flags)
{
	struct closing c = {0};
	int ret;

	ensure_resolved();
	/* CLOEXEC closes nothing now; UNSHARE closes in the caller's copy
	 * of the table, which is this process's view too */
	if (!in_vfork_child() &&
	    !(flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
	    !(flags & CLOSE_RANGE_CLOEXEC) && first <= last) {
		pm_fd_each(first, last, take, &c);
		pm_epoll_forget_range(first, last);
	}
	ret = real.close_range
		  ? real.close_range(first, last, flags)
		  : (int)syscall(SYS_close_range, first, last, flags);
	put_all(&c);
	return ret;
}

PM_PUBLIC void closefrom(int lowfd)
{
	struct closing c = {0};

	ensure_resolved();
	if (lowfd >= 0 && !in_vfork_child()) {
		pm_fd_each((unsigned)lowfd, UINT_MAX, take, &c);
		pm_epoll_forget_range((unsigned)lowfd, UINT_MAX);
	}
	if (real.closefrom)
		real.closefrom(lowfd);
	else if (lowfd >= 0)
		syscall(SYS_close_range, (unsigned)lowfd, UINT_MAX, 0);
	put_all(&c);
}

/*
 * @newfd now names what @oldfd names (called after a successful dup); the
 * file it named before, if any, was closed by it.
 */
static int dup_netmap(int oldfd, int newfd)
{
	if (in_vfork_child())
		return newfd;

	struct pm_file *f = get_checked(oldfd); /* the new entry's reference */
	struct pm_file *gone = pm_fd_remove(newfd);

	if (gone)
		pm_file_put(gone);
	if (f && pm_fd_install(newfd, f) < 0)
		pm_file_put(f);
	return newfd;
}

PM_PUBLIC int dup(int fd)
{
	ensure_resolved();
	int r = real.dup(fd);
	return r < 0 ? r : dup_netmap(fd, r);
}

PM_PUBLIC int dup2(int oldfd, int newfd)
{
	ensure_resolved();
	int r = real.dup2(oldfd, newfd);
	return r < 0 || oldfd == newfd ? r : dup_netmap(oldfd, r);
}

PM_PUBLIC int dup3(int oldfd, int newfd, int flags)
{
	ensure_resolved();
	int r = real.dup3(oldfd, newfd, flags);
	return r < 0 ? r : dup_netmap(oldfd, r);
}

PM_PUBLIC int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	ensure_resolved();
	int r = real.fcntl(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) &&
	    unlikely(pm_fd_lookup(fd) != NULL))
		return dup_netmap(fd, r);
	return r;
}

PM_PUBLIC int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
