/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nolink-frames -- frames (see frames.c) built without libpktmap, as an
 * unmodified netmap application is: it runs only under
 * LD_PRELOAD=libpktmap.so, which is what the preload test checks.
 */
#include "frames.c"
