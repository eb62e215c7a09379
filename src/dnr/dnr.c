/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr.c: the DNR module (see dnr.h).  Callers put a request on a list and
 * wait on its condition variable; one DNR thread sends the requests over
 * the module's UDP socket (one per address family, opened at start and
 * kept until dnr_stop), matches the answers (server address and port, id,
 * question: anything else is dropped and logged at Low level), times the
 * attempts out and sends each retry to the next server.  A truncated
 * answer (TC) is asked again over TCP by the calling thread, once, from the
 * server that sent it.  Final answers (records, NODATA, NXDOMAIN) go into
 * the cache for their TTL; failures are not cached.
 */
#include "lib/compat.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "core/server.h"
#include "objects/objects.h"
#include "dnr/dnr.h"
#include "dnr/dnr_private.h"

#define T_A		1
#define T_PTR		12
#define T_MX		15
#define T_TXT		16
#define T_AAAA		28
#define QUERY_MAX	(DNR_NAME_MAX + 64)	/* header, name, type, OPT */
#define RESOLV_CONF	"/etc/resolv.conf"
#define POLL_IDLE_MS	1000

static struct log_module log_dnr = LOG_MODULE("DNR");

struct req {
	struct dnr_answer	 a;		/* first: dnr_answer_free */
	char			 name[DNR_NAME_MAX + 1];
	int			 type;
	uint16_t		 id;
	unsigned		 attempts;	/* sent so far */
	struct timespec		 deadline;	/* of the attempt in flight */
	struct sockaddr_storage	 to;		/* the server asked */
	socklen_t		 tolen;
	bool			 done;
	bool			 tc;		/* ask again over TCP */
	pthread_cond_t		 cv;
	struct req		*next;
	struct req		*followers;	/* same question, waiting */
};

static struct {
	pthread_mutex_t		 mu;
	pthread_cond_t		 slot_cv;	/* a request finished */
	bool			 running;
	pthread_t		 th;
	int			 fd4, fd6, evfd;
	struct server		*srv;
	struct settings_snap	*snap;		/* the settings in use */
	struct sockaddr_storage	 servers[DNR_SERVERS_MAX];
	socklen_t		 slens[DNR_SERVERS_MAX];
	unsigned		 nservers;
	unsigned		 timeout, retries;
	struct req		*pending;	/* not sent yet */
	struct req		*inflight;	/* sent, waiting for the answer */
	unsigned		 nactive;	/* pending + inflight */
	struct dnr_cache	*cache;
} dnr = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.slot_cv = PTHREAD_COND_INITIALIZER,
	.fd4 = -1, .fd6 = -1, .evfd = -1,
};

static const char *
type_name(int type, char *buf, size_t size)
{
	switch (type) {
	case T_A:	return "A";
	case T_AAAA:	return "AAAA";
	case T_MX:	return "MX";
	case T_PTR:	return "PTR";
	case T_TXT:	return "TXT";
	default:
		(void)snprintf(buf, size, "TYPE%d", type);
		return buf;
	}
}

const char *
dnr_status_text(enum dnr_status st)
{
	switch (st) {
	case DNR_OK:		return "OK";
	case DNR_NOTFOUND:	return "host name is unknown";
	case DNR_NODATA:	return "no records of that type";
	case DNR_TEMPFAIL:	return "no response";
	default:		return "DNS error";
	}
}

