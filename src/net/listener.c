/*
 * listener.c: the service table, listening sockets, the accept thread and
 * the detached connection threads, reused while idle (see listener.h).
 *
 * One poll thread watches every listening socket and a self-pipe used to
 * stop it.  For each accepted socket it checks the service's channel and
 * per-IP limits under the table lock, records the connection in the
 * service's live list, and hands it to an idle connection thread (or
 * starts one) that does the implicit-TLS handshake (if any) and runs the
 * handler.  The live list lets
 * listener_stop_all() shut down sockets of running sessions so their
 * blocked reads return; an entry leaves the list (under the lock) before
 * its conn is freed, so a shutdown never touches a freed conn.
 */
#include "lib/compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"

#define LISTENER_REFUSE_MS	2000	/* writing a refusal text */
#define LISTENER_EMFILE_PAUSE_MS 100	/* out of descriptors: back off */

/* Log modules of the listener itself, one per tag, used when a protocol
 * registers without its own. */
static struct log_module log_tags[] = {
	LOG_MODULE("SMTP"), LOG_MODULE("POP"), LOG_MODULE("IMAP"),
	LOG_MODULE("HTTPA"), LOG_MODULE("HTTPU"), LOG_MODULE("LDAP"),
	LOG_MODULE("PWD")
};
enum { T_SMTP, T_POP, T_IMAP, T_HTTPA, T_HTTPU, T_LDAP, T_PWD };

struct live {
	struct live	*next, *prev;
	struct service	*svc;
	struct conn	*c;
	struct log_session ls;
};

struct service {
	const char		*name;
	unsigned		 port;
	bool			 tls;		/* TLS from the first byte */
	int			 tag;		/* index into log_tags */
	listener_handler_fn	*handler;
	listener_refuse_fn	*refuse;
	void			*arg;
	struct log_module	*log;
	SSL_CTX			*ctx;
	unsigned		 max_channels, max_per_ip;
	unsigned		 current;
	unsigned long		 total, refused;
	struct live		*live;
};

static struct service services[] = {
	{ "smtp",	25,	false,	T_SMTP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "submission",	587,	false,	T_SMTP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "smtps",	465,	true,	T_SMTP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "pop3",	110,	false,	T_POP,   NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "pop3s",	995,	true,	T_POP,   NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "imap",	143,	false,	T_IMAP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "imaps",	993,	true,	T_IMAP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "webadmin",	8010,	false,	T_HTTPA, NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "webadmins",	9010,	true,	T_HTTPA, NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "webuser",	8100,	false,	T_HTTPU, NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "webusers",	9100,	true,	T_HTTPU, NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "ldap",	389,	false,	T_LDAP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "ldaps",	636,	true,	T_LDAP,  NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
	{ "cli",	106,	false,	T_PWD,   NULL, NULL, NULL, NULL, NULL,
	  LISTENER_CHANNELS_DEFAULT, 0, 0, 0, 0, NULL },
};

struct lsock {
	int		 fd;
	struct service	*svc;
	unsigned	 port;		/* bound port */
};

static pthread_mutex_t lst_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lst_cond;		/* a connection thread ended */
static pthread_condattr_t cattr;	/* CLOCK_MONOTONIC conditions */
static pthread_once_t lst_once = PTHREAD_ONCE_INIT;
static struct lsock socks[LISTENER_SOCKETS_MAX];
static unsigned nsocks;
static unsigned nthreads;		/* connections being served */
static unsigned nworkers;		/* connection threads alive */
static bool pool_stop;			/* idle threads end */

/* A connection thread; idle ones wait on cond for a job. */
struct worker {
	struct worker	*next;
	pthread_cond_t	 cond;
	struct live	*job;
};
static struct worker *idle_head;	/* idle threads, last idle first */
static unsigned nidle;
static bool running;
static pthread_t poll_thread;
static int stop_pipe[2] = { -1, -1 };

static void
lst_init(void)
{
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&lst_cond, &cattr);
}

static struct service *
service_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < N_ELEMENTS(services); i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

static struct log_module *
service_log(struct service *svc)
{
	return svc->log != NULL ? svc->log : &log_tags[svc->tag];
}

