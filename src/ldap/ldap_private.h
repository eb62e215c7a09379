/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_private.h: the LDAP module's session and settings, shared by its
 * files (ldap_session.c: the loop, binds and extended operations;
 * ldap_search.c: search and compare; ldap_write.c: add, delete, modify,
 * modify DN).  Nothing outside src/ldap/ includes it.
 */
#ifndef TEGAMI_LDAP_LDAP_PRIVATE_H
#define TEGAMI_LDAP_LDAP_PRIVATE_H

#include "lib/compat.h"

#include <stdint.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"

struct conn;
struct ldap_req;
struct server;
struct settings_snap;

struct ldap_conf {
	bool		 allow_anonymous;
	uint64_t	 size_limit;
	uint64_t	 time_limit;
	uint64_t	 hibernate_after;	/* HibernateAfter, s; 0 = never */
};

struct ldap_vlv_list;

struct ldap_pending {
	unsigned char	*p;
	size_t		 len;
};

struct ldap_session {
	struct server		*srv;
	struct conn		*conn;
	struct log_session	 log;
	struct settings_snap	*settings;
	const struct ldap_conf	*conf;
	struct buf		 out;		/* one response being built */
	bool			 bound;		/* a simple bind succeeded */
	bool			 master;	/* ... as a server administrator */
	char			 account[OBJECT_NAME_MAX + 1];
	char			 domain[DOMAIN_NAME_MAX + 1];
	char			 binddn[DIR_DN_MAX + 1];
	unsigned		 errors;
	bool			 quit;
	bool			 first;		/* no request read yet */
	int64_t			 hibernate_ms;	/* 0: never park */
	struct ldap_pending	 pend[LDAP_PENDING_MAX];
	size_t			 npend;
	struct ldap_vlv_list	*vlv;		/* the last sorted VLV list */
};

extern struct log_module log_ldap;

/* Sends s->out (one or more whole messages) and empties it. */
void	ldap_send(struct ldap_session *s);
/* Appends and sends an LDAPResult response. */
void	ldap_reply(struct ldap_session *s, const struct ldap_req *r, int rc,
	    const char *matched, const char *diag);
/* The response tag for a request op. */
unsigned	ldap_result_op(unsigned op);
/* During a long operation: reads a request that has arrived; true when
 * it abandons msgid (or the client unbound: then s->quit). */
bool	ldap_abandoned(struct ldap_session *s, int msgid);

/* ldap_search.c */
void	ldap_do_search(struct ldap_session *s, struct ldap_req *r);
void	ldap_do_compare(struct ldap_session *s, struct ldap_req *r);
/* Frees the session's VLV list (at the session's end). */
void	ldap_vlv_free(struct ldap_vlv_list **lp);
/* The nearest existing record above ndn ("" when none), for matchedDN. */
void	ldap_matched(struct ldap_session *s, const char *ndn, char *buf,
	    size_t size);

/* ldap_write.c */
void	ldap_do_add(struct ldap_session *s, struct ldap_req *r);
void	ldap_do_delete(struct ldap_session *s, struct ldap_req *r);
void	ldap_do_modify(struct ldap_session *s, struct ldap_req *r);
void	ldap_do_moddn(struct ldap_session *s, struct ldap_req *r);
/* "uid=name,cn=domain" (any case and blanks) -> name and domain; false
 * for any other DN. */
bool	ldap_account_dn(const char *dn, char *name, size_t nsize,
	    char *domain, size_t dsize);

#endif
