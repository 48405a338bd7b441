// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmreq -- requests: the port name and the register mode of a portspec,
 * the memory id of a named port, and the helpers for option lists.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nmlib.h"

NM_PUBLIC void nmreq_header_init(struct nmreq_header *hdr, uint16_t reqtype,
				 void *body)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->nr_version = NETMAP_API;
	hdr->nr_reqtype = reqtype;
	hdr->nr_body = (uintptr_t)body;
}

int nm_parse_number(struct nmctx *ctx, const char *what, const char *s,
		    unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s)) {
		nmctx_ferror(ctx, "%s: '%s' is not a number", what, s);
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		nmctx_ferror(ctx, "%s: '%s' is not a number", what, s);
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		nmctx_ferror(ctx, "%s: %s out of range [%llu, %llu]", what, s,
			     min, max);
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- the port name -------------------------------------------------- */

static int is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of the identifier at @s (letters, digits, '_'). */
static size_t ident_len(const char *s)
{
	size_t n = 0;

	while (is_ident_char(s[n]))
		n++;
	return n;
}

static int einval(void)
{
	errno = EINVAL;
	return -1;
}

/*
 * The subsystem: "netmap:" (dropped from nr_name) or "vale" + optional
 * identifier + ":" (kept).  Sets *@vpname past the colon and *@keep to
 * where nr_name starts.
 */
static int decode_prefix(const char *spec, const char **vpname,
			 const char **keep, struct nmctx *ctx)
{
	size_t plen = strlen(NM_BDG_NAME), n;

	if (strncmp(spec, "netmap", 6) == 0) {
		if (spec[6] != ':') {
			nmctx_ferror(ctx,
				     "%s: nothing may stand between 'netmap' "
				     "and ':'",
				     spec);
			return einval();
		}
		*vpname = *keep = spec + 7;
		return 0;
	}
	if (strncmp(spec, NM_BDG_NAME, plen) == 0) {
		n = ident_len(spec + plen);
		if (spec[plen + n] != ':') {
			nmctx_ferror(ctx,
				     "%s: a VALE switch name is letters, "
				     "digits and '_', then ':'",
				     spec);
			return einval();
		}
		*keep = spec;
		*vpname = spec + plen + n + 1;
		return 0;
	}
	nmctx_ferror(ctx, "%s: a port name begins with 'netmap:' or '%s'", spec,
		     NM_BDG_NAME);
	return einval();
}

/* vpname := ident [ ("{" | "}") ident ], ending at @end. */
static int check_vpname(const char *spec, const char *vp, const char *end,
			struct nmctx *ctx)
{
	size_t n = ident_len(vp);

	if (n == 0) {
		nmctx_ferror(ctx, "%s: empty port name", spec);
		return einval();
	}
	if (vp + n == end)
		return 0;
	if (vp[n] != '{' && vp[n] != '}') {
		nmctx_ferror(ctx, "%s: invalid character '%c' in port name",
			     spec, vp[n]);
		return einval();
	}
	vp += n + 1;
	n = ident_len(vp);
	if (n == 0 && vp == end) {
		nmctx_ferror(ctx, "%s: empty pipe name", spec);
		return einval();
	}
	if (vp + n != end) {
		nmctx_ferror(ctx, "%s: invalid character '%c' in pipe name",
			     spec, vp[n]);
		return einval();
	}
	return 0;
}

NM_PUBLIC int nmreq_header_decode(const char **ppspec, struct nmreq_header *hdr,
				  struct nmctx *ctx)
{
	const char *spec = *ppspec, *vpname, *keep, *end;
	size_t len;

	if (decode_prefix(spec, &vpname, &keep, ctx) < 0)
		return -1;
	end = vpname + strcspn(vpname, "-*^/@");
	if (check_vpname(spec, vpname, end, ctx) < 0)
		return -1;
	len = (size_t)(end - keep);
	if (len >= sizeof(hdr->nr_name)) {
		nmctx_ferror(ctx, "%s: name '%.*s' longer than %zu characters",
			     spec, (int)len, keep, sizeof(hdr->nr_name) - 1);
		return einval();
	}
	memcpy(hdr->nr_name, keep, len);
	memset(hdr->nr_name + len, 0, sizeof(hdr->nr_name) - len);
	*ppspec = end;
	return 0;
}

/* ---- the register mode ------------------------------------------------ */

struct regmode {
	uint32_t mode;
	uint16_t ringid;
	uint16_t mem_id;
	uint64_t flags;
};

/* A ring number after '-' or '^': [0, NETMAP_RING_MASK). */
static int decode_ring(const char **pscan, uint16_t *ringid, struct nmctx *ctx)
{
	const char *s = *pscan;
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s)) {
		nmctx_ferror(ctx, "expected a ring number, got '%s'", s);
		return einval();
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || v >= NETMAP_RING_MASK) {
		nmctx_ferror(ctx, "ring '%.*s' out of range [0, %d)",
			     (int)(end - s), s, NETMAP_RING_MASK);
		return einval();
	}
	*ringid = (uint16_t)v;
	*pscan = end;
	return 0;
}