unsigned
listener_default_port(const char *service)
{
	struct service *svc = service_find(service);

	return svc != NULL ? svc->port : 0;
}

bool
listener_is_implicit_tls(const char *service)
{
	struct service *svc = service_find(service);

	return svc != NULL && svc->tls;
}

const char *
listener_log_tag(const char *service)
{
	struct service *svc = service_find(service);

	return svc != NULL ? log_tags[svc->tag].name : NULL;
}

bool
listener_is_registered(const char *service)
{
	struct service *svc = service_find(service);
	bool r;

	if (svc == NULL)
		return false;
	pthread_mutex_lock(&lst_lock);
	r = svc->handler != NULL;
	pthread_mutex_unlock(&lst_lock);
	return r;
}

int
listener_register(const char *service, listener_handler_fn *handler,
    listener_refuse_fn *refuse, void *arg, struct log_module *log,
    struct error *err_r)
{
	struct service *svc = service_find(service);

	if (svc == NULL)
		return error_set(err_r, ERR_NOTFOUND, "unknown service \"%s\"",
		    service != NULL ? service : "");
	pthread_mutex_lock(&lst_lock);
	svc->handler = handler;
	svc->refuse = refuse;
	svc->arg = arg;
	svc->log = log;
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

int
listener_set_limits(const char *service, unsigned max_channels,
    unsigned max_per_ip, struct error *err_r)
{
	struct service *svc = service_find(service);

	if (svc == NULL)
		return error_set(err_r, ERR_NOTFOUND, "unknown service \"%s\"",
		    service != NULL ? service : "");
	if (max_channels > LISTENER_CHANNELS_MAX)
		return error_set(err_r, ERR_LIMIT,
		    "%s: Channels %u is over the maximum %u", service,
		    max_channels, LISTENER_CHANNELS_MAX);
	pthread_mutex_lock(&lst_lock);
	svc->max_channels = max_channels;
	svc->max_per_ip = max_per_ip;
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

int
listener_set_tls(const char *service, struct ssl_ctx_st *ctx,
    struct error *err_r)
{
	struct service *svc = NULL;
	size_t i;

	if (service != NULL && (svc = service_find(service)) == NULL)
		return error_set(err_r, ERR_NOTFOUND, "unknown service \"%s\"",
		    service);
	pthread_mutex_lock(&lst_lock);
	for (i = 0; i < N_ELEMENTS(services); i++) {
		if (svc != NULL && &services[i] != svc)
			continue;
		if (ctx != NULL)
			SSL_CTX_up_ref(ctx);
		SSL_CTX_free(services[i].ctx);
		services[i].ctx = ctx;
	}
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

struct ssl_ctx_st *
listener_tls_ctx(const char *service)
{
	struct service *svc = service_find(service);
	SSL_CTX *ctx;

	if (svc == NULL)
		return NULL;
	pthread_mutex_lock(&lst_lock);
	ctx = svc->ctx;
	pthread_mutex_unlock(&lst_lock);
	return ctx;
}

int
listener_get_stats(const char *service, struct listener_stats *st_r)
{
	struct service *svc = service_find(service);

	if (svc == NULL)
		return -1;
	pthread_mutex_lock(&lst_lock);
	st_r->current = svc->current;
	st_r->total = svc->total;
	st_r->refused = svc->refused;
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

unsigned
listener_bound_port(const char *service, unsigned idx)
{
	struct service *svc = service_find(service);
	unsigned i, port = 0;

	pthread_mutex_lock(&lst_lock);
	for (i = 0; svc != NULL && i < nsocks; i++) {
		if (socks[i].svc != svc)
			continue;
		if (idx-- == 0) {
			port = socks[i].port;
			break;
		}
	}
	pthread_mutex_unlock(&lst_lock);
	return port;
}

/* Parses addr into ss; "[::1]" brackets allowed.  *any_r for "all". */
static int
parse_addr(const char *addr, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len_r, bool *any_r)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(ss, 0, sizeof(*ss));
	*any_r = addr == NULL || addr[0] == '\0' || strcmp(addr, "*") == 0;
	if (*any_r) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*sin);
		return 0;
	}
	n = strlen(addr);
	if (n >= 2 && n < sizeof(tmp) && addr[0] == '[' && addr[n - 1] == ']') {
		memcpy(tmp, addr + 1, n - 2);
		tmp[n - 2] = '\0';
		addr = tmp;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* Creates, binds and listens; -1 with errno set. */
static int
open_socket(struct sockaddr_storage *ss, socklen_t len, bool any)
{
	int fd, one = 1, v6only = any ? 0 : 1, saved;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A specific IPv6 address is only that; "all" is dual-stack. */
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	if (bind(fd, (struct sockaddr *)ss, len) != 0 ||
	    listen(fd, LISTENER_BACKLOG) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
listener_add(const char *service, const char *addr, unsigned port,
    struct error *err_r)
{
	struct service *svc = service_find(service);
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	bool any;
	int fd;
	const char *shown = addr != NULL && addr[0] != '\0' ? addr : "*";

	if (svc == NULL)
		return error_set(err_r, ERR_NOTFOUND, "unknown service \"%s\"",
		    service != NULL ? service : "");
	if (port > 65535)
		return error_set(err_r, ERR_SYNTAX,
		    "cannot listen for %s on %s:%u: bad port", service, shown,
		    port);
	if (parse_addr(addr, port, &ss, &len, &any) < 0)
		return error_set(err_r, ERR_SYNTAX,
		    "cannot listen for %s on %s:%u: not an IP address",
		    service, shown, port);
	pthread_mutex_lock(&lst_lock);
	if (nsocks >= LISTENER_SOCKETS_MAX) {
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, ERR_LIMIT,
		    "cannot listen for %s on %s:%u: more than %d sockets",
		    service, shown, port, LISTENER_SOCKETS_MAX);
	}
	fd = open_socket(&ss, len, any);
	if (fd < 0 && any && (errno == EAFNOSUPPORT || errno == EINVAL)) {
		/* No IPv6 on this host: all IPv4 addresses then. */
		memset(&ss, 0, sizeof(ss));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)port);
		fd = open_socket(&ss, sizeof(*sin), false);
	}
	if (fd < 0) {
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, errno == EACCES ? ERR_PERM : ERR_IO,
		    "cannot listen for %s on %s:%u: %s", service, shown, port,
		    strerror(errno));
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		port = ss.ss_family == AF_INET6 ?
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
		    ntohs(sin->sin_port);
	socks[nsocks].fd = fd;
	socks[nsocks].svc = svc;
	socks[nsocks].port = port;
	nsocks++;
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

static void
live_unlink(struct live *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		l->svc->live = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	l->svc->current--;
}

/* Takes w off the idle stack; under lst_lock. */
static void
idle_remove(struct worker *w)
{
	struct worker **wp;

	for (wp = &idle_head; *wp != NULL; wp = &(*wp)->next)
		if (*wp == w) {
			*wp = w->next;
			nidle--;
			return;
		}
}

/* Runs one accepted connection to its end and frees it. */
static void
run_conn(struct live *l)
{
	struct service *svc = l->svc;
	struct conn *c = l->c;
	struct error err;

	if (svc->tls) {
		conn_set_timeouts(c, LISTENER_TLS_HANDSHAKE_MS,
		    LISTENER_TLS_HANDSHAKE_MS);
		if (conn_starttls(c, svc->ctx, &err) < 0) {
			log_ses(&l->ls, LOG_PROBLEM, "TLS handshake failed: %s",
			    err.msg);
			goto done;
		}
		conn_set_timeouts(c, 0, 0);
		log_ses(&l->ls, LOG_LOW, "TLS established: %s",
		    conn_tls_info(c));
	}
	svc->handler(c, svc->arg);
done:
	pthread_mutex_lock(&lst_lock);
	live_unlink(l);
	pthread_mutex_unlock(&lst_lock);
	conn_free(&c);
	free(l);
	pthread_mutex_lock(&lst_lock);
	nthreads--;
	pthread_cond_broadcast(&lst_cond);
	pthread_mutex_unlock(&lst_lock);
}

/*
 * A connection thread: runs its first connection, then waits idle (on the
 * idle stack) for the next one the accept thread hands it, and ends after
 * LISTENER_IDLE_MS without work, when the idle stack is full, or when
 * listener_stop_all() runs.
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct timespec deadline;
	struct live *l;
	int r;

	for (;;) {
		l = w->job;
		w->job = NULL;
		run_conn(l);
		pthread_mutex_lock(&lst_lock);
		if (pool_stop || nidle >= LISTENER_IDLE_MAX)
			break;
		w->next = idle_head;
		idle_head = w;
		nidle++;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += LISTENER_IDLE_MS / 1000;
		r = 0;
		while (w->job == NULL && !pool_stop && r != ETIMEDOUT)
			r = pthread_cond_timedwait(&w->cond, &lst_lock,
			    &deadline);
		if (w->job == NULL) {
			idle_remove(w);
			break;
		}
		/* handle_accept() took w off the idle stack. */
		pthread_mutex_unlock(&lst_lock);
	}
	nworkers--;
	pthread_cond_broadcast(&lst_cond);
	pthread_mutex_unlock(&lst_lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	return NULL;
}

/* Writes the refusal (plain services only), closes, logs. */
static void
refuse_conn(struct service *svc, struct conn *c, const char *why)
{
	struct log_session ls;

	log_session_init(&ls, service_log(svc), conn_peer_text(c));
	log_ses(&ls, LOG_PROBLEM, "connection refused: %s", why);
	if (!svc->tls && svc->refuse != NULL) {
		conn_set_timeouts(c, LISTENER_REFUSE_MS, LISTENER_REFUSE_MS);
		svc->refuse(c, why);
		(void)conn_flush(c);
	}
	conn_free(&c);
}

/* Decides on one accepted socket.  Called without the lock. */
static void
handle_accept(struct service *svc, int fd)
{
	pthread_attr_t attr;
	pthread_t tid;
	struct live *l, *o;
	struct worker *w;
	struct conn *c;
	char why[128];
	unsigned same_ip = 0;
	int r;

	c = conn_new_accepted(fd);
	why[0] = '\0';
	pthread_mutex_lock(&lst_lock);
	if (svc->current >= svc->max_channels)
		snprintf(why, sizeof(why), "channel limit %u reached",
		    svc->max_channels);
	else if (svc->max_per_ip > 0) {
		for (o = svc->live; o != NULL; o = o->next)
			if (strcmp(conn_peer_ip(o->c), conn_peer_ip(c)) == 0)
				same_ip++;
		if (same_ip >= svc->max_per_ip)
			snprintf(why, sizeof(why),
			    "per-address limit %u reached for %s",
			    svc->max_per_ip, conn_peer_ip(c));
	}
	if (why[0] != '\0') {
		svc->refused++;
		pthread_mutex_unlock(&lst_lock);
		refuse_conn(svc, c, why);
		return;
	}
	l = xcalloc(1, sizeof(*l));
	l->svc = svc;
	l->c = c;
	l->next = svc->live;
	if (svc->live != NULL)
		svc->live->prev = l;
	svc->live = l;
	svc->current++;
	svc->total++;
	nthreads++;
	log_session_init(&l->ls, service_log(svc), conn_peer_text(c));
	/* An idle thread takes it if there is one (no thread creation). */
	if ((w = idle_head) != NULL) {
		idle_head = w->next;
		nidle--;
		w->job = l;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&lst_lock);
		return;
	}
	nworkers++;
	pthread_mutex_unlock(&lst_lock);

	w = xcalloc(1, sizeof(*w));
	w->job = l;
	pthread_cond_init(&w->cond, &cattr);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LISTENER_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&tid, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return;
	pthread_cond_destroy(&w->cond);
	free(w);
	log_ses(&l->ls, LOG_FAILURE, "cannot start a thread: %s",
	    strerror(r));
	pthread_mutex_lock(&lst_lock);
	live_unlink(l);
	svc->total--;
	nthreads--;
	nworkers--;
	pthread_cond_broadcast(&lst_cond);
	pthread_mutex_unlock(&lst_lock);
	free(l);
	refuse_conn(svc, c, "server is out of threads");
}

static void *
poll_main(void *arg)
{
	struct pollfd pfds[LISTENER_SOCKETS_MAX + 1];
	unsigned i, n;
	int fd;

	(void)arg;
	n = nsocks;
	for (i = 0; i < n; i++) {
		pfds[i].fd = socks[i].fd;
		pfds[i].events = POLLIN;
	}
	pfds[n].fd = stop_pipe[0];
	pfds[n].events = POLLIN;
	for (;;) {
		if (poll(pfds, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfds[n].revents != 0)
			break;
		for (i = 0; i < n; i++) {
			if (pfds[i].revents == 0 || pfds[i].fd < 0)
				continue;
			fd = accept4(pfds[i].fd, NULL, NULL, SOCK_NONBLOCK |
			    SOCK_CLOEXEC);
			if (fd >= 0) {
				handle_accept(socks[i].svc, fd);
				continue;
			}
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_mod(service_log(socks[i].svc), LOG_PROBLEM,
				    "accept failed: %s", strerror(errno));
				poll(NULL, 0, LISTENER_EMFILE_PAUSE_MS);
			}
		}
	}
	return NULL;
}

int
listener_start_all(struct error *err_r)
{
	struct service *svc;
	unsigned i, j;
	int r;

	pthread_once(&lst_once, lst_init);
	pthread_mutex_lock(&lst_lock);
	if (running) {
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, ERR_INTERNAL, "listeners already run");
	}
	for (i = 0; i < nsocks; i++) {
		svc = socks[i].svc;
		if (svc->handler == NULL) {
			pthread_mutex_unlock(&lst_lock);
			return error_set(err_r, ERR_INTERNAL,
			    "no protocol registered for %s", svc->name);
		}
		if (svc->tls && svc->ctx == NULL) {
			pthread_mutex_unlock(&lst_lock);
			return error_set(err_r, ERR_INTERNAL,
			    "no TLS certificate for %s", svc->name);
		}
	}
	/* CGP: a module with 0 channels does not listen. */
	for (i = j = 0; i < nsocks; i++) {
		if (socks[i].svc->max_channels == 0) {
			log_mod(service_log(socks[i].svc), LOG_MAJOR,
			    "%s: Channels is 0, not listening on port %u",
			    socks[i].svc->name, socks[i].port);
			close(socks[i].fd);
			continue;
		}
		socks[j++] = socks[i];
	}
	nsocks = j;
	if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, ERR_INTERNAL, "pipe: %s",
		    strerror(errno));
	}
	r = pthread_create(&poll_thread, NULL, poll_main, NULL);
	if (r != 0) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, ERR_INTERNAL,
		    "cannot start the accept thread: %s", strerror(r));
	}
	running = true;
	pool_stop = false;
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

