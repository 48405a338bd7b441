// SPDX-License-Identifier: BSD-2-Clause
/*
 * abi -- checks pktmap's headers against netmap's binary interface.
 *
 * Prints, from our headers, every struct's size and alignment, each listed
 * field's offset and size and every constant, in the format of
 * tests/unit/abi-layout.txt (the facts, measured from netmap's own headers
 * on x86_64), and compares the two line by line.  Every differing line is
 * printed; the exit status is 1 on any difference.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include <net/netmap.h>
#include <net/netmap_user.h>

#define LAYOUT_FILE "tests/unit/abi-layout.txt"

#define STRUCT(s)                                                              \
	fprintf(out, "\nstruct %-21s sizeof=%zu align=%zu\n", #s,              \
		sizeof(struct s), _Alignof(struct s))
#define FIELD(s, f)                                                            \
	fprintf(out, "    %-26s off=%-4zu size=%zu\n", #f,                     \
		offsetof(struct s, f), sizeof(((struct s *)0)->f))
#define FLEX(s, f)                                                             \
	fprintf(out, "    %-26s off=%-4zu flexible array, elem size=%zu\n",    \
		#f, offsetof(struct s, f), sizeof(((struct s *)0)->f[0]))
#define CONST(c)                                                               \
	fprintf(out, "%-28s = 0x%llx (%llu)\n", #c, (unsigned long long)(c),   \
		(unsigned long long)(c))

/* slots, rings and interfaces */
static void report_rings(FILE *out)
{
	STRUCT(netmap_slot);
	FIELD(netmap_slot, buf_idx);
	FIELD(netmap_slot, len);
	FIELD(netmap_slot, flags);
	FIELD(netmap_slot, ptr);
	STRUCT(netmap_ring);
	FIELD(netmap_ring, buf_ofs);
	FIELD(netmap_ring, num_slots);
	FIELD(netmap_ring, nr_buf_size);
	FIELD(netmap_ring, ringid);
	FIELD(netmap_ring, dir);
	FIELD(netmap_ring, head);
	FIELD(netmap_ring, cur);
	FIELD(netmap_ring, tail);
	FIELD(netmap_ring, flags);
	FIELD(netmap_ring, ts);
	FIELD(netmap_ring, offset_mask);
	FIELD(netmap_ring, buf_align);
	FIELD(netmap_ring, sem);
	FLEX(netmap_ring, slot);
	STRUCT(netmap_if);
	FIELD(netmap_if, ni_name);
	FIELD(netmap_if, ni_version);
	FIELD(netmap_if, ni_flags);
	FIELD(netmap_if, ni_tx_rings);
	FIELD(netmap_if, ni_rx_rings);
	FIELD(netmap_if, ni_bufs_head);
	FIELD(netmap_if, ni_host_tx_rings);
	FIELD(netmap_if, ni_host_rx_rings);
	FIELD(netmap_if, ni_spare1);
	FLEX(netmap_if, ring_ofs);
}

/* control requests */
static void report_control(FILE *out)
{
	STRUCT(nmreq_header);
	FIELD(nmreq_header, nr_version);
	FIELD(nmreq_header, nr_reqtype);
	FIELD(nmreq_header, nr_reserved);
	FIELD(nmreq_header, nr_name);
	FIELD(nmreq_header, nr_options);
	FIELD(nmreq_header, nr_body);
	STRUCT(nmreq_register);
	FIELD(nmreq_register, nr_offset);
	FIELD(nmreq_register, nr_memsize);
	FIELD(nmreq_register, nr_tx_slots);
	FIELD(nmreq_register, nr_rx_slots);
	FIELD(nmreq_register, nr_tx_rings);
	FIELD(nmreq_register, nr_rx_rings);
	FIELD(nmreq_register, nr_host_tx_rings);
	FIELD(nmreq_register, nr_host_rx_rings);
	FIELD(nmreq_register, nr_mem_id);
	FIELD(nmreq_register, nr_ringid);
	FIELD(nmreq_register, nr_mode);
	FIELD(nmreq_register, nr_extra_bufs);
	FIELD(nmreq_register, nr_flags);
	STRUCT(nmreq_option);
	FIELD(nmreq_option, nro_next);
	FIELD(nmreq_option, nro_reqtype);
	FIELD(nmreq_option, nro_status);
	FIELD(nmreq_option, nro_size);
	STRUCT(nmreq_port_info_get);
	FIELD(nmreq_port_info_get, nr_memsize);
	FIELD(nmreq_port_info_get, nr_tx_slots);
	FIELD(nmreq_port_info_get, nr_rx_slots);
	FIELD(nmreq_port_info_get, nr_tx_rings);
	FIELD(nmreq_port_info_get, nr_rx_rings);
	FIELD(nmreq_port_info_get, nr_host_tx_rings);
	FIELD(nmreq_port_info_get, nr_host_rx_rings);
	FIELD(nmreq_port_info_get, nr_mem_id);
}

