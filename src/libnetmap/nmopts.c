// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmopts -- the "@option" part of a portspec: the generic key=value
 * parser, and the options a port accepts (share, conf, extmem, offset).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nmlib.h"

/* ---- the generic parser ------------------------------------------------ */

static int opt_error(int err)
{
	errno = err;
	return -1;
}

static struct nmreq_opt_key *find_key(struct nmreq_opt_parser *p,
				      const char *name)
{
	for (int i = 0; i < p->nr_keys && i < NMREQ_OPT_MAXKEYS; i++) {
		if (strcmp(p->keys[i].key, name) == 0)
			return &p->keys[i];
	}
	return NULL;
}

/* One "key[=value]" of a multi-key option; @item is writable. */
static int assign_key(struct nmreq_opt_parser *p, char *item,
		      struct nmreq_parse_ctx *pctx)
{
	char *value = strchr(item, '=');
	struct nmreq_opt_key *k;

	if (value)
		*value++ = '\0';
	for (char *c = item; *c; c++) {
		if (*c == '-')
			*c = '_'; /* tx-rings and tx_rings are one key */
	}
	if (*item == '\0') {
		nmctx_ferror(pctx->ctx, "option '%s': empty key", p->prefix);
		return opt_error(EINVAL);
	}
	k = find_key(p, item);
	if (k == NULL) {
		nmctx_ferror(pctx->ctx, "option '%s': unknown key '%s'",
			     p->prefix, item);
		return opt_error(EINVAL);
	}
	if (pctx->keys[k->id] != NULL) {
		nmctx_ferror(pctx->ctx, "option '%s': key '%s' given twice",
			     p->prefix, item);
		return opt_error(EINVAL);
	}
	if (value == NULL && !(k->flags & NMREQ_OPTK_ALLOWEMPTY)) {
		nmctx_ferror(pctx->ctx, "option '%s': key '%s' needs '=value'",
			     p->prefix, item);
		return opt_error(EINVAL);
	}
	if (value != NULL && *value == '\0') {
		nmctx_ferror(pctx->ctx, "option '%s': key '%s' has no value",
			     p->prefix, item);
		return opt_error(EINVAL);
	}
	pctx->keys[k->id] = value ? value : item;
	return 0;
}

/* "key=value,key=value,..." of option @p; @body is writable. */
static int assign_keys(struct nmreq_opt_parser *p, char *body,
		       struct nmreq_parse_ctx *pctx)
{
	char *item = body, *comma;

	if (*body == '\0') {
		nmctx_ferror(pctx->ctx, "option '%s': no key after ':'",
			     p->prefix);
		return opt_error(EINVAL);
	}
	for (;;) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		if (assign_key(p, item, pctx) < 0)
			return -1;
		if (!comma)
			return 0;
		item = comma + 1;
	}
}

static int check_mandatory(struct nmreq_opt_parser *p,
			   struct nmreq_parse_ctx *pctx)
{
	for (int i = 0; i < p->nr_keys && i < NMREQ_OPT_MAXKEYS; i++) {
		const struct nmreq_opt_key *k = &p->keys[i];

		if ((k->flags & NMREQ_OPTK_MUSTSET) && !pctx->keys[k->id]) {
			nmctx_ferror(pctx->ctx,
				     "option '%s': key '%s' is required",
				     p->prefix, k->key);
			return opt_error(EINVAL);
		}
	}
	return 0;
}