static void
addr_text(const struct sockaddr *sa, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		(void)inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		(void)snprintf(out, size, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		(void)inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		(void)snprintf(out, size, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* ---- servers ------------------------------------------------------------ */

static void
add_server(const char *s)
{
	if (dnr.nservers >= DNR_SERVERS_MAX) {
		log_mod(&log_dnr, LOG_PROBLEM, "server %s ignored: at most %d "
		    "servers are used", s, DNR_SERVERS_MAX);
		return;
	}
	if (dnr_parse_server(s, &dnr.servers[dnr.nservers],
	    &dnr.slens[dnr.nservers]) < 0) {
		log_mod(&log_dnr, LOG_PROBLEM, "server \"%s\" ignored: an "
		    "address, address:port or [address]:port expected", s);
		return;
	}
	dnr.nservers++;
}

/* The nameserver lines of /etc/resolv.conf. */
static void
read_resolv_conf(void)
{
	char line[512], *p, *e;
	FILE *f = fopen(RESOLV_CONF, "re");

	if (f == NULL) {
		log_mod(&log_dnr, LOG_PROBLEM, "cannot read %s: %s",
		    RESOLV_CONF, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "nameserver", 10) != 0 ||
		    (line[10] != ' ' && line[10] != '\t'))
			continue;
		for (p = line + 10; *p == ' ' || *p == '\t'; p++)
			;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t' &&
		    *e != '\n' && *e != '%'; e++)
			;
		*e = '\0';
		if (*p != '\0')
			add_server(p);
	}
	fclose(f);
}

/* The socket of a family, opened (bound to port 0: the system picks it)
 * the first time a server of that family is used. */
static int
family_socket(int family)
{
	int *fdp = family == AF_INET6 ? &dnr.fd6 : &dnr.fd4;
	struct sockaddr_storage ss;
	socklen_t len;
	char txt[64];

	if (*fdp != -1)
		return *fdp;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	len = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((*fdp = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		goto fail;
	if (bind(*fdp, (struct sockaddr *)&ss, len) == -1 ||
	    getsockname(*fdp, (struct sockaddr *)&ss, &len) == -1) {
		close(*fdp);
		*fdp = -1;
		goto fail;
	}
	addr_text((struct sockaddr *)&ss, txt, sizeof(txt));
	log_mod(&log_dnr, LOG_MAJOR, "resolver socket %s (UDP, IPv%d)", txt,
	    family == AF_INET6 ? 6 : 4);
	return *fdp;
fail:
	log_mod(&log_dnr, LOG_FAILURE, "cannot open the IPv%d resolver socket: "
	    "%s", family == AF_INET6 ? 6 : 4, strerror(errno));
	return -1;
}

/* Takes the settings when they changed (dnr.mu held). */
static void
apply_settings(struct settings_snap *snap)
{
	const struct dnr_conf *conf = settings_snap_conf(snap);
	char txt[64];
	unsigned i;

	settings_snap_unref(&dnr.snap);
	dnr.snap = snap;
	dnr.timeout = (unsigned)conf->timeout;
	dnr.retries = (unsigned)conf->retries;
	dnr.nservers = 0;
	for (i = 0; i < conf->servers.n; i++)
		add_server(conf->servers.v[i]);
	if (dnr.nservers == 0)
		read_resolv_conf();
	for (i = 0; i < dnr.nservers; i++) {
		(void)family_socket(dnr.servers[i].ss_family);
		addr_text((struct sockaddr *)&dnr.servers[i], txt, sizeof(txt));
		log_mod(&log_dnr, LOG_LOW, "server %u: %s", i + 1, txt);
	}
	if (dnr.nservers == 0)
		log_mod(&log_dnr, LOG_FAILURE, "no DNS server: set Servers in "
		    "the DNR settings");
}

/* New settings (UpdateModule DNR) apply to the next request. */
static void
refresh_settings(void)
{
	struct settings_snap *snap;

	snap = objects_settings_get(dnr.srv->objects, "DNR",
	    &dnr_settings_table);
	pthread_mutex_lock(&dnr.mu);
	if (snap != dnr.snap) {
		apply_settings(snap);
		snap = NULL;
	}
	pthread_mutex_unlock(&dnr.mu);
	settings_snap_unref(&snap);
}

/* ---- the DNR thread (dnr.mu held unless said) --------------------------- */

static void
now_plus(struct timespec *ts, unsigned secs)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += secs;
}

static bool
sockaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

static void
unlink_req(struct req **list, struct req *r)
{
	for (; *list != NULL; list = &(*list)->next)
		if (*list == r) {
			*list = r->next;
			r->next = NULL;
			return;
		}
}

static void
finish(struct req *r, enum dnr_status st)
{
	struct req *f;

	unlink_req(&dnr.inflight, r);
	unlink_req(&dnr.pending, r);
	r->a.st = st;
	r->done = true;
	pthread_cond_signal(&r->cv);
	/* The callers that asked the same question meanwhile get the same
	 * answer. */
	while ((f = r->followers) != NULL) {
		r->followers = f->next;
		f->next = NULL;
		f->a = r->a;
		f->tc = r->tc;
		memcpy(&f->to, &r->to, sizeof(f->to));
		f->tolen = r->tolen;
		f->done = true;
		pthread_cond_signal(&f->cv);
	}
}

/* A request for the same question already pending or in flight. */
static struct req *
same_question(const struct req *r)
{
	struct req *lists[2] = { dnr.pending, dnr.inflight }, *o;
	int i;

	for (i = 0; i < 2; i++)
		for (o = lists[i]; o != NULL; o = o->next)
			if (o->type == r->type && strcmp(o->name, r->name) == 0)
				return o;
	return NULL;
}

static uint16_t
new_id(void)
{
	struct req *r;
	uint16_t id;

	for (;;) {
		if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
			id = (uint16_t)(rand() & 0xffff);
		for (r = dnr.inflight; r != NULL; r = r->next)
			if (r->id == id)
				break;
		if (r == NULL)
			return id;
	}
}

/* The next attempt of r, to the next server; r is in no list. */
static void
send_attempt(struct req *r)
{
	unsigned char q[QUERY_MAX];
	char txt[64], tb[16];
	unsigned i;
	size_t qlen;
	int fd;

	if (r->attempts > dnr.retries || dnr.nservers == 0) {
		finish(r, DNR_TEMPFAIL);
		return;
	}
	i = r->attempts % dnr.nservers;
	r->attempts++;
	r->id = new_id();
	memcpy(&r->to, &dnr.servers[i], sizeof(r->to));
	r->tolen = dnr.slens[i];
	now_plus(&r->deadline, dnr.timeout);
	r->next = dnr.inflight;
	dnr.inflight = r;
	if ((qlen = dnr_msg_query(r->name, r->type, r->id, q,
	    sizeof(q))) == 0) {
		finish(r, DNR_ERROR);
		return;
	}
	addr_text((struct sockaddr *)&r->to, txt, sizeof(txt));
	if ((fd = family_socket(r->to.ss_family)) == -1 ||
	    sendto(fd, q, qlen, 0, (struct sockaddr *)&r->to, r->tolen) !=
	    (ssize_t)qlen) {
		log_mod(&log_dnr, LOG_PROBLEM, "cannot send to %s: %s", txt,
		    strerror(errno));
		/* Counts as an attempt that timed out at once. */
		clock_gettime(CLOCK_MONOTONIC, &r->deadline);
		return;
	}
	log_mod(&log_dnr, LOG_ALL, "%s %s query id %u sent to %s (attempt "
	    "%u)", r->name, type_name(r->type, tb, sizeof(tb)), r->id, txt,
	    r->attempts);
}

static void
expire(void)
{
	struct timespec now;
	struct req *r, *next;
	char txt[64], tb[16];

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (r = dnr.inflight; r != NULL; r = next) {
		next = r->next;
		if (r->deadline.tv_sec > now.tv_sec ||
		    (r->deadline.tv_sec == now.tv_sec &&
		    r->deadline.tv_nsec > now.tv_nsec))
			continue;
		addr_text((struct sockaddr *)&r->to, txt, sizeof(txt));
		log_mod(&log_dnr, LOG_LOW, "%s %s: no response from %s",
		    r->name, type_name(r->type, tb, sizeof(tb)), txt);
		unlink_req(&dnr.inflight, r);
		send_attempt(r);
	}
}

/* Milliseconds to the nearest deadline. */
static int
poll_ms(void)
{
	struct timespec now;
	struct req *r;
	long long ms, best = POLL_IDLE_MS;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (r = dnr.inflight; r != NULL; r = r->next) {
		ms = (long long)(r->deadline.tv_sec - now.tv_sec) * 1000 +
		    (r->deadline.tv_nsec - now.tv_nsec) / 1000000 + 1;
		if (ms < best)
			best = ms < 0 ? 0 : ms;
	}
	return (int)best;
}

static void
handle_answer(const unsigned char *buf, size_t n,
    const struct sockaddr_storage *from)
{
	struct dnr_msg_info info;
	struct req *r;
	char txt[64], tb[16];
	uint16_t id;

	addr_text((const struct sockaddr *)from, txt, sizeof(txt));
	if (n < 2) {
		log_mod(&log_dnr, LOG_LOW, "short packet from %s dropped", txt);
		return;
	}
	id = (uint16_t)(buf[0] << 8 | buf[1]);
	for (r = dnr.inflight; r != NULL; r = r->next)
		if (r->id == id)
			break;
	if (r == NULL) {
		log_mod(&log_dnr, LOG_LOW, "answer from %s with unknown id %u "
		    "dropped", txt, id);
		return;
	}
	if (!sockaddr_eq(from, &r->to)) {
		log_mod(&log_dnr, LOG_LOW, "answer for id %u from %s, a server "
		    "not asked, dropped", id, txt);
		return;
	}
	if (dnr_msg_check(buf, n, id, r->name, r->type, &info) < 0) {
		log_mod(&log_dnr, LOG_LOW, "answer for id %u from %s does not "
		    "answer %s %s, dropped", id, txt, r->name,
		    type_name(r->type, tb, sizeof(tb)));
		return;
	}
	r->a.rcode = info.rcode;
	if (dnr_msg_retry(&info) && r->attempts <= dnr.retries &&
	    dnr.nservers > 1) {
		log_mod(&log_dnr, LOG_LOW, "%s %s: rcode %u from %s, asking "
		    "the next server", r->name, type_name(r->type, tb,
		    sizeof(tb)), info.rcode, txt);
		unlink_req(&dnr.inflight, r);
		send_attempt(r);
		return;
	}
	memcpy(r->a.ans, buf, n);
	r->a.len = n;
	r->a.ad = info.ad;
	r->tc = info.tc;
	if (!info.tc)
		dnr_cache_put(dnr.cache, r->name, r->type, dnr_msg_status(&info),
		    buf, n, info.ad, info.ttl, time(NULL));
	finish(r, dnr_msg_status(&info));
}

static void
receive(int fd)
{
	unsigned char buf[DNR_RAW_MAX];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	unsigned i;

	for (i = 0; i < DNR_INFLIGHT_MAX; i++) {
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf)) {
			log_mod(&log_dnr, LOG_LOW, "answer of %zd bytes "
			    "dropped: more than %d", n, DNR_RAW_MAX);
			continue;
		}
		handle_answer(buf, (size_t)n, &from);
	}
}

