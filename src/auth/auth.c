/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c: logins for every module (see auth.h): protection, the temporary
 * blacklist, the login domain from the local address, the Router in the
 * Access context, password checks (clear text, CRAM-MD5, APOP) and
 * failed-login flow control over the records of auth_flow.c.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/stats.h"
#include "objects/objects.h"
#include "router/router.h"
#include "core/server.h"
#include "auth/auth.h"
#include "auth/auth_private.h"

#define FLOW_DEFAULT_N		10	/* FailedLoginFlow = (10, 1m) */
#define FLOW_DEFAULT_PERIOD	60

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The account's FailedLoginFlow = (N, period) through the one settings
 * parser (lib/settings.h): n_r and period_r (seconds) keep their defaults
 * where the value is missing or bad (logged once per login as a problem);
 * N is capped by AUTH_FLOW_RING, N 0 keeps the default (an account cannot
 * turn the check off). */
static void
flow_pair(const struct dval *flow, unsigned *n_r, uint32_t *period_r)
{
	struct setting_rate rt;
	struct error e;

	if (flow == NULL)
		return;
	if (settings_parse_rate(flow, &rt, &e) < 0) {
		log_mod(&log_system, LOG_PROBLEM, "FailedLoginFlow: %s; the "
		    "default (%d, %ds) is used", e.msg, FLOW_DEFAULT_N,
		    FLOW_DEFAULT_PERIOD);
		return;
	}
	if (rt.n > 0)
		*n_r = rt.n > AUTH_FLOW_RING ? AUTH_FLOW_RING : (unsigned)rt.n;
	*period_r = (uint32_t)rt.secs;
}

/* FailedLoginFlow of the account (effective), else (10, 1m).  N is capped
 * by AUTH_FLOW_RING. */
static void
flow_settings(struct server *srv, const struct auth_result *res,
    unsigned *limit_r, uint32_t *period_r)
{
	struct dval *eff = NULL;

	*limit_r = FLOW_DEFAULT_N;
	*period_r = FLOW_DEFAULT_PERIOD;
	if (res != NULL && res->account[0] != '\0')
		eff = objects_account_effective_get(srv->objects, res->account,
		    res->domain, NULL);
	if (eff != NULL)
		flow_pair(dict_get(eff, "FailedLoginFlow"), limit_r, period_r);
	dict_free(&eff);
}

/* The Protection settings a login needs, read once per login. */
struct prot_conf {
	bool		 reject_non_client;	/* RejectNonClientLogins */
	unsigned	 bl_limit;		/* TempBlacklistFailedLogins */
	uint32_t	 bl_period;
	uint32_t	 bl_time;		/* TempBlacklistTime */
};

/* The Protection settings snapshot (auth_settings.c) with a reference. */
static struct settings_snap *
prot_snap(struct server *srv)
{
	return objects_settings_get(srv->objects, "Protection",
	    &auth_settings_table);
}

static void
prot_load(struct server *srv, struct prot_conf *pc)
{
	struct settings_snap *snap = prot_snap(srv);
	const struct auth_conf *c = settings_snap_conf(snap);

	pc->reject_non_client = c->reject_non_client;
	pc->bl_time = (uint32_t)c->bl_time;
	pc->bl_limit = (unsigned)c->bl_rate.n;
	pc->bl_period = (uint32_t)c->bl_rate.secs;
	settings_snap_unref(&snap);
}

unsigned
auth_tempbl_default_time(struct server *srv)
{
	struct settings_snap *snap = prot_snap(srv);
	unsigned t = (unsigned)((const struct auth_conf *)
	    settings_snap_conf(snap))->bl_time;

	settings_snap_unref(&snap);
	return t;
}

/* Writes a record of flow control or settings under the session's module (SYSTEM when
 * the caller has no session). */
#define flow_log(peer, lvl, ...) do {					\
	if ((peer)->log != NULL)					\
		log_ses((peer)->log, (lvl), __VA_ARGS__);		\
	else								\
		log_mod(&log_system, (lvl), __VA_ARGS__);		\
} while (0)

static bool
is_inet(const struct sockaddr *sa)
{
	return sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6);
}