/* Assigns the keys of option @p from what follows its name. */
static int assign_body(struct nmreq_opt_parser *p, char delim, char *body,
		       struct nmreq_parse_ctx *pctx)
{
	switch (delim) {
	case '\0':
		if (!(p->flags & NMREQ_OPTF_ALLOWEMPTY)) {
			nmctx_ferror(pctx->ctx, "option '%s' needs a value",
				     p->prefix);
			return opt_error(EINVAL);
		}
		return 0;
	case '=':
		if (p->default_key < 0 || p->default_key >= NMREQ_OPT_MAXKEYS) {
			nmctx_ferror(pctx->ctx,
				     "option '%s' has no default key: use "
				     "'%s:key=value'",
				     p->prefix, p->prefix);
			return opt_error(EINVAL);
		}
		if (*body == '\0') {
			nmctx_ferror(pctx->ctx, "option '%s': empty value",
				     p->prefix);
			return opt_error(EINVAL);
		}
		pctx->keys[p->default_key] = body;
		return 0;
	default:
		return assign_keys(p, body, pctx);
	}
}

/* One option, "name", "name=value" or "name:k=v,..."; @opt is writable. */
static int decode_option(char *opt, struct nmreq_opt_parser *parsers,
			 void *token, struct nmctx *ctx)
{
	struct nmreq_parse_ctx pctx = {.ctx = ctx, .token = token};
	size_t n = strcspn(opt, ":=");
	char delim = opt[n];
	struct nmreq_opt_parser *p;

	opt[n] = '\0';
	for (p = parsers; p != NULL; p = p->next) {
		if (strcmp(p->prefix, opt) == 0)
			break;
	}
	if (p == NULL) {
		nmctx_ferror(ctx, "unknown option '%s'", opt);
		return opt_error(EINVAL);
	}
	if (p->flags & NMREQ_OPTF_DISABLED) {
		nmctx_ferror(ctx, "option '%s' is disabled", opt);
		return opt_error(EOPNOTSUPP);
	}
	if (assign_body(p, delim, delim ? opt + n + 1 : opt + n, &pctx) < 0 ||
	    check_mandatory(p, &pctx) < 0)
		return -1;
	return p->parse(&pctx);
}

NM_PUBLIC int nmreq_options_decode(const char *opt,
				   struct nmreq_opt_parser *parsers,
				   void *token, struct nmctx *ctx)
{
	const char *scan = opt;

	if (*opt == '\0')
		return 0;
	if (*opt != '@') {
		nmctx_ferror(ctx, "options must start with '@', not '%s'", opt);
		return opt_error(EINVAL);
	}
	while (*scan == '@') {
		size_t len = strcspn(scan + 1, "@");
		char *copy;
		int ret;

		if (len == 0) {
			nmctx_ferror(ctx, "empty option in '%s'", opt);
			return opt_error(EINVAL);
		}
		copy = nmctx_malloc(ctx, len + 1);
		if (copy == NULL) {
			nmctx_ferror(ctx, "out of memory parsing options");
			return opt_error(ENOMEM);
		}
		memcpy(copy, scan + 1, len);
		copy[len] = '\0';
		ret = decode_option(copy, parsers, token, ctx);
		nmctx_free(ctx, copy);
		if (ret < 0)
			return -1;
		scan += 1 + len;
	}
	return 0;
}

/* ---- the options of a port ------------------------------------------- */

enum { SHARE_PORT };
enum {
	CONF_RINGS,
	CONF_HOST_RINGS,
	CONF_SLOTS,
	CONF_TX_RINGS,
	CONF_RX_RINGS,
	CONF_HOST_TX_RINGS,
	CONF_HOST_RX_RINGS,
	CONF_TX_SLOTS,
	CONF_RX_SLOTS,
};
enum {
	EXTMEM_FILE,
	EXTMEM_IF_NUM,
	EXTMEM_IF_SIZE,
	EXTMEM_RING_NUM,
	EXTMEM_RING_SIZE,
	EXTMEM_BUF_NUM,
	EXTMEM_BUF_SIZE,
};
enum { OFFSET_INITIAL, OFFSET_BITS };

#define KEY(name, id, flags) [id] = {name, id, flags}
#define DEFKEY		     (NMREQ_OPTK_DEFAULT | NMREQ_OPTK_MUSTSET)