static int decode_flag(char c, uint64_t *flags, struct nmctx *ctx)
{
	static const struct {
		char c;
		uint64_t flag;
	} table[] = {
	    {'x', NR_EXCLUSIVE},     {'z', NR_ZCOPY_MON},
	    {'t', NR_MONITOR_TX},    {'r', NR_MONITOR_RX},
	    {'R', NR_RX_RINGS_ONLY}, {'T', NR_TX_RINGS_ONLY},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].c == c) {
			*flags |= table[i].flag;
			return 0;
		}
	}
	nmctx_ferror(ctx, "unknown flag '%c' (flags are x z t r R T)", c);
	return einval();
}

/* "/" FLAGS up to the next '@' or the end; '/' alone ends nothing. */
static int decode_flags(const char **pscan, uint64_t *flags, struct nmctx *ctx)
{
	const char *s = *pscan;

	if (*s == '\0') {
		nmctx_ferror(ctx, "no flag after '/'");
		return einval();
	}
	for (; *s && *s != '@'; s++) {
		if (decode_flag(*s, flags, ctx) < 0)
			return -1;
	}
	*pscan = s;
	return 0;
}

/* "@" N: a memory id, equal to any one set before. */
static int decode_mem_id(const char **pscan, uint16_t *mem_id,
			 struct nmctx *ctx)
{
	const char *s = *pscan;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || v == 0 || v > UINT16_MAX) {
		nmctx_ferror(ctx, "invalid memory id '%.*s' (1 to %u)",
			     (int)(end - s), s, UINT16_MAX);
		return einval();
	}
	if (*mem_id && *mem_id != v) {
		nmctx_ferror(ctx, "memory id %lu conflicts with %u set before",
			     v, *mem_id);
		return einval();
	}
	*mem_id = (uint16_t)v;
	*pscan = end;
	return 0;
}

/* The ring selector right after the name: none, '*', '^', '^N', '-N'. */
static int decode_selector(const char **pscan, struct regmode *m,
			   struct nmctx *ctx)
{
	const char *s = *pscan;

	switch (*s) {
	case '*':
		m->mode = NR_REG_NIC_SW;
		s++;
		break;
	case '^':
		s++;
		m->mode = NR_REG_SW;
		if (isdigit((unsigned char)*s)) {
			m->mode = NR_REG_ONE_SW;
			if (decode_ring(&s, &m->ringid, ctx) < 0)
				return -1;
		}
		break;
	case '-':
		s++;
		m->mode = NR_REG_ONE_NIC;
		if (decode_ring(&s, &m->ringid, ctx) < 0)
			return -1;
		break;
	}
	*pscan = s;
	return 0;
}

NM_PUBLIC int nmreq_register_decode(const char **pmode,
				    struct nmreq_register *reg,
				    struct nmctx *ctx)
{
	struct regmode m = {.mode = NR_REG_ALL_NIC, .mem_id = reg->nr_mem_id};
	const char *s = *pmode;

