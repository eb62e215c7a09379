/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.c: a socket with optional TLS, blocking-style I/O with timeouts for
 * one session thread (see conn.h).  The socket is non-blocking: every read
 * or write is tried first, and only when it would block does the thread
 * flush pending output (reads only) and poll() with the timeout.  The same
 * loop serves plain and TLS sockets, since OpenSSL reports "would block" as
 * SSL_ERROR_WANT_READ / WANT_WRITE.
 */
#include "lib/compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/tls.h"

#define CONN_PRINTF_MAX		(1024 * 1024)	/* one conn_printf() */
#define CONN_IP_TEXT_MAX	INET6_ADDRSTRLEN
#define CONN_WHAT_MAX		64	/* name of a deadline in messages */

struct conn {
	pthread_mutex_t		 fd_lock;	/* fd against conn_shutdown() */
	int			 fd;
	SSL			*ssl;
	struct linereader	 lr;
	struct buf		 out;
	int			 read_ms, write_ms;
	bool			 broken;	/* sticky I/O failure */
	bool			 timed_out;
	bool			 read_dead;	/* a read timed out or was shed:
						 * reads fail, writes still go */
	int64_t			 deadline;	/* 0, or every wait ends then */
	char			 deadline_what[CONN_WHAT_MAX];
	int			 line_ms;	/* whole-line limit, 0 = none */
	int64_t			 line_since;	/* first byte of a partial line */
	unsigned		 rate_bps;	/* min-rate mode, 0 = off */
	int			 rate_max_ms;	/* its budget's ceiling */
	int64_t			 rate_budget;	/* ms a read may still wait */
	bool			 shed_seen;	/* this thread saw shed */
	/* Shared with the listener's thread, under fd_lock: */
	bool			 sheddable;	/* pre-login: may be shed */
	bool			 waiting;	/* blocked waiting for input */
	bool			 shed;		/* shed: close at once */
	char			 errmsg[160];
	struct sockaddr_storage	 peer, local;
	char			 peer_text[CONN_ADDR_TEXT_MAX];
	char			 local_text[CONN_ADDR_TEXT_MAX];
	char			 peer_ip[CONN_IP_TEXT_MAX];
	char			 local_ip[CONN_IP_TEXT_MAX];
	char			 tls_info[CONN_TLS_INFO_MAX];
};

/* Writes the IP of ss into dst; IPv4-mapped IPv6 is shown as IPv4.  Returns
 * the port. */
static unsigned
addr_ip(const struct sockaddr_storage *ss, char *dst, size_t size,
    bool *v6_r)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	*v6_r = false;
	dst[0] = '\0';
	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, dst, size);
		return ntohs(sin->sin_port);
	}
	if (ss->ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], dst,
			    size);
		else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, dst, size);
			*v6_r = true;
		}
		return ntohs(sin6->sin6_port);
	}
	snprintf(dst, size, "local");
	return 0;
}

