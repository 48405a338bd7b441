/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing capture files: pcap with nanosecond timestamps (magic 0xa1b23c4d)
 * or pcapng with one Ethernet interface whose if_tsresol is 9 (ns).
 */
#ifndef TOOLS_PCAPW_H
#define TOOLS_PCAPW_H

#include <stdint.h>

enum pcapw_format { PCAPW_PCAP, PCAPW_PCAPNG };

struct pcapw;

/*
 * Creates (truncates) @path and writes the file header; @ifname goes into
 * pcapng's interface block.  NULL with errno set on error.
 */
struct pcapw *pcapw_open(const char *path, enum pcapw_format fmt,
			 uint32_t snaplen, const char *ifname);

/*
 * Appends a frame of @len bytes seen at @ts_ns (ns since the epoch), of
 * which @caplen are at @data.  0, or -1 with errno set.
 */
int pcapw_write(struct pcapw *w, uint64_t ts_ns, const uint8_t *data,
		uint32_t caplen, uint32_t len);

/* Bytes the file holds (headers included) once everything is flushed. */
uint64_t pcapw_size(const struct pcapw *w);

/* Bytes a record of @caplen captured bytes adds to a file of @fmt. */
uint64_t pcapw_record_size(enum pcapw_format fmt, uint32_t caplen);

/* Flushes and closes; 0, or -1 with errno set if data was lost. */
int pcapw_close(struct pcapw *w);

#endif /* TOOLS_PCAPW_H */