/* VALE requests */
static void report_vale(FILE *out)
{
	STRUCT(nmreq_vale_attach);
	FIELD(nmreq_vale_attach, reg);
	FIELD(nmreq_vale_attach, port_index);
	STRUCT(nmreq_vale_detach);
	FIELD(nmreq_vale_detach, port_index);
	STRUCT(nmreq_vale_list);
	FIELD(nmreq_vale_list, nr_bridge_idx);
	FIELD(nmreq_vale_list, nr_port_idx);
	STRUCT(nmreq_port_hdr);
	FIELD(nmreq_port_hdr, nr_hdr_len);
	STRUCT(nmreq_vale_newif);
	FIELD(nmreq_vale_newif, nr_tx_slots);
	FIELD(nmreq_vale_newif, nr_rx_slots);
	FIELD(nmreq_vale_newif, nr_tx_rings);
	FIELD(nmreq_vale_newif, nr_rx_rings);
	FIELD(nmreq_vale_newif, nr_mem_id);
	STRUCT(nmreq_vale_polling);
	FIELD(nmreq_vale_polling, nr_mode);
	FIELD(nmreq_vale_polling, nr_first_cpu_id);
	FIELD(nmreq_vale_polling, nr_num_polling_cpus);
}

/* pools, kloop and CSB */
static void report_pools(FILE *out)
{
	STRUCT(nmreq_pools_info);
	FIELD(nmreq_pools_info, nr_memsize);
	FIELD(nmreq_pools_info, nr_mem_id);
	FIELD(nmreq_pools_info, nr_if_pool_offset);
	FIELD(nmreq_pools_info, nr_if_pool_objtotal);
	FIELD(nmreq_pools_info, nr_if_pool_objsize);
	FIELD(nmreq_pools_info, nr_ring_pool_offset);
	FIELD(nmreq_pools_info, nr_ring_pool_objtotal);
	FIELD(nmreq_pools_info, nr_ring_pool_objsize);
	FIELD(nmreq_pools_info, nr_buf_pool_offset);
	FIELD(nmreq_pools_info, nr_buf_pool_objtotal);
	FIELD(nmreq_pools_info, nr_buf_pool_objsize);
	STRUCT(nmreq_sync_kloop_start);
	FIELD(nmreq_sync_kloop_start, sleep_us);
	STRUCT(nm_csb_atok);
	FIELD(nm_csb_atok, head);
	FIELD(nm_csb_atok, cur);
	FIELD(nm_csb_atok, appl_need_kick);
	FIELD(nm_csb_atok, sync_flags);
	STRUCT(nm_csb_ktoa);
	FIELD(nm_csb_ktoa, hwcur);
	FIELD(nm_csb_ktoa, hwtail);
	FIELD(nm_csb_ktoa, kern_need_kick);
}

