/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener_test.c: real listeners on 127.0.0.1 port 0 with an echo
 * protocol: lines, raw reads, the channel and per-IP limits (refusal text
 * and log record), implicit TLS with the generated self-signed certificate,
 * STARTTLS (and its refusal with pipelined input), bind errors, and
 * listener_stop_all() returning promptly with a session still open.
 */
#include "lib/compat.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/tls.h"

#define IO_MS	5000			/* every client wait in this test */

static struct log_module log_test = LOG_MODULE("PWD");
static struct ssl_ctx_st *server_ctx;
static char tmpdir[] = "/tmp/tegami-net-XXXXXX";

/* The echo protocol. */
static void
echo_handler(struct conn *c, void *arg)
{
	struct strv line;
	struct error err;
	enum line_rc rc;
	char raw[64];
	uint64_t n;

	(void)arg;
	conn_set_timeouts(c, IO_MS, IO_MS);
	for (;;) {
		rc = conn_read_line(c, 100, LINE_CRLF_ONLY, &line);
		if (rc == LINE_TOOLONG) {
			conn_puts(c, "too long\r\n");
			continue;
		}
		if (rc == LINE_BARE_LF) {
			conn_puts(c, "bare LF\r\n");
			continue;
		}
		if (rc == LINE_TIMEOUT && conn_was_shed(c)) {
			conn_puts(c, "shed\r\n");
			return;
		}
		if (rc != LINE_OK)
			return;
		if (strv_eq(line, STRV_LIT("LOGIN"))) {
			/* what a protocol does at login: no more shedding */
			conn_set_deadline(c, 0, NULL);
			conn_set_sheddable(c, false);
			conn_puts(c, "logged in\r\n");
		} else if (strv_eq(line, STRV_LIT("QUIT"))) {
			conn_puts(c, "bye\r\n");
			return;
		} else if (strv_eq(line, STRV_LIT("TLSINFO"))) {
			conn_printf(c, "tls: %s\r\n", conn_is_tls(c) ?
			    conn_tls_info(c) : "none");
		} else if (strv_eq(line, STRV_LIT("STARTTLS"))) {
			if (conn_pending_input(c) > 0) {
				conn_puts(c, "pipelined input after STARTTLS\r\n");
				return;
			}
			conn_puts(c, "go ahead\r\n");
			if (conn_starttls(c, listener_tls_ctx("cli"), &err) < 0)
				return;
		} else if (strv_has_prefix_case(line, "RAW ") &&
		    strv_to_u64(strv_make(line.p + 4, line.len - 4), &n) == 0 &&
		    n < sizeof(raw)) {
			if (conn_read_full(c, raw, (size_t)n) < 0)
				return;
			conn_printf(c, "raw: %.*s\r\n", (int)n, raw);
		} else
			conn_printf(c, "echo: %.*s\r\n", STRV_FMT(line));
	}
}

static void
smtp_refuse(struct conn *c, const char *why)
{
	conn_printf(c, "421 4.3.2 %s\r\n", why);
}

/* Client side helpers on plain sockets. */
static int
client_connect(unsigned port)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
client_put(int fd, const char *s)
{
	size_t n = strlen(s);

	test_assert(write(fd, s, n) == (ssize_t)n);
}

/* Reads one line (with its CRLF) into dst; "" at EOF or time-out. */
static const char *
client_line(int fd, char *dst, size_t size)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = 0;
	char ch;

	while (off + 1 < size && poll(&pfd, 1, IO_MS) == 1 &&
	    read(fd, &ch, 1) == 1) {
		dst[off++] = ch;
		if (ch == '\n')
			break;
	}
	dst[off] = '\0';
	return dst;
}

/* True when the server closed fd (EOF within IO_MS); up to 1 KiB of
 * data before (a TLS alert) is skipped. */
