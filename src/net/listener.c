/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener.c: the service table, listening sockets and the detached
 * connection threads, reused while idle (see listener.h).
 *
 * Idle connection threads accept themselves (leader/follower): they wait
 * in epoll_wait() on one epoll instance holding every listening socket
 * (EPOLLONESHOT, so one connection wakes one thread) and a self-pipe used
 * to stop them.  The thread that accepts checks the service's channel and
 * per-IP limits under the table lock, records the connection in the
 * service's live list, and then runs it itself: the implicit-TLS handshake
 * (if any) and the handler; a refused connection gets its refusal on that
 * thread.  No thread hands a socket to another.  The live list lets
 * listener_stop_all() shut down sockets of running sessions so their
 * blocked reads return; an entry leaves the list (under the lock) before
 * its conn is freed, so a shutdown never touches a freed conn.
 */
#include "lib/compat.h"

#include <sys/types.h>
#include <sys/epoll.h>
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
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/park.h"

#define LISTENER_REFUSE_MS	2000	/* writing a refusal text */
#define LISTENER_EMFILE_PAUSE_MS 100	/* out of descriptors: back off */

struct live {
	struct live	*next, *prev;
	struct service	*svc;
	struct conn	*c;
	struct log_session ls;
	uint8_t		 addr[16];	/* the peer, see peer_key() */
	int		 fam;		/* 4, 6, or 0 (not limited) */
	bool		 exempt;	/* in the exempt list: no per-address limits */
	bool		 shedding;	/* shed, on its way out */
	/* Hibernation: listener_park() asked for it (park_fn set) while the
	 * handler ran; parked while the park loop holds it (no thread). */
	listener_resume_fn *park_fn;	/* resumes it */
	void		*park_arg;
	bool		 park_req;	/* park once the handler returned */
	int		 park_fd2;
	struct park_token *park_tok;
	int64_t		 park_deadline;
	bool		 parked;
	enum park_event	 wake_ev;
};

struct service {
	const char		*name;
	unsigned		 port;
	bool			 tls;		/* TLS from the first byte */
	struct log_module	 own_log;	/* the table's log tag */
	listener_handler_fn	*handler;
	listener_refuse_fn	*refuse;
	void			*arg;
	struct log_module	*log;
	SSL_CTX			*ctx;
	unsigned		 max_channels, max_per_ip;
	unsigned		 current;
	unsigned long		 total, refused;
	struct live		*live;
	unsigned		 max_per_net;	/* 0 = none */
	unsigned		 net_v4_bits, net_v6_bits;	/* its network */
	unsigned		 prelogin_ms, line_ms;
	unsigned		 shedding;	/* live entries being shed */
	unsigned long		 shed;		/* shed since start */
};

/* Installed by listener_set_services() (server/services.c owns the table). */
static struct service services[LISTENER_SERVICES_MAX];
static size_t nservices;

/* A listening socket.  Slots are reused after listener_remove(); the
 * epoll key is the slot index and its generation, so an event that was
 * already taken for a removed socket is recognised and dropped. */
struct lsock {
	int		 fd;		/* -1: free slot */
	struct service	*svc;
	unsigned	 port;		/* bound port */
	unsigned	 asked;		/* port as added (0: kernel's choice) */
	char		 addr[LISTENER_ADDR_MAX];	/* as added, "*" = all */
	uint32_t	 gen;
	bool		 accepting;	/* a thread is in accept4() on it */
	bool		 closing;	/* removed: that thread closes it */
};

static pthread_mutex_t lst_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lst_cond;		/* a connection thread ended */
static pthread_condattr_t cattr;	/* CLOCK_MONOTONIC conditions */
static pthread_once_t lst_once = PTHREAD_ONCE_INIT;
static struct lsock socks[LISTENER_SOCKETS_MAX];
static unsigned nsocks;			/* slots in use or freed, high-water */
static unsigned nthreads;		/* connections being served */
static unsigned nworkers;		/* connection threads alive */
static bool pool_stop;			/* idle threads end */

