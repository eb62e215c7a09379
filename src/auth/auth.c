/*
 * auth.c: logins for every module (see auth.h): protection, the login domain
 * from the local address, the Router in the Access context, password checks
 * (clear text, CRAM-MD5, APOP) and failed-login flow control.
 *
 * Flow control keeps, per key ("a:account@domain" and "i:<client ip>"), the
 * times of the recent failures in a small ring; a key with more than N
 * failures inside the period is refused until the oldest one ages out.  The
 * table is bounded (AUTH_FLOW_KEYS); when full, the stalest entry is reused.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/dict.h"
#include "lib/iplist.h"
#include "objects/objects.h"
#include "router/router.h"
#include "server/server.h"
#include "auth/auth.h"

#define AUTH_FLOW_KEYS		4096	/* tracked accounts + addresses */
#define AUTH_FLOW_RING		64	/* failures remembered per key (max N) */
#define AUTH_FLOW_KEY_MAX	(ADDRESS_MAX + 3)

struct flow_entry {
	char		key[AUTH_FLOW_KEY_MAX];
	int64_t		fails[AUTH_FLOW_RING];	/* ms timestamps, ring */
	unsigned	head, count;
	int64_t		last;
};

static pthread_mutex_t flow_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flow_entry *flow_table;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The entry for key; with create, a new one in a free slot or, when the
 * table is full, in place of the entry unused for longest.  flow_lock held. */
static struct flow_entry *
flow_find(const char *key, bool create)
{
	struct flow_entry *free_slot = NULL, *oldest = NULL;
	size_t i;

	if (flow_table == NULL) {
		if (!create)
			return NULL;
		flow_table = calloc(AUTH_FLOW_KEYS, sizeof(*flow_table));
		if (flow_table == NULL)
			return NULL;
	}
	for (i = 0; i < AUTH_FLOW_KEYS; i++) {
		struct flow_entry *e = &flow_table[i];

		if (e->key[0] == '\0') {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (strcmp(e->key, key) == 0)
			return e;
		if (oldest == NULL || e->last < oldest->last)
			oldest = e;
	}
	if (!create)
		return NULL;
	if (free_slot == NULL)
		free_slot = oldest;
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
	return free_slot;
}

/* Failures of key within the last period_ms. */
static unsigned
flow_recent(const char *key, int64_t period_ms)
{
	struct flow_entry *e;
	int64_t now = now_ms();
	unsigned i, n = 0;

	pthread_mutex_lock(&flow_lock);
	e = flow_find(key, false);
	if (e != NULL)
		for (i = 0; i < e->count; i++)
			if (now - e->fails[(e->head + AUTH_FLOW_RING - 1 - i) %
			    AUTH_FLOW_RING] < period_ms)
				n++;
	pthread_mutex_unlock(&flow_lock);
	return n;
}

static void
flow_fail(const char *key)
{
	struct flow_entry *e;

	pthread_mutex_lock(&flow_lock);
	e = flow_find(key, true);
	if (e != NULL) {
		e->last = now_ms();
		e->fails[e->head] = e->last;
		e->head = (e->head + 1) % AUTH_FLOW_RING;
		if (e->count < AUTH_FLOW_RING)
			e->count++;
	}
	pthread_mutex_unlock(&flow_lock);
}

static void
flow_clear(const char *key)
{
	struct flow_entry *e;

	pthread_mutex_lock(&flow_lock);
	e = flow_find(key, false);
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&flow_lock);
}

/* "1m", "30s", "2h", "15" (seconds), "#15" -> milliseconds; -1 if bad. */
static int64_t
parse_period(const struct dval *v)
{
	const char *s;
	char *end;
	long n;

	if (v == NULL)
		return -1;
	if (dict_type(v) == DICT_NUMBER)
		return dict_number(v) * 1000;
	s = dict_str(v, NULL);
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	if (n < 0 || n > 100000)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return (int64_t)n * 1000;
	if (strcmp(end, "m") == 0)
		return (int64_t)n * 60000;
	if (strcmp(end, "h") == 0)
		return (int64_t)n * 3600000;
	return -1;
}

static long
parse_count(const struct dval *v)
{
	const char *s;
	char *end;
	long n;

	if (v == NULL)
		return -1;
	if (dict_type(v) == DICT_NUMBER)
		return (long)dict_number(v);
	s = dict_str(v, NULL);
	if (s == NULL)
		return -1;
	n = strtol(s, &end, 10);
	return *end == '\0' ? n : -1;
}

/* FailedLoginFlow of the account (effective), else the default (10, 1m).
 * The limit is capped by the ring size. */
