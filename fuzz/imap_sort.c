/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_sort.c: libFuzzer target for SORT and THREAD (RFC 5256).  The first
 * byte picks what the rest is:
 *   0  a subject for base subject extraction, which must be idempotent
 *      (the base subject of a base subject is itself) and lower case;
 *   1  SORT criteria "(REVERSE SUBJECT ...)", parsed and, when accepted,
 *      used to sort a few fixed messages (the order must be consistent);
 *   2  messages, one a line: "message-id|references|subject|date"; both
 *      THREAD algorithms run on them, and the answer must hold every
 *      message exactly once in balanced, non-empty parentheses.
 * A broken promise aborts; leaks and overreads show up under ASan.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "imap/imap_parse.h"
#include "imap/imap_sort.h"

#define FUZZ_MSGS_MAX	64

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
base_subject(const char *s, size_t n)
{
	struct buf a, b;
	bool reply;
	size_t i;

	buf_init(&a, 64 * 1024);
	buf_init(&b, 64 * 1024);
	imap_base_subject(s, n, &a, &reply);
	if (a.len > n)
		abort();
	for (i = 0; i < a.len; i++)
		if (a.data[i] >= 'A' && a.data[i] <= 'Z')
			abort();
	imap_base_subject(a.data, a.len, &b, NULL);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();		/* not idempotent */
	buf_free(&a);
	buf_free(&b);
}

static void
criteria(const char *s, size_t n)
{
	static const char *const subj[] = { "b", "a", "c", "a" };
	struct sort_crit crit[IMAP_SORT_KEYS_MAX];
	struct imap_parser p;
	struct sort_info *v;
	struct buf line;
	size_t nc = 0, i;

	buf_init(&line, 2 * IMAP_LINE_MAX);
	buf_puts(&line, "t SORT ");
	buf_append(&line, s, n);
	buf_puts(&line, "\r\n");
	imap_parser_init(&p, 4096);
	if (imap_parse_all(&p, line.data, line.len) == IMAP_PARSE_DONE &&
	    p.args.n >= 3 &&
	    imap_sort_criteria(&p.args.v[2], crit, &nc, NULL) == 0) {
		if (nc == 0 || nc > IMAP_SORT_KEYS_MAX)
			abort();
		v = xcalloc(4, sizeof(*v));
		for (i = 0; i < 4; i++) {
			v[i].num = v[i].seq = (uint32_t)i + 1;
			v[i].arrival = (int64_t)(i % 2);
			v[i].date = (int64_t)(3 - i);
			v[i].size = i * 7 % 3;
			v[i].subject = xstrdup(subj[i]);
			v[i].from = i == 2 ? NULL : xstrdup(subj[3 - i]);
		}
		imap_sort_run(v, 4, crit, nc);
		/* with ties broken by seq, the order is total: no repeat */
		for (i = 0; i < 4; i++)
			if (v[i].seq < 1 || v[i].seq > 4 ||
			    (i > 0 && v[i].seq == v[i - 1].seq))
				abort();
		imap_sort_info_free(v, 4);
	}
	imap_parser_free(&p);
	buf_free(&line);
}

static int
keep(void *arg, struct buf *out)
{
	(void)arg;
	(void)out;
	return 0;
}

/* Every message 1..n exactly once, parentheses balanced, none empty. */
static void
check_thread(const struct buf *out, size_t n)
{
	unsigned char seen[FUZZ_MSGS_MAX + 1];
	size_t i, depth = 0, count = 0;
	unsigned long num;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < out->len; i++) {
		char c = out->data[i];

		if (c == '(') {
			depth++;
			if (i + 1 < out->len && out->data[i + 1] == ')')
				abort();
		} else if (c == ')') {
			if (depth == 0)
				abort();
			depth--;
		} else if (c >= '1' && c <= '9') {
			num = 0;
			while (i < out->len && out->data[i] >= '0' &&
			    out->data[i] <= '9')
				num = num * 10 + (unsigned long)
				    (out->data[i++] - '0');
			i--;
			if (num == 0 || num > n || seen[num])
				abort();
			seen[num] = 1;
			count++;
		} else if (c != ' ')
			abort();
	}
	if (depth != 0 || count != n)
		abort();
}

static struct sort_info *
messages(const char *s, size_t len, size_t *n_r)
{
	struct sort_info *v = xcalloc(FUZZ_MSGS_MAX, sizeof(*v));
	const char *p = s, *end = s + len, *eol, *f[4];
	size_t n = 0, fl[4], k;
	struct buf b;

	buf_init(&b, 64 * 1024);
	while (p < end && n < FUZZ_MSGS_MAX) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		for (k = 0; k < 4; k++) {
			const char *bar = memchr(p, '|', (size_t)(eol - p));

			f[k] = p;
			fl[k] = (size_t)((bar != NULL && k < 3 ? bar : eol) - p);
			p = bar != NULL && k < 3 ? bar + 1 : eol;
		}
		v[n].num = v[n].seq = (uint32_t)n + 1;
		if (fl[0] > 0)
			v[n].msgid = xstrndup(f[0], fl[0]);
		v[n].nrefs = imap_parse_msgids(f[1], fl[1], &v[n].refs,
		    IMAP_REFERENCES_MAX);
		buf_reset(&b);
		imap_base_subject(f[2], fl[2], &b, &v[n].reply);
		v[n].subject = xstrdup(buf_cstr(&b));
		v[n].date = fl[3] > 0 ? (int64_t)(unsigned char)f[3][0] : 0;
		n++;
		p = eol < end ? eol + 1 : end;
	}
	buf_free(&b);
	*n_r = n;
	return v;
}

static void
threads(const char *s, size_t len)
{
	struct sort_info *v;
	struct buf out;
	size_t n;

	buf_init(&out, 1024 * 1024);
	v = messages(s, len, &n);
	if (imap_thread_references(v, n, &out, keep, NULL) != 0 ||
	    out.err != 0)
		abort();
	check_thread(&out, n);
	imap_sort_info_free(v, n);
	buf_reset(&out);
	v = messages(s, len, &n);
	if (imap_thread_orderedsubject(v, n, &out, keep, NULL) != 0 ||
	    out.err != 0)
		abort();
	check_thread(&out, n);
	imap_sort_info_free(v, n);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		base_subject(s, size - 1);
		break;
	case 1:
		criteria(s, size - 1);
		break;
	default:
		threads(s, size - 1);
		break;
	}
	return 0;
}
