/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compat.h: the first include of every .c file.  Feature macros and the few
 * attributes the code uses.
 */
#ifndef TEGAMI_LIB_COMPAT_H
#define TEGAMI_LIB_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ATTR_FORMAT(a, b)	__attribute__((__format__(printf, a, b)))
#define ATTR_NORETURN		__attribute__((__noreturn__))
#define ATTR_UNUSED		__attribute__((__unused__))
#define N_ELEMENTS(a)		(sizeof(a) / sizeof((a)[0]))

#endif
