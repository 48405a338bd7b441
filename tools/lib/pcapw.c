// SPDX-License-Identifier: BSD-2-Clause
/*
 * pcap and pcapng writers.  Both formats are written in the host's byte
 * order, which their magic numbers let readers detect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

#define PCAP_MAGIC_NS  0xa1b23c4du
#define LINKTYPE_ETH   1
#define NG_SHB	       0x0a0d0d0au
#define NG_IDB	       1u
#define NG_EPB	       6u
#define NG_BYTE_ORDER  0x1a2b3c4du
#define NG_OPT_END     0
#define NG_OPT_IF_NAME 2
#define NG_OPT_TSRESOL 9
#define NG_EPB_FIXED   28 /* EPB fields before the data */
#define PCAP_REC_HDR   16
#define IFNAME_MAX     64

struct pcapw {
	FILE *f;
	enum pcapw_format fmt;
	uint64_t size;
	int err; /* first write error, reported by close */
};

static uint32_t pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

static void put(struct pcapw *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n && !w->err)
		w->err = errno ? errno : EIO;
	w->size += n;
}

static void put32(struct pcapw *w, uint32_t v)
{
	put(w, &v, 4);
}

static void put16(struct pcapw *w, uint16_t v)
{
	put(w, &v, 2);
}

static void put_zeros(struct pcapw *w, size_t n)
{
	static const uint8_t zero[4];

	put(w, zero, n);
}

static void write_pcap_header(struct pcapw *w, uint32_t snaplen)
{
	put32(w, PCAP_MAGIC_NS);
	put16(w, 2); /* version 2.4 */
	put16(w, 4);
	put32(w, 0); /* thiszone */
	put32(w, 0); /* sigfigs */
	put32(w, snaplen);
	put32(w, LINKTYPE_ETH);
}

static void write_ng_option(struct pcapw *w, uint16_t code, const void *v,
			    uint16_t len)
{
	put16(w, code);
	put16(w, len);
	put(w, v, len);
	put_zeros(w, pad4(len) - len);
}

static void write_ng_headers(struct pcapw *w, uint32_t snaplen,
			     const char *ifname)
{
	const uint64_t unknown_section_len = UINT64_MAX;
	uint8_t tsresol = 9; /* 10^-9 s */
	uint16_t name_len = ifname ? (uint16_t)strnlen(ifname, IFNAME_MAX) : 0;
	uint32_t idb_len = 20 + 8 + (name_len ? 4 + pad4(name_len) : 0) + 4;

	put32(w, NG_SHB);
	put32(w, 28);
	put32(w, NG_BYTE_ORDER);
	put16(w, 1); /* version 1.0 */
	put16(w, 0);
	put(w, &unknown_section_len, 8);
	put32(w, 28);

	put32(w, NG_IDB);
	put32(w, idb_len);
	put16(w, LINKTYPE_ETH);
	put16(w, 0);
	put32(w, snaplen);
	if (name_len)
		write_ng_option(w, NG_OPT_IF_NAME, ifname, name_len);
	write_ng_option(w, NG_OPT_TSRESOL, &tsresol, 1);
	write_ng_option(w, NG_OPT_END, NULL, 0);
	put32(w, idb_len);
}

struct pcapw *pcapw_open(const char *path, enum pcapw_format fmt,
			 uint32_t snaplen, const char *ifname)
{
	struct pcapw *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->fmt = fmt;
	w->f = fopen(path, "wbe");
	if (!w->f) {
		err = errno;
		free(w);
		errno = err;
		return NULL;
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	if (fmt == PCAPW_PCAPNG)
		write_ng_headers(w, snaplen, ifname);
	else
		write_pcap_header(w, snaplen);
	if (w->err) {
		err = w->err;
		fclose(w->f);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

uint64_t pcapw_record_size(enum pcapw_format fmt, uint32_t caplen)
{
	if (fmt == PCAPW_PCAPNG)
		return NG_EPB_FIXED + 4 + pad4(caplen);
	return PCAP_REC_HDR + caplen;
}

int pcapw_write(struct pcapw *w, uint64_t ts_ns, const uint8_t *data,
		uint32_t caplen, uint32_t len)
{
	uint32_t block_len;

	if (w->fmt == PCAPW_PCAP) {
		put32(w, (uint32_t)(ts_ns / 1000000000ULL));
		put32(w, (uint32_t)(ts_ns % 1000000000ULL));
		put32(w, caplen);
		put32(w, len);
		put(w, data, caplen);
	} else {
		block_len = (uint32_t)pcapw_record_size(w->fmt, caplen);
		put32(w, NG_EPB);
		put32(w, block_len);
		put32(w, 0); /* interface 0 */
		put32(w, (uint32_t)(ts_ns >> 32));
		put32(w, (uint32_t)ts_ns);
		put32(w, caplen);
		put32(w, len);
		put(w, data, caplen);
		put_zeros(w, pad4(caplen) - caplen);
		put32(w, block_len);
	}
	if (w->err) {
		errno = w->err;
		return -1;
	}
	return 0;
}

uint64_t pcapw_size(const struct pcapw *w)
{
	return w->size;
}

int pcapw_close(struct pcapw *w)
{
	int err = w->err;

	if (fclose(w->f) && !err)
		err = errno ? errno : EIO;
	free(w);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