/* 127.0.0.1 and ::1: the server machine itself (docs/behaviour.md, B5). */
static bool
is_server_itself(const struct sockaddr *sa)
{
	struct ipaddr a, one, six;

	if (!is_inet(sa))
		return true;		/* Unix socket: local */
	ipaddr_from_sa(sa, &a);
	(void)ipaddr_parse("127.0.0.1", &one);
	(void)ipaddr_parse("::1", &six);
	return memcmp(&a, &one, sizeof(a)) == 0 ||
	    memcmp(&a, &six, sizeof(a)) == 0;
}

bool
auth_tempbl_refuse(struct server *srv, const struct sockaddr *sa,
    unsigned *left_r)
{
	return !is_server_itself(sa) && auth_tempbl_check(sa, left_r) &&
	    !objects_iplist_match(srv->objects, OBJ_IPS_CLIENT, sa);
}

static int
check_peer(struct server *srv, const struct auth_peer *peer,
    const struct prot_conf *pc, struct error *err_r)
{
	if (!is_server_itself(peer->remote) &&
	    auth_tempbl_check(peer->remote, NULL))
		return error_set(err_r, ERR_LIMIT, AUTH_BLACKLISTED_ERROR);
	if (!pc->reject_non_client || is_server_itself(peer->remote) ||
	    objects_iplist_match(srv->objects, OBJ_IPS_CLIENT, peer->remote))
		return 0;
	return error_set(err_r, ERR_PERM, AUTH_DENIED_ERROR);
}

int
auth_check_peer(struct server *srv, const struct auth_peer *peer,
    struct error *err_r)
{
	struct prot_conf pc;

	prot_load(srv, &pc);
	return check_peer(srv, peer, &pc, err_r);
}

bool
auth_clear_text_ok(struct server *srv, const struct auth_peer *peer)
{
	struct settings_snap *snap;
	const struct auth_conf *c;
	bool ok;

	if (peer->tls || !is_inet(peer->remote))
		return true;
	snap = prot_snap(srv);
	c = settings_snap_conf(snap);
	ok = c->allow_clear || iplist_match_sa(c->clear_ips, peer->remote);
	settings_snap_unref(&snap);
	return ok;
}