static void
flow_settings(struct server *srv, const struct auth_result *res,
    unsigned *limit_r, int64_t *period_r)
{
	struct dval *eff = NULL, *flow;
	long n = 10;
	int64_t p = 60000;

	if (res != NULL && res->account[0] != '\0')
		eff = objects_account_effective_get(srv->objects, res->account,
		    res->domain, NULL);
	flow = eff != NULL ? dict_get(eff, "FailedLoginFlow") : NULL;
	if (flow != NULL && dict_type(flow) == DICT_ARRAY &&
	    dict_array_len(flow) == 2) {
		long cn = parse_count(dict_array_get(flow, 0));
		int64_t cp = parse_period(dict_array_get(flow, 1));

		if (cn > 0)
			n = cn;
		if (cp > 0)
			p = cp;
	}
	dict_free(&eff);
	if (n > AUTH_FLOW_RING)
		n = AUTH_FLOW_RING;
	*limit_r = (unsigned)n;
	*period_r = p;
}

static void
ip_text(const struct sockaddr *sa, char *buf, size_t size)
{
	struct ipaddr a;

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6)) {
		snprintf(buf, size, "local");
		return;
	}
	ipaddr_from_sa(sa, &a);
	ipaddr_format(&a, buf, size);
}

/* 127.0.0.1 and ::1: the server machine itself (B5). */
static bool
is_server_itself(const struct sockaddr *sa)
{
	char ip[64];

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return true;		/* Unix socket: local */
	ip_text(sa, ip, sizeof(ip));
	return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0;
}

