/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Command-line options declared as a table.  One table drives parsing and
 * prints --help, so a tool's options and their documentation never drift.
 *
 *	struct cfg { uint64_t count; const char *port; bool verbose; };
 *	static const struct opt opts[] = {
 *		OPT_ARG('i', "port", OPT_STR, struct cfg, port, "PORT",
 *			"netmap port", OPT_REQUIRED),
 *		OPT_ARG('n', "count", OPT_UINT, struct cfg, count, "N",
 *			"frames, 0 = forever", .max = 1000000),
 *		OPT_ARG('v', "verbose", OPT_FLAG, struct cfg, verbose, NULL,
 *			"debug messages"),
 *		OPT_END,
 *	};
 *
 * Each option writes one field of the tool's configuration struct, whose
 * type follows the option's type (see enum opt_type).  Values in the struct
 * before parsing are the defaults, and --help shows them.  Bad usage (an
 * unknown option, a missing or malformed value, a value out of range, a
 * missing required option) prints a message naming the option and exits 2;
 * -h/--help prints the help on stdout and exits 0, --version the version.
 */
#ifndef TOOLS_OPTS_H
#define TOOLS_OPTS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

enum opt_type {
	OPT_FLAG,     /* bool; takes no value */
	OPT_UINT,     /* uint64_t; decimal or 0x hex, optional k/m/g suffix */
	OPT_DOUBLE,   /* double; non-negative */
	OPT_STR,      /* const char *, pointing into argv */
	OPT_ENUM,     /* unsigned int: index of the value in .choices */
	OPT_MAC,      /* uint8_t[6]; "aa:bb:cc:dd:ee:ff" */
	OPT_IPV4,     /* struct in_addr, network order; dotted quad */
	OPT_STR_LIST, /* struct opt_list; the option may repeat, .max times */
};

#define OPT_LIST_MAX 8

/* The values of a repeatable option, in command-line order. */
struct opt_list {
	const char *v[OPT_LIST_MAX];
	unsigned int n;
};

#define OPT_REQUIRED .required = 1

struct opt {
	char short_name;  /* 0: long form only */
	const char *name; /* long name, without "--" */
	enum opt_type type;
	size_t offset;	     /* of the target field in the config struct */
	const char *metavar; /* value's name in --help */
	const char *help;
	uint64_t min, max;	    /* OPT_UINT, OPT_DOUBLE: range if max */
	const char *const *choices; /* OPT_ENUM: NULL-terminated */
	int required;
};

#define OPT_ARG(s, n, t, cfg_type, field, meta, hlp, ...)                      \
	{                                                                      \
		.short_name = (s), .name = (n), .type = (t),                   \
		.offset = offsetof(cfg_type, field), .metavar = (meta),        \
		.help = (hlp), __VA_ARGS__                                     \
	}
/*
 * What every tool's run takes: -T live report interval, --idle, --timeout,
 * -a CPU affinity, -j JSON summary and -v; @cfg_type has report_ms, idle,
 * timeout, cpu (const char *), json and verbose.
 */
#define OPT_RUN_OPTIONS(cfg_type)                                              \
	OPT_ARG('T', "report", OPT_UINT, cfg_type, report_ms, "MS",            \
		"live report interval, 0 = none", .max = 3600000),             \
	    OPT_ARG(0, "idle", OPT_DOUBLE, cfg_type, idle, "SECONDS",          \
		    "stop this long after the last frame, 0 = never"),         \
	    OPT_ARG(0, "timeout", OPT_DOUBLE, cfg_type, timeout, "SECONDS",    \
		    "stop after this long, 0 = never"),                        \
	    OPT_ARG('a', "affinity", OPT_STR, cfg_type, cpu, "CPU",            \
		    "run on CPU (threads: CPU, CPU+1, ...)"),                  \
	    OPT_ARG('j', "json", OPT_FLAG, cfg_type, json, NULL,               \
		    "the summary on stdout as one JSON object"),               \
	    OPT_ARG('v', "verbose", OPT_FLAG, cfg_type, verbose, NULL,         \
		    "debug messages")
#define OPT_END                                                                \
	{                                                                      \
		.name = NULL                                                   \
	}

struct opt_prog {
	const char *name; /* program name */
	const char
	    *synopsis;	 /* after "Usage: NAME ", e.g. "[options] -i PORT" */
	const char *doc; /* one paragraph under the usage line */
	const struct opt *opts;
};

/*
 * Parses argv into @cfg.  Returns the index of the first operand (argc when
 * there is none); exits 2 on bad usage and 0 after --help.
 */
int opts_parse(const struct opt_prog *prog, int argc, char **argv, void *cfg);

/*
 * Bad usage found after parsing (a bad combination of options): prints the
 * message and the --help hint, exits 2.
 */
void opts_die(const struct opt_prog *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* --version: prints "NAME (pktmap) VERSION" on stdout and exits 0. */
void opts_version(const char *name) __attribute__((noreturn));

/* Prints the help, with the defaults found in @cfg (may be NULL). */
void opts_usage(const struct opt_prog *prog, const void *cfg, FILE *f);

#endif /* TOOLS_OPTS_H */