static unsigned nidle;			/* threads waiting to accept */
static bool running;
static int epfd = -1;			/* the listening sockets, shared */
static listener_exempt_fn *exempt_fn;	/* no per-address limits for these */
static listener_binder_fn *binder_fn;	/* binds what EACCES refuses us */
static int stop_pipe[2] = { -1, -1 };
static struct park *parker;		/* hibernated sessions */
static unsigned nparked;		/* of them, parked now */
static _Thread_local struct live *cur_live;	/* this thread's session */
#define LISTENER_STOP_KEY	UINT64_MAX	/* epoll key of stop_pipe */

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
	for (i = 0; i < nservices; i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

static struct log_module *
service_log(struct service *svc)
{
	return svc->log != NULL ? svc->log : &svc->own_log;
}

int
listener_set_services(const struct listener_service *defs, size_t n,
    struct error *err_r)
{
	size_t i;

	if (n > LISTENER_SERVICES_MAX)
		return error_set(err_r, ERR_LIMIT, "more than %d services",
		    LISTENER_SERVICES_MAX);
	pthread_mutex_lock(&lst_lock);
	if (nsocks > 0 || running) {
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, ERR_INTERNAL,
		    "the service table is set before any socket");
	}
	for (i = 0; i < n; i++) {
		memset(&services[i], 0, sizeof(services[i]));
		services[i].name = defs[i].name;
		services[i].port = defs[i].port;
		services[i].tls = defs[i].tls;
		services[i].own_log = (struct log_module)LOG_MODULE(
		    defs[i].log_tag);
		services[i].max_channels = LISTENER_CHANNELS_DEFAULT;
		services[i].net_v4_bits = LISTENER_NET_V4_BITS;
		services[i].net_v6_bits = LISTENER_NET_V6_BITS;
	}
	nservices = n;
	pthread_mutex_unlock(&lst_lock);
	return 0;
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

	return svc != NULL ? svc->own_log.name : NULL;
}