void
conn_addr_text(const struct sockaddr_storage *ss, char *dst, size_t size)
{
	char ip[CONN_IP_TEXT_MAX];
	unsigned port;
	bool v6;

	port = addr_ip(ss, ip, sizeof(ip), &v6);
	snprintf(dst, size, "[%s]:%u", ip, port);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct conn *
conn_init(int fd, bool ready)
{
	struct conn *c;
	socklen_t len;
	int flags, one = 1;
	bool v6;

	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->fd_lock, NULL);
	c->fd = fd;
	c->read_ms = c->write_ms = CONN_TIMEOUT_DEFAULT;
	linereader_init(&c->lr, LINEREADER_LINE_MAX + 1 + CONN_READ_CHUNK);
	buf_init(&c->out, 2 * CONN_OUT_CHUNK);

	if (!ready) {
		flags = fcntl(fd, F_GETFL);
		if (flags != -1)
			(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	len = sizeof(c->peer);
	if (getpeername(fd, (struct sockaddr *)&c->peer, &len) != 0)
		memset(&c->peer, 0, sizeof(c->peer));
	len = sizeof(c->local);
	if (getsockname(fd, (struct sockaddr *)&c->local, &len) != 0)
		memset(&c->local, 0, sizeof(c->local));
	if (c->peer.ss_family == AF_INET || c->peer.ss_family == AF_INET6)
		/* We buffer replies ourselves; Nagle would only delay them. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	conn_addr_text(&c->peer, c->peer_text, sizeof(c->peer_text));
	conn_addr_text(&c->local, c->local_text, sizeof(c->local_text));
	(void)addr_ip(&c->peer, c->peer_ip, sizeof(c->peer_ip), &v6);
	(void)addr_ip(&c->local, c->local_ip, sizeof(c->local_ip), &v6);
	return c;
}

struct conn *
conn_new(int fd)
{
	return conn_init(fd, false);
}

struct conn *
conn_new_accepted(int fd)
{
	return conn_init(fd, true);
}

void
conn_set_timeouts(struct conn *c, int read_ms, int write_ms)
{
	c->read_ms = read_ms > 0 ? read_ms : CONN_TIMEOUT_DEFAULT;
	c->write_ms = write_ms > 0 ? write_ms : CONN_TIMEOUT_DEFAULT;
}

void
conn_set_line_timeout(struct conn *c, int ms)
{
	c->line_ms = ms > 0 ? ms : 0;
}

void
conn_set_deadline(struct conn *c, int ms, const char *what)
{
	if (ms <= 0) {
		c->deadline = 0;
		c->deadline_what[0] = '\0';
		return;
	}
	c->deadline = now_ms() + ms;
	snprintf(c->deadline_what, sizeof(c->deadline_what), "%s",
	    what != NULL ? what : "time limit reached");
}

void
conn_set_min_rate(struct conn *c, int max_ms, unsigned bytes_per_s)
{
	if (max_ms <= 0 || bytes_per_s == 0) {
		c->rate_bps = 0;
		return;
	}
	c->rate_bps = bytes_per_s;
	c->rate_max_ms = max_ms;
	c->rate_budget = max_ms;
}

void
conn_set_sheddable(struct conn *c, bool on)
{
	pthread_mutex_lock(&c->fd_lock);
	c->sheddable = on;
	pthread_mutex_unlock(&c->fd_lock);
}

bool
conn_shed_candidate(struct conn *c)
{
	bool r;

	pthread_mutex_lock(&c->fd_lock);
	r = c->sheddable && c->waiting && !c->shed && c->fd >= 0;
	pthread_mutex_unlock(&c->fd_lock);
	return r;
}

bool
conn_shed(struct conn *c)
{
	bool r;

	pthread_mutex_lock(&c->fd_lock);
	r = c->sheddable && c->waiting && !c->shed && c->fd >= 0;
	if (r) {
		c->shed = true;
		/* Wakes the owner's poll(); its writes still work, so it
		 * can say why it closes. */
		(void)shutdown(c->fd, SHUT_RD);
	}
	pthread_mutex_unlock(&c->fd_lock);
	return r;
}

bool
conn_was_shed(const struct conn *c)
{
	return c->shed_seen;
}

bool
conn_line_after_crlf(const struct conn *c)
{
	return linereader_prev_crlf(&c->lr);
}

static void ATTR_FORMAT(2, 3)
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	c->broken = true;
}

/* The OpenSSL error queue as the failure text. */
static void
conn_fail_tls(struct conn *c, const char *what)
{
	char e[128];

	tls_error_text(e, sizeof(e));
	conn_fail(c, "%s: %s", what, e[0] != '\0' ? e : "TLS error");
}

/* A wait ran out (or the conn was shed).  A read that times out leaves the
 * write side usable, so the session can still say why it closes (421, BYE,
 * -ERR); every later read fails the same way. */
static void
conn_timeout(struct conn *c, bool reading, const char *what)
{
	c->timed_out = true;
	snprintf(c->errmsg, sizeof(c->errmsg), "%s", what);
	if (reading)
		c->read_dead = true;
	else
		c->broken = true;
}

/* True once the listener shed c (checked by the owning thread). */
static bool
conn_check_shed(struct conn *c)
{
	bool shed;

	if (c->shed_seen)
		return true;
	pthread_mutex_lock(&c->fd_lock);
	shed = c->shed;
	pthread_mutex_unlock(&c->fd_lock);
	if (shed) {
		c->shed_seen = true;
		conn_timeout(c, true, CONN_SHED_TEXT);
	}
	return shed;
}

/*
 * Waits for events on the socket until deadline (monotonic ms), or the
 * conn's own deadline (conn_set_deadline()) if that comes first, or
 * CONN_SHED_WRITE_MS after a shedding.  0 when ready (or the socket has an
 * error or hang-up, which the next I/O call reports), -1 on timeout (what
 * names it in the message) or when the conn was shed while waiting to read.
 */