	if (decode_selector(&s, &m, ctx) < 0)
		return -1;
	while (*s) {
		if (*s == '/') {
			s++;
			if (decode_flags(&s, &m.flags, ctx) < 0)
				return -1;
		} else if (*s == '@' && isdigit((unsigned char)s[1])) {
			s++;
			if (decode_mem_id(&s, &m.mem_id, ctx) < 0)
				return -1;
		} else if (*s == '@' && s[1] == '\0') {
			nmctx_ferror(ctx, "nothing after the final '@'");
			return einval();
		} else if (*s == '@') {
			break; /* the options start here */
		} else {
			nmctx_ferror(ctx, "unexpected '%c' in '%s'", *s,
				     *pmode);
			return einval();
		}
	}
	reg->nr_mode = m.mode;
	reg->nr_ringid = m.ringid;
	reg->nr_flags = m.flags;
	reg->nr_mem_id = m.mem_id;
	*pmode = s;
	return 0;
}

/* ---- memory id of a named port ---------------------------------------- */

NM_PUBLIC int32_t nmreq_get_mem_id(const char **portname, struct nmctx *ctx)
{
	struct nmreq_port_info_get info;
	struct nmreq_header hdr;
	const char *scan;
	int fd, err;

	if (portname == NULL || *portname == NULL) {
		nmctx_ferror(ctx, "no port name to take the memory id from");
		errno = EINVAL;
		return -1;
	}
	scan = *portname;
	nmreq_header_init(&hdr, NETMAP_REQ_PORT_INFO_GET, &info);
	if (nmreq_header_decode(&scan, &hdr, ctx) < 0)
		return -1;
	fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "/dev/netmap: %s", strerror(err));
		errno = err;
		return -1;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, NIOCCTRL, &hdr) < 0) {
		err = errno;
		close(fd);
		nmctx_ferror(ctx, "%s: cannot get its memory id: %s",
			     hdr.nr_name, strerror(err));
		errno = err;
		return -1;
	}
	close(fd);
	*portname = scan;
	return info.nr_mem_id;
}

/* ---- option lists ------------------------------------------------------- */

NM_PUBLIC void nmreq_push_option(struct nmreq_header *hdr,
				 struct nmreq_option *opt)
{
	opt->nro_next = hdr->nr_options;
	hdr->nr_options = (uintptr_t)opt;
}

NM_PUBLIC void nmreq_remove_option(struct nmreq_header *hdr,
				   struct nmreq_option *opt)
{
	uint64_t *link = &hdr->nr_options;

	while (*link) {
		struct nmreq_option *o = (void *)(uintptr_t)*link;

		if (o == opt) {
			*link = o->nro_next;
			o->nro_next = 0;
			return;
		}
		link = &o->nro_next;
	}
}

NM_PUBLIC struct nmreq_option *nmreq_find_option(struct nmreq_header *hdr,
						 uint32_t reqtype)
{
	struct nmreq_option *o;

	nmreq_foreach_option(hdr, o)
	{
		if (o->nro_reqtype == reqtype)
			return o;
	}
	return NULL;
}

NM_PUBLIC void nmreq_free_options(struct nmreq_header *hdr)
{
	struct nmreq_option *o = (void *)(uintptr_t)hdr->nr_options;

	while (o) {
		struct nmreq_option *next = (void *)(uintptr_t)o->nro_next;

		free(o);
		o = next;
	}
	hdr->nr_options = 0;
}

NM_PUBLIC const char *nmreq_option_name(uint32_t reqtype)
{
	switch (reqtype) {
	case NETMAP_REQ_OPT_EXTMEM:
		return "extmem";
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		return "sync-kloop-eventfds";
	case NETMAP_REQ_OPT_CSB:
		return "csb";
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return "sync-kloop-mode";
	case NETMAP_REQ_OPT_OFFSETS:
		return "offsets";
	default:
		return "unknown";
	}
}
