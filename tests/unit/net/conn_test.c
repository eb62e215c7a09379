/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn_test.c: conn over a socketpair (no network): lines and raw reads
 * sharing one buffer, output flushed before a blocking read, timeouts, EOF
 * with a partial line, STARTTLS refused with pending input, address text.
 */
#include "lib/compat.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/test.h"
#include "net/conn.h"

static void
put(int fd, const char *s)
{
	size_t n = strlen(s);

	test_assert(write(fd, s, n) == (ssize_t)n);
}

/* Reads what the peer has sent within ms into dst (NUL-terminated). */
static size_t
get(int fd, char *dst, size_t size, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = 0;
	ssize_t r;

	while (off + 1 < size && poll(&pfd, 1, ms) == 1) {
		r = read(fd, dst + off, size - 1 - off);
		if (r <= 0)
			break;
		off += (size_t)r;
		ms = 50;
	}
	dst[off] = '\0';
	return off;
}

static void
test_lines_and_raw(void)
{
	struct strv line;
	struct conn *c;
	char raw[16];
	int sv[2];

	test_begin("lines and raw reads share the buffer");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 2000, 2000);
	put(sv[1], "BDAT 5\r\nhelloNOOP\r\nbare\nlf ok\n");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("BDAT 5")));
	test_assert(conn_pending_input(c) > 0);
	test_assert(conn_read_full(c, raw, 5) == 0);
	test_assert(memcmp(raw, "hello", 5) == 0);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("NOOP")));
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_BARE_LF);
	test_assert(strv_eq(line, STRV_LIT("bare")));
	test_assert(conn_read_line(c, 100, LINE_LF_OK, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("lf ok")));
	test_assert(conn_pending_input(c) == 0);
	test_assert(!conn_is_tls(c));
	test_assert_str(conn_tls_info(c), "");
	conn_free(&c);
	test_assert(c == NULL);
	close(sv[1]);
	test_end();
}

static void
test_flush_before_read(void)
{
	struct strv line;
	struct conn *c;
	char got[64];
	int sv[2];

	test_begin("output is flushed before a read blocks");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 300, 2000);
	test_assert(conn_printf(c, "220 %s ready\r\n", "host") == 0);
	/* Nothing sent yet: the reply is buffered. */
	test_assert(get(sv[1], got, sizeof(got), 50) == 0);
	/* The read times out, but flushed the reply first. */
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	test_assert(conn_timed_out(c));
	test_assert(strstr(conn_last_error(c), "time-out") != NULL);
	test_assert(get(sv[1], got, sizeof(got), 500) > 0);
	test_assert_str(got, "220 host ready\r\n");
	conn_free(&c);
	close(sv[1]);
	test_end();

	test_begin("explicit flush and large writes");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	test_assert(conn_puts(c, "+OK\r\n") == 0);
	test_assert(conn_flush(c) == 0);
	test_assert(get(sv[1], got, sizeof(got), 500) == 5);
	test_assert_str(got, "+OK\r\n");
	conn_free(&c);
	close(sv[1]);
	test_end();
}

static void
test_eof(void)
{
	struct strv line;
	struct conn *c;
	char raw[8];
	int sv[2];

	test_begin("EOF drops a partial line");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 2000, 2000);
	put(sv[1], "one\r\npart");
	close(sv[1]);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("one")));
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_EOF);
	test_assert(!conn_timed_out(c));
	conn_free(&c);
	test_end();

	test_begin("raw read at EOF");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	put(sv[1], "ab");
	close(sv[1]);
	test_assert(conn_read_full(c, raw, 3) == -1);
	test_assert(conn_read(c, raw, 3) == 0);
	conn_free(&c);
	test_end();

	test_begin("write to a closed peer fails, then stays failed");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	close(sv[1]);
	test_assert(conn_puts(c, "x\r\n") == 0);
	test_assert(conn_flush(c) == -1);
	test_assert(conn_puts(c, "y\r\n") == -1);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_ERROR);
	conn_free(&c);
	test_end();
}

static void
test_toolong(void)
{
	struct strv line;
	struct conn *c;
	char big[300];
	int sv[2];

	test_begin("over-long line through conn");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 2000, 2000);
	memset(big, 'x', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	put(sv[1], big);
	put(sv[1], "after\r\n");
	test_assert(conn_read_line(c, 64, LINE_CRLF_ONLY, &line) ==
	    LINE_TOOLONG);
	test_assert(conn_read_line(c, 64, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("after")));
	conn_free(&c);
	close(sv[1]);
	test_end();
}

static void
test_starttls_pending(void)
{
	struct strv line;
	struct error err;
	struct conn *c;
	int sv[2];

	test_begin("STARTTLS with pipelined input is refused");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 2000, 2000);
	put(sv[1], "STARTTLS\r\nMAIL FROM:<evil@example>\r\n");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("STARTTLS")));
	test_assert(conn_pending_input(c) > 0);
	/* No SSL_CTX is needed: the check comes first. */
	test_assert(conn_starttls(c, NULL, &err) == -1);
	test_assert(err.kind == ERR_SYNTAX);
	test_assert(!conn_is_tls(c));
	conn_free(&c);
	close(sv[1]);
	test_end();
}

