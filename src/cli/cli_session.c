/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_session.c: one CLI (PWD) session: the banner with its APOP stamp,
 * USER/PASS, APOP and AUTH WEBUSER logins through the Router (Access
 * context), NEWPASS, INLINE, QUIT, and dispatching of commands to the
 * command table;
 * the `cli` TCP service and the control socket.
 *
 * The banner ends with a stamp "<random.time@host>" as the original's; a
 * client may answer it with "APOP user md5hex(stamp + password)" (what the
 * vendor's CGP::CLI module does by default) instead of USER/PASS.  All three
 * logins share the failed-login flow control and logging of src/auth.
 *
 *   S: 200 Tegami at main.dom PWD Server 0.1 ready <1234.1700000000@main.dom>
 *   C: USER postmaster
 *   S: 300 please send the PASS
 *   C: PASS secret
 *   S: 200 login OK
 *   C: ListDomains
 *   S: 200 data follow
 *   S: (main.dom, client1.com)
 *   C: INLINE
 *   S: 200 OK
 *   C: ListDomains
 *   S: 201 (main.dom, client1.com)
 */
#include "lib/compat.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/park.h"
#include "objects/objects.h"
#include "core/server.h"
#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "cli/cli_compat.h"
#include "cli/cli_compat_parse.h"

#define CLI_IDLE_TIMEOUT_MS	(30 * 60 * 1000)	/* vendor client reconnects after 5 min */
#define CLI_WRITE_TIMEOUT_MS	(60 * 1000)

#define CLI_HIBERNATE_DEFAULT	5	/* HibernateAfter, s */
#define CLI_HIBERNATE_MAX	3600	/* HibernateAfter: an hour at most */

static struct log_module log_pwd = LOG_MODULE("PWD");

/* Settings/PWD.settings beside its listener limits. */
struct cli_conf {
	uint64_t	 hibernate_after;	/* HibernateAfter, s; 0 = never */
};

static const struct setting_def cli_defs[] = {
	SETTING_DURATION("HibernateAfter", struct cli_conf, hibernate_after,
	    CLI_HIBERNATE_DEFAULT, 0, CLI_HIBERNATE_MAX),
};

const struct settings_table cli_settings_table =
    SETTINGS_TABLE("PWD", struct cli_conf, cli_defs);

struct cli_session {
	struct server		*srv;
	struct conn		*conn;
	struct log_session	 log;
	struct cli_ctx		 ctx;
	bool			 logged_in;
	bool			 inline_mode;
	char			 user[ADDRESS_MAX + 1];
	char			 stamp[DOMAIN_NAME_MAX + 64]; /* APOP */
	unsigned		 errors;
	bool			 prelogin;	/* listener login time-out on */
	bool			 quit;
	int64_t			 hibernate_ms;	/* 0: never (control socket) */
};

static void
reply(struct cli_session *s, const char *fmt, ...) ATTR_FORMAT(2, 3);

static void
reply(struct cli_session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_ses(&s->log, LOG_ALL, "out: %s", line);
	conn_printf(s->conn, "%s\r\n", line);
	conn_flush(s->conn);
}

/* True when text (a data result) has a "Password" key, e.g. {Password = x;}. */
static bool
has_password_key(const char *text)
{
	const char *p;

	for (p = strstr(text, "Password"); p != NULL;
	    p = strstr(p + 1, "Password")) {
		const char *e = p + 8;

		while (*e == ' ')
			e++;
		if (*e == '=' && (p == text || !isalnum((unsigned char)p[-1])))
			return true;
	}
	return false;
}

/* All Info: the raw input line.  Passwords never reach the log: a line that
 * may carry one (PASS, SetAccountPassword, a Password setting ...) is shown
 * with its command name only. */
static void
log_input(struct cli_session *s, struct strv line)
{
	char esc[LOG_LINE_MAX / 2];
	size_t i, name_len;

	if (!log_ses_enabled(&s->log, LOG_ALL))
		return;
	for (i = 0; i + 4 <= line.len; i++) {
		/* APOP and AUTH lines carry a digest or a password. */
		if (strncasecmp(line.p + i, "pass", 4) != 0 &&
		    !(i == 0 && cli_login_is_login_line(line.p, line.len)))
			continue;
		for (name_len = 0; name_len < line.len &&
		    line.p[name_len] != ' '; name_len++)
			;
		log_escape(esc, sizeof(esc), line.p, name_len);
		log_ses(&s->log, LOG_ALL, "inp: %s ***", esc);
		return;
	}
	log_escape(esc, sizeof(esc), line.p, line.len);
	log_ses(&s->log, LOG_ALL, "inp: %s", esc);
}

/* The logins through the shared login (src/auth): the login name goes
 * through the Router in the Access context (docs/behaviour.md, B1): an alias
 * logs into its
 * account, a rerouted name into the other account, with that account's
 * password and rights; protection and flow control apply as everywhere.
 * how: USER/PASS, APOP or AUTH WEBUSER; secret: the password, or for APOP
 * the client's digest of the banner stamp and the password. */
enum login_how { LOGIN_PASS, LOGIN_APOP, LOGIN_WEBUSER };

/* After a failed APOP: when the account's password is stored hashed, no
 * digest can ever match; say so in the log (only there: the client gets
 * the generic error, which does not tell whether the account exists). */
static void
apop_hint(struct cli_session *s, const struct auth_peer *peer,
    const char *user)
{
	struct auth_result res;
	char pw[PASSWORD_MAX + 1];

	if (auth_resolve(s->srv, peer, user, &res, NULL) < 0)
		return;
	if (objects_get_clear_password(s->srv->objects, res.account,
	    res.domain, pw, sizeof(pw), NULL) < 0)
		log_ses(&s->log, LOG_PROBLEM, "APOP cannot succeed for '%s': "
		    "its password is not stored in clear (PasswordEncryption)",
		    res.address);
	explicit_bzero(pw, sizeof(pw));
}

static void
do_login(struct cli_session *s, enum login_how how, const char *user,
    const char *secret)
{
	struct auth_peer peer = {
		(const struct sockaddr *)conn_local_addr(s->conn),
		(const struct sockaddr *)conn_peer_addr(s->conn),
		conn_is_tls(s->conn), "PWD", &s->log
	};
	struct auth_result res;
	struct error err;
	struct buf ctxt;
	int rc;

	if (how == LOGIN_APOP)
		rc = auth_login_apop(s->srv, &peer, user, s->stamp, secret,
		    &res, &err);
	else
		rc = auth_login(s->srv, &peer, user, secret, &res, &err);
	if (rc < 0) {
		char esc[256];

		log_escape(esc, sizeof(esc), user, strlen(user));
		log_ses(&s->log, LOG_PROBLEM, "login failed for '%s'%s: %s",
		    esc, how == LOGIN_APOP ? " (APOP)" : how == LOGIN_WEBUSER ?
		    " (AUTH WEBUSER)" : "", err.msg);
		if (how == LOGIN_APOP)
			apop_hint(s, &peer, user);
		s->errors++;
		reply(s, "501 %s", err.msg);
		return;
	}
	snprintf(s->ctx.account, sizeof(s->ctx.account), "%s", res.account);
	snprintf(s->ctx.domain, sizeof(s->ctx.domain), "%s", res.domain);
	s->ctx.master = res.master;
	s->logged_in = true;
	buf_init(&ctxt, sizeof(s->log.context) - 1);
	buf_puts(&ctxt, res.address);
	memcpy(s->log.context, buf_cstr(&ctxt), ctxt.len + 1);
	buf_free(&ctxt);
	log_ses(&s->log, LOG_MAJOR, "'%s' connected from %s%s%s", res.address,
	    conn_peer_text(s->conn), how == LOGIN_APOP ? " with APOP" :
	    how == LOGIN_WEBUSER ? " with AUTH WEBUSER" : "", s->ctx.master ?
	    " (Master access granted)" : "");
	reply(s, "200 login OK");
}

/* PASS: the password is the rest of the line; a quoted one is unquoted.
 * Handled before argument parsing so any characters work. */
static void
do_pass(struct cli_session *s, struct strv line)
{
	struct strv rest = strv_trim(strv_make(line.p + 4, line.len - 4));
	char pw[PASSWORD_MAX + 1];
	struct dval *v = NULL;
	size_t used;

	if (s->logged_in) {
		reply(s, "501 already logged in");
		return;
	}
	if (s->user[0] == '\0') {
		reply(s, "501 send USER first");
		return;
	}
	if (rest.len == 0 || rest.len > PASSWORD_MAX) {
		reply(s, "501 usage: PASS password");
		return;
	}
	if (rest.p[0] == '"')
		v = dict_parse_prefix(rest.p, rest.len, &used, NULL);
	if (v != NULL && used == rest.len && dict_type(v) == DICT_STRING)
		snprintf(pw, sizeof(pw), "%s", dict_str(v, NULL));
	else
		snprintf(pw, sizeof(pw), "%.*s", STRV_FMT(rest));
	dict_free(&v);
	do_login(s, LOGIN_PASS, s->user, pw);
	explicit_bzero(pw, sizeof(pw));
}

/* APOP user digest / AUTH WEBUSER user password (docs/admin-cli.md). */
static void
do_login_line(struct cli_session *s, struct strv line)
{
	struct cli_login l;
	struct error err;

	if (s->logged_in) {
		reply(s, "501 already logged in");
		return;
	}
	if (cli_login_parse(line.p, line.len, &l, &err) < 0) {
		s->errors++;
		reply(s, "501 %s", err.msg);
		return;
	}
	do_login(s, l.kind == CLI_LOGIN_APOP ? LOGIN_APOP : LOGIN_WEBUSER,
	    l.user, l.secret);
	explicit_bzero(&l, sizeof(l));
}

/* NEWPASS password: the logged-in account's own password. */
static void
do_newpass(struct cli_session *s, struct strv line)
{
	char pw[PASSWORD_MAX + 1];
	struct error err;

	if (!s->logged_in) {
		s->errors++;
		reply(s, "500 please log in first");
		return;
	}
	if (cli_newpass_parse(line.p, line.len, pw, sizeof(pw), &err) < 0 ||
	    cli_compat_newpass(&s->ctx, pw, &err) != CLI_OK) {
		s->errors++;
		log_ses(&s->log, LOG_PROBLEM, "NEWPASS failed: %s", err.msg);
		reply(s, "501 %s", err.msg);
	} else {
		log_ses(&s->log, LOG_MAJOR, "password changed");
		reply(s, "200 OK");
	}
	explicit_bzero(pw, sizeof(pw));
}

static void
run_command(struct cli_session *s, struct strv line)
{
	struct cli_args a;
	struct error err;
	struct buf out;
	enum cli_rc rc;

	if (line.len >= 4 && strncasecmp(line.p, "PASS", 4) == 0 &&
	    (line.len == 4 || line.p[4] == ' ')) {
		do_pass(s, line);
		return;
	}
	if (cli_login_is_login_line(line.p, line.len)) {
		do_login_line(s, line);
		return;
	}
	if (cli_newpass_is_line(line.p, line.len)) {
		do_newpass(s, line);
		return;
	}
	if (cli_args_parse(line.p, line.len, &a, &err) < 0) {
		s->errors++;
		reply(s, "501 %s", err.msg);
		return;
	}
	log_ses(&s->log, LOG_LOW, "command %s", a.name);
	if (strcasecmp(a.name, "USER") == 0) {
		const char *u = cli_arg_str(&a, 0);

		if (a.argc != 1 || u == NULL || strlen(u) >= sizeof(s->user))
			reply(s, "501 usage: USER name");
		else if (s->logged_in)
			reply(s, "501 already logged in");
		else {
			snprintf(s->user, sizeof(s->user), "%s", u);
			reply(s, "300 please send the PASS");
		}
	} else if (strcasecmp(a.name, "INLINE") == 0) {
		s->inline_mode = true;
		reply(s, "200 OK");
	} else if (!s->logged_in) {
		s->errors++;
		reply(s, "500 please log in first");
	} else {
		buf_init(&out, DICT_TEXT_MAX);
		rc = cli_dispatch(&s->ctx, &a, &out, &err);
		switch (rc) {
		case CLI_OK:
			reply(s, "200 OK");
			break;
		case CLI_DATA:
			if (out.err != 0) {
				reply(s, "501 result too large");
				break;
			}
			/* Account settings may hold a password stored in clear
			 * (imported accounts): such results are not logged. */
			if (has_password_key(buf_cstr(&out)))
				log_ses(&s->log, LOG_ALL, "out: (%zu bytes with a "
				    "password setting, not logged)", out.len);
			else
				log_ses(&s->log, LOG_ALL, "out: %s", buf_cstr(&out));
			/* Written as it is, in pieces: a formatted write
			 * has a ceiling (CONN_PRINTF_MAX) that a long
			 * result (ListAccounts of many accounts) passes. */
			if (conn_puts(s->conn, s->inline_mode ? "201 " :
			    "200 data follow\r\n") < 0 ||
			    conn_write(s->conn, out.data, out.len) < 0 ||
			    conn_puts(s->conn, "\r\n") < 0 ||
			    conn_flush(s->conn) < 0)
				log_ses(&s->log, LOG_FAILURE, "%s: the result "
				    "of %zu bytes could not be sent: %s",
				    a.name, out.len,
				    conn_last_error(s->conn));
			break;
		case CLI_ERROR:
			s->errors++;
			log_ses(&s->log, LOG_PROBLEM, "%s failed: %s", a.name,
			    err.msg);
			reply(s, "501 %s", err.msg);
			break;
		case CLI_UNKNOWN:
			s->errors++;
			reply(s, "500 unknown command");
			break;
		}
		buf_free(&out);
	}
	cli_args_clear(&a);
}

static void cli_resume(struct conn *c, void *arg, enum park_event why);

/*
 * Waits for the next command, at most HibernateAfter, then parks the
 * session (TCP sessions after login only: before that the listener's login
 * time-out and shedding watch the thread).  True when parked: the caller
 * returns.  A session with input already buffered never parks.
 */
static bool
wait_or_park(struct cli_session *s)
{
	if (!s->logged_in || s->prelogin)
		return false;
	return listener_park_when_idle(s->conn, s->hibernate_ms,
	    CLI_IDLE_TIMEOUT_MS, cli_resume, s);
}

/* Runs the session from its "waiting for the next command" point until it
 * ends (then frees it) or parks. */
static void
session_loop(struct cli_session *s)
{
	struct conn *c = s->conn;
	struct strv line;
	enum line_rc rc;

	while (!s->quit) {
		if (wait_or_park(s))
			return;
		rc = conn_read_line(c, CLI_LINE_MAX, LINE_LF_OK, &line);
		if (rc == LINE_TOOLONG) {
			s->errors++;
			reply(s, "501 line too long");
		} else if (rc == LINE_TIMEOUT && conn_was_shed(c)) {
			log_ses(&s->log, LOG_PROBLEM, "the service is full: %s",
			    conn_last_error(c));
			reply(s, "500 too many connections, closing");
			break;
		} else if (rc == LINE_TIMEOUT) {
			log_ses(&s->log, LOG_PROBLEM, "%s%s; closing",
			    conn_last_error(c), s->logged_in ? "" :
			    " before login");
			reply(s, "500 %s, closing", conn_last_error(c));
			break;
		} else if (rc != LINE_OK)
			break;
		else if (line.len == 0)
			continue;
		else if (line.len >= 4 && strncasecmp(line.p, "QUIT", 4) == 0 &&
		    (line.len == 4 || line.p[4] == ' ')) {
			log_input(s, line);
			reply(s, "200 Tegami PWD connection closed");
			break;
		} else {
			log_input(s, line);
			run_command(s, line);
		}
		/* Logged in: the listener's login time-out and shedding
		 * end; the idle time-out applies from now. */
		if (s->prelogin && s->logged_in) {
			s->prelogin = false;
			conn_set_deadline(c, 0, NULL);
			conn_set_sheddable(c, false);
		}
		if (s->errors >= CLI_ERRORS_MAX) {
			log_ses(&s->log, LOG_PROBLEM, "too many errors");
			reply(s, "501 too many errors, closing");
			break;
		}
	}
	log_ses(&s->log, LOG_LOW, "closing connection");
	explicit_bzero(s, sizeof(*s));
	free(s);
}

static void
cli_resume(struct conn *c, void *arg, enum park_event why)
{
	struct cli_session *s = arg;

	(void)c;
	if (why == PARK_SHUTDOWN) {
		log_ses(&s->log, LOG_LOW, "server shutdown; closing");
		reply(s, "500 server shutting down, closing");
		s->quit = true;
	} else if (why == PARK_TIMEOUT) {
		log_ses(&s->log, LOG_PROBLEM, "read time-out; closing");
		reply(s, "500 read time-out, closing");
		s->quit = true;
	}
	session_loop(s);
}

void
cli_session_run(struct server *srv, struct conn *c, bool trusted)
{
	struct cli_session *s = xcalloc(1, sizeof(*s));
	struct settings_snap *set;
	const struct cli_conf *conf;
	char dom[DOMAIN_NAME_MAX + 1];

	s->srv = srv;
	s->conn = c;
	s->ctx.srv = srv;
	s->ctx.log = &s->log;
	s->prelogin = !trusted;
	log_session_init(&s->log, &log_pwd, trusted ? "control" :
	    conn_peer_text(c));
	if (!trusted && objects_iplist_match(srv->objects, OBJ_IPS_DEBUG,
	    (const struct sockaddr *)conn_peer_addr(c)))
		s->log.force_level = LOG_ALL;
	if (!trusted) {
		set = objects_settings_get(srv->objects, "PWD",
		    &cli_settings_table);
		conf = settings_snap_conf(set);
		s->hibernate_ms = (int64_t)conf->hibernate_after * 1000;
		settings_snap_unref(&set);
	}
	conn_set_timeouts(c, CLI_IDLE_TIMEOUT_MS, CLI_WRITE_TIMEOUT_MS);
	objects_main_domain(srv->objects, dom, sizeof(dom));
	if (trusted) {
		snprintf(s->ctx.account, sizeof(s->ctx.account), "postmaster");
		snprintf(s->ctx.domain, sizeof(s->ctx.domain), "%s", dom);
		s->ctx.master = true;
		s->logged_in = true;
	}
	log_ses(&s->log, LOG_LOW, "connected");
	auth_make_challenge(dom, s->stamp, sizeof(s->stamp));
	reply(s, "200 Tegami at %s PWD Server %s ready %s", dom,
	    TEGAMI_VERSION, s->stamp);
	session_loop(s);
}

static void
cli_tcp_handler(struct conn *c, void *arg)
{
	cli_session_run(arg, c, false);
}

static void
cli_tcp_refuse(struct conn *c, const char *why)
{
	conn_printf(c, "500 %s\r\n", why);
	conn_flush(c);
}

int
cli_register(struct server *srv, struct error *err_r)
{
	log_register(&log_pwd);
	return listener_register("cli", cli_tcp_handler, cli_tcp_refuse, srv,
	    &log_pwd, err_r);
}

/* ---- the control socket ------------------------------------------------- */

static int control_fd = -1;
static pthread_t control_thread;
static char *control_path;
static struct server *control_srv;

static void *
control_conn_main(void *arg)
{
	struct conn *c = arg;

	cli_session_run(control_srv, c, true);
	conn_free(&c);
	return NULL;
}

static void *
control_accept_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_attr_t attr;
		pthread_t t;
		struct conn *c;
		int fd = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;			/* closed by cli_control_stop */
		}
		c = conn_new(fd);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, LISTENER_STACK_SIZE);
		if (pthread_create(&t, &attr, control_conn_main, c) != 0)
			conn_free(&c);
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

