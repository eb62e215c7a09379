/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_out_test.c: issue 15 for IMAP responses: a line one byte past its
 * bound (imap_send(), a streamed piece) or a failed connection is not sent,
 * and the command's tagged OK becomes NO [LIMIT] / NO [SERVERBUG] (the
 * response code it carried dropped; a failed SELECT deselects); a line at
 * the bound and a streamed line of any length go out whole.  The session's
 * connection is one end of a socketpair drained by a thread.
 */
#include "lib/compat.h"

#include <sys/socket.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "imap/imap_private.h"

static struct log_module log_test = LOG_MODULE("IMAP");

struct sink {
	int	 fd;
	char	*data;
	size_t	 len, cap;
};

/* Reads the peer's end until EOF (bounded by the test's own output). */
static void *
drain(void *arg)
{
	struct sink *k = arg;
	ssize_t n;

	for (;;) {
		if (k->cap - k->len < 65536) {
			k->cap = k->cap * 2 + 65536;
			k->data = xrealloc(k->data, k->cap);
		}
		n = read(k->fd, k->data + k->len, k->cap - k->len);
		if (n <= 0)
			break;
		k->len += (size_t)n;
	}
	return NULL;
}

static char *
filled(size_t len, char c)
{
	char *p = xmalloc(len + 1);

	memset(p, c, len);
	p[len] = '\0';
	return p;
}

static void
session_init(struct imap_session *s, struct conn *c)
{
	memset(s, 0, sizeof(*s));
	s->conn = c;
	s->state = IST_AUTH;
	s->tag = "t";
	log_session_init(&s->log, &log_test, "test");
}

static void
test_limits(void)
{
	struct imap_session s;
	struct sink k;
	pthread_t th;
	struct buf b;
	char *at, *past, *item;
	size_t i, big = 0;
	int sv[2];
	uint32_t set[3] = { 1, 2, 3 };

	test_begin("imap_send and streamed lines at and one past the bound");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	test_assert(pthread_create(&th, NULL, drain, &k) == 0);
	session_init(&s, conn_new(sv[0]));
	conn_set_timeouts(s.conn, 5000, 5000);

	/* a line of exactly IMAP_SEND_MAX bytes goes out whole */
	at = filled(IMAP_SEND_MAX - 2, 'a');
	test_assert(imap_send(&s, "* %s", at) == 0);
	test_assert(s.out_cut == OUT_WHOLE);
	(void)imap_ok(&s, "STATUS completed");
	imap_reply_cut(&s, "STATUS");
	test_assert_str(s.resp_kind, "OK");

	/* one byte more: not sent, and the OK becomes NO [LIMIT] */
	past = filled(IMAP_SEND_MAX - 1, 'b');
	test_assert(imap_send(&s, "* %s", past) < 0);
	test_assert(s.out_cut == OUT_CUT_LIMIT);
	imap_resp_sets(&s, "COPYUID 7", set, set, 3);
	(void)imap_ok(&s, "COPY completed");
	imap_reply_cut(&s, "COPY");
	test_assert_str(s.resp_kind, "NO");
	test_assert(strncmp(s.resp_text, "[LIMIT] ", 8) == 0);
	test_assert(s.resp_code[0] == '\0' && s.resp_set1 == NULL);

	/* a NO or BAD stays as it was */
	(void)imap_no(&s, "[CANNOT] no");
	imap_reply_cut(&s, "COPY");
	test_assert_str(s.resp_text, "[CANNOT] no");
	(void)imap_bad(&s, "bad");
	imap_reply_cut(&s, "COPY");
	test_assert_str(s.resp_kind, "BAD");

	/* a SELECT that cannot answer OK leaves no mailbox selected */
	s.state = IST_SELECTED;
	(void)imap_ok(&s, "[READ-WRITE] SELECT completed");
	imap_reply_cut(&s, "SELECT");
	test_assert_str(s.resp_kind, "NO");
	test_assert(s.state == IST_AUTH);

	/* streamed: an item that overflows the piece buffer is a limit */
	s.out_cut = OUT_WHOLE;
	item = filled(IMAP_OUT_BUF, 'c');
	buf_init(&b, IMAP_OUT_BUF);
	buf_puts(&b, "* SEARCH ");
	buf_puts(&b, item);
	test_assert(imap_stream(&s, &b) < 0);
	test_assert(imap_stream_end(&s, &b) < 0);
	test_assert(s.out_cut == OUT_CUT_LIMIT);
	buf_free(&b);

	/* streamed: 4 MiB in items of 1 KiB goes out whole */
	s.out_cut = OUT_WHOLE;
	buf_init(&b, IMAP_OUT_BUF);
	buf_puts(&b, "* SEARCH");
	item[1024] = '\0';
	for (i = 0; i < 4096; i++) {
		buf_putc(&b, ' ');
		buf_puts(&b, item);
		test_assert(imap_stream(&s, &b) == 0);
		big += 1025;
	}
	test_assert(imap_stream_end(&s, &b) == 0);
	test_assert(s.out_cut == OUT_WHOLE);
	buf_free(&b);
	(void)imap_ok(&s, "SEARCH completed");
	imap_reply_cut(&s, "SEARCH");
	test_assert_str(s.resp_kind, "OK");

	conn_free(&s.conn);
	test_assert(pthread_join(th, NULL) == 0);
	/* the fitting line, then the streamed one; nothing of the others */
	test_assert(k.len == IMAP_SEND_MAX + 2 + 8 + big + 2);
	test_assert(k.len > IMAP_SEND_MAX &&
	    memcmp(k.data, "* ", 2) == 0 &&
	    memcmp(k.data + IMAP_SEND_MAX, "\r\n* SEARCH ", 11) == 0);
	test_assert(memchr(k.data, 'b', k.len) == NULL);
	test_assert(k.len >= 2 &&
	    memcmp(k.data + k.len - 2, "\r\n", 2) == 0);
	free(k.data);
	free(at);
	free(past);
	free(item);
	free(s.resp_set1);
	free(s.resp_set2);
	test_end();
}

static void
test_broken_connection(void)
{
	struct imap_session s;
	char *long_line;
	int sv[2];

	test_begin("a response on a broken connection: NO [SERVERBUG]");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	session_init(&s, conn_new(sv[0]));
	conn_set_timeouts(s.conn, 2000, 2000);
	close(sv[1]);
	/* past the conn's output buffer: written now, and it fails */
	long_line = filled(IMAP_SEND_MAX / 2, 'd');
	test_assert(imap_send(&s, "* %s", long_line) < 0);
	free(long_line);
	test_assert(s.out_cut == OUT_CUT_IO);
	(void)imap_ok(&s, "NOOP completed");
	imap_reply_cut(&s, "NOOP");
	test_assert_str(s.resp_kind, "NO");
	test_assert(strncmp(s.resp_text, "[SERVERBUG] ", 12) == 0);
	/* the first reason is kept */
	imap_out_cut(&s, OUT_CUT_LIMIT);
	test_assert(s.out_cut == OUT_CUT_IO);
	conn_free(&s.conn);
	test_end();
}

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	test_limits();
	test_broken_connection();
	return test_done();
}
