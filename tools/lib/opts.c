// SPDX-License-Identifier: BSD-2-Clause
/* Table-driven option parsing and --help for pktmap's tools. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "opts.h"

#define HELP_COLUMN 28
#define VERSION_CODE 1 /* getopt_long's value for --version */

#ifndef PKTMAP_VERSION
#error "the Makefile passes -DPKTMAP_VERSION"
#endif

static size_t opts_count(const struct opt *o)
{
	size_t n = 0;

	while (o[n].name)
		n++;
	return n;
}

static __attribute__((noreturn)) void usage_hint(const struct opt_prog *prog)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog->name);
	exit(2);
}

void opts_die(const struct opt_prog *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	usage_hint(prog);
}

static void bad_value(const struct opt_prog *prog, const struct opt *o,
		      const char *arg, const char *why)
{
	log_err("invalid value '%s' for --%s: %s", arg, o->name, why);
	usage_hint(prog);
}

/* Decimal or 0x hex, with an optional k/m/g (x1000) suffix. */
static int parse_uint(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v, mult = 1;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1000ULL;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1000000ULL;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1000000000ULL;
		end++;
		break;
	}
	if (*end || (v && mult > UINT64_MAX / v))
		return -1;
	*out = v * mult;
	return 0;
}

/* The option's range, when it has one (max set). */
static void check_range(const struct opt_prog *prog, const struct opt *o,
			const char *arg, double v)
{
	char why[96];

	if (o->max && (v < (double)o->min || v > (double)o->max)) {
		snprintf(why, sizeof(why), "must be in %llu..%llu",
			 (unsigned long long)o->min,
			 (unsigned long long)o->max);
		bad_value(prog, o, arg, why);
	}
}

static void set_uint(const struct opt_prog *prog, const struct opt *o,
		     const char *arg, void *field)
{
	uint64_t v;

	if (parse_uint(arg, &v))
		bad_value(prog, o, arg, "not a non-negative integer");
	check_range(prog, o, arg, (double)v);
	memcpy(field, &v, sizeof(v));
}

static void set_double(const struct opt_prog *prog, const struct opt *o,
		       const char *arg, void *field)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0)
		bad_value(prog, o, arg, "not a non-negative number");
	check_range(prog, o, arg, v);
	memcpy(field, &v, sizeof(v));
}

static void set_enum(const struct opt_prog *prog, const struct opt *o,
		     const char *arg, void *field)
{
	unsigned int i;
	char why[160];
	size_t n = 0;

	for (i = 0; o->choices[i]; i++) {
		if (!strcmp(o->choices[i], arg)) {
			memcpy(field, &i, sizeof(i));
			return;
		}
	}
	n += snprintf(why, sizeof(why), "one of");
	for (i = 0; o->choices[i] && n < sizeof(why); i++)
		n += snprintf(why + n, sizeof(why) - n, " %s", o->choices[i]);
	bad_value(prog, o, arg, why);
}

static void add_to_list(const struct opt_prog *prog, const struct opt *o,
			const char *arg, void *field)
{
	struct opt_list *l = field;
	unsigned int max =
	    o->max && o->max < OPT_LIST_MAX ? (unsigned)o->max : OPT_LIST_MAX;
	char why[64];

	if (l->n >= max) {
		snprintf(why, sizeof(why), "given more than %u times", max);
		bad_value(prog, o, arg, why);
	}
	l->v[l->n++] = arg;
}

static void set_value(const struct opt_prog *prog, const struct opt *o,
		      const char *arg, void *cfg)
{
	void *field = (char *)cfg + o->offset;
	bool yes = true;

	switch (o->type) {
	case OPT_FLAG:
		memcpy(field, &yes, sizeof(yes));
		break;
	case OPT_UINT:
		set_uint(prog, o, arg, field);
		break;
	case OPT_DOUBLE:
		set_double(prog, o, arg, field);
		break;
	case OPT_STR:
		memcpy(field, &arg, sizeof(arg));
		break;
	case OPT_ENUM:
		set_enum(prog, o, arg, field);
		break;
	case OPT_MAC:
		if (frame_parse_mac(arg, field))
			bad_value(prog, o, arg, "not a MAC address");
		break;
	case OPT_IPV4:
		if (frame_parse_ipv4(arg, field))
			bad_value(prog, o, arg, "not an IPv4 address");
		break;
	case OPT_STR_LIST:
		add_to_list(prog, o, arg, field);
		break;
	}
}

/* getopt_long's tables, built from ours; freed by the caller. */
static struct option *long_table(const struct opt *opts, size_t n, char **sopt)
{
	struct option *lo = calloc(n + 3, sizeof(*lo));
	char *s = malloc(3 * n + 4);
	size_t i, k = 0;