int
cli_control_start(struct server *srv, struct error *err_r)
{
	struct sockaddr_un sun;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/ControlSocket", srv->base) >= sizeof(sun.sun_path))
		return error_set(err_r, ERR_IO, "base directory path too long "
		    "for the control socket");
	control_srv = srv;
	control_path = xstrdup(sun.sun_path);
	(void)unlink(control_path);	/* left by a killed server; we hold the lock */
	control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (control_fd < 0)
		return error_set(err_r, ERR_IO, "socket: %s", strerror(errno));
	old = umask(0077);
	if (bind(control_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		return error_set(err_r, ERR_IO, "cannot create %s: %s",
		    control_path, strerror(errno));
	}
	umask(old);
	(void)chmod(control_path, 0600);
	if (listen(control_fd, 16) < 0 ||
	    pthread_create(&control_thread, NULL, control_accept_main, NULL) != 0)
		return error_set(err_r, ERR_IO, "cannot listen on %s",
		    control_path);
	return 0;
}

void
cli_control_stop(void)
{
	if (control_fd < 0)
		return;
	shutdown(control_fd, SHUT_RDWR);
	close(control_fd);
	pthread_join(control_thread, NULL);
	control_fd = -1;
	(void)unlink(control_path);
	free(control_path);
	control_path = NULL;
}