bool
listener_module_listens(const char *log_tag)
{
	bool r = false;
	size_t i;

	pthread_mutex_lock(&lst_lock);
	for (i = 0; i < nservices && !r; i++)
		r = services[i].handler != NULL &&
		    strcasecmp(services[i].own_log.name, log_tag) == 0;
	pthread_mutex_unlock(&lst_lock);
	return r;
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
listener_configure(const char *service, const struct listener_limits *lim,
    struct error *err_r)
{
	struct service *svc = service_find(service);

	if (svc == NULL)
		return error_set(err_r, ERR_NOTFOUND, "unknown service \"%s\"",
		    service != NULL ? service : "");
	if (lim->max_channels > LISTENER_CHANNELS_MAX)
		return error_set(err_r, ERR_LIMIT,
		    "%s: Channels %u is over the maximum %u", service,
		    lim->max_channels, LISTENER_CHANNELS_MAX);
	if (lim->prelogin_ms > INT32_MAX || lim->line_ms > INT32_MAX)
		return error_set(err_r, ERR_LIMIT, "%s: time-out too long",
		    service);
	if (lim->net_v4_bits < LISTENER_NET_V4_MIN ||
	    lim->net_v4_bits > LISTENER_NET_V4_MAX ||
	    lim->net_v6_bits < LISTENER_NET_V6_MIN ||
	    lim->net_v6_bits > LISTENER_NET_V6_MAX)
		return error_set(err_r, ERR_LIMIT, "%s: network prefix /%u "
		    "or /%u out of range", service, lim->net_v4_bits,
		    lim->net_v6_bits);
	pthread_mutex_lock(&lst_lock);
	svc->max_channels = lim->max_channels;
	svc->max_per_ip = lim->max_per_ip;
	svc->max_per_net = lim->max_per_net;
	svc->net_v4_bits = lim->net_v4_bits;
	svc->net_v6_bits = lim->net_v6_bits;
	svc->prelogin_ms = lim->prelogin_ms;
	svc->line_ms = lim->line_ms;
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

void
listener_set_exempt(listener_exempt_fn *fn)
{
	pthread_mutex_lock(&lst_lock);
	exempt_fn = fn;
	pthread_mutex_unlock(&lst_lock);
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
	for (i = 0; i < nservices; i++) {
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
	unsigned i;

	if (svc == NULL)
		return -1;
	pthread_mutex_lock(&lst_lock);
	st_r->current = svc->current;
	st_r->total = svc->total;
	st_r->refused = svc->refused;
	st_r->shed = svc->shed;
	st_r->sockets = 0;
	for (i = 0; i < nsocks; i++)
		if (socks[i].fd >= 0 && socks[i].svc == svc)
			st_r->sockets++;
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
		if (socks[i].fd < 0 || socks[i].svc != svc)
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
listener_socket_open(const char *addr, unsigned port, int *errno_r)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	bool any;
	int fd;

	if (port > 65535 || parse_addr(addr, port, &ss, &len, &any) < 0) {
		*errno_r = EINVAL;
		return -1;
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
	if (fd < 0)
		*errno_r = errno;
	return fd;
}

void
listener_set_binder(listener_binder_fn *fn)
{
	pthread_mutex_lock(&lst_lock);
	binder_fn = fn;
	pthread_mutex_unlock(&lst_lock);
}

/* Arms slot i on the shared epoll instance (the listeners run). */
static int
slot_arm(unsigned i, int op)
{
	struct epoll_event ev;

	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = (uint64_t)socks[i].gen << 32 | i;
	return epoll_ctl(epfd, op, socks[i].fd, &ev);
}

static void
slot_free(unsigned i)
{
	socks[i].fd = -1;
	socks[i].svc = NULL;
	socks[i].gen++;
	socks[i].accepting = socks[i].closing = false;
	while (nsocks > 0 && socks[nsocks - 1].fd < 0)
		nsocks--;
}

int
listener_add(const char *service, const char *addr, unsigned port,
    struct error *err_r)
{
	struct service *svc = service_find(service);
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	listener_binder_fn *binder;
	struct error berr;
	unsigned i, used = 0, asked = port;
	bool any;
	int fd, e = 0;
	const char *shown = addr != NULL && addr[0] != '\0' ? addr : "*";

	if (svc == NULL)
		return error_set(err_r, ERR_NOTFOUND, "unknown service \"%s\"",
		    service != NULL ? service : "");
	if (port > 65535)
		return error_set(err_r, ERR_SYNTAX,
		    "cannot listen for %s on %s:%u: bad port", service, shown,
		    port);
	if (strlen(shown) >= LISTENER_ADDR_MAX ||
	    parse_addr(addr, port, &ss, &len, &any) < 0)
		return error_set(err_r, ERR_SYNTAX,
		    "cannot listen for %s on %s:%u: not an IP address",
		    service, shown, port);
	pthread_mutex_lock(&lst_lock);
	for (i = 0; i < nsocks; i++)
		if (socks[i].fd >= 0)
			used++;
	binder = binder_fn;
	pthread_mutex_unlock(&lst_lock);
	if (used >= LISTENER_SOCKETS_MAX)
		return error_set(err_r, ERR_LIMIT,
		    "cannot listen for %s on %s:%u: more than %d sockets",
		    service, shown, port, LISTENER_SOCKETS_MAX);
	fd = listener_socket_open(addr, port, &e);
	if (fd < 0 && e == EACCES && binder != NULL) {
		/* A port below 1024 after the switch to the server's user:
		 * the bind helper (server/bindhelper.h) binds it. */
		fd = binder(shown, port, &berr);
		if (fd < 0)
			return error_set(err_r, ERR_PERM, "cannot listen for "
			    "%s on %s:%u: %s", service, shown, port, berr.msg);
	} else if (fd < 0 && e == EACCES)
		return error_set(err_r, ERR_PERM, "cannot listen for %s on "
		    "%s:%u: port %u needs root: start tegamid as root (it "
		    "keeps a bind helper for such ports), or use a port above "
		    "1023", service, shown, port, port);
	else if (fd < 0)
		return error_set(err_r, ERR_IO,
		    "cannot listen for %s on %s:%u: %s", service, shown, port,
		    strerror(e));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		port = ss.ss_family == AF_INET6 ?
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
		    ntohs(sin->sin_port);
	pthread_mutex_lock(&lst_lock);
	for (i = 0; i < LISTENER_SOCKETS_MAX && socks[i].fd >= 0 &&
	    i < nsocks; i++)
		;
	if (i >= LISTENER_SOCKETS_MAX) {
		pthread_mutex_unlock(&lst_lock);
		close(fd);
		return error_set(err_r, ERR_LIMIT,
		    "cannot listen for %s on %s:%u: more than %d sockets",
		    service, shown, port, LISTENER_SOCKETS_MAX);
	}
	if (i == nsocks)
		nsocks++;
	socks[i].fd = fd;
	socks[i].svc = svc;
	socks[i].port = port;
	socks[i].asked = asked;
	snprintf(socks[i].addr, sizeof(socks[i].addr), "%s", shown);
	socks[i].accepting = socks[i].closing = false;
	/* Added while the listeners run: it accepts at once. */
	if (running && slot_arm(i, EPOLL_CTL_ADD) != 0) {
		e = errno;
		close(fd);
		slot_free(i);
		pthread_mutex_unlock(&lst_lock);
		return error_set(err_r, ERR_INTERNAL, "cannot listen for %s "
		    "on %s:%u: epoll: %s", service, shown, port, strerror(e));
	}
	pthread_mutex_unlock(&lst_lock);
	return 0;
}

int
listener_remove(const char *service, const char *addr, unsigned port)
{
	struct service *svc = service_find(service);
	const char *shown = addr != NULL && addr[0] != '\0' ? addr : "*";
	unsigned i;
	int n = 0;

	pthread_mutex_lock(&lst_lock);
	for (i = 0; svc != NULL && i < nsocks; i++) {
		if (socks[i].fd < 0 || socks[i].svc != svc ||
		    socks[i].closing || strcmp(socks[i].addr, shown) != 0 ||
		    (socks[i].asked != port && socks[i].port != port))
			continue;
		n++;
		if (running)
			(void)epoll_ctl(epfd, EPOLL_CTL_DEL, socks[i].fd, NULL);
		if (socks[i].accepting) {
			socks[i].closing = true;	/* that thread closes */
			continue;
		}
		close(socks[i].fd);
		slot_free(i);
	}
	pthread_mutex_unlock(&lst_lock);
	return n;
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
	if (l->shedding)
		l->svc->shedding--;
}

static void session_after(struct live *l);

/* Runs the session's resume function on this thread. */
static void
resume_now(struct live *l)
{
	cur_live = l;
	l->park_fn(l->c, l->park_arg, l->wake_ev);
	cur_live = NULL;
}

static void *
resume_main(void *arg)
{
	struct live *l = arg;

	pthread_setname_np(pthread_self(), "conn");
	resume_now(l);
	session_after(l);
	return NULL;
}

/* The park loop's wake function: a parked session gets a fresh thread
 * (docs/architecture.md, Threads, says why not a pool). */
static void
park_wake(void *arg, enum park_event ev)
{
	struct live *l = arg;
	pthread_attr_t attr;
	pthread_t tid;
	int r;

	pthread_mutex_lock(&lst_lock);
	l->parked = false;
	nparked--;
	nthreads++;
	pthread_mutex_unlock(&lst_lock);
	l->wake_ev = ev;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LISTENER_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&tid, &attr, resume_main, l);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return;
	/* Out of threads: the session is ended here rather than left
	 * parked with nobody to wake it. */
	log_ses(&l->ls, LOG_FAILURE, "cannot resume a hibernated session: "
	    "no thread: %s", strerror(r));
	conn_shutdown(l->c);
	l->wake_ev = PARK_SHUTDOWN;
	resume_now(l);
	session_after(l);
}

void
listener_token_init(struct park_token *tok)
{
	pthread_mutex_lock(&lst_lock);
	park_token_init(cur_live != NULL ? parker : NULL, tok);
	pthread_mutex_unlock(&lst_lock);
}

bool
listener_park_when_idle(struct conn *c, int64_t after_ms, int64_t idle_ms,
    listener_resume_fn *fn, void *arg)
{
	int64_t start;

	if (after_ms <= 0 || after_ms >= idle_ms)
		return false;
	start = park_now_ms();
	if (!conn_quiet_for(c, (int)after_ms))
		return false;
	return listener_park(c, -1, NULL, start + idle_ms, fn, arg);
}

bool
listener_park(struct conn *c, int fd2, struct park_token *tok,
    int64_t deadline, listener_resume_fn *fn, void *arg)
{
	struct live *l = cur_live;

	if (l == NULL || l->c != c || parker == NULL || fn == NULL)
		return false;
	if (tok != NULL && tok->p != parker)
		return false;
	l->park_tok = tok;
	l->park_fn = fn;
	l->park_arg = arg;
	l->park_req = true;
	l->park_fd2 = fd2;
	l->park_deadline = deadline;
	return true;
}

/* The session's thread is done with it: frees it, or parks it when its
 * handler (or resume function) asked for that; the thread then returns
 * to the pool.  l must not be touched once park_add() took it. */
static void
session_after(struct live *l)
{
	struct conn *c = l->c;
	struct error err;
	enum park_event ev;

	cur_live = NULL;
	while (l->park_req) {
		l->park_req = false;
		pthread_mutex_lock(&lst_lock);
		l->parked = true;
		nparked++;
		nthreads--;
		pthread_mutex_unlock(&lst_lock);
		if (park_add(parker, conn_fd(c), l->park_fd2, l->park_tok,
		    l->park_deadline, l, &err) == 0)
			return;
		/* Not parked: this thread goes on with it. */
		pthread_mutex_lock(&lst_lock);
		l->parked = false;
		nparked--;
		nthreads++;
		pthread_mutex_unlock(&lst_lock);
		if (err.kind != ERR_TEMP)
			log_ses(&l->ls, LOG_PROBLEM, "cannot hibernate: %s",
			    err.msg);
		ev = err.kind == ERR_TEMP ? PARK_SHUTDOWN : PARK_INPUT;
		l->wake_ev = ev;
		resume_now(l);
	}
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

/* Runs one accepted connection until it ends (then frees it) or parks. */
static void
run_conn(struct live *l)
{
	struct service *svc = l->svc;
	struct conn *c = l->c;
	struct error err;

	/* Until the protocol says the client logged in: a bounded time for
	 * everything (the TLS handshake too), whole lines in bounded time,
	 * and the session may be shed for a newcomer while it waits. */
	conn_set_deadline(c, (int)svc->prelogin_ms, "login time-out");
	conn_set_line_timeout(c, (int)svc->line_ms);
	conn_set_sheddable(c, true);
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
	cur_live = l;
	svc->handler(c, svc->arg);
done:
	session_after(l);
}

/* The peer's address as 16 bytes (IPv4 and IPv4-mapped IPv6 in the first
 * 4); 4 or 6, or 0 for anything else (not limited per address). */
static int
peer_key(const struct sockaddr_storage *ss, uint8_t out[16])
{
	const struct sockaddr_in6 *sin6;

	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 4;
	}
	if (ss->ss_family != AF_INET6)
		return 0;
	sin6 = (const struct sockaddr_in6 *)ss;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(out, &sin6->sin6_addr.s6_addr[12], 4);
		return 4;
	}
	memcpy(out, &sin6->sin6_addr, 16);
	return 6;
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

static void *worker_main(void *arg);

/* Starts one more connection thread (an acceptor); the caller counted it
 * in nworkers.  Called without the lock.  0, or the pthread_create() error
 * (logged). */
static int
spawn_worker(struct log_module *log)
{
	pthread_attr_t attr;
	pthread_t tid;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LISTENER_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&tid, &attr, worker_main, NULL);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return 0;
	log_mod(log, LOG_FAILURE,
	    "cannot start a connection thread: %s", strerror(r));
	pthread_mutex_lock(&lst_lock);
	nworkers--;
	pthread_cond_broadcast(&lst_cond);
	pthread_mutex_unlock(&lst_lock);
	return r;
}

bool
listener_same_net(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	size_t whole = bits / 8;
	unsigned rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/*
 * Decides on one accepted socket; under lst_lock, which it keeps.  Returns
 * the live entry to run, or NULL with *why set (refuse it) or, after
 * listener_stop_all() began, with why empty (c is closed).
 */
static struct live *
admit(struct service *svc, struct conn *c, bool exempt, char *why,
    size_t whysize, char *shed, size_t shedsize)
{
	struct live *l, *o, *victim = NULL;
	unsigned same_ip = 0, same_net = 0, netbits;
	uint8_t addr[16];
	int fam;

	why[0] = shed[0] = '\0';
	if (pool_stop)
		return NULL;
	fam = peer_key(conn_peer_addr(c), addr);
	netbits = fam == 4 ? svc->net_v4_bits : svc->net_v6_bits;
	if (fam != 0 && !exempt &&
	    (svc->max_per_ip > 0 || svc->max_per_net > 0)) {
		for (o = svc->live; o != NULL; o = o->next) {
			if (o->fam != fam || o->shedding || o->exempt)
				continue;
			if (!listener_same_net(o->addr, addr, netbits))
				continue;
			same_net++;
			if (memcmp(o->addr, addr, sizeof(addr)) == 0)
				same_ip++;
		}
	}
	if (svc->max_per_ip > 0 && same_ip >= svc->max_per_ip)
		snprintf(why, whysize, "per-address limit %u reached for %s",
		    svc->max_per_ip, conn_peer_ip(c));
	else if (svc->max_per_net > 0 && same_net >= svc->max_per_net)
		snprintf(why, whysize, "per-network limit %u reached for "
		    "%s/%u", svc->max_per_net, conn_peer_ip(c), netbits);
	else if (svc->current - svc->shedding >= svc->max_channels) {
		/* Full: the oldest session still waiting for its client
		 * before login makes room (the list is newest first). */
		if (svc->shedding < svc->max_channels)	/* threads <= 2x */
			for (o = svc->live; o != NULL; o = o->next)
				if (!o->shedding && conn_shed_candidate(o->c))
					victim = o;
		if (victim != NULL && conn_shed(victim->c)) {
			victim->shedding = true;
			svc->shedding++;
			svc->shed++;
			snprintf(shed, shedsize, "%s", conn_peer_text(victim->c));
		} else
			snprintf(why, whysize, "channel limit %u reached",
			    svc->max_channels);
	}
	if (why[0] != '\0') {
		svc->refused++;
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->svc = svc;
	l->c = c;
	l->fam = fam;
	l->exempt = exempt;
	memcpy(l->addr, addr, sizeof(addr));
	l->next = svc->live;
	if (svc->live != NULL)
		svc->live->prev = l;
	svc->live = l;
	svc->current++;
	svc->total++;
	nthreads++;
	log_session_init(&l->ls, service_log(svc), conn_peer_text(c));
	return l;
}

/*
 * Waits (as one of the idle threads, counted in nidle) for a connection on
 * any listening socket and accepts it.  The sockets are registered with
 * EPOLLONESHOT on one shared epoll instance, so the kernel wakes one idle
 * thread per connection and no other thread touches that socket until it
 * is re-armed right after accept4().  Returns the accepted socket, or -1
 * when the thread should stop waiting (stop, or *timed_out after
 * LISTENER_IDLE_MS without a connection).  *svc_r is its service.
 */
static int
accept_one(struct service **svc_r, bool *timed_out)
{
	struct epoll_event ev;
	struct service *svc;
	unsigned i;
	uint32_t gen;
	int n, fd, lfd, e;

	*timed_out = false;
	for (;;) {
		n = epoll_wait(epfd, &ev, 1, LISTENER_IDLE_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			*timed_out = true;
			return -1;
		}
		if (ev.data.u64 == LISTENER_STOP_KEY)
			return -1;
		i = (unsigned)(ev.data.u64 & UINT32_MAX);
		gen = (uint32_t)(ev.data.u64 >> 32);
		pthread_mutex_lock(&lst_lock);
		if (i >= nsocks || socks[i].fd < 0 || socks[i].gen != gen ||
		    socks[i].closing) {
			/* removed after its event was taken */
			pthread_mutex_unlock(&lst_lock);
			continue;
		}
		socks[i].accepting = true;
		lfd = socks[i].fd;
		svc = socks[i].svc;
		pthread_mutex_unlock(&lst_lock);
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		e = errno;
		if (fd < 0 && (e == EMFILE || e == ENFILE || e == ENOBUFS ||
		    e == ENOMEM)) {
			log_mod(service_log(svc), LOG_PROBLEM,
			    "accept failed: %s", strerror(e));
			poll(NULL, 0, LISTENER_EMFILE_PAUSE_MS);
		}
		pthread_mutex_lock(&lst_lock);
		socks[i].accepting = false;
		if (socks[i].closing) {
			close(lfd);
			slot_free(i);
		} else
			(void)slot_arm(i, EPOLL_CTL_MOD);
		pthread_mutex_unlock(&lst_lock);
		if (fd >= 0) {
			*svc_r = svc;
			return fd;
		}
	}
}

/*
 * A connection thread (leader/follower): while idle it waits in
 * accept_one() itself, so a new connection wakes exactly the thread that
 * runs it.  The thread that takes the last idle slot starts one more
 * thread first, so some thread always accepts.  A thread ends after
 * LISTENER_IDLE_MS without work (unless it is the last idle one), when
 * LISTENER_IDLE_MAX threads are idle already, or when listener_stop_all()
 * runs.
 */
static void *
worker_main(void *arg)
{
	struct service *svc = NULL;
	struct live *l;
	struct conn *c;
	char why[128], shed[CONN_ADDR_TEXT_MAX];
	listener_exempt_fn *ex;
	bool timed_out, spawn, exempt;
	int fd;

	pthread_setname_np(pthread_self(), "conn");
	(void)arg;
	pthread_mutex_lock(&lst_lock);
	for (;;) {
		if (pool_stop || nidle >= LISTENER_IDLE_MAX)
			break;
		nidle++;
		pthread_mutex_unlock(&lst_lock);
		fd = accept_one(&svc, &timed_out);
		pthread_mutex_lock(&lst_lock);
		if (fd < 0) {
			nidle--;
			if (timed_out && !pool_stop && nidle == 0)
				continue;	/* stays the last acceptor */
			pthread_cond_broadcast(&lst_cond);
			break;
		}
		nidle--;
		spawn = nidle == 0 && !pool_stop;
		if (spawn)
			nworkers++;
		ex = exempt_fn;
		pthread_mutex_unlock(&lst_lock);
		c = conn_new_accepted(fd);
		/* Outside the lock: the list may take a moment to match. */
		exempt = ex != NULL && (svc->max_per_ip > 0 ||
		    svc->max_per_net > 0) && ex((const struct sockaddr *)
		    conn_peer_addr(c));
		pthread_mutex_lock(&lst_lock);
		l = admit(svc, c, exempt, why, sizeof(why), shed, sizeof(shed));
		pthread_mutex_unlock(&lst_lock);
		if (spawn)
			(void)spawn_worker(service_log(svc));
		if (l != NULL && shed[0] != '\0')
			log_ses(&l->ls, LOG_PROBLEM, "%s is full (%u channels): "
			    "shedding the oldest idle session before login, "
			    "from %s", svc->name, svc->max_channels, shed);
		if (l != NULL)
			run_conn(l);
		else if (why[0] != '\0')
			refuse_conn(svc, c, why);
		else
			conn_free(&c);
		pthread_mutex_lock(&lst_lock);
	}
	nworkers--;
	pthread_cond_broadcast(&lst_cond);
	pthread_mutex_unlock(&lst_lock);
	return NULL;
}

int
listener_start_all(struct error *err_r)
{
	struct epoll_event ev;
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
		if (svc == NULL)
			continue;
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
		if (socks[i].fd < 0)
			continue;
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
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		goto fail;
	for (i = 0; i < nsocks; i++)
		if (slot_arm(i, EPOLL_CTL_ADD) != 0)
			goto fail;
	/* Level-triggered: once written, every waiting thread sees it. */
	ev.events = EPOLLIN;
	ev.data.u64 = LISTENER_STOP_KEY;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, stop_pipe[0], &ev) != 0)
		goto fail;
	if (parker == NULL && (parker = park_new(park_wake, err_r)) == NULL) {
		errno = EAGAIN;
		goto fail;
	}
	running = true;
	pool_stop = false;
	nworkers++;
	pthread_mutex_unlock(&lst_lock);
	r = spawn_worker(nsocks > 0 ? service_log(socks[0].svc) :
	    &log_system);
	if (r == 0)
		return 0;
	(void)listener_stop_all();
	return error_set(err_r, ERR_INTERNAL,
	    "cannot start the first connection thread: %s", strerror(r));
fail:
	i = (unsigned)errno;
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
	pthread_mutex_unlock(&lst_lock);
	return error_set(err_r, ERR_INTERNAL, "epoll: %s", strerror((int)i));
}

unsigned
listener_stop_all(void)
{
	struct timespec deadline;
	struct live *l;
	struct park *p;
	unsigned i, left;
	char b = 0;
	int r;

	pthread_once(&lst_once, lst_init);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LISTENER_STOP_WAIT_MS / 1000;
	deadline.tv_nsec += (long)(LISTENER_STOP_WAIT_MS % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lst_lock);
	/* Idle threads end now; busy ones after their connection. */
	pool_stop = true;
	r = 0;
	if (running) {
		while (write(stop_pipe[1], &b, 1) < 0 && errno == EINTR)
			;
		/* No thread touches the sockets once none is idle. */
		while (nidle > 0 && r != ETIMEDOUT)
			r = pthread_cond_timedwait(&lst_cond, &lst_lock,
			    &deadline);
		if (nidle == 0) {
			close(epfd);
			close(stop_pipe[0]);
			close(stop_pipe[1]);
			epfd = stop_pipe[0] = stop_pipe[1] = -1;
		}
		running = false;
	}
	if (nidle == 0) {
		for (i = 0; i < nsocks; i++)
			if (socks[i].fd >= 0)
				close(socks[i].fd);
		for (i = 0; i < nsocks; i++)
			slot_free(i);
		nsocks = 0;
	}
	/* Sessions with a thread: their reads end now.  Parked ones are
	 * woken with PARK_SHUTDOWN and say BYE on a thread of their own. */
	for (i = 0; i < nservices; i++)
		for (l = services[i].live; l != NULL; l = l->next)
			if (!l->parked)
				conn_shutdown(l->c);
	p = parker;
	pthread_mutex_unlock(&lst_lock);
	if (p != NULL)
		park_wake_all(p);
	pthread_mutex_lock(&lst_lock);
	while ((nthreads > 0 || nworkers > 0 || nparked > 0) &&
	    r != ETIMEDOUT)
		r = pthread_cond_timedwait(&lst_cond, &lst_lock, &deadline);
	left = nthreads + nparked;
	if (left == 0)
		parker = NULL;
	pthread_mutex_unlock(&lst_lock);
	/* Freed only when no session can park any more. */
	if (left == 0 && p != NULL)
		park_free(&p);
	return left;
}