	if (!lo || !s)
		log_die(1, "out of memory");
	s[k++] = ':'; /* report a missing value as ':' */
	for (i = 0; i < n; i++) {
		int has =
		    opts[i].type == OPT_FLAG ? no_argument : required_argument;

		lo[i] = (struct option){opts[i].name, has, NULL, 256 + (int)i};
		if (opts[i].short_name) {
			s[k++] = opts[i].short_name;
			if (has)
				s[k++] = ':';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){"version", no_argument, NULL, VERSION_CODE};
	s[k++] = 'h';
	s[k] = '\0';
	*sopt = s;
	return lo;
}

static const struct opt *find_short(const struct opt *opts, int c)
{
	for (; opts->name; opts++)
		if (opts->short_name == c)
			return opts;
	return NULL;
}

static void bad_option(const struct opt_prog *prog, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		log_err("option '%s' needs a value", arg);
	else if (optopt && optopt < 256)
		log_err("unknown option '-%c'", optopt);
	else
		log_err("unknown option '%s'", arg);
	usage_hint(prog);
}

static void check_required(const struct opt_prog *prog, const bool *seen)
{
	const struct opt *o;

	for (o = prog->opts; o->name; o++) {
		if (o->required && !seen[o - prog->opts]) {
			if (o->short_name)
				log_err("missing option -%c/--%s",
					o->short_name, o->name);
			else
				log_err("missing option --%s", o->name);
			usage_hint(prog);
		}
	}
}

int opts_parse(const struct opt_prog *prog, int argc, char **argv, void *cfg)
{
	size_t n = opts_count(prog->opts);
	bool *seen = calloc(n + 1, sizeof(*seen));
	char *sopt;
	struct option *lo = long_table(prog->opts, n, &sopt);
	const struct opt *o;
	int c;

	if (!seen)
		log_die(1, "out of memory");
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, sopt, lo, NULL)) != -1) {
		if (c == 'h' && !find_short(prog->opts, 'h')) {
			opts_usage(prog, cfg, stdout);
			exit(0);
		}
		if (c == VERSION_CODE)
			opts_version(prog->name);
		if (c >= 256)
			o = &prog->opts[c - 256];
		else
			o = find_short(prog->opts, c);
		if (!o || c == '?' || c == ':')
			bad_option(prog, argv, c);
		set_value(prog, o, optarg, cfg);
		seen[o - prog->opts] = true;
	}
	check_required(prog, seen);
	free(seen);
	free(lo);
	free(sopt);
	return optind;
}

/* The default shown in --help, or "" when there is nothing to show. */
static void default_str(const struct opt *o, const void *cfg, char *buf,
			size_t len)
{
	const char *field = (const char *)cfg + o->offset;
	uint64_t u;
	double d;
	unsigned int e;
	const char *s;
	char ip[INET_ADDRSTRLEN];
	static const uint8_t zero_mac[6];

	buf[0] = '\0';
	switch (o->type) {
	case OPT_FLAG:
		break;
	case OPT_UINT:
		memcpy(&u, field, sizeof(u));
		snprintf(buf, len, "%llu", (unsigned long long)u);
		break;
	case OPT_DOUBLE:
		memcpy(&d, field, sizeof(d));
		snprintf(buf, len, "%g", d);
		break;
	case OPT_STR:
		memcpy(&s, field, sizeof(s));
		if (s)
			snprintf(buf, len, "%s", s);
		break;
	case OPT_ENUM:
		memcpy(&e, field, sizeof(e));
		snprintf(buf, len, "%s", o->choices[e]);
		break;
	case OPT_MAC:
		if (memcmp(field, zero_mac, 6))
			frame_format_mac((const uint8_t *)field, buf, len);
		break;
	case OPT_IPV4:
		if (inet_ntop(AF_INET, field, ip, sizeof(ip)) &&
		    strcmp(ip, "0.0.0.0"))
			snprintf(buf, len, "%s", ip);
		break;
	case OPT_STR_LIST:
		break;
	}
}

/* Prints @text from column HELP_COLUMN on, wrapped at 80 columns. */
static void print_wrapped(const char *text, FILE *f)
{
	const int width = 79 - HELP_COLUMN;
	int n;

	for (;;) {
		n = (int)strlen(text);
		if (n > width) {
			n = width;
			while (n > 0 && text[n] != ' ')
				n--;
			if (n == 0)
				n = width;
		}
		fprintf(f, "%.*s\n", n, text);
		text += n;
		while (*text == ' ')
			text++;
		if (!*text)
			return;
		fprintf(f, "%-*s", HELP_COLUMN, "");
	}
}

static void print_option(const struct opt *o, const void *cfg, FILE *f)
{
	char head[80], def[64], text[512];
	int n;

	if (o->short_name)
		n = snprintf(head, sizeof(head), " -%c, --%s", o->short_name,
			     o->name);
	else
		n = snprintf(head, sizeof(head), "     --%s", o->name);
	if (o->metavar && n > 0 && (size_t)n < sizeof(head))
		snprintf(head + n, sizeof(head) - n, " <%s>", o->metavar);
	if (strlen(head) < HELP_COLUMN - 1)
		fprintf(f, "%-*s", HELP_COLUMN, head);
	else
		fprintf(f, "%s\n%-*s", head, HELP_COLUMN, "");
	def[0] = '\0';
	if (cfg)
		default_str(o, cfg, def, sizeof(def));
	if (o->required)
		snprintf(text, sizeof(text), "%s (required)", o->help);
	else if (def[0])
		snprintf(text, sizeof(text), "%s (default %s)", o->help, def);
	else
		snprintf(text, sizeof(text), "%s", o->help);
	print_wrapped(text, f);
}

void opts_usage(const struct opt_prog *prog, const void *cfg, FILE *f)
{
	const struct opt *o;

	fprintf(f, "Usage: %s %s\n\n", prog->name, prog->synopsis);
	if (prog->doc)
		fprintf(f, " %s\n\n", prog->doc);
	fprintf(f, "Options:\n");
	for (o = prog->opts; o->name; o++)
		print_option(o, cfg, f);
	fprintf(f, "%-*s%s\n", HELP_COLUMN, " -h, --help", "show this help");
	fprintf(f, "%-*s%s\n", HELP_COLUMN, "     --version", "show the version");
}

void opts_version(const char *name)
{
	printf("%s (pktmap) %s\n", name, PKTMAP_VERSION);
	exit(0);
}