static void *
dnr_thread(void *arg)
{
	struct pollfd pfd[3];
	struct req *r;
	uint64_t v;
	int ms;

	(void)arg;
	for (;;) {
		refresh_settings();
		pthread_mutex_lock(&dnr.mu);
		if (!dnr.running)
			break;
		while ((r = dnr.pending) != NULL) {
			dnr.pending = r->next;
			r->next = NULL;
			send_attempt(r);
		}
		expire();
		ms = poll_ms();
		pfd[0].fd = dnr.evfd;
		pfd[1].fd = dnr.fd4;
		pfd[2].fd = dnr.fd6;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		pthread_mutex_unlock(&dnr.mu);
		if (poll(pfd, 3, ms) <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			if (read(dnr.evfd, &v, sizeof(v)) < 0) {
				/* Nothing to read: another wake took it. */
			}
		pthread_mutex_lock(&dnr.mu);
		if (pfd[1].revents & POLLIN)
			receive(dnr.fd4);
		if (pfd[2].revents & POLLIN)
			receive(dnr.fd6);
		pthread_mutex_unlock(&dnr.mu);
	}
	while (dnr.pending != NULL)
		finish(dnr.pending, DNR_TEMPFAIL);
	while (dnr.inflight != NULL)
		finish(dnr.inflight, DNR_TEMPFAIL);
	pthread_mutex_unlock(&dnr.mu);
	return NULL;
}

static void
wake(void)
{
	uint64_t one = 1;

	if (write(dnr.evfd, &one, sizeof(one)) < 0) {
		/* The counter is full: the thread wakes anyway. */
	}
}

/* ---- start and stop ----------------------------------------------------- */

int
dnr_start(struct server *srv, struct error *err_r)
{
	int rc;

	log_register(&log_dnr);
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
		return error_set(err_r, ERR_INTERNAL, "c-ares: %s",
		    ares_strerror(rc));
	if ((dnr.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return error_set(err_r, ERR_IO, "DNR eventfd: %s",
		    strerror(errno));
	dnr.srv = srv;
	dnr.cache = dnr_cache_new(DNR_CACHE_MAX);
	refresh_settings();
	pthread_mutex_lock(&dnr.mu);
	if (dnr.fd4 == -1 && dnr.fd6 == -1)
		(void)family_socket(AF_INET);
	dnr.running = true;
	pthread_mutex_unlock(&dnr.mu);
	if ((rc = pthread_create(&dnr.th, NULL, dnr_thread, NULL)) != 0) {
		dnr.running = false;
		dnr_stop();
		return error_set(err_r, ERR_INTERNAL, "DNR thread: %s",
		    strerror(rc));
	}
	return 0;
}

void
dnr_stop(void)
{
	bool joined;

	pthread_mutex_lock(&dnr.mu);
	joined = dnr.running;
	dnr.running = false;
	pthread_cond_broadcast(&dnr.slot_cv);
	pthread_mutex_unlock(&dnr.mu);
	if (joined) {
		wake();
		pthread_join(dnr.th, NULL);
	}
	pthread_mutex_lock(&dnr.mu);
	/* Callers waiting for a slot leave; the ones in flight are done. */
	while (dnr.nactive > 0)
		pthread_cond_wait(&dnr.slot_cv, &dnr.mu);
	if (dnr.fd4 != -1)
		close(dnr.fd4);
	if (dnr.fd6 != -1)
		close(dnr.fd6);
	if (dnr.evfd != -1)
		close(dnr.evfd);
	dnr.fd4 = dnr.fd6 = dnr.evfd = -1;
	dnr_cache_free(&dnr.cache);
	settings_snap_unref(&dnr.snap);
	dnr.nservers = 0;
	pthread_mutex_unlock(&dnr.mu);
	if (joined)
		ares_library_cleanup();
}

/* ---- TCP (the calling thread) ------------------------------------------- */

static int
wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0 || poll(&p, 1, (int)ms) != 1)
		return -1;
	return 0;
}

static int
io_all(int fd, unsigned char *b, size_t n, bool wr,
    const struct timespec *deadline)
{
	ssize_t k;
	size_t done = 0;

	while (done < n) {
		if (wait_fd(fd, wr ? POLLOUT : POLLIN, deadline) < 0)
			return -1;
		k = wr ? send(fd, b + done, n - done, MSG_NOSIGNAL) :
		    recv(fd, b + done, n - done, 0);
		if (k <= 0) {
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

/* The question of r asked again over TCP to the server whose UDP answer
 * was truncated; r's answer is replaced, or r->a.st is DNR_TEMPFAIL. */
static void
ask_tcp(struct req *r, unsigned timeout)
{
	unsigned char q[QUERY_MAX + 2], lenb[2];
	struct dnr_msg_info info;
	struct timespec deadline;
	size_t qlen, alen;
	uint16_t id;
	int fd, e = 0;
	socklen_t el = sizeof(e);

	r->a.st = DNR_TEMPFAIL;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return;
	if ((qlen = dnr_msg_query(r->name, r->type, id, q + 2,
	    sizeof(q) - 2)) == 0)
		return;
	q[0] = (unsigned char)(qlen >> 8);
	q[1] = (unsigned char)qlen;
	now_plus(&deadline, timeout);
	fd = socket(r->to.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if ((connect(fd, (struct sockaddr *)&r->to, r->tolen) == -1 &&
	    errno != EINPROGRESS) || wait_fd(fd, POLLOUT, &deadline) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1 || e != 0 ||
	    io_all(fd, q, qlen + 2, true, &deadline) < 0 ||
	    io_all(fd, lenb, 2, false, &deadline) < 0)
		goto out;
	alen = (size_t)lenb[0] << 8 | lenb[1];
	if (alen > sizeof(r->a.ans) || io_all(fd, r->a.ans, alen, false,
	    &deadline) < 0 || dnr_msg_check(r->a.ans, alen, id, r->name,
	    r->type, &info) < 0 || info.tc)
		goto out;
	r->a.len = alen;
	r->a.ad = info.ad;
	r->a.rcode = info.rcode;
	r->a.st = dnr_msg_status(&info);
	pthread_mutex_lock(&dnr.mu);
	if (dnr.cache != NULL)
		dnr_cache_put(dnr.cache, r->name, r->type, r->a.st, r->a.ans, alen,
		    info.ad, info.ttl, time(NULL));
	pthread_mutex_unlock(&dnr.mu);
out:
	close(fd);
}

/* ---- lookups ------------------------------------------------------------ */

enum dnr_status
dnr_query(const char *name, int type, struct dnr_answer **a_r,
    struct error *err_r)
{
	struct log_session ls;
	struct req *r = xcalloc(1, sizeof(*r)), *leader;
	char tb[16];
	const char *tn;
	unsigned timeout = 0;
	bool cached = false;

	*a_r = &r->a;
	tn = type_name(type, tb, sizeof(tb));
	if (dnr_name_norm(name, r->name) < 0) {
		r->a.st = DNR_ERROR;
		error_set(err_r, ERR_SYNTAX, "%s:bad host name", tn);
		return DNR_ERROR;
	}
	log_session_init(&ls, &log_dnr, r->name);
	r->type = type;
	pthread_cond_init(&r->cv, NULL);
	pthread_mutex_lock(&dnr.mu);
	if (dnr.running && dnr_cache_get(dnr.cache, r->name, type, time(NULL),
	    &r->a.st, r->a.ans, sizeof(r->a.ans), &r->a.len, &r->a.ad)) {
		cached = true;
		r->done = true;
	}
	if (!r->done && dnr.running && (leader = same_question(r)) != NULL) {
		/* One query for the same question at once (an RBL lookup of
		 * one client from many sessions). */
		r->next = leader->followers;
		leader->followers = r;
		while (!r->done)
			pthread_cond_wait(&r->cv, &dnr.mu);
		timeout = dnr.timeout;
	}
	if (!r->done && dnr.running && dnr.nactive >= DNR_INFLIGHT_MAX)
		/* The bound is seen: the caller waits, bounded by the
		 * time-outs of the requests ahead of it. */
		log_ses(&ls, LOG_PROBLEM, "%d requests in flight: waiting for "
		    "a slot", DNR_INFLIGHT_MAX);
	while (!r->done && dnr.running && dnr.nactive >= DNR_INFLIGHT_MAX)
		pthread_cond_wait(&dnr.slot_cv, &dnr.mu);
	if (!r->done && dnr.running) {
		dnr.nactive++;
		r->next = dnr.pending;
		dnr.pending = r;
		wake();
		while (!r->done)
			pthread_cond_wait(&r->cv, &dnr.mu);
		dnr.nactive--;
		pthread_cond_broadcast(&dnr.slot_cv);
		timeout = dnr.timeout;
	} else if (!r->done)
		r->a.st = DNR_TEMPFAIL;
	pthread_mutex_unlock(&dnr.mu);
	pthread_cond_destroy(&r->cv);
	if (r->tc && r->a.st != DNR_ERROR) {
		log_ses(&ls, LOG_LOW, "%s:answer truncated, asking over TCP",
		    tn);
		ask_tcp(r, timeout);
	}
	switch (r->a.st) {
	case DNR_OK:
		log_ses(&ls, LOG_ALL, "%s:found%s", tn, cached ?
		    " (cached)" : "");
		return DNR_OK;
	case DNR_NOTFOUND:
		log_ses(&ls, LOG_PROBLEM, "%s:host name is unknown", tn);
		error_set(err_r, ERR_NOTFOUND, "%s:host name is unknown", tn);
		return DNR_NOTFOUND;
	case DNR_NODATA:
		log_ses(&ls, LOG_LOW, "%s:no such records", tn);
		error_set(err_r, ERR_NOTFOUND, "%s:no such records", tn);
		return DNR_NODATA;
	case DNR_TEMPFAIL:
		log_ses(&ls, LOG_PROBLEM, "%s:%s", tn, r->a.rcode == 2 ?
		    "server failure" : "no response");
		error_set(err_r, ERR_TEMP, "%s:%s", tn, r->a.rcode == 2 ?
		    "server failure" : "no response");
		return DNR_TEMPFAIL;
	default:
		log_ses(&ls, LOG_PROBLEM, "%s:DNS error (rcode %u)", tn,
		    r->a.rcode);
		error_set(err_r, ERR_INTERNAL, "%s:DNS error (rcode %u)", tn,
		    r->a.rcode);
		return DNR_ERROR;
	}
}

void
dnr_answer_free(struct dnr_answer **ap)
{
	struct dnr_answer *a = *ap;

	*ap = NULL;
	/* The answer is the first member of its request. */
	free((struct req *)(void *)a);
}