static bool
setting_yes(const char *v)
{
	return v != NULL && (strcasecmp(v, "YES") == 0 ||
	    strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

int
auth_check_peer(struct server *srv, const struct auth_peer *peer,
    struct error *err_r)
{
	struct dval *prot;
	bool reject;

	prot = objects_protection_get(srv->objects);
	reject = prot != NULL &&
	    setting_yes(dict_get_str(prot, "RejectNonClientLogins"));
	dict_free(&prot);
	if (!reject || is_server_itself(peer->remote) ||
	    objects_iplist_match(srv->objects, OBJ_IPS_CLIENT, peer->remote))
		return 0;
	return error_set(err_r, ERR_PERM, AUTH_DENIED_ERROR);
}

int
auth_resolve(struct server *srv, const struct auth_peer *peer,
    const char *name, struct auth_result *res, struct error *err_r)
{
	struct route_result rr;
	char dom[DOMAIN_NAME_MAX + 1];
	const char *def = NULL;

	memset(res, 0, sizeof(*res));
	if (auth_check_peer(srv, peer, err_r) < 0)
		return -1;
	if (name == NULL || name[0] == '\0' || strlen(name) > ADDRESS_MAX)
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	/* B10: a bare name takes the domain owning the local address. */
	if (strpbrk(name, "@%") == NULL) {
		if (peer->local != NULL && (peer->local->sa_family == AF_INET ||
		    peer->local->sa_family == AF_INET6)) {
			if (objects_domain_for_local_ip(srv->objects, peer->local,
			    dom, sizeof(dom)) < 0)
				return error_set(err_r, ERR_PERM,
				    AUTH_UNASSIGNED_ERROR);
			def = dom;
		}
	}
	/* B1/B2: the Router decides which account a login name opens. */
	if (router_route(srv->router, name, ROUTE_ACCESS, def, &rr, NULL) < 0 ||
	    rr.module != ROUTE_LOCAL || rr.account[0] == '\0')
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	if (objects_account_find(srv->objects, rr.account, rr.domain,
	    res->account, sizeof(res->account), res->domain,
	    sizeof(res->domain), NULL) < 0)
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	if ((size_t)snprintf(res->address, sizeof(res->address), "%s@%s",
	    res->account, res->domain) >= sizeof(res->address))
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	res->master = objects_account_has_master(srv->objects, res->account,
	    res->domain);
	return 0;
}

/* Common tail of every login: flow control around a password check. */
typedef int	check_fn(struct server *, const struct auth_result *,
		    const void *, struct error *);

static int
login_common(struct server *srv, const struct auth_peer *peer,
    const char *name, check_fn *check, const void *arg,
    struct auth_result *res, struct error *err_r)
{
	char akey[AUTH_FLOW_KEY_MAX], ikey[AUTH_FLOW_KEY_MAX], ip[64];
	struct error e;
	unsigned limit, afails, ifails, delay_ms;
	int64_t period;
	bool resolved;

	if (auth_check_peer(srv, peer, err_r) < 0)
		return -1;
	ip_text(peer->remote, ip, sizeof(ip));
	snprintf(ikey, sizeof(ikey), "i:%s", ip);
	resolved = auth_resolve(srv, peer, name, res, &e) == 0;
	if (!resolved && e.kind == ERR_PERM) {
		if (err_r != NULL)
			*err_r = e;
		return -1;
	}
	snprintf(akey, sizeof(akey), "a:%s", resolved ? res->address : "");
	flow_settings(srv, resolved ? res : NULL, &limit, &period);
	afails = resolved ? flow_recent(akey, period) : 0;
	ifails = is_server_itself(peer->remote) ? 0 : flow_recent(ikey, period);
	if (afails >= limit || ifails >= limit) {
		flow_fail(ikey);
		return error_set(err_r, ERR_LIMIT, AUTH_FLOW_ERROR);
	}
	if (resolved && check(srv, res, arg, &e) == 0) {
		flow_clear(akey);
		/* Account info LastLogin / LastAddress (CLI GetAccountInfo). */
		objects_account_note_login(srv->objects, res->account,
		    res->domain, ip);
		return 0;
	}
	/* A failure: slow down the next answer in proportion. */
	if (resolved)
		flow_fail(akey);
	if (!is_server_itself(peer->remote))
		flow_fail(ikey);
	delay_ms = (afails > ifails ? afails : ifails) * AUTH_FAIL_DELAY_MS;
	if (delay_ms > AUTH_FAIL_DELAY_MAX_MS)
		delay_ms = AUTH_FAIL_DELAY_MAX_MS;
	if (delay_ms > 0)
		usleep(delay_ms * 1000);
	memset(res, 0, sizeof(*res));
	return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
}

static int
check_clear(struct server *srv, const struct auth_result *res,
    const void *arg, struct error *err_r)
{
	return objects_check_password(srv->objects, res->account, res->domain,
	    arg, err_r);
}

int
auth_login(struct server *srv, const struct auth_peer *peer,
    const char *name, const char *password, struct auth_result *res,
    struct error *err_r)
{
	if (password == NULL || strlen(password) > PASSWORD_MAX) {
		memset(res, 0, sizeof(*res));
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	}
	return login_common(srv, peer, name, check_clear, password, res,
	    err_r);
}

static void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

struct digest_arg {
	const char	*challenge;
	const char	*response;
	bool		 apop;
};

/* Compares the client's hex digest with ours, in constant time. */
static int
check_digest(struct server *srv, const struct auth_result *res,
    const void *varg, struct error *err_r)
{
	const struct digest_arg *a = varg;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char pw[PASSWORD_MAX + 1], hex[2 * EVP_MAX_MD_SIZE + 1];
	int ok;

	if (objects_get_clear_password(srv->objects, res->account, res->domain,
	    pw, sizeof(pw), err_r) < 0)
		return -1;
	if (a->apop) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
		    EVP_DigestUpdate(ctx, a->challenge, strlen(a->challenge)) &&
		    EVP_DigestUpdate(ctx, pw, strlen(pw)) &&
		    EVP_DigestFinal_ex(ctx, md, &mdlen);
		EVP_MD_CTX_free(ctx);
	} else
		ok = HMAC(EVP_md5(), pw, (int)strlen(pw),
		    (const unsigned char *)a->challenge, strlen(a->challenge),
		    md, &mdlen) != NULL;
	explicit_bzero(pw, sizeof(pw));
	if (!ok)
		return error_set(err_r, ERR_INTERNAL, "digest failed");
	hex_encode(md, mdlen, hex);
	if (strlen(a->response) != strlen(hex) ||
	    CRYPTO_memcmp(hex, a->response, strlen(hex)) != 0)
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	return 0;
}

int
auth_login_cram_md5(struct server *srv, const struct auth_peer *peer,
    const char *name, const char *challenge, const char *response_hex,
    struct auth_result *res, struct error *err_r)
{
	struct digest_arg a = { challenge, response_hex, false };

	return login_common(srv, peer, name, check_digest, &a, res, err_r);
}

int
auth_login_apop(struct server *srv, const struct auth_peer *peer,
    const char *name, const char *timestamp, const char *digest_hex,
    struct auth_result *res, struct error *err_r)
{
	struct digest_arg a = { timestamp, digest_hex, true };

	return login_common(srv, peer, name, check_digest, &a, res, err_r);
}

bool
auth_offer_cram_md5(struct server *srv, const struct sockaddr *local)
{
	char dom[DOMAIN_NAME_MAX + 1];
	struct dval *eff, *m;
	bool offer = false;
	size_t i;

	if (local == NULL || objects_domain_for_local_ip(srv->objects, local,
	    dom, sizeof(dom)) < 0)
		objects_main_domain(srv->objects, dom, sizeof(dom));
	eff = objects_domain_effective_get(srv->objects, dom, NULL);
	m = eff != NULL ? dict_get(eff, "AUTHMethods") : NULL;
	if (m != NULL && dict_type(m) == DICT_ARRAY) {
		for (i = 0; i < dict_array_len(m); i++) {
			const char *s = dict_str(dict_array_get(m, i), NULL);

			if (s != NULL && strcasecmp(s, "CRAM-MD5") == 0)
				offer = true;
		}
	} else if (m != NULL && dict_str(m, NULL) != NULL &&
	    strcasecmp(dict_str(m, NULL), "CRAM-MD5") == 0)
		offer = true;
	dict_free(&eff);
	return offer;
}

void
auth_make_challenge(const char *host, char *buf, size_t size)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)now_ms() ^ (uint64_t)getpid();
	snprintf(buf, size, "<%llu.%lld@%s>",
	    (unsigned long long)(r % 10000000000ULL), (long long)time(NULL),
	    host);
}
