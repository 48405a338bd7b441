// SPDX-License-Identifier: BSD-2-Clause
/*
 * shmring -- the ceiling of moving frames between two processes: a bare
 * single-producer single-consumer ring in one shared memory mapping (a
 * memfd), no library, no system call in the loop.
 *
 *   shmring [-l LEN] [-n COUNT] [-s SLOTS] [-b BATCH] [-c CPU,CPU]
 *
 * The producer (the parent) copies COUNT frames of LEN bytes into the
 * ring's 2048-byte slots, as a VALE sender's frame is copied into the
 * receiver's buffer; the consumer (a child) reads each slot's length and
 * the frame's first bytes, as a counting receiver does.  Both publish
 * their index once per BATCH frames (a netmap sync's worth) and spin
 * while the ring is full or empty.  -c pins producer and consumer.
 *
 * Prints "packets=N bytes=B seconds=S pps=P" (first to last frame seen by
 * the consumer) and exits 0 when every frame arrived.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOT_SIZE 2048
#define CACHELINE 64

struct slot {
	uint32_t len;
	uint8_t data[SLOT_SIZE - sizeof(uint32_t)];
};

struct shared {
	_Alignas(CACHELINE) _Atomic uint64_t head; /* frames produced */
	_Alignas(CACHELINE) _Atomic uint64_t tail; /* frames consumed */
	_Alignas(CACHELINE) uint64_t first_ns, last_ns, received, checksum;
	_Alignas(CACHELINE) struct slot slots[];
};

struct cfg {
	uint32_t len, slots, batch;
	uint64_t count;
	int cpu[2];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		perror("shmring: sched_setaffinity");
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	sched_yield();
#endif
}

/* Copies frames into the ring, publishing head once per batch. */
static void produce(struct shared *sh, const struct cfg *c)
{
	uint8_t frame[SLOT_SIZE];
	uint64_t head = 0, tail = 0;

	for (uint32_t i = 0; i < c->len; i++)
		frame[i] = (uint8_t)i;
	while (head < c->count) {
		uint64_t n =
		    c->count - head < c->batch ? c->count - head : c->batch;
		while (head + n - tail > c->slots) {
			tail = atomic_load_explicit(&sh->tail,
						    memory_order_acquire);
			if (head + n - tail > c->slots)
				relax();
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t idx = head + i;
			struct slot *s = &sh->slots[idx % c->slots];
			memcpy(frame, &idx, sizeof(idx)); /* frames differ */
			memcpy(s->data, frame, c->len);
			s->len = c->len;
		}
		head += n;
		atomic_store_explicit(&sh->head, head, memory_order_release);
	}
}

/* Reads every frame's length and first bytes; tail once per batch. */
static void consume(struct shared *sh, const struct cfg *c)
{
	uint64_t tail = 0, head = 0, sum = 0, bytes = 0, since = 0;

	while (tail < c->count) {
		if (tail == head) {
			head = atomic_load_explicit(&sh->head,
						    memory_order_acquire);
			if (tail == head) {
				relax();
				continue;
			}
			if (tail == 0)
				sh->first_ns = now_ns();
		}
		struct slot *s = &sh->slots[tail % c->slots];
		uint64_t word;
		memcpy(&word, s->data, sizeof(word));
		sum += word;
		bytes += s->len;
		tail++;
		if (++since == c->batch || tail == head) {
			atomic_store_explicit(&sh->tail, tail,
					      memory_order_release);
			since = 0;
		}
	}
	sh->last_ns = now_ns();
	sh->received = tail;
	sh->checksum = sum + bytes;
}

static uint64_t number(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "shmring: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse(struct cfg *c, int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "l:n:s:b:c:")) != -1) {
		switch (ch) {
		case 'l':
			c->len = (uint32_t)number(optarg, "length");
			break;
		case 'n':
			c->count = number(optarg, "count");
			break;
		case 's':
			c->slots = (uint32_t)number(optarg, "slots");
			break;
		case 'b':
			c->batch = (uint32_t)number(optarg, "batch");
			break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &c->cpu[0], &c->cpu[1]) !=
			    2) {
				fprintf(stderr, "shmring: -c CPU,CPU\n");
				exit(2);
			}
			break;
		default:
			fprintf(stderr, "usage: shmring [-l LEN] [-n COUNT] "
					"[-s SLOTS] [-b BATCH] [-c CPU,CPU]\n");
			exit(2);
		}
	}
	if (c->len < 14 || c->len > sizeof(((struct slot *)0)->data) ||
	    c->slots < 2 || c->batch < 1 || c->batch > c->slots ||
	    c->count == 0) {
		fprintf(stderr, "shmring: bad -l, -s, -b or -n\n");
		exit(2);
	}
}

static struct shared *map_ring(uint32_t slots)
{
	size_t size = sizeof(struct shared) + (size_t)slots * SLOT_SIZE;
	int fd = memfd_create("shmring", MFD_CLOEXEC);
	void *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("shmring: memfd");
		exit(1);
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("shmring: mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	struct cfg c = {.len = 60,
			.slots = 1024,
			.batch = 256,
			.count = 10000000,
			.cpu = {-1, -1}};
	struct shared *sh;
	pid_t pid;
	int st;

	parse(&c, argc, argv);
	sh = map_ring(c.slots);
	pid = fork();
	if (pid < 0) {
		perror("shmring: fork");
		return 1;
	}
	if (pid == 0) {
		pin(c.cpu[1]);
		consume(sh, &c);
		_exit(0);
	}
	pin(c.cpu[0]);
	produce(sh, &c);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "shmring: the consumer failed\n");
		return 1;
	}
	double s = (double)(sh->last_ns - sh->first_ns) / 1e9;
	printf("packets=%llu bytes=%llu seconds=%.3f pps=%.0f\n",
	       (unsigned long long)sh->received,
	       (unsigned long long)(sh->received * c.len), s,
	       s > 0 ? (double)sh->received / s : 0);
	return sh->received == c.count ? 0 : 1;
}