/* A numeric key, if set, into *@out; -1 on a bad number. */
static int key_number(struct nmreq_parse_ctx *p, int id, const char *opt,
		      unsigned long long max, unsigned long long *out)
{
	char what[64];

	if (p->keys[id] == NULL)
		return 0;
	snprintf(what, sizeof(what), "option '%s'", opt);
	return nm_parse_number(p->ctx, what, p->keys[id], 0, max, out);
}

static int parse_share(struct nmreq_parse_ctx *p)
{
	struct nmport_d *d = p->token;
	const char *name = p->keys[SHARE_PORT];
	int32_t mem_id = nmreq_get_mem_id(&name, p->ctx);

	if (mem_id < 0)
		return -1;
	if (d->reg.nr_mem_id && d->reg.nr_mem_id != mem_id) {
		nmctx_ferror(p->ctx,
			     "share: memory id %d conflicts with %u set before",
			     mem_id, d->reg.nr_mem_id);
		return opt_error(EINVAL);
	}
	d->reg.nr_mem_id = (uint16_t)mem_id;
	return 0;
}

static int parse_conf(struct nmreq_parse_ctx *p)
{
	struct nmreq_register *r = &((struct nmport_d *)p->token)->reg;
	unsigned long long v[CONF_RX_SLOTS + 1];
	int set[CONF_RX_SLOTS + 1];

	for (int i = 0; i <= CONF_RX_SLOTS; i++) {
		int slots =
		    i == CONF_SLOTS || i == CONF_TX_SLOTS || i == CONF_RX_SLOTS;

		set[i] = p->keys[i] != NULL;
		if (key_number(p, i, "conf", slots ? UINT32_MAX : UINT16_MAX,
			       &v[i]) < 0)
			return -1;
	}
	/* the general keys first, so that the specific ones win */
	if (set[CONF_RINGS])
		r->nr_tx_rings = r->nr_rx_rings = (uint16_t)v[CONF_RINGS];
	if (set[CONF_HOST_RINGS])
		r->nr_host_tx_rings = r->nr_host_rx_rings =
		    (uint16_t)v[CONF_HOST_RINGS];
	if (set[CONF_SLOTS])
		r->nr_tx_slots = r->nr_rx_slots = (uint32_t)v[CONF_SLOTS];
	if (set[CONF_TX_RINGS])
		r->nr_tx_rings = (uint16_t)v[CONF_TX_RINGS];
	if (set[CONF_RX_RINGS])
		r->nr_rx_rings = (uint16_t)v[CONF_RX_RINGS];
	if (set[CONF_HOST_TX_RINGS])
		r->nr_host_tx_rings = (uint16_t)v[CONF_HOST_TX_RINGS];
	if (set[CONF_HOST_RX_RINGS])
		r->nr_host_rx_rings = (uint16_t)v[CONF_HOST_RX_RINGS];
	if (set[CONF_TX_SLOTS])
		r->nr_tx_slots = (uint32_t)v[CONF_TX_SLOTS];
	if (set[CONF_RX_SLOTS])
		r->nr_rx_slots = (uint32_t)v[CONF_RX_SLOTS];
	return 0;
}

static int parse_extmem(struct nmreq_parse_ctx *p)
{
	struct nmport_d *d = p->token;
	unsigned long long v[EXTMEM_BUF_SIZE + 1] = {0};
	struct nmreq_pools_info *pi;

	for (int i = EXTMEM_IF_NUM; i <= EXTMEM_BUF_SIZE; i++) {
		if (key_number(p, i, "extmem", UINT32_MAX, &v[i]) < 0)
			return -1;
	}
	if (nmport_extmem_from_file(d, p->keys[EXTMEM_FILE]) < 0)
		return -1;
	pi = nmport_extmem_getinfo(d);
	pi->nr_if_pool_objtotal = (uint32_t)v[EXTMEM_IF_NUM];
	pi->nr_if_pool_objsize = (uint32_t)v[EXTMEM_IF_SIZE];
	pi->nr_ring_pool_objtotal = (uint32_t)v[EXTMEM_RING_NUM];
	pi->nr_ring_pool_objsize = (uint32_t)v[EXTMEM_RING_SIZE];
	pi->nr_buf_pool_objtotal = (uint32_t)v[EXTMEM_BUF_NUM];
	pi->nr_buf_pool_objsize = (uint32_t)v[EXTMEM_BUF_SIZE];
	return 0;
}

