// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmctx -- contexts: where error messages go, how memory is allocated,
 * how the list of mapped regions is locked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "nmlib.h"

#define NM_MAX_ERRMSG 1024

static void default_error(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static void *default_malloc(struct nmctx *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void default_free(struct nmctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static pthread_mutex_t default_mutex = PTHREAD_MUTEX_INITIALIZER;

static void default_lock(struct nmctx *ctx, int lock)
{
	(void)ctx;
	if (lock)
		pthread_mutex_lock(&default_mutex);
	else
		pthread_mutex_unlock(&default_mutex);
}

static struct nmctx global_ctx = {
    .verbose = 1,
    .error = default_error,
    .malloc = default_malloc,
    .free = default_free,
    .lock = default_lock,
};

static struct nmctx *default_ctx = &global_ctx;

NM_PUBLIC int nmctx_threadsafe;

NM_PUBLIC struct nmctx *nmctx_get(void)
{
	return default_ctx;
}

NM_PUBLIC struct nmctx *nmctx_set_default(struct nmctx *ctx)
{
	struct nmctx *old = default_ctx;

	default_ctx = ctx;
	return old;
}

NM_PUBLIC void nmctx_set_threadsafe(void)
{
	if (default_ctx->lock == NULL)
		default_ctx->lock = default_lock;
}

NM_PUBLIC void nmctx_ferror(struct nmctx *ctx, const char *fmt, ...)
{
	char msg[NM_MAX_ERRMSG];
	int saved = errno; /* callers set errno first; keep it */
	va_list ap;
	int n;

	if (!ctx->verbose || ctx->error == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		ctx->error(ctx, "libnetmap: cannot format an error message");
	else
		ctx->error(ctx, msg); /* a long one is cut, not lost */
	errno = saved;
}

NM_PUBLIC void *nmctx_malloc(struct nmctx *ctx, size_t size)
{
	return ctx->malloc(ctx, size);
}

NM_PUBLIC void nmctx_free(struct nmctx *ctx, void *p)
{
	ctx->free(ctx, p);
}

NM_PUBLIC void nmctx_lock(struct nmctx *ctx)
{
	if (ctx->lock != NULL)
		ctx->lock(ctx, 1);
}

NM_PUBLIC void nmctx_unlock(struct nmctx *ctx)
{
	if (ctx->lock != NULL)
		ctx->lock(ctx, 0);
}
