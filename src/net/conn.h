/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.h: one network connection, a socket with optional TLS, used by one
 * session thread with blocking-style calls and timeouts (docs/architecture.md,
 * Threads).  The socket is non-blocking underneath; every wait is a poll()
 * bounded by the read or write timeout.
 *
 * Input goes through a bounded line reader (net/linereader.h):
 * conn_read_line() for commands, conn_read() for raw blocks (SMTP DATA in
 * BDAT form, IMAP literals), which first drains bytes already buffered.
 *
 * Output is buffered.  It is flushed (1) when the buffer passes
 * CONN_OUT_CHUNK bytes, (2) by conn_flush(), and (3) automatically before any
 * read that would block, so a session may write its reply and go straight
 * back to reading.  Write errors are sticky: later writes fail at once, and
 * the next read returns LINE_ERROR / -1.
 *
 * STARTTLS: before switching, a protocol must check conn_pending_input(c) is
 * 0 and refuse otherwise; plaintext bytes pipelined after the STARTTLS
 * command must never be read as if they had come over TLS (CVE-2011-0411 and
 * friends).  conn_starttls() itself also refuses when input is pending.
 *
 * A conn is used by one thread; only conn_shutdown() may be called from
 * another thread (listener_stop_all() uses it to wake blocked readers).
 * Plain writes use MSG_NOSIGNAL, but OpenSSL writes to the socket itself:
 * the process must ignore SIGPIPE (tegamid does at start-up).
 */
#ifndef TEGAMI_NET_CONN_H
#define TEGAMI_NET_CONN_H

#include "lib/compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include "lib/error.h"
#include "lib/strv.h"
#include "net/linereader.h"

struct conn;
struct ssl_ctx_st;			/* OpenSSL SSL_CTX */
struct x509_st;				/* OpenSSL X509 */

#define CONN_OUT_CHUNK		16384	/* output buffered before an automatic flush */
#define CONN_READ_CHUNK		16384	/* one read() / SSL_read() */
#define CONN_TIMEOUT_DEFAULT	(10 * 60 * 1000)	/* ms, until the protocol sets its own */
#define CONN_ADDR_TEXT_MAX	64	/* "[ffff:...:ffff]:65535" */
#define CONN_TLS_INFO_MAX	128	/* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
#define CONN_SHED_WRITE_MS	2000	/* a shed session's last words */
#define CONN_SHED_TEXT		"closed to make room for a new connection"

/* Wraps a connected socket; the conn owns fd from now on (conn_free closes
 * it).  Reads the peer and local addresses.  Never NULL. */
struct conn	*conn_new(int fd);
/* The same for a socket from accept4(SOCK_NONBLOCK | SOCK_CLOEXEC): skips
 * setting those flags again (three system calls per connection). */
struct conn	*conn_new_accepted(int fd);
/* conn_close(), then frees everything; sets *c to NULL.  NULL or *c NULL is
 * fine. */
void	conn_free(struct conn **c);
/* Flushes buffered output (best effort, bounded by the write timeout), sends
 * TLS close_notify (best effort, no waiting) and closes the socket; the conn
 * stays allocated and every later read or write fails.  Idempotent. */
void	conn_close(struct conn *c);
/* shutdown(SHUT_RDWR) on the socket: blocked reads and writes in the owning
 * thread return EOF/error.  Safe from another thread while c is alive. */
void	conn_shutdown(struct conn *c);

/*
 * Time limits.  A read or write that runs out of time fails with
 * conn_timed_out() true and conn_last_error() naming the limit ("read
 * time-out", "command line time-out", "login time-out" ...).  A read that
 * times out leaves the write side working, so the session can still send
 * its closing reply (421, BYE, -ERR); every later read fails the same way.
 *
 * conn_set_timeouts(): read_ms bounds each wait for input (for a line: the
 * wait for its first byte), write_ms each wait to write; <= 0 means
 * CONN_TIMEOUT_DEFAULT.
 */
void	conn_set_timeouts(struct conn *c, int read_ms, int write_ms);
/* A whole line read by conn_read_line() must be complete within ms of its
 * first byte, however the bytes trickle in ("command line time-out");
 * 0 = no such limit.  Not applied in min-rate mode. */
void	conn_set_line_timeout(struct conn *c, int ms);
/* Every wait (reads, writes, TLS handshakes) ends at most ms from now; what
 * names the limit in conn_last_error() ("login time-out").  0 clears it. */
void	conn_set_deadline(struct conn *c, int ms, const char *what);
/* Min-rate mode for bulk input (SMTP DATA; Postfix's smtpd_min_data_rate):
 * reads start with max_ms to wait; each read takes its time off and adds
 * 1/bytes_per_s s per byte received, never above max_ms.  A peer whose
 * average rate stays under bytes_per_s runs out ("data transfer too
 * slow").  max_ms 0 or bytes_per_s 0 turns it off. */
void	conn_set_min_rate(struct conn *c, int max_ms, unsigned bytes_per_s);

/*
 * Shedding.  A sheddable conn (a session before login) that is blocked
 * waiting for input may be shed by another thread (the listener, when its
 * service is full): conn_shed() marks it and shuts down its read side; the
 * owner's read returns at once as a time-out with conn_was_shed() true and
 * CONN_SHED_TEXT as the error, and its writes get CONN_SHED_WRITE_MS.
 * conn_shed_candidate() and conn_shed() are safe from another thread while
 * c is alive; conn_shed() returns false when c is not (or no longer)
 * sheddable and waiting.
 */
void	conn_set_sheddable(struct conn *c, bool on);
bool	conn_shed_candidate(struct conn *c);
bool	conn_shed(struct conn *c);
bool	conn_was_shed(const struct conn *c);