static int
conn_wait(struct conn *c, short events, bool reading, int64_t deadline,
    const char *what)
{
	struct pollfd pfd;
	bool mark;
	int64_t left, now;
	int r;

	if (c->deadline != 0 && c->deadline < deadline) {
		deadline = c->deadline;
		what = c->deadline_what;
	}
	/* Pre-login reads are where the listener may shed us. */
	mark = reading && c->sheddable;
	for (;;) {
		now = now_ms();
		if (c->shed_seen && deadline > now + CONN_SHED_WRITE_MS)
			deadline = now + CONN_SHED_WRITE_MS;
		left = deadline - now;
		if (left <= 0) {
			conn_timeout(c, reading, what);
			return -1;
		}
		if (mark) {
			pthread_mutex_lock(&c->fd_lock);
			c->waiting = !c->shed;
			pthread_mutex_unlock(&c->fd_lock);
			if (conn_check_shed(c))
				return -1;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (mark) {
			pthread_mutex_lock(&c->fd_lock);
			c->waiting = false;
			pthread_mutex_unlock(&c->fd_lock);
			if (conn_check_shed(c))
				return -1;
		}
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			conn_fail(c, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* What a failed SSL_* call means: 1 = wait for *events_r and retry, 0 = the
 * peer closed, -1 = error (message set). */
static int
conn_ssl_status(struct conn *c, int r, const char *what, short *events_r)
{
	int e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*events_r = POLLIN;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		*events_r = POLLOUT;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && (r == 0 || errno == 0))
			return 0;		/* EOF without close_notify */
		if (ERR_peek_error() == 0) {
			conn_fail(c, "%s failed: %s", what, strerror(errno));
			return -1;
		}
		conn_fail_tls(c, what);
		return -1;
	default:
		conn_fail_tls(c, what);
		return -1;
	}
}

static int	conn_flush_internal(struct conn *c);

/*
 * Min-rate mode (conn_set_min_rate(), Postfix's smtpd_min_data_rate): a
 * read may wait as long as the budget left; the time it took is taken
 * off, and every byte it brought adds 1/bps seconds, up to the ceiling.
 */
static void
conn_rate_account(struct conn *c, int64_t elapsed, size_t got)
{
	int64_t add = (int64_t)got * 1000 / c->rate_bps;

	c->rate_budget -= elapsed;
	if (add > c->rate_max_ms)
		add = c->rate_max_ms;
	c->rate_budget += add;
	if (c->rate_budget > c->rate_max_ms)
		c->rate_budget = c->rate_max_ms;
}

/* One read from the socket (through TLS if on), waiting until deadline
 * (what names it in a time-out).  >0, 0 at EOF, -1 on error or timeout.
 * Pending output is flushed before waiting. */
static ssize_t
conn_raw_read(struct conn *c, void *p, size_t n, int64_t deadline,
    const char *what)
{
	int64_t start = now_ms();
	short events;
	ssize_t r;
	int st;

	if (c->broken || c->read_dead)
		return -1;
	if (c->rate_bps > 0) {
		deadline = start + (c->rate_budget > 0 ? c->rate_budget : 0);
		what = "data transfer too slow";
	}
	if (n > INT32_MAX)
		n = INT32_MAX;
	/* Replies are waiting: the peer usually waits for them before it
	 * sends more, so a read now would only return EAGAIN.  Flush, then
	 * wait (poll returns at once if pipelined input is there). */
	if (c->ssl == NULL && c->out.len > 0) {
		if (conn_flush_internal(c) < 0 ||
		    conn_wait(c, POLLIN, true, deadline, what) < 0)
			return -1;
	}
	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			r = SSL_read(c->ssl, p, (int)n);
			if (r > 0)
				goto got;
			st = conn_ssl_status(c, (int)r, "read", &events);
			if (st == 0 && c->sheddable && conn_check_shed(c))
				return -1;
			if (st <= 0)
				return st;
		} else {
			r = recv(c->fd, p, n, 0);
			if (r > 0)
				goto got;
			/* After a shedding the read side is shut down. */
			if (r == 0 && c->sheddable && conn_check_shed(c))
				return -1;
			if (r == 0)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail(c, "read failed: %s", strerror(errno));
				return -1;
			}
			events = POLLIN;
		}
		if (events == POLLIN && c->out.len > 0 &&
		    conn_flush_internal(c) < 0)
			return -1;
		if (conn_wait(c, events, true, deadline, what) < 0)
			return -1;
	}