static bool
client_eof(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char junk[1024];
	ssize_t r;
	size_t total = 0;

	while (poll(&pfd, 1, IO_MS) == 1) {
		r = read(fd, junk, sizeof(junk));
		if (r <= 0)
			return r == 0 || errno == ECONNRESET;
		total += (size_t)r;
		if (total > sizeof(junk))
			return false;
	}
	return false;
}

/* Waits until service has `current` connections (threads end async). */
static bool
wait_current(const char *service, unsigned current)
{
	struct listener_stats st;
	int i;

	for (i = 0; i < IO_MS / 10; i++) {
		test_assert(listener_get_stats(service, &st) == 0);
		if (st.current == current)
			return true;
		poll(NULL, 0, 10);
	}
	return false;
}

/* True when some file in the log directory contains s. */
static bool
log_contains(const char *s)
{
	char *dir = xasprintf("%s/SystemLogs", tmpdir), *path, text[65536];
	struct dirent *de;
	bool found = false;
	FILE *f;
	size_t n;
	DIR *d;

	log_flush();
	d = opendir(dir);
	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			n = fread(text, 1, sizeof(text) - 1, f);
			text[n] = '\0';
			found = strstr(text, s) != NULL;
			fclose(f);
		}
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	return found;
}

/* The rows this test uses (server/services.c owns the real table). */
static const struct listener_service test_services[] = {
	{ "smtp", 25, false, "SMTP" },
	{ "submission", 587, false, "SMTP" },
	{ "pop3", 110, false, "POP" },
	{ "imap", 143, false, "IMAP" },
	{ "imaps", 993, true, "IMAP" },
	{ "ldaps", 636, true, "LDAP" },
	{ "webadmins", 9010, true, "HTTPA" },
	{ "webusers", 9100, true, "HTTPU" },
	{ "cli", 106, false, "PWD" },
};

static void
test_table(void)
{
	struct error err;

	test_begin("service table");
	test_assert(listener_set_services(test_services,
	    N_ELEMENTS(test_services), &err) == 0);
	test_assert(listener_default_port("smtp") == 25);
	test_assert(listener_default_port("cli") == 106);
	test_assert(listener_default_port("webusers") == 9100);
	test_assert(listener_default_port("gopher") == 0);
	test_assert(listener_is_implicit_tls("imaps"));
	test_assert(listener_is_implicit_tls("ldaps"));
	test_assert(!listener_is_implicit_tls("submission"));
	test_assert_str(listener_log_tag("webadmins"), "HTTPA");
	test_assert_str(listener_log_tag("cli"), "PWD");
	test_assert(listener_add("gopher", "127.0.0.1", 0, &err) == -1 &&
	    err.kind == ERR_NOTFOUND);
	test_assert(listener_add("imap", "not-an-ip", 0, &err) == -1 &&
	    err.kind == ERR_SYNTAX);
	test_assert(listener_set_limits("imap", LISTENER_CHANNELS_MAX + 1, 0,
	    &err) == -1 && err.kind == ERR_LIMIT);
	test_end();
}

/* Sockets added and removed while the listeners run (run-time Listener
 * settings): a new one accepts at once; a removed one refuses new
 * connections while a session it accepted goes on; its slot is reused. */
