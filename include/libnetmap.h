/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <libnetmap.h> -- the nmport_* API: open netmap ports from a textual
 * description, API-compatible with netmap's libnetmap.
 *
 * Port specifications ("portspecs"):
 *
 *   portspec := prefix ":" vpname [mode] [flags] [memid] {option}
 *   prefix   := "netmap"            the interface NAME; "netmap:" is dropped
 *             | "vale" [ident]      a port of VALE switch ident (may be
 *                                   empty); "valeX:" stays in nr_name
 *   vpname   := ident | ident "{" ident | ident "}" ident
 *                                   x{y: master end of pipe y of port x,
 *                                   x}y: its slave end; kept whole
 *   ident    := one or more of [A-Za-z0-9_]
 *   mode     := (none)  NR_REG_ALL_NIC     every NIC ring pair
 *             | "*"     NR_REG_NIC_SW      NIC and host ring pairs
 *             | "^"     NR_REG_SW          every host ring pair
 *             | "^" N   NR_REG_ONE_SW      host ring pair N
 *             | "-" N   NR_REG_ONE_NIC     NIC ring pair N (N < 4095)
 *   flags    := "/" { "x" | "z" | "t" | "r" | "R" | "T" }
 *               x NR_EXCLUSIVE, z NR_ZCOPY_MON, t NR_MONITOR_TX,
 *               r NR_MONITOR_RX, R NR_RX_RINGS_ONLY, T NR_TX_RINGS_ONLY
 *   memid    := "@" N               N > 0 goes to nr_mem_id
 *   option   := "@" name            (flag option)
 *             | "@" name "=" value  (the option's default key)
 *             | "@" name ":" key "=" value {"," key "=" value}
 *
 * The name ends at the first of "- * ^ / @".  Options start at the first
 * '@' not followed by a digit.  In keys '-' and '_' are the same letter
 * (tx-rings is tx_rings); a key may appear once per option.  Numbers are
 * decimal and must fit their field.  Options ('*' marks the default key):
 *
 *   share=PORT        use the memory region of PORT (a "netmap:NAME" or
 *                     "valeX:Y" portspec); asks the device for its mem id
 *   conf:KEYS         ring and slot counts, 0 = the port's choice; keys
 *                     *rings, tx-rings, rx-rings, host-rings,
 *                     host-tx-rings, host-rx-rings, slots, tx-slots,
 *                     rx-slots (a specific key beats a general one)
 *   extmem:KEYS       the region lives in the mmap()ed file *file; keys
 *                     if-num, if-size, ring-num, ring-size, buf-num,
 *                     buf-size fill the nmreq_pools_info of the option
 *   offset:KEYS       slot offsets: *initial (required), bits; disabled
 *                     until nmport_enable_option("offset")
 *
 * Errors, for every function below: a call that fails returns -1 (NULL
 * for those returning a pointer), sets errno (EINVAL for a malformed
 * portspec or a call out of order, EOPNOTSUPP for a disabled option,
 * ENOMEM, or what the device answered) and sends one message through the
 * error() callback of the nmport_d's context (when ctx->verbose is set).
 * A failed step leaves nothing behind: the descriptor is as before.
 *
 * Steps and their undo twins:
 *
 *   nmport_open = nmport_prepare (nmport_new + nmport_parse)
 *               + nmport_open_desc (nmport_register + nmport_mmap)
 *   nmport_close = nmport_undo_open_desc + nmport_undo_prepare
 *
 * The library reaches the device only through open("/dev/netmap"),
 * ioctl(NIOCCTRL), mmap and close, as any application would.  Ports of
 * one memory id share a single mapping per context (refcounted), so
 * d1->mem == d2->mem tells that buffers can be swapped between them.
 */
#ifndef LIBNETMAP_H_
#define LIBNETMAP_H_

#include <stddef.h>
#include <stdint.h>
#include <net/netmap_user.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nmctx;
struct nmport_d;
struct nmem_d;
struct nmport_cleanup_d;

/* ---- ports ----------------------------------------------------------------
 */

/* struct nmport_d - one netmap port, from its portspec to its rings */
struct nmport_d {
	struct nmreq_header hdr; /* the REGISTER request; body is &reg */
	struct nmreq_register reg;

	/* read-only from here on */
	struct nmem_d *mem;		 /* the shared mapping of the region */
	struct nmctx *ctx;		 /* the context it was created with */
	int register_done;		 /* nmport_register() succeeded */
	int mmap_done;			 /* nmport_mmap() succeeded */
	struct nmreq_opt_extmem *extmem; /* the extmem option, if any */

	/* as in nm_open()'s struct nm_desc */
	int fd;			/* the /dev/netmap fd, -1 when closed */
	struct netmap_if *nifp; /* the port's interface in the region */
	uint16_t first_tx_ring; /* bound TX rings: [first, last] */
	uint16_t last_tx_ring;
	uint16_t first_rx_ring; /* bound RX rings: [first, last] */
	uint16_t last_rx_ring;
	uint16_t cur_tx_ring; /* where nmport_inject() starts */
	uint16_t cur_rx_ring;

	struct nmport_cleanup_d *clist; /* undo actions, newest first */
};

/*
 * nmport_open - parse @portspec, register the port and map its region.
 * Rings for transmit are [first_tx_ring, last_tx_ring], for receive
 * [first_rx_ring, last_rx_ring]; either interval may be empty
 * (first > last).  Returns NULL on error.
 */
struct nmport_d *nmport_open(const char *portspec);

/* nmport_close - undo nmport_open() (or any prefix of its steps); NULL ok */
void nmport_close(struct nmport_d *d);

/*
 * nmport_inject - copy one frame of @size bytes into the first TX ring,
 * starting at cur_tx_ring, with room for it (several slots chained by
 * NS_MOREFRAG if it exceeds a buffer) and advance head and cur.  The frame
 * leaves at the next txsync or poll.  Returns @size, or 0 when no bound
 * ring has room (errno ENOBUFS) or the port is not mapped (EINVAL).
 */
int nmport_inject(struct nmport_d *d, const void *buf, size_t size);

/* nmport_new - an empty descriptor from the default context's malloc() */
struct nmport_d *nmport_new(void);

/* nmport_delete - free a descriptor made by nmport_new() */
void nmport_delete(struct nmport_d *d);

/*
 * nmport_parse - fill d->hdr and d->reg from @portspec; may add options to
 * the request (and mmap() an extmem file).  On error *d is unchanged.
 */
int nmport_parse(struct nmport_d *d, const char *portspec);

/* nmport_undo_parse - drop the options and reset hdr and reg */
void nmport_undo_parse(struct nmport_d *d);

/*
 * nmport_register - open /dev/netmap and send d->hdr (NIOCCTRL).  The
 * device writes the results back into d->reg.  An option the device
 * refused is named in the message.
 */
int nmport_register(struct nmport_d *d);

/* nmport_undo_register - close the fd */
void nmport_undo_register(struct nmport_d *d);

/*
 * nmport_mmap - map the region of a registered port (or reuse the mapping
 * of its memory id, or the extmem area) and find the bound rings.
 */
int nmport_mmap(struct nmport_d *d);

/* nmport_undo_mmap - drop the mapping reference; unmap with the last one */
void nmport_undo_mmap(struct nmport_d *d);

/* nmport_prepare - nmport_new() then nmport_parse(); NULL on error */
struct nmport_d *nmport_prepare(const char *portspec);

/* nmport_undo_prepare - nmport_undo_parse() then nmport_delete(); NULL ok */
void nmport_undo_prepare(struct nmport_d *d);

/* nmport_open_desc - nmport_register() then nmport_mmap() */
int nmport_open_desc(struct nmport_d *d);

/* nmport_undo_open_desc - nmport_undo_mmap() then nmport_undo_register() */
void nmport_undo_open_desc(struct nmport_d *d);

/*
 * nmport_clone - a prepared (not registered) copy of @d with the same hdr
 * and reg, the same context and no options.  A port using extmem can be
 * cloned only once registered.  NULL on error.
 */
struct nmport_d *nmport_clone(struct nmport_d *d);

/*
 * nmport_extmem - let the port's region live in [@base, @base + @size),
 * memory the application provides; call between parse and register.
 */
int nmport_extmem(struct nmport_d *d, void *base, size_t size);

/* nmport_extmem_from_file - nmport_extmem() on the mmap() of @fname */
int nmport_extmem_from_file(struct nmport_d *d, const char *fname);

/* nmport_extmem_getinfo - the pools info of the extmem option, or NULL */
struct nmreq_pools_info *nmport_extmem_getinfo(struct nmport_d *d);

/*
 * nmport_offset - request slot offsets (NETMAP_REQ_OPT_OFFSETS): @initial
 * offset, @maxoff the largest, @bits of slot->ptr, @mingap between them.
 */
int nmport_offset(struct nmport_d *d, uint64_t initial, uint64_t maxoff,
		  uint64_t bits, uint64_t mingap);

/*
 * nmport_disable_option - make @opt (e.g. "extmem") an error in portspecs;
 * unknown names are ignored.  nmport_enable_option - allow it again (or
 * for the first time, "offset"); -1 with EOPNOTSUPP if unknown.  Meant
 * for the start of a program: not thread-safe.
 */
void nmport_disable_option(const char *opt);
int nmport_enable_option(const char *opt);

/* ---- requests --------------------------------------------------------- */

/* nmreq_header_init - zero @hdr, then set version, @reqtype and @body */
void nmreq_header_init(struct nmreq_header *hdr, uint16_t reqtype, void *body);

/*
 * nmreq_header_decode - copy the port name at *@ppspec into hdr->nr_name
 * (nothing else in @hdr changes) and move *@ppspec past it.
 */
int nmreq_header_decode(const char **ppspec, struct nmreq_header *hdr,
			struct nmctx *ctx);

/*
 * nmreq_register_decode - set nr_mode, nr_ringid, nr_flags and nr_mem_id
 * from the mode, flags and memid at *@pmode and move *@pmode past them.
 * It stops without error at an '@' that starts an option.  A nr_mem_id
 * already set cannot be changed to another value.
 */
int nmreq_register_decode(const char **pmode, struct nmreq_register *reg,
			  struct nmctx *ctx);

struct nmreq_opt_parser;
struct nmreq_parse_ctx;

/*
 * nmreq_options_decode - parse the options at @opt ("" or "@..."): match
 * each to one of the list @parsers, assign its keys, call its parse()
 * with @token.  Options already interpreted stay in effect on error.
 */
int nmreq_options_decode(const char *opt, struct nmreq_opt_parser *parsers,
			 void *token, struct nmctx *ctx);

typedef int (*nmreq_opt_parser_cb)(struct nmreq_parse_ctx *);

#define NMREQ_OPT_MAXKEYS 16 /* keys per option at most */

/* struct nmreq_opt_key - one key an option accepts */
struct nmreq_opt_key {
	const char *key; /* its name, with '_' for '-' */
	int id;		 /* its slot in nmreq_parse_ctx.keys[] */
	unsigned int flags;
#define NMREQ_OPTK_ALLOWEMPTY (1U << 0) /* "=value" may be left out */
#define NMREQ_OPTK_MUSTSET    (1U << 1) /* the option needs this key */
#define NMREQ_OPTK_DEFAULT    (1U << 2) /* "name=value" assigns this key */
};

/* struct nmreq_opt_parser - one option: its name, keys and parse() */
struct nmreq_opt_parser {
	const char *prefix;	   /* the option's name */
	nmreq_opt_parser_cb parse; /* interprets the assigned keys */
	int default_key;	   /* id of the default key, -1 if none */
	int nr_keys;
	unsigned int flags;
#define NMREQ_OPTF_DISABLED   (1U << 0)
#define NMREQ_OPTF_ALLOWEMPTY (1U << 1) /* the option may have no body */
	struct nmreq_opt_parser *next;
	struct nmreq_opt_key keys[NMREQ_OPT_MAXKEYS];
} __attribute__((aligned(16)));

/* struct nmreq_parse_ctx - what a parse() callback receives */
struct nmreq_parse_ctx {
	struct nmctx *ctx;
	void *token; /* as given to nmreq_options_decode() */
	const char *keys[NMREQ_OPT_MAXKEYS]; /* values by key id; NULL unset */
};

/*
 * nmreq_get_mem_id - the memory id of the port named at *@portname (asked
 * with NETMAP_REQ_PORT_INFO_GET); moves *@portname past the name.
 */
int32_t nmreq_get_mem_id(const char **portname, struct nmctx *ctx);

/* option lists: push on the front, unlink one, find by type, free all */
void nmreq_push_option(struct nmreq_header *hdr, struct nmreq_option *opt);
void nmreq_remove_option(struct nmreq_header *hdr, struct nmreq_option *opt);
struct nmreq_option *nmreq_find_option(struct nmreq_header *hdr,
				       uint32_t reqtype);
/* nmreq_free_options - free() every option of @hdr (malloc()ed ones) */
void nmreq_free_options(struct nmreq_header *hdr);
/* nmreq_option_name - "extmem", "offsets", ...; "unknown" otherwise */
const char *nmreq_option_name(uint32_t reqtype);

#define nmreq_foreach_option(h_, o_)                                           \
	for ((o_) = (struct nmreq_option *)(uintptr_t)((h_)->nr_options);      \
	     (o_) != NULL;                                                     \
	     (o_) = (struct nmreq_option *)(uintptr_t)((o_)->nro_next))

/* ---- contexts ------------------------------------------------------------ */

/*
 * A context says how errors are reported (error(), only when verbose is
 * non-zero), how memory is allocated (malloc(), free()) and how the list
 * of mapped regions is locked (lock(ctx, 1) / lock(ctx, 0), may be NULL).
 * Every nmport_d remembers the context that was the default when it was
 * created.  The default context prints errors to stderr and is
 * thread-safe.
 */
typedef void (*nmctx_error_cb)(struct nmctx *, const char *);
typedef void *(*nmctx_malloc_cb)(struct nmctx *, size_t);
typedef void (*nmctx_free_cb)(struct nmctx *, void *);
typedef void (*nmctx_lock_cb)(struct nmctx *, int);

struct nmctx {
	int verbose;
	nmctx_error_cb error;
	nmctx_malloc_cb malloc;
	nmctx_free_cb free;
	nmctx_lock_cb lock;

	struct nmem_d *mem_descs; /* the regions mapped through this context */
};

/* nmctx_get - the current default context */
struct nmctx *nmctx_get(void);

/* nmctx_set_default - make @ctx the default; returns the previous one */
struct nmctx *nmctx_set_default(struct nmctx *ctx);

/* struct nmem_d - one mapped region, shared by the ports of its mem id */
struct nmem_d {
	uint16_t mem_id;
	int refcount;  /* nmport_d's using it */
	void *mem;     /* base address */
	size_t size;   /* bytes mapped */
	int is_extmem; /* the application's memory: never unmapped here */

	struct nmem_d *next;
	struct nmem_d *prev;
};

/*
 * Programs built without LIBNETMAP_NOTHREADSAFE reference this flag, as
 * netmap's own header makes them do; the default context here is always
 * thread-safe, so it only keeps such programs linking.
 */
static __attribute__((used)) void libnetmap_init(void)
{
#ifndef LIBNETMAP_NOTHREADSAFE
	extern int nmctx_threadsafe;
	nmctx_threadsafe = 1;
#endif
}

/* nmctx_set_threadsafe - give the default context a mutex lock() */
void nmctx_set_threadsafe(void);

/* nmctx_ferror - format a message and send it to ctx->error() */
void nmctx_ferror(struct nmctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* nmctx_malloc, nmctx_free - allocate and free through the context */
void *nmctx_malloc(struct nmctx *ctx, size_t size);
void nmctx_free(struct nmctx *ctx, void *p);
/* nmctx_lock, nmctx_unlock - guard the context's list of regions */
void nmctx_lock(struct nmctx *ctx);
void nmctx_unlock(struct nmctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* LIBNETMAP_H_ */