got:
	if (c->rate_bps > 0)
		conn_rate_account(c, now_ms() - start, (size_t)r);
	return r;
}

/* Writes all n bytes; 0 or -1. */
static int
conn_raw_write(struct conn *c, const char *p, size_t n)
{
	int64_t deadline = now_ms() + c->write_ms;
	short events;
	ssize_t r;
	size_t k;
	int st;

	while (n > 0) {
		if (c->broken)
			return -1;
		k = n > INT32_MAX ? INT32_MAX : n;
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			r = SSL_write(c->ssl, p, (int)k);
			if (r > 0) {
				p += r;
				n -= (size_t)r;
				deadline = now_ms() + c->write_ms;
				continue;
			}
			st = conn_ssl_status(c, (int)r, "write", &events);
			if (st == 0)
				conn_fail(c, "write failed: peer closed");
			if (st <= 0)
				return -1;
		} else {
			r = send(c->fd, p, k, MSG_NOSIGNAL);
			if (r >= 0) {
				p += r;
				n -= (size_t)r;
				deadline = now_ms() + c->write_ms;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail(c, "write failed: %s",
				    strerror(errno));
				return -1;
			}
			events = POLLOUT;
		}
		if (conn_wait(c, events, false, deadline, "write time-out") < 0)
			return -1;
	}
	return 0;
}

static int
conn_flush_internal(struct conn *c)
{
	int r;

	if (c->broken)
		return -1;
	if (c->out.len == 0)
		return 0;
	r = conn_raw_write(c, c->out.data, c->out.len);
	buf_reset(&c->out);
	return r;
}

int
conn_flush(struct conn *c)
{
	return conn_flush_internal(c);
}

int
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->broken)
		return -1;
	if (c->out.len + n > CONN_OUT_CHUNK && conn_flush_internal(c) < 0)
		return -1;
	if (n >= CONN_OUT_CHUNK)
		return conn_raw_write(c, p, n);
	buf_append(&c->out, p, n);
	return 0;
}

int
conn_puts(struct conn *c, const char *s)
{
	return conn_write(c, s, strlen(s));
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	struct buf tmp;
	va_list ap;
	int r;

	buf_init(&tmp, CONN_PRINTF_MAX);
	va_start(ap, fmt);
	buf_vprintf(&tmp, fmt, ap);
	va_end(ap);
	if (tmp.err != 0) {
		buf_free(&tmp);
		conn_fail(c, "output line too long");
		return -1;
	}
	r = conn_write(c, tmp.data, tmp.len);
	buf_free(&tmp);
	return r;
}

enum line_rc
conn_read_line(struct conn *c, size_t max, enum line_mode mode,
    struct strv *line_r)
{
	char chunk[CONN_READ_CHUNK];
	enum line_rc rc;
	int64_t deadline, now;
	const char *what;
	ssize_t r;

	*line_r = STRV_NULL;
	if (c->read_dead)
		return c->timed_out ? LINE_TIMEOUT : LINE_ERROR;
	for (;;) {
		rc = linereader_next(&c->lr, max, mode, line_r);
		if (rc != LINE_AGAIN) {
			/* A line ends.  The clock of the next one starts
			 * when we wait for it (pipelined bytes waited while
			 * we worked); a skipped over-long line keeps its
			 * start. */
			if (rc != LINE_TOOLONG || !linereader_in_line(&c->lr))
				c->line_since = 0;
			return rc;
		}
		now = now_ms();
		deadline = now + c->read_ms;
		what = "read time-out";
		if (!linereader_in_line(&c->lr))
			c->line_since = 0;
		else {
			if (c->line_since == 0)
				c->line_since = now;
			/* The whole line, not each byte (slowloris). */
			if (c->line_ms > 0 &&
			    c->line_since + c->line_ms < deadline) {
				deadline = c->line_since + c->line_ms;
				what = "command line time-out";
			}
		}
		r = conn_raw_read(c, chunk, sizeof(chunk), deadline, what);
		if (r == 0)
			return LINE_EOF;
		if (r < 0)
			return c->timed_out ? LINE_TIMEOUT : LINE_ERROR;
		if (linereader_feed(&c->lr, chunk, (size_t)r) < 0) {
			/* Cannot happen: we read only with <= max + 1 held. */
			conn_fail(c, "input buffer full");
			return LINE_ERROR;
		}
	}
}