static void
test_runtime_add_remove(unsigned cli_port)
{
	char line[256];
	unsigned port;
	struct error err;
	int fd, fd2, i;

	test_begin("sockets added and removed while running");
	test_assert(listener_add("cli", "127.0.0.1", 0, &err) == 0);
	port = listener_bound_port("cli", 1);
	test_assert(port != 0 && port != cli_port);
	fd = client_connect(port);
	test_assert(fd >= 0);
	client_put(fd, "one\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "echo: one\r\n");
	test_assert(listener_remove("cli", "127.0.0.1", port) == 1);
	test_assert(listener_remove("cli", "127.0.0.1", port) == 0);
	test_assert(listener_bound_port("cli", 1) == 0);
	fd2 = client_connect(port);
	test_assert(fd2 < 0);
	if (fd2 >= 0)
		close(fd2);
	/* the session accepted on it goes on */
	client_put(fd, "two\r\nQUIT\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "echo: two\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "bye\r\n");
	close(fd);
	/* slots are reused; the first socket never stopped */
	for (i = 0; i < 3; i++) {
		test_assert(listener_add("cli", "127.0.0.1", 0, &err) == 0);
		port = listener_bound_port("cli", 1);
		fd = client_connect(port);
		test_assert(fd >= 0);
		client_put(fd, "QUIT\r\n");
		test_assert_str(client_line(fd, line, sizeof(line)),
		    "bye\r\n");
		close(fd);
		test_assert(listener_remove("cli", "127.0.0.1", port) == 1);
	}
	test_assert(listener_bound_port("cli", 0) == cli_port);
	test_end();
}

static void
test_bind_error(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct error err;
	char want[128];
	int fd;

	test_begin("bind failure names service, address and port");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	test_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	test_assert(listen(fd, 1) == 0);
	test_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	test_assert(listener_add("imap", "127.0.0.1", ntohs(sin.sin_port),
	    &err) == -1);
	snprintf(want, sizeof(want),
	    "cannot listen for imap on 127.0.0.1:%u: Address already in use",
	    ntohs(sin.sin_port));
	test_assert_str(err.msg, want);
	test_assert(listener_bound_port("imap", 0) == 0);
	close(fd);
	test_end();
}

static void
test_echo(unsigned port)
{
	char line[256], big[300];
	int fd;

	test_begin("echo: lines, pipelining, raw bytes, limits on a line");
	fd = client_connect(port);
	test_assert(fd >= 0);
	client_put(fd, "hello\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "echo: hello\r\n");
	client_put(fd, "a\r\nb\r\nRAW 5\r\nxy\r\nzc\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "echo: a\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "echo: b\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "raw: xy\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "z\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "echo: c\r\n");
	memset(big, 'x', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	client_put(fd, big);
	client_put(fd, "bare\nTLSINFO\r\nQUIT\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "too long\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "bare LF\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "tls: none\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)), "bye\r\n");
	test_assert(client_eof(fd));
	close(fd);
	test_end();
}

static void
test_channel_limit(unsigned port)
{
	struct listener_stats st;
	char line[256];
	int a, b, c;

	test_begin("channel limit: the third connection is refused");
	a = client_connect(port);
	b = client_connect(port);
	/* Logged-in sessions are never shed. */
	client_put(a, "LOGIN\r\n");
	client_put(b, "LOGIN\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "logged in\r\n");
	test_assert_str(client_line(b, line, sizeof(line)), "logged in\r\n");
	client_put(a, "1\r\n");
	client_put(b, "2\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "echo: 1\r\n");
	test_assert_str(client_line(b, line, sizeof(line)), "echo: 2\r\n");
	c = client_connect(port);
	test_assert_str(client_line(c, line, sizeof(line)),
	    "421 4.3.2 channel limit 2 reached\r\n");
	test_assert(client_eof(c));
	close(c);
	test_assert(listener_get_stats("smtp", &st) == 0);
	test_assert(st.current == 2 && st.total == 2 && st.refused == 1);
	test_assert(log_contains("connection refused: channel limit 2 reached"));
	test_assert(log_contains(" 3 SMTP-"));
	/* Freed channels are reused. */
	close(a);
	test_assert(wait_current("smtp", 1));
	a = client_connect(port);
	client_put(a, "3\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "echo: 3\r\n");
	close(a);
	close(b);
	test_assert(wait_current("smtp", 0));
	test_end();
}

static void
test_shedding(unsigned port)
{
	struct listener_stats st;
	char line[256];
	int a, b, c;

	test_begin("a full service sheds the oldest idle session before login");
	a = client_connect(port);
	client_put(a, "1\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "echo: 1\r\n");
	b = client_connect(port);
	client_put(b, "LOGIN\r\n");
	test_assert_str(client_line(b, line, sizeof(line)), "logged in\r\n");
	c = client_connect(port);
	client_put(c, "3\r\n");
	test_assert_str(client_line(c, line, sizeof(line)), "echo: 3\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "shed\r\n");
	test_assert(client_eof(a));
	test_assert(log_contains("smtp is full (2 channels): shedding the "
	    "oldest idle session before login"));
	test_assert(listener_get_stats("smtp", &st) == 0);
	test_assert(st.shed == 1);
	client_put(b, "4\r\n");
	test_assert_str(client_line(b, line, sizeof(line)), "echo: 4\r\n");
	close(a);
	close(b);
	close(c);
	test_assert(wait_current("smtp", 0));
	test_end();
}

static void
test_per_ip_limit(unsigned port)
{
	char line[256];
	int a, b;

	test_begin("per-IP limit");
	a = client_connect(port);
	client_put(a, "x\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "echo: x\r\n");
	b = client_connect(port);
	test_assert_str(client_line(b, line, sizeof(line)),
	    "421 4.3.2 per-address limit 1 reached for 127.0.0.1\r\n");
	test_assert(client_eof(b));
	close(b);
	close(a);
	test_assert(wait_current("submission", 0));
	test_end();
}

static void
test_self_signed(char **cert_r, char **key_r)
{
	struct error err;
	struct stat st, st2;
	char *c2, *k2;

	test_begin("self-signed certificate is made once");
	test_assert(tls_ensure_self_signed(tmpdir, "mail.test.example",
	    cert_r, key_r, &err) == 0);
	test_assert(*cert_r != NULL && *key_r != NULL);
	test_assert(stat(*key_r, &st) == 0 && (st.st_mode & 0777) == 0600);
	test_assert(stat(*cert_r, &st) == 0);
	test_assert(tls_ensure_self_signed(tmpdir, "other.example", &c2, &k2,
	    &err) == 0);
	test_assert(stat(c2, &st2) == 0 && st2.st_ino == st.st_ino &&
	    st2.st_mtime == st.st_mtime);
	free(c2);
	free(k2);
	test_assert(tls_ensure_self_signed(tmpdir, "", NULL, NULL, &err) == -1);
	server_ctx = tls_server_ctx_new(*cert_r, *key_r, &err);
	test_assert(server_ctx != NULL);
	test_assert(tls_server_ctx_new(*key_r, *key_r, &err) == NULL);
	test_end();
}

static void
test_implicit_tls(unsigned port, const char *cert_path)
{
	struct ssl_ctx_st *cctx, *vctx;
	struct strv line;
	struct error err;
	struct conn *c;
	char **names = NULL, buf[256];
	int fd;

	test_begin("implicit TLS echo");
	cctx = tls_client_ctx_new(NULL, &err);
	test_assert(cctx != NULL);
	c = conn_connect_tcp("127.0.0.1", port, IO_MS, &err);
	test_assert(c != NULL);
	if (c == NULL || cctx == NULL)
		return;
	conn_set_timeouts(c, IO_MS, IO_MS);
	test_assert(conn_starttls_client(c, cctx, "mail.test.example", &names,
	    &err) == 0);
	test_assert(names != NULL && names[0] != NULL &&
	    strcmp(names[0], "mail.test.example") == 0);
	tls_names_free(&names);
	test_assert(conn_is_tls(c));
	test_assert(strncmp(conn_tls_info(c), "TLSv1.", 6) == 0);
	test_assert(tls_cert_matches(conn_peer_cert(c), "mail.test.example"));
	test_assert(tls_cert_matches(conn_peer_cert(c), "MAIL.test.example"));
	test_assert(!tls_cert_matches(conn_peer_cert(c), "other.example"));
	test_assert(!conn_tls_verify_ok(c));	/* self-signed, not trusted */
	test_assert(conn_printf(c, "TLSINFO\r\nhi\r\n") == 0);
	test_assert(conn_read_line(c, 200, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_has_prefix_case(line, "tls: TLSv1."));
	test_assert(conn_read_line(c, 200, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("echo: hi")));
	conn_puts(c, "QUIT\r\n");
	test_assert(conn_read_line(c, 200, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(conn_read_line(c, 200, LINE_CRLF_ONLY, &line) == LINE_EOF);
	conn_free(&c);
	test_end();

	test_begin("TLS verification with the certificate as trust anchor");
	vctx = tls_client_ctx_new(cert_path, &err);
	test_assert(vctx != NULL);
	c = conn_connect_tcp("127.0.0.1", port, IO_MS, &err);
	test_assert(c != NULL && conn_starttls_client(c, vctx,
	    "mail.test.example", NULL, &err) == 0);
	test_assert(c != NULL && conn_tls_verify_ok(c));
	conn_free(&c);
	tls_ctx_free(&vctx);
	test_end();

	test_begin("plain text to a TLS port: handshake fails, closed");
	fd = client_connect(port);
	client_put(fd, "HELLO\r\n");
	test_assert(client_eof(fd));
	close(fd);
	test_assert(wait_current("imaps", 0));
	test_assert(log_contains("TLS handshake failed"));
	(void)buf;
	tls_ctx_free(&cctx);
	test_end();
}

static void
test_starttls(unsigned port)
{
	struct ssl_ctx_st *cctx;
	struct strv line;
	struct error err;
	struct conn *c;
	char buf[256];
	int fd;

	test_begin("STARTTLS then echo over TLS");
	cctx = tls_client_ctx_new(NULL, &err);
	c = conn_connect_tcp("127.0.0.1", port, IO_MS, &err);
	test_assert(c != NULL && cctx != NULL);
	if (c == NULL || cctx == NULL)
		return;
	conn_set_timeouts(c, IO_MS, IO_MS);
	conn_puts(c, "STARTTLS\r\n");
	test_assert(conn_read_line(c, 200, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("go ahead")));
	test_assert(conn_starttls_client(c, cctx, "mail.test.example", NULL,
	    &err) == 0);
	conn_puts(c, "TLSINFO\r\n");
	test_assert(conn_read_line(c, 200, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_has_prefix_case(line, "tls: TLSv1."));
	conn_free(&c);
	tls_ctx_free(&cctx);
	test_end();

	test_begin("STARTTLS with pipelined plaintext is refused");
	fd = client_connect(port);
	client_put(fd, "STARTTLS\r\nNOOP\r\n");
	test_assert_str(client_line(fd, buf, sizeof(buf)),
	    "pipelined input after STARTTLS\r\n");
	test_assert(client_eof(fd));
	close(fd);
	test_end();
}

static void
test_ipv6(void)
{
	struct error err;

	test_begin("IPv6 loopback socket (skipped without IPv6)");
	if (listener_add("pop3", "::1", 0, &err) == 0) {
		test_assert(listener_bound_port("pop3", 0) != 0);
	} else
		test_assert(strstr(err.msg, "cannot listen for pop3 on ::1:0")
		    != NULL);
	test_end();
}

/* Connects to [::1]:port; -1 on failure. */
static int
client_connect6(unsigned port)
{
	struct sockaddr_in6 sin6;
	int fd;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_addr = in6addr_loopback;
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_per_net_v6(unsigned port)
{
	char line[256];
	int a, b;

	test_begin("per-network limit counts an IPv6 /64 (skipped without "
	    "IPv6)");
	if (port == 0) {
		test_end();
		return;
	}
	a = client_connect6(port);
	test_assert(a >= 0);
	client_put(a, "x\r\n");
	test_assert_str(client_line(a, line, sizeof(line)), "echo: x\r\n");
	b = client_connect6(port);
	test_assert(b >= 0);
	test_assert(client_eof(b));		/* no refusal text for pop3 here */
	close(b);
	test_assert(log_contains("per-network limit 1 reached for ::1/64"));
	close(a);
	test_assert(wait_current("pop3", 0));
	test_end();
}

static void
test_stop(unsigned port)
{
	struct timespec t0, t1;
	char line[256];
	long ms;
	int fd;

	test_begin("stop_all returns promptly with a session open");
	fd = client_connect(port);
	client_put(fd, "still here\r\n");
	test_assert_str(client_line(fd, line, sizeof(line)),
	    "echo: still here\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_assert(listener_stop_all() == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	test_assert(ms < 2000);
	test_assert(client_eof(fd));
	close(fd);
	test_assert(client_connect(port) == -1);
	test_assert(listener_bound_port("cli", 0) == 0);
	test_end();
}

/* MaxChannelsPerNetwork's networks: NetworkPrefixIPv4 / NetworkPrefixIPv6. */
static void
test_same_net(void)
{
	uint8_t a[16], b[16];

	test_begin("listener_same_net prefixes");
	test_assert(inet_pton(AF_INET, "10.1.2.3", a) == 1);
	test_assert(inet_pton(AF_INET, "10.200.7.9", b) == 1);
	test_assert(listener_same_net(a, b, 8));
	test_assert(!listener_same_net(a, b, 9));
	test_assert(!listener_same_net(a, b, 24));
	test_assert(inet_pton(AF_INET, "10.1.2.200", b) == 1);
	test_assert(listener_same_net(a, b, 24));
	test_assert(!listener_same_net(a, b, 25));
	test_assert(!listener_same_net(a, b, 32));
	test_assert(listener_same_net(a, a, 32));
	/* /23: 10.1.2.x and 10.1.3.x together, 10.1.4.x apart */
	test_assert(inet_pton(AF_INET, "10.1.3.77", b) == 1);
	test_assert(listener_same_net(a, b, 23));
	test_assert(!listener_same_net(a, b, 24));
	test_assert(inet_pton(AF_INET, "10.1.4.3", b) == 1);
	test_assert(!listener_same_net(a, b, 23));
	test_assert(listener_same_net(a, b, 21));
	/* /30: .4-.7 one network, .8 the next */
	test_assert(inet_pton(AF_INET, "127.0.0.5", a) == 1);
	test_assert(inet_pton(AF_INET, "127.0.0.6", b) == 1);
	test_assert(listener_same_net(a, b, 30));
	test_assert(!listener_same_net(a, b, 31));
	test_assert(inet_pton(AF_INET, "127.0.0.9", b) == 1);
	test_assert(!listener_same_net(a, b, 30));
	test_assert(listener_same_net(a, b, 28));

	test_assert(inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", a) == 1);
	test_assert(inet_pton(AF_INET6, "2001:db8:1:2:3333::2", b) == 1);
	test_assert(listener_same_net(a, b, 64));
	test_assert(!listener_same_net(a, b, 65));
	test_assert(!listener_same_net(a, b, 128));
	test_assert(listener_same_net(a, a, 128));
	test_assert(inet_pton(AF_INET6, "2001:db8:1:2:aaaa::0", b) == 1);
	test_assert(listener_same_net(a, b, 127));
	test_assert(!listener_same_net(a, b, 128));
	/* /57: the 8th byte's top bit decides */
	test_assert(inet_pton(AF_INET6, "2001:db8:1:7f::1", a) == 1);
	test_assert(inet_pton(AF_INET6, "2001:db8:1:0::1", b) == 1);
	test_assert(listener_same_net(a, b, 57));
	test_assert(!listener_same_net(a, b, 58));
	test_assert(inet_pton(AF_INET6, "2001:db8:1:80::1", b) == 1);
	test_assert(!listener_same_net(a, b, 57));
	test_assert(listener_same_net(a, b, 56));
	test_assert(inet_pton(AF_INET6, "2001:db9::", b) == 1);
	test_assert(listener_same_net(a, b, 16));
	test_assert(!listener_same_net(a, b, 32));
	test_end();
}

int
main(void)
{
	char *cert = NULL, *key = NULL, *logdir, *cmd;
	unsigned cli_port, smtp_port, sub_port, imaps_port;
	struct error err;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	logdir = xasprintf("%s/SystemLogs", tmpdir);
	mkdir(logdir, 0700);
	test_assert(log_open(logdir, false, &err) == 0);

	test_table();
	test_same_net();
	test_bind_error();
	test_self_signed(&cert, &key);

	test_begin("set-up");
	test_assert(listener_register("cli", echo_handler, NULL, NULL,
	    &log_test, &err) == 0);
	test_assert(listener_register("smtp", echo_handler, smtp_refuse, NULL,
	    NULL, &err) == 0);
	test_assert(listener_register("submission", echo_handler, smtp_refuse,
	    NULL, NULL, &err) == 0);
	test_assert(listener_register("imaps", echo_handler, NULL, NULL, NULL,
	    &err) == 0);
	test_assert(listener_register("pop3", echo_handler, NULL, NULL, NULL,
	    &err) == 0);
	test_assert(listener_set_limits("smtp", 2, 0, &err) == 0);
	test_assert(listener_set_limits("submission", 10, 1, &err) == 0);
	{
		struct listener_limits lim = { .max_channels = 10,
		    .max_per_net = 1, .net_v4_bits = 24, .net_v6_bits = 64 };

		test_assert(listener_configure("pop3", &lim, &err) == 0);
		lim.net_v4_bits = LISTENER_NET_V4_MIN - 1;
		test_assert(listener_configure("pop3", &lim, &err) == -1);
		lim.net_v4_bits = 24;
		lim.net_v6_bits = LISTENER_NET_V6_MAX + 1;
		test_assert(listener_configure("pop3", &lim, &err) == -1);
		lim.net_v6_bits = 64;
		lim.max_channels = LISTENER_CHANNELS_MAX + 1;
		test_assert(listener_configure("pop3", &lim, &err) == -1);
	}
	test_assert(listener_set_tls(NULL, server_ctx, &err) == 0);
	test_assert(listener_add("cli", "127.0.0.1", 0, &err) == 0);
	test_assert(listener_add("smtp", "127.0.0.1", 0, &err) == 0);
	test_assert(listener_add("submission", "127.0.0.1", 0, &err) == 0);
	test_assert(listener_add("imaps", "127.0.0.1", 0, &err) == 0);
	cli_port = listener_bound_port("cli", 0);
	smtp_port = listener_bound_port("smtp", 0);
	sub_port = listener_bound_port("submission", 0);
	imaps_port = listener_bound_port("imaps", 0);
	test_assert(cli_port != 0 && smtp_port != 0 && sub_port != 0 &&
	    imaps_port != 0 && cli_port != smtp_port);
	test_assert(listener_bound_port("cli", 1) == 0);
	test_ipv6();
	test_assert(listener_start_all(&err) == 0);
	test_assert(listener_start_all(&err) == -1);
	test_end();

	test_echo(cli_port);
	test_runtime_add_remove(cli_port);
	test_channel_limit(smtp_port);
	test_shedding(smtp_port);
	test_per_ip_limit(sub_port);
	test_per_net_v6(listener_bound_port("pop3", 0));
	test_implicit_tls(imaps_port, cert);
	test_starttls(cli_port);
	test_stop(cli_port);

	test_begin("restart after stop");
	test_assert(listener_add("cli", "127.0.0.1", 0, &err) == 0);
	test_assert(listener_start_all(&err) == 0);
	test_echo(listener_bound_port("cli", 0));
	test_assert(listener_stop_all() == 0);
	test_end();

	test_begin("an implicit-TLS service without a context cannot start");
	test_assert(listener_set_tls("imaps", NULL, &err) == 0);
	test_assert(listener_add("imaps", "127.0.0.1", 0, &err) == 0);
	test_assert(listener_start_all(&err) == -1 &&
	    strstr(err.msg, "imaps") != NULL);
	test_assert(listener_stop_all() == 0);
	test_end();

	listener_set_tls(NULL, NULL, NULL);
	tls_ctx_free(&server_ctx);
	log_close();
	free(cert);
	free(key);
	free(logdir);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		test_assert(!"cleanup");
	free(cmd);
	return test_done();
}
