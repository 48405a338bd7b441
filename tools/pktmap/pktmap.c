// SPDX-License-Identifier: BSD-2-Clause
/*
 * pktmap: what pktmap is doing on this machine, in the style of `ip` and
 * `bpftool`: `pktmap [show [OBJECT]]` lists the interfaces detached from
 * the stack and who holds them, VALE switches and their ports, persistent
 * ports, pipes, monitors and memory regions, as text or (-j) JSON.  All of
 * it comes from pktmap_status_get(): the public API only.
 */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pktmap.h>

#include "log.h"
#include "opts.h"

enum object {
	OBJ_ALL,
	OBJ_IFACES,
	OBJ_SWITCHES,
	OBJ_PIPES,
	OBJ_MONITORS,
	OBJ_REGIONS
};
static const char *const objects[] = {
    "all", "interfaces", "switches", "pipes", "monitors", "regions", NULL};

struct cfg {
	bool json, all_users, all_netns;
};

static const struct opt opts[] = {
    OPT_ARG('j', "json", OPT_FLAG, struct cfg, json, NULL,
	    "JSON output (one object)"),
    OPT_ARG('a', "all-users", OPT_FLAG, struct cfg, all_users, NULL,
	    "every user's state (root only)"),
    OPT_ARG('A', "all-netns", OPT_FLAG, struct cfg, all_netns, NULL,
	    "every network namespace, not only this one"),
    OPT_END,
};

static const struct opt_prog prog = {
    .name = "pktmap",
    .synopsis = "[-j] [-a] [-A] [show [all|interfaces|switches|pipes|"
		"monitors|regions]]",
    .doc = "Shows what pktmap is doing on this machine: interfaces detached "
	   "from the stack and the process holding each, VALE switches and "
	   "their ports, persistent ports, pipes, monitors and memory "
	   "regions.  Without -a, the caller's own; without -A, this network "
	   "namespace's.",
    .opts = opts,
};