static int
resolve(struct server *srv, const struct auth_peer *peer,
    const char *name, struct auth_result *res, struct error *err_r)
{
	struct route_result rr;
	char dom[DOMAIN_NAME_MAX + 1];
	const char *def = NULL;

	memset(res, 0, sizeof(*res));
	if (name == NULL || name[0] == '\0' || strlen(name) > ADDRESS_MAX)
		return error_set(err_r, ERR_AUTH, AUTH_GENERIC_ERROR);
	/* docs/behaviour.md, B10: a bare name takes the domain owning the local
	 * address. */
	if (strpbrk(name, "@%") == NULL) {
		if (is_inet(peer->local)) {
			if (objects_domain_for_local_ip(srv->objects, peer->local,
			    dom, sizeof(dom)) < 0)
				return error_set(err_r, ERR_PERM,
				    AUTH_UNASSIGNED_ERROR);
			def = dom;
		}
	}
	/* docs/behaviour.md, B1 and B2: the Router decides which account a
	 * login name opens. */
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

int
auth_resolve(struct server *srv, const struct auth_peer *peer,
    const char *name, struct auth_result *res, struct error *err_r)
{
	memset(res, 0, sizeof(*res));
	if (auth_check_peer(srv, peer, err_r) < 0)
		return -1;
	return resolve(srv, peer, name, res, err_r);
}

/* A failure from the address: counted, and past the Protection limit the
 * address is temporarily blacklisted (docs/admin-cli.md). */
static void
address_failed(struct server *srv, const struct auth_peer *peer,
    const struct prot_conf *pc, const struct ipaddr *ip, const char *iptext,
    unsigned *fails_r)
{
	struct error e;
	bool evicted = false;
	unsigned n;

	*fails_r = 0;
	if (is_server_itself(peer->remote) || pc->bl_limit == 0 ||
	    objects_iplist_match(srv->objects, OBJ_IPS_CLIENT, peer->remote))
		return;
	n = auth_flow_fail(NULL, ip, pc->bl_period, &evicted);
	*fails_r = n;
	if (evicted)
		flow_log(peer, LOG_PROBLEM, "failed-login table full (%u "
		    "addresses): the oldest record was dropped",
		    AUTH_FLOW_IPS_MAX);
	if (n < pc->bl_limit)
		return;
	if (auth_tempbl_add(ip, pc->bl_time, &e) < 0) {
		flow_log(peer, LOG_PROBLEM, "cannot blacklist %s: %s", iptext,
		    e.msg);
		return;
	}
	auth_flow_clear(NULL, ip);
	flow_log(peer, LOG_MAJOR, "%s temporarily blacklisted for %u s: %u "
	    "failed logins in %u s", iptext, (unsigned)pc->bl_time, n,
	    (unsigned)pc->bl_period);
}

/* Common tail of every login: flow control around a password check. */
typedef int	check_fn(struct server *, const struct auth_result *,
		    const void *, struct error *);

static int
login_common(struct server *srv, const struct auth_peer *peer,
    const char *name, check_fn *check, const void *arg,
    struct auth_result *res, struct error *err_r)
{
	struct prot_conf pc;
	struct ipaddr ip;
	char iptext[INET6_ADDRSTRLEN];
	struct error e;
	unsigned limit, pfails, ifails, delay_ms;
	uint32_t period;
	bool resolved, evicted = false;

	memset(res, 0, sizeof(*res));
	prot_load(srv, &pc);
	if (check_peer(srv, peer, &pc, err_r) < 0) {
		stats_add(STAT_LOGINS_FAILED, 1);
		return -1;
	}
	memset(&ip, 0, sizeof(ip));
	if (is_inet(peer->remote))
		ipaddr_from_sa(peer->remote, &ip);
	ipaddr_format(&ip, iptext, sizeof(iptext));
	resolved = resolve(srv, peer, name, res, &e) == 0;
	if (!resolved && e.kind == ERR_PERM) {
		if (err_r != NULL)
			*err_r = e;
		stats_add(STAT_LOGINS_FAILED, 1);
		return -1;
	}
	flow_settings(srv, resolved ? res : NULL, &limit, &period);
	/* This account from this address only: the same account from
	 * elsewhere is not affected. */
	pfails = resolved ? auth_flow_recent(res->address, &ip, period) : 0;
	if (pfails >= limit) {
		address_failed(srv, peer, &pc, &ip, iptext, &ifails);
		memset(res, 0, sizeof(*res));
		stats_add(STAT_LOGINS_FAILED, 1);
		return error_set(err_r, ERR_LIMIT, AUTH_FLOW_ERROR);
	}
	if (resolved && check(srv, res, arg, &e) == 0) {
		/* Not the address record: logging into an account of one's
		 * own must not wipe failures against others. */
		auth_flow_clear(res->address, &ip);
		/* Account info LastLogin / LastAddress (CLI GetAccountInfo). */
		objects_account_note_login(srv->objects, res->account,
		    res->domain, is_inet(peer->remote) ? iptext : "local");
		return 0;
	}
	if (resolved) {
		pfails = auth_flow_fail(res->address, &ip, period, &evicted);
		if (evicted)
			flow_log(peer, LOG_PROBLEM, "failed-login table full "
			    "(%u account/address pairs): the oldest record "
			    "was dropped", AUTH_FLOW_PAIRS_MAX);
	}
	address_failed(srv, peer, &pc, &ip, iptext, &ifails);
	/* A failure: slow the answer in proportion to the recent ones (the
	 * first, a typing error most likely, goes unslowed). */
	delay_ms = (pfails > ifails ? pfails : ifails);
	delay_ms = delay_ms > 0 ? (delay_ms - 1) * AUTH_FAIL_DELAY_MS : 0;
	if (delay_ms > AUTH_FAIL_DELAY_MAX_MS)
		delay_ms = AUTH_FAIL_DELAY_MAX_MS;
	if (delay_ms > 0)
		usleep(delay_ms * 1000);
	memset(res, 0, sizeof(*res));
	stats_add(STAT_LOGINS_FAILED, 1);
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