unsigned
listener_stop_all(void)
{
	struct timespec deadline;
	struct live *l;
	struct worker *w;
	unsigned i, left;
	char b = 0;
	int r;

	pthread_once(&lst_once, lst_init);
	pthread_mutex_lock(&lst_lock);
	if (running) {
		pthread_mutex_unlock(&lst_lock);
		while (write(stop_pipe[1], &b, 1) < 0 && errno == EINTR)
			;
		pthread_join(poll_thread, NULL);
		pthread_mutex_lock(&lst_lock);
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
		running = false;
	}
	for (i = 0; i < nsocks; i++)
		close(socks[i].fd);
	nsocks = 0;
	for (i = 0; i < N_ELEMENTS(services); i++)
		for (l = services[i].live; l != NULL; l = l->next)
			conn_shutdown(l->c);
	/* Idle threads end now; busy ones after their connection. */
	pool_stop = true;
	for (w = idle_head; w != NULL; w = w->next)
		pthread_cond_signal(&w->cond);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LISTENER_STOP_WAIT_MS / 1000;
	deadline.tv_nsec += (long)(LISTENER_STOP_WAIT_MS % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	r = 0;
	while ((nthreads > 0 || nworkers > 0) && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&lst_cond, &lst_lock, &deadline);
	left = nthreads;
	pthread_mutex_unlock(&lst_lock);
	return left;
}