/* options */
static void report_options(FILE *out)
{
	STRUCT(nmreq_opt_extmem);
	FIELD(nmreq_opt_extmem, nro_opt);
	FIELD(nmreq_opt_extmem, nro_usrptr);
	FIELD(nmreq_opt_extmem, nro_info);
	STRUCT(nmreq_opt_csb);
	FIELD(nmreq_opt_csb, csb_atok);
	FIELD(nmreq_opt_csb, csb_ktoa);
	STRUCT(nmreq_opt_offsets);
	FIELD(nmreq_opt_offsets, nro_max_offset);
	FIELD(nmreq_opt_offsets, nro_initial_offset);
	FIELD(nmreq_opt_offsets, nro_offset_bits);
	FIELD(nmreq_opt_offsets, nro_tx_align);
	FIELD(nmreq_opt_offsets, nro_min_gap);
	STRUCT(nmreq_opt_sync_kloop_eventfds);
	FLEX(nmreq_opt_sync_kloop_eventfds, eventfds);
	STRUCT(nmreq_opt_sync_kloop_mode);
	FIELD(nmreq_opt_sync_kloop_mode, mode);
}

/* legacy requests */
static void report_legacy(FILE *out)
{
	STRUCT(nmreq);
	FIELD(nmreq, nr_name);
	FIELD(nmreq, nr_version);
	FIELD(nmreq, nr_offset);
	FIELD(nmreq, nr_memsize);
	FIELD(nmreq, nr_tx_slots);
	FIELD(nmreq, nr_rx_slots);
	FIELD(nmreq, nr_tx_rings);
	FIELD(nmreq, nr_rx_rings);
	FIELD(nmreq, nr_ringid);
	FIELD(nmreq, nr_cmd);
	FIELD(nmreq, nr_arg1);
	FIELD(nmreq, nr_arg2);
	FIELD(nmreq, nr_arg3);
	FIELD(nmreq, nr_flags);
	FIELD(nmreq, spare2);
	STRUCT(nm_ifreq);
}

/* ioctls, API versions, request and option types */
static void report_request_constants(FILE *out)
{
	CONST(NIOCCTRL);
	CONST(NIOCTXSYNC);
	CONST(NIOCRXSYNC);
	CONST(NIOCREGIF);
	CONST(NIOCGINFO);
	CONST(NIOCCONFIG);
	CONST(NETMAP_API);
	CONST(NETMAP_MIN_API);
	CONST(NETMAP_MAX_API);
	CONST(NETMAP_REQ_IFNAMSIZ);
	CONST(NETMAP_REQ_MAXSIZE);
	CONST(IFNAMSIZ);
	CONST(NETMAP_REQ_REGISTER);
	CONST(NETMAP_REQ_PORT_INFO_GET);
	CONST(NETMAP_REQ_VALE_ATTACH);
	CONST(NETMAP_REQ_VALE_DETACH);
	CONST(NETMAP_REQ_VALE_LIST);
	CONST(NETMAP_REQ_PORT_HDR_SET);
	CONST(NETMAP_REQ_PORT_HDR_GET);
	CONST(NETMAP_REQ_VALE_NEWIF);
	CONST(NETMAP_REQ_VALE_DELIF);
	CONST(NETMAP_REQ_VALE_POLLING_ENABLE);
	CONST(NETMAP_REQ_VALE_POLLING_DISABLE);
	CONST(NETMAP_REQ_POOLS_INFO_GET);
	CONST(NETMAP_REQ_SYNC_KLOOP_START);
	CONST(NETMAP_REQ_SYNC_KLOOP_STOP);
	CONST(NETMAP_REQ_CSB_ENABLE);
	CONST(NETMAP_REQ_OPT_EXTMEM);
	CONST(NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS);
	CONST(NETMAP_REQ_OPT_CSB);
	CONST(NETMAP_REQ_OPT_SYNC_KLOOP_MODE);
	CONST(NETMAP_REQ_OPT_OFFSETS);
	CONST(NETMAP_REQ_OPT_MAX);
}