static bool show(enum object want, enum object o)
{
	return want == OBJ_ALL || want == o;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Names come checked from the library; quotes and controls are escaped
 * anyway, so the output stays JSON whatever they hold. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_proc(const char *key, const struct pktmap_proc *p)
{
	printf("\"%s\": ", key);
	if (!p->pid) {
		printf("null");
		return;
	}
	printf("{\"pid\": %d, \"uid\": %u, \"command\": ", p->pid, p->uid);
	json_str(p->comm);
	putchar('}');
}

static void json_place(const struct pktmap_place *at)
{
	printf("\"uid\": %u, \"netns\": %llu", at->uid,
	       (unsigned long long)at->netns);
}

/* "key": [ then each element on its own line, then ] */
#define JSON_LIST(first, key, n, arr, ...)                                     \
	do {                                                                   \
		printf("%s\"%s\": [", *(first) ? "" : ",\n", key);             \
		*(first) = false;                                              \
		for (size_t i = 0; i < (n); i++) {                             \
			const __typeof__((arr)[0]) *e = &(arr)[i];             \
			printf("%s\n  {", i ? "," : "");                       \
			json_place(&e->at);                                    \
			__VA_ARGS__;                                           \
			putchar('}');                                          \
		}                                                              \
		printf("%s]", (n) ? "\n" : "");                                \
	} while (0)

static void print_json(const struct pktmap_status *st, enum object want)
{
	bool first = true;

	printf("{");
	if (show(want, OBJ_IFACES))
		JSON_LIST(&first, "detached", st->ndetached, st->detached, {
			printf(", \"ifindex\": %d, \"ifname\": ", e->ifindex);
			if (e->ifname[0])
				json_str(e->ifname);
			else
				printf("null");
			printf(", ");
			json_proc("holder", &e->holder);
		});
	if (show(want, OBJ_SWITCHES)) {
		JSON_LIST(&first, "switches", st->nswitches, st->switches, {
			printf(", \"name\": ");
			json_str(e->name);
			printf(", \"mem_id\": %u, \"ports\": %u", e->mem_id,
			       e->nports);
		});
		JSON_LIST(&first, "ports", st->nports, st->ports, {
			printf(", \"name\": ");
			json_str(e->name);
			printf(", \"switch\": ");
			json_str(e->swname);
			printf(", \"rings\": %u, \"slots\": %u, "
			       "\"persistent\": %s, ",
			       e->nrings, e->nslots,
			       e->persistent ? "true" : "false");
			json_proc("agent", &e->agent);
			printf(", ");
			json_proc("holder", &e->holder);
			printf(", \"rx_drops\": %llu, \"stalled_rings\": %u",
			       (unsigned long long)e->rx_drops, e->stalled);
		});
		JSON_LIST(&first, "persistent_ports", st->nnewifs, st->newifs, {
			printf(", \"name\": ");
			json_str(e->name);
			printf(", \"rings\": %u, \"slots\": %u, \"switch\": ",
			       e->nrings, e->nslots);
			if (e->swname[0])
				json_str(e->swname);
			else
				printf("null");
		});
	}
	if (show(want, OBJ_PIPES))
		JSON_LIST(&first, "pipes", st->npipes, st->pipes, {
			printf(", \"name\": ");
			json_str(e->name);
			printf(", \"mem_id\": %u, \"master\": %s, "
			       "\"slave\": %s, \"rings\": %u, \"slots\": %u",
			       e->mem_id, e->ends & 1 ? "true" : "false",
			       e->ends & 2 ? "true" : "false", e->nrings,
			       e->nslots);
		});
	if (show(want, OBJ_MONITORS))
		JSON_LIST(&first, "monitors", st->nmonitors, st->monitors, {
			printf(", \"port\": ");
			json_str(e->port);
			printf(", \"mem_id\": %u, \"rx\": %s, \"tx\": %s, "
			       "\"zcopy\": %s, \"rings\": %u, \"drops\": %llu",
			       e->mem_id, e->rx ? "true" : "false",
			       e->tx ? "true" : "false",
			       e->zcopy ? "true" : "false", e->nrings,
			       (unsigned long long)e->drops);
		});
	if (show(want, OBJ_REGIONS))
		JSON_LIST(&first, "regions", st->nregions, st->regions, {
			printf(", \"mem_id\": %u, \"size\": %llu, "
			       "\"interfaces_used\": %u, \"interfaces\": %u, "
			       "\"rings_used\": %u, \"rings\": %u, "
			       "\"buffers_used\": %u, \"buffers\": %u, "
			       "\"buffer_size\": %u, \"persistent_ports\": %u, "
			       "\"users\": [",
			       e->mem_id, (unsigned long long)e->size,
			       e->if_used, e->if_total, e->ring_used,
			       e->ring_total, e->buf_used, e->buf_total,
			       e->buf_size, e->persistent);
			for (uint32_t u = 0;
			     u < e->nusers && u < PKTMAP_STATUS_PIDS; u++) {
				printf("%s{\"pid\": %d, \"command\": ",
				       u ? ", " : "", e->users[u].pid);
				json_str(e->users[u].comm);
				putchar('}');
			}
			printf("], \"nusers\": %u", e->nusers);
		});
	printf(",\n\"invalid\": %u}\n", st->invalid);
}

/* ---- text ---------------------------------------------------------------- */

static const char *user_name(uint32_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? pw->pw_name : "?";
}

/* A header line each time the user or the namespace changes. */
static void place(struct pktmap_place *last, const struct pktmap_place *at)
{
	if (last->uid == at->uid && last->netns == at->netns)
		return;
	*last = *at;
	printf("user %s (uid %u), network namespace %llu:\n",
	       user_name(at->uid), at->uid, (unsigned long long)at->netns);
}

static void proc(const struct pktmap_proc *p)
{
	printf("pid %d (%s)", p->pid, p->comm[0] ? p->comm : "exited");
}

/* Everything of one user and namespace, in sections. */
static void print_text(const struct pktmap_status *st, enum object want)
{
	struct pktmap_place last = {UINT32_MAX, 0};

	/* entries are sorted by uid, netns: walk the kinds in step */
	for (size_t d = 0, sw = 0, p = 0, n = 0, pi = 0, m = 0, r = 0;;) {
		const struct pktmap_place *next = NULL;
#define CANDIDATE(i, cnt, arr)                                                 \
	if ((i) < (cnt) && (!next || (arr)[i].at.uid < next->uid ||            \
			    ((arr)[i].at.uid == next->uid &&                   \
			     (arr)[i].at.netns < next->netns)))                \
		next = &(arr)[i].at;
		CANDIDATE(d, st->ndetached, st->detached)
		CANDIDATE(sw, st->nswitches, st->switches)
		CANDIDATE(p, st->nports, st->ports)
		CANDIDATE(n, st->nnewifs, st->newifs)
		CANDIDATE(pi, st->npipes, st->pipes)
		CANDIDATE(m, st->nmonitors, st->monitors)
		CANDIDATE(r, st->nregions, st->regions)
		if (!next)
			break;
		struct pktmap_place at = *next;
#define SAME(e) ((e).at.uid == at.uid && (e).at.netns == at.netns)
		place(&last, &at);
		for (; d < st->ndetached && SAME(st->detached[d]); d++) {
			const struct pktmap_status_detached *e =
			    &st->detached[d];
			if (!show(want, OBJ_IFACES))
				continue;
			printf("  detached %s ifindex %d: ",
			       e->ifname[0] ? e->ifname : "?", e->ifindex);
			proc(&e->holder);
			putchar('\n');
		}
		for (; sw < st->nswitches && SAME(st->switches[sw]); sw++) {
			const struct pktmap_status_switch *e =
			    &st->switches[sw];
			if (!show(want, OBJ_SWITCHES))
				continue;
			printf("  switch %s: memory %u, %u ports\n", e->name,
			       e->mem_id, e->nports);
			for (size_t q = p; q < st->nports && SAME(st->ports[q]);
			     q++) {
				const struct pktmap_status_port *o =
				    &st->ports[q];
				if (strcmp(o->swname, e->name) != 0)
					continue;
				printf("    port %s: %u rings, %u slots",
				       o->name, o->nrings, o->nslots);
				if (o->persistent)
					printf(", persistent");
				if (o->agent.pid) {
					printf(", interface %s, agent ",
					       strchr(o->name, ':') + 1);
					proc(&o->agent);
				} else if (o->holder.pid) {
					printf(", ");
					proc(&o->holder);
				}
				if (o->rx_drops)
					printf(", %llu rx drops",
					       (unsigned long long)o->rx_drops);
				if (o->stalled)
					printf(", %u rings stalled",
					       o->stalled);
				putchar('\n');
			}
		}
		for (; p < st->nports && SAME(st->ports[p]); p++)
			;
		for (; n < st->nnewifs && SAME(st->newifs[n]); n++) {
			const struct pktmap_status_newif *e = &st->newifs[n];
			if (!show(want, OBJ_SWITCHES))
				continue;
			printf("  persistent %s: %u rings, %u slots, %s%s\n",
			       e->name, e->nrings, e->nslots,
			       e->swname[0] ? "on " : "not attached",
			       e->swname);
		}
		for (; pi < st->npipes && SAME(st->pipes[pi]); pi++) {
			const struct pktmap_status_pipe *e = &st->pipes[pi];
			if (!show(want, OBJ_PIPES))
				continue;
			printf("  pipe %s: memory %u, %u rings, %u slots, "
			       "ends%s%s%s\n",
			       e->name, e->mem_id, e->nrings, e->nslots,
			       e->ends & 1 ? " master" : "",
			       e->ends & 2 ? " slave" : "",
			       e->ends ? "" : " none");
		}
		for (; m < st->nmonitors && SAME(st->monitors[m]); m++) {
			const struct pktmap_status_monitor *e =
			    &st->monitors[m];
			if (!show(want, OBJ_MONITORS))
				continue;
			printf("  monitor %s/%s%s%s: memory %u, %u rings, "
			       "%llu drops\n",
			       e->port, e->zcopy ? "z" : "",
			       e->rx && !e->zcopy ? "r" : "",
			       e->tx && !e->zcopy ? "t" : "", e->mem_id,
			       e->nrings, (unsigned long long)e->drops);
		}
		for (; r < st->nregions && SAME(st->regions[r]); r++) {
			const struct pktmap_status_region *e = &st->regions[r];
			if (!show(want, OBJ_REGIONS))
				continue;
			printf("  region %u: %llu bytes, %u/%u buffers "
			       "(%llu bytes), %u/%u rings, %u/%u interfaces, "
			       "%u users",
			       e->mem_id, (unsigned long long)e->size,
			       e->buf_used, e->buf_total,
			       (unsigned long long)e->buf_used * e->buf_size,
			       e->ring_used, e->ring_total, e->if_used,
			       e->if_total, e->nusers);
			for (uint32_t u = 0;
			     u < e->nusers && u < PKTMAP_STATUS_PIDS; u++) {
				printf("%s", u ? ", " : ": ");
				proc(&e->users[u]);
			}
			putchar('\n');
		}
	}
	if (st->invalid)
		printf("%u entries left out: not what pktmap writes\n",
		       st->invalid);
}

int main(int argc, char **argv)
{
	struct cfg cfg = {0};
	enum object want = OBJ_ALL;
	struct pktmap_status *st;
	unsigned flags = 0;
	int i;

	log_init(argv[0]);
	i = opts_parse(&prog, argc, argv, &cfg);
	if (i < argc && strcmp(argv[i], "show") != 0)
		opts_die(&prog, "unknown command '%s' (only 'show')", argv[i]);
	if (i < argc)
		i++;
	if (i < argc) {
		size_t len = strlen(argv[i]);
		for (want = 0; objects[want]; want++)
			if (len && strncmp(objects[want], argv[i], len) == 0)
				break;
		if (!objects[want])
			opts_die(&prog, "unknown object '%s'", argv[i]);
		i++;
	}
	if (i < argc)
		opts_die(&prog, "unexpected '%s'", argv[i]);
	if (cfg.all_users)
		flags |= PKTMAP_STATUS_ALL_USERS;
	if (cfg.all_netns)
		flags |= PKTMAP_STATUS_ALL_NETNS;
	if (pktmap_status_get(flags, &st) < 0) {
		if (errno == EPERM)
			log_die(1, "-a (every user's state) needs root");
		log_die(1, "cannot read pktmap's state: %s", strerror(errno));
	}
	if (cfg.json)
		print_json(st, want);
	else
		print_text(st, want);
	pktmap_status_free(st);
	return fflush(stdout) == 0 ? 0 : 1;
}