static int parse_offset(struct nmreq_parse_ctx *p)
{
	unsigned long long initial = 0, bits = 0;

	if (key_number(p, OFFSET_INITIAL, "offset", UINT64_MAX, &initial) < 0 ||
	    key_number(p, OFFSET_BITS, "offset", 64, &bits) < 0)
		return -1;
	return nmport_offset(p->token, initial, initial, bits, 0);
}

static struct nmreq_opt_parser opt_offset = {
    .prefix = "offset",
    .parse = parse_offset,
    .default_key = OFFSET_INITIAL,
    .nr_keys = 2,
    .flags = NMREQ_OPTF_DISABLED, /* the application must handle offsets */
    .keys =
	{
	    KEY("initial", OFFSET_INITIAL, DEFKEY),
	    KEY("bits", OFFSET_BITS, 0),
	},
};

static struct nmreq_opt_parser opt_extmem = {
    .prefix = "extmem",
    .parse = parse_extmem,
    .default_key = EXTMEM_FILE,
    .nr_keys = 7,
    .next = &opt_offset,
    .keys =
	{
	    KEY("file", EXTMEM_FILE, DEFKEY),
	    KEY("if_num", EXTMEM_IF_NUM, 0),
	    KEY("if_size", EXTMEM_IF_SIZE, 0),
	    KEY("ring_num", EXTMEM_RING_NUM, 0),
	    KEY("ring_size", EXTMEM_RING_SIZE, 0),
	    KEY("buf_num", EXTMEM_BUF_NUM, 0),
	    KEY("buf_size", EXTMEM_BUF_SIZE, 0),
	},
};

static struct nmreq_opt_parser opt_conf = {
    .prefix = "conf",
    .parse = parse_conf,
    .default_key = CONF_RINGS,
    .nr_keys = 9,
    .next = &opt_extmem,
    .keys =
	{
	    KEY("rings", CONF_RINGS, NMREQ_OPTK_DEFAULT),
	    KEY("host_rings", CONF_HOST_RINGS, 0),
	    KEY("slots", CONF_SLOTS, 0),
	    KEY("tx_rings", CONF_TX_RINGS, 0),
	    KEY("rx_rings", CONF_RX_RINGS, 0),
	    KEY("host_tx_rings", CONF_HOST_TX_RINGS, 0),
	    KEY("host_rx_rings", CONF_HOST_RX_RINGS, 0),
	    KEY("tx_slots", CONF_TX_SLOTS, 0),
	    KEY("rx_slots", CONF_RX_SLOTS, 0),
	},
};

static struct nmreq_opt_parser opt_share = {
    .prefix = "share",
    .parse = parse_share,
    .default_key = SHARE_PORT,
    .nr_keys = 1,
    .next = &opt_conf,
    .keys = {KEY("port", SHARE_PORT, DEFKEY)},
};

struct nmreq_opt_parser *nmport_opt_parsers = &opt_share;

NM_PUBLIC void nmport_disable_option(const char *opt)
{
	for (struct nmreq_opt_parser *p = nmport_opt_parsers; p; p = p->next) {
		if (strcmp(p->prefix, opt) == 0)
			p->flags |= NMREQ_OPTF_DISABLED;
	}
}

NM_PUBLIC int nmport_enable_option(const char *opt)
{
	for (struct nmreq_opt_parser *p = nmport_opt_parsers; p; p = p->next) {
		if (strcmp(p->prefix, opt) == 0) {
			p->flags &= ~NMREQ_OPTF_DISABLED;
			return 0;
		}
	}
	return opt_error(EOPNOTSUPP);
}