ssize_t
conn_read(struct conn *c, void *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (c->read_dead)
		return -1;
	if (linereader_pending(&c->lr) > 0)
		return (ssize_t)linereader_take(&c->lr, buf, n);
	return conn_raw_read(c, buf, n, now_ms() + c->read_ms,
	    "read time-out");
}

int
conn_read_full(struct conn *c, void *buf, size_t n)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = conn_read(c, p, n);
		if (r <= 0) {
			if (r == 0 && c->errmsg[0] == '\0')
				snprintf(c->errmsg, sizeof(c->errmsg),
				    "connection closed by peer");
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

bool
conn_timed_out(const struct conn *c)
{
	return c->timed_out;
}

const char *
conn_last_error(const struct conn *c)
{
	return c->errmsg;
}

size_t
conn_pending_input(const struct conn *c)
{
	return linereader_pending(&c->lr);
}

bool
conn_input_buffered(const struct conn *c)
{
	if (linereader_pending(&c->lr) > 0)
		return true;
	return c->ssl != NULL && (SSL_pending(c->ssl) > 0 ||
	    SSL_has_pending(c->ssl) == 1);
}

bool
conn_quiet_for(struct conn *c, int ms)
{
	struct pollfd pfd;
	int r;

	if (conn_input_buffered(c) || conn_flush(c) < 0)
		return false;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	do
		r = poll(&pfd, 1, ms);
	while (r < 0 && errno == EINTR);
	return r == 0;
}

/* Runs SSL_accept or SSL_connect to the end, within the read timeout. */
static int
conn_handshake(struct conn *c, bool server, struct error *err_r)
{
	int64_t deadline = now_ms() + c->read_ms;
	short events;
	int r, st;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
		if (r == 1)
			break;
		st = conn_ssl_status(c, r, "TLS handshake", &events);
		if (st == 0)
			conn_fail(c, "TLS handshake: peer closed");
		if (st <= 0)
			return error_set(err_r, ERR_IO, "%s", c->errmsg);
		/* A server waiting for the client's handshake bytes is
		 * waiting for input: it may be shed like any pre-login
		 * read.  Either way the conn is unusable afterwards. */
		if (conn_wait(c, events, server && events == POLLIN, deadline,
		    "TLS handshake time-out") < 0) {
			c->broken = true;
			return error_set(err_r, ERR_TEMP, "%s", c->errmsg);
		}
	}
	snprintf(c->tls_info, sizeof(c->tls_info), "%s %s",
	    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
	return 0;
}

static int
conn_tls_begin(struct conn *c, SSL_CTX *ctx, struct error *err_r)
{
	if (c->broken || c->fd < 0)
		return error_set(err_r, ERR_IO, "connection is closed");
	if (c->ssl != NULL)
		return error_set(err_r, ERR_SYNTAX, "TLS is already active");
	if (linereader_pending(&c->lr) > 0)
		return error_set(err_r, ERR_SYNTAX,
		    "input received before the TLS handshake");
	if (conn_flush_internal(c) < 0)
		return error_set(err_r, ERR_IO, "%s", c->errmsg);
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		conn_fail_tls(c, "SSL_new");
		return error_set(err_r, ERR_INTERNAL, "%s", c->errmsg);
	}
	SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return 0;
}

int
conn_starttls(struct conn *c, struct ssl_ctx_st *ctx, struct error *err_r)
{
	if (conn_tls_begin(c, ctx, err_r) < 0)
		return -1;
	return conn_handshake(c, true, err_r);
}

int
conn_starttls_client(struct conn *c, struct ssl_ctx_st *ctx,
    const char *servername, char ***names_r, struct error *err_r)
{
	unsigned char a[sizeof(struct in6_addr)];
	X509 *cert;

	if (names_r != NULL)
		*names_r = NULL;
	if (conn_tls_begin(c, ctx, err_r) < 0)
		return -1;
	/* RFC 6066 3: literal IP addresses are not sent as SNI. */
	if (servername != NULL && servername[0] != '\0' &&
	    inet_pton(AF_INET, servername, a) != 1 &&
	    inet_pton(AF_INET6, servername, a) != 1)
		(void)SSL_set_tlsext_host_name(c->ssl, servername);
	if (conn_handshake(c, false, err_r) < 0)
		return -1;
	cert = SSL_get0_peer_certificate(c->ssl);
	if (names_r != NULL && cert != NULL)
		*names_r = tls_cert_names(cert);
	return 0;
}