/* register modes and flags, legacy commands */
static void report_register_constants(FILE *out)
{
	CONST(NR_REG_DEFAULT);
	CONST(NR_REG_ALL_NIC);
	CONST(NR_REG_SW);
	CONST(NR_REG_NIC_SW);
	CONST(NR_REG_ONE_NIC);
	CONST(NR_REG_PIPE_MASTER);
	CONST(NR_REG_PIPE_SLAVE);
	CONST(NR_REG_NULL);
	CONST(NR_REG_ONE_SW);
	CONST(NR_REG_MASK);
	CONST(NR_MONITOR_TX);
	CONST(NR_MONITOR_RX);
	CONST(NR_ZCOPY_MON);
	CONST(NR_EXCLUSIVE);
	CONST(NR_RX_RINGS_ONLY);
	CONST(NR_TX_RINGS_ONLY);
	CONST(NR_ACCEPT_VNET_HDR);
	CONST(NR_DO_RX_POLL);
	CONST(NR_NO_TX_POLL);
	CONST(NETMAP_HW_RING);
	CONST(NETMAP_SW_RING);
	CONST(NETMAP_RING_MASK);
	CONST(NETMAP_NO_TX_POLL);
	CONST(NETMAP_DO_RX_POLL);
	CONST(NETMAP_BDG_ATTACH);
	CONST(NETMAP_BDG_DETACH);
	CONST(NETMAP_BDG_LIST);
	CONST(NETMAP_BDG_VNET_HDR);
	CONST(NETMAP_BDG_NEWIF);
	CONST(NETMAP_BDG_DELIF);
	CONST(NETMAP_BDG_POLLING_ON);
	CONST(NETMAP_BDG_POLLING_OFF);
	CONST(NETMAP_VNET_HDR_GET);
	CONST(NETMAP_BDG_HOST);
}

/* slot, ring and interface flags, polling modes */
static void report_slot_constants(FILE *out)
{
	CONST(NS_BUF_CHANGED);
	CONST(NS_REPORT);
	CONST(NS_FORWARD);
	CONST(NS_NO_LEARN);
	CONST(NS_INDIRECT);
	CONST(NS_MOREFRAG);
	CONST(NS_TXMON);
	CONST(NS_PORT_SHIFT);
	CONST(NS_PORT_MASK);
	CONST(NETMAP_MAX_FRAGS);
	CONST(NR_TIMESTAMP);
	CONST(NR_FORWARD);
	CONST(NI_PRIV_MEM);
	CONST(NM_CACHE_ALIGN);
	CONST(NETMAP_POLLING_MODE_SINGLE_CPU);
	CONST(NETMAP_POLLING_MODE_MULTI_CPU);
	CONST(NM_OPT_SYNC_KLOOP_DIRECT_TX);
	CONST(NM_OPT_SYNC_KLOOP_DIRECT_RX);
}

/* The whole report, as one string the caller frees. */
static char *report(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		return NULL;
	report_rings(out);
	report_control(out);
	report_vale(out);
	report_pools(out);
	report_options(out);
	report_legacy(out);
	fputc('\n', out);
	report_request_constants(out);
	report_register_constants(out);
	report_slot_constants(out);
	fclose(out);
	return text;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = calloc(1, size + 1)) &&
	    fread(text, 1, size, f) != (size_t)size) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/* The next line of *p without its newline, or NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	return line;
}

/* Prints each line where @ours and @want differ; returns how many. */
static int compare(char *ours, char *want)
{
	int n = 0, diffs = 0;
	char *a, *b;

	for (;;) {
		a = next_line(&ours);
		b = next_line(&want);
		if (a == NULL && b == NULL)
			break;
		n++;
		if (a && b && strcmp(a, b) == 0)
			continue;
		diffs++;
		printf("line %d differs:\n  expected: %s\n  ours:     %s\n", n,
		       b ? b : "(end of file)", a ? a : "(end of report)");
	}
	printf("abi: %d lines compared, %d differ\n", n, diffs);
	return diffs;
}

int main(void)
{
	char *ours = report(), *want = read_file(LAYOUT_FILE);
	int diffs;

	if (ours == NULL || want == NULL) {
		printf("abi: cannot %s\n",
		       ours ? "read " LAYOUT_FILE : "build the report");
		return 1;
	}
	diffs = compare(ours, want);
	free(ours);
	free(want);
	return diffs ? 1 : 0;
}