/* Reads one line of at most max bytes (see linereader.h for the rules and
 * mode).  *line_r is valid until the next read call on c.  Returns LINE_OK,
 * LINE_TOOLONG (reported once, the line is skipped, call again), LINE_BARE_LF
 * (*line_r set too), LINE_EOF (a partial last line is dropped), LINE_TIMEOUT
 * or LINE_ERROR (see conn_last_error()).  Flushes output before blocking. */
enum line_rc	conn_read_line(struct conn *c, size_t max, enum line_mode mode,
		    struct strv *line_r);

/* Whether the line conn_read_line() returned last came after a CR LF (the
 * terminator of the line before it, also of a skipped over-long line); see
 * linereader_prev_crlf(). */
bool	conn_line_after_crlf(const struct conn *c);

/* Reads up to n raw bytes: first what the line reader has buffered, else
 * one read from the socket.  Returns the count (> 0), 0 at EOF, -1 on error
 * or timeout (conn_timed_out() tells which).  Flushes output before
 * blocking. */
ssize_t	conn_read(struct conn *c, void *buf, size_t n);
/* Reads exactly n bytes (loops over conn_read()); 0, or -1 on EOF, error or
 * timeout. */
int	conn_read_full(struct conn *c, void *buf, size_t n);

/* Buffers n bytes of output.  0, or -1 when an earlier or this write failed
 * (a flush triggered by a full buffer). */
int	conn_write(struct conn *c, const void *p, size_t n);
int	conn_puts(struct conn *c, const char *s);
int	conn_printf(struct conn *c, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* Writes all buffered output, waiting at most the write timeout for each
 * poll.  0, or -1 on error (sticky). */
int	conn_flush(struct conn *c);

/* True when the last failure of a read or write was a timeout. */
bool	conn_timed_out(const struct conn *c);
/* Text of the last failure ("read time-out", "connection reset by peer",
 * a TLS error ...); "" if none. */
const char	*conn_last_error(const struct conn *c);

/* Bytes received and buffered but not yet returned by conn_read_line() or
 * conn_read().  STARTTLS must be refused unless this is 0. */
size_t	conn_pending_input(const struct conn *c);

/* True when a read would return data without waiting on the socket: bytes
 * in the line reader, or (TLS) bytes or records already inside OpenSSL,
 * which a poll() on conn_fd() would not see.  For a session that sleeps in
 * its own poll() (IMAP IDLE). */
bool	conn_input_buffered(const struct conn *c);

/* Before a session parks (hibernation): flushes the output, then waits up
 * to ms for input.  True when nothing came and nothing is buffered (the
 * session may give its thread back); false on input, buffered input, or a
 * failed flush (the read that follows reports it). */
bool	conn_quiet_for(struct conn *c, int ms);

/* Server-side TLS on an established connection: implicit TLS (call right
 * after accept) or STARTTLS (after the "go ahead" reply, which this
 * flushes).  Fails with ERR_SYNTAX if input is pending, ERR_IO/ERR_TEMP if
 * the handshake fails or times out (the conn is then unusable: close it). */
int	conn_starttls(struct conn *c, struct ssl_ctx_st *ctx,
	    struct error *err_r);
bool	conn_is_tls(const struct conn *c);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" (protocol and cipher, for Received:
 * headers and logs); "" without TLS.  Valid while c lives. */
const char	*conn_tls_info(const struct conn *c);
/* SNI host name the client asked for, or NULL. */
const char	*conn_tls_servername(const struct conn *c);

/* Addresses.  The text forms are "[1.2.3.4]:25" / "[2001:db8::1]:25" (CGP
 * log style); the ip forms are "1.2.3.4" / "2001:db8::1" (IPv4-mapped IPv6
 * addresses are shown as IPv4).  All valid while c lives. */
const struct sockaddr_storage	*conn_peer_addr(const struct conn *c);
const struct sockaddr_storage	*conn_local_addr(const struct conn *c);
const char	*conn_peer_text(const struct conn *c);
const char	*conn_local_text(const struct conn *c);
const char	*conn_peer_ip(const struct conn *c);
const char	*conn_local_ip(const struct conn *c);
unsigned	 conn_local_port(const struct conn *c);
int		 conn_fd(const struct conn *c);

/* Formats an address as "[ip]:port" into dst (CONN_ADDR_TEXT_MAX bytes). */
void	conn_addr_text(const struct sockaddr_storage *ss, char *dst,
	    size_t size);

/* Client side.  Connects to host (an IP address literal or a name resolved
 * with getaddrinfo; every address is tried in turn) on port, waiting at most
 * timeout_ms for each attempt.  NULL with err_r filled on failure. */
struct conn	*conn_connect_tcp(const char *host, unsigned port, int timeout_ms,
		    struct error *err_r);
/* Client-side TLS (SMTP out STARTTLS, tests).  servername is sent as SNI
 * when it is a name (not an IP literal) and may be NULL.  The certificate is
 * NOT rejected here: verification depends on the caller's policy, so use
 * conn_tls_verify_ok() and tls_cert_matches() afterwards.  If names_r is not
 * NULL it gets the certificate's names (see tls_cert_names(); free with
 * tls_names_free()). */
int	conn_starttls_client(struct conn *c, struct ssl_ctx_st *ctx,
	    const char *servername, char ***names_r, struct error *err_r);
/* Peer certificate (borrowed, valid while c lives) or NULL. */
struct x509_st	*conn_peer_cert(const struct conn *c);
/* True when the peer's chain verified against the context's trust store. */
bool	conn_tls_verify_ok(const struct conn *c);

#endif