bool
conn_is_tls(const struct conn *c)
{
	return c->ssl != NULL && c->tls_info[0] != '\0';
}

const char *
conn_tls_info(const struct conn *c)
{
	return c->tls_info;
}

const char *
conn_tls_servername(const struct conn *c)
{
	if (c->ssl == NULL)
		return NULL;
	return SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
}

struct x509_st *
conn_peer_cert(const struct conn *c)
{
	return c->ssl != NULL ? SSL_get0_peer_certificate(c->ssl) : NULL;
}

bool
conn_tls_verify_ok(const struct conn *c)
{
	return c->ssl != NULL && SSL_get0_peer_certificate(c->ssl) != NULL &&
	    SSL_get_verify_result(c->ssl) == X509_V_OK;
}

const struct sockaddr_storage *
conn_peer_addr(const struct conn *c)
{
	return &c->peer;
}

const struct sockaddr_storage *
conn_local_addr(const struct conn *c)
{
	return &c->local;
}

const char *
conn_peer_text(const struct conn *c)
{
	return c->peer_text;
}

const char *
conn_local_text(const struct conn *c)
{
	return c->local_text;
}

const char *
conn_peer_ip(const struct conn *c)
{
	return c->peer_ip;
}

const char *
conn_local_ip(const struct conn *c)
{
	return c->local_ip;
}

unsigned
conn_local_port(const struct conn *c)
{
	char ip[CONN_IP_TEXT_MAX];
	bool v6;

	return addr_ip(&c->local, ip, sizeof(ip), &v6);
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

void
conn_shutdown(struct conn *c)
{
	pthread_mutex_lock(&c->fd_lock);
	if (c->fd >= 0)
		(void)shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->fd_lock);
}

void
conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	if (!c->broken && c->out.len > 0)
		(void)conn_flush_internal(c);
	if (c->ssl != NULL) {
		/* One non-blocking close_notify; we do not wait for the
		 * peer's (RFC 8446 6.1 allows closing the read side). */
		if (!c->broken) {
			ERR_clear_error();
			(void)SSL_shutdown(c->ssl);
		}
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	pthread_mutex_lock(&c->fd_lock);
	(void)close(c->fd);
	c->fd = -1;
	pthread_mutex_unlock(&c->fd_lock);
	c->broken = true;
	if (c->errmsg[0] == '\0')
		snprintf(c->errmsg, sizeof(c->errmsg), "connection closed");
}

void
conn_free(struct conn **cp)
{
	struct conn *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	*cp = NULL;
	conn_close(c);
	linereader_free(&c->lr);
	buf_free(&c->out);
	pthread_mutex_destroy(&c->fd_lock);
	free(c);
}

struct conn *
conn_connect_tcp(const char *host, unsigned port, int timeout_ms,
    struct error *err_r)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16], why[128];
	int fd, r, soerr;
	socklen_t len;
	struct pollfd pfd;

	if (port == 0 || port > 65535) {
		error_set(err_r, ERR_SYNTAX, "bad port %u", port);
		return NULL;
	}
	if (timeout_ms <= 0)
		timeout_ms = CONN_TIMEOUT_DEFAULT;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(host, portstr, &hints, &res);
	if (r != 0) {
		error_set(err_r, ERR_TEMP, "cannot resolve %s: %s", host,
		    gai_strerror(r));
		return NULL;
	}
	snprintf(why, sizeof(why), "no address");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			continue;
		}
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r != 0 && errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				r = poll(&pfd, 1, timeout_ms);
			while (r < 0 && errno == EINTR);
			if (r == 0) {
				snprintf(why, sizeof(why),
				    "connect time-out");
				close(fd);
				continue;
			}
			soerr = 0;
			len = sizeof(soerr);
			if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &len) != 0)
				soerr = errno;
			r = soerr == 0 ? 0 : -1;
			errno = soerr;
		}
		if (r != 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			close(fd);
			continue;
		}
		freeaddrinfo(res);
		return conn_new(fd);
	}
	freeaddrinfo(res);
	error_set(err_r, ERR_TEMP, "cannot connect to %s port %u: %s", host,
	    port, why);
	return NULL;
}