static void
test_addr_text(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char txt[CONN_ADDR_TEXT_MAX];

	test_begin("address text");
	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(25);
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
	conn_addr_text(&ss, txt, sizeof(txt));
	test_assert_str(txt, "[192.0.2.7]:25");
	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(993);
	inet_pton(AF_INET6, "2001:db8::1", &sin6->sin6_addr);
	conn_addr_text(&ss, txt, sizeof(txt));
	test_assert_str(txt, "[2001:db8::1]:993");
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &sin6->sin6_addr);
	conn_addr_text(&ss, txt, sizeof(txt));
	test_assert_str(txt, "[192.0.2.9]:993");
	test_end();
}

static void
test_connect_refused(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct error err;
	struct conn *c;
	int fd;

	test_begin("connect to a closed port fails with the reason");
	/* Take a free port, then close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	test_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	test_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd);
	c = conn_connect_tcp("127.0.0.1", ntohs(sin.sin_port), 2000, &err);
	test_assert(c == NULL);
	test_assert(c == NULL && strstr(err.msg, "refused") != NULL);
	test_end();
}

/* A read time-out leaves the write side working (the session's 421 or
 * BYE must go out), and later reads fail the same way. */
static void
test_timeout_then_write(void)
{
	struct strv line;
	struct conn *c;
	char got[64];
	int sv[2];

	test_begin("a read time-out still lets the closing reply out");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 100, 2000);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	test_assert_str(conn_last_error(c), "read time-out");
	test_assert(conn_printf(c, "421 4.4.2 bye\r\n") == 0);
	test_assert(conn_flush(c) == 0);
	test_assert(get(sv[1], got, sizeof(got), 500) > 0);
	test_assert_str(got, "421 4.4.2 bye\r\n");
	/* Input that arrives now is not read any more. */
	put(sv[1], "NOOP\r\n");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	conn_free(&c);
	close(sv[1]);
	test_end();
}

static void
test_line_and_deadline(void)
{
	struct strv line;
	struct conn *c;
	int sv[2];

	test_begin("a partial line is cut by the whole-line limit");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 5000, 2000);
	conn_set_line_timeout(c, 200);
	put(sv[1], "OK\r\nNO");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	test_assert_str(conn_last_error(c), "command line time-out");
	conn_free(&c);
	close(sv[1]);
	test_end();

	test_begin("the deadline ends every wait");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 5000, 2000);
	conn_set_deadline(c, 200, "login time-out");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	test_assert_str(conn_last_error(c), "login time-out");
	test_assert(conn_timed_out(c));
	conn_free(&c);
	close(sv[1]);
	test_end();

	test_begin("a cleared deadline no longer applies");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 5000, 2000);
	conn_set_deadline(c, 50, "login time-out");
	conn_set_deadline(c, 0, NULL);
	put(sv[1], "x");
	test_assert(poll(NULL, 0, 100) == 0);
	put(sv[1], "y\r\n");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("xy")));
	conn_free(&c);
	close(sv[1]);
	test_end();

	test_begin("min-rate mode: a stall ends with its own reason");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 5000, 2000);
	conn_set_min_rate(c, 200, 1000);
	put(sv[1], "data\r\n");
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	test_assert_str(conn_last_error(c), "data transfer too slow");
	conn_free(&c);
	close(sv[1]);
	test_end();
}

static void *
shedder(void *arg)
{
	struct conn *c = arg;
	int i;

	for (i = 0; i < 200; i++) {
		if (conn_shed(c))
			return (void *)1;
		(void)poll(NULL, 0, 10);
	}
	return NULL;
}

static void
test_shed(void)
{
	struct strv line;
	struct conn *c;
	pthread_t t;
	void *res;
	char got[64];
	int sv[2];

	test_begin("only a sheddable conn waiting for input is shed");
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	conn_set_timeouts(c, 5000, 2000);
	test_assert(!conn_shed_candidate(c));
	test_assert(!conn_shed(c));		/* not sheddable */
	conn_set_sheddable(c, true);
	test_assert(!conn_shed(c));		/* not waiting */
	test_assert(pthread_create(&t, NULL, shedder, c) == 0);
	test_assert(conn_read_line(c, 100, LINE_CRLF_ONLY, &line) ==
	    LINE_TIMEOUT);
	test_assert(pthread_join(t, &res) == 0 && res != NULL);
	test_assert(conn_was_shed(c));
	test_assert_str(conn_last_error(c), CONN_SHED_TEXT);
	test_assert(conn_printf(c, "* BYE full\r\n") == 0);
	test_assert(conn_flush(c) == 0);
	test_assert(get(sv[1], got, sizeof(got), 500) > 0);
	test_assert_str(got, "* BYE full\r\n");
	conn_free(&c);
	close(sv[1]);
	test_end();
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_lines_and_raw();
	test_flush_before_read();
	test_eof();
	test_toolong();
	test_starttls_pending();
	test_addr_text();
	test_connect_refused();
	test_timeout_then_write();
	test_line_and_deadline();
	test_shed();
	return test_done();
}
