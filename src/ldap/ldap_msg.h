/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_msg.h: LDAPv3 messages (RFC 4511) in and out, through liblber.
 * Decoding is pure (bytes in, a struct or an error out; no I/O, logging
 * or globals) and bounded: a message is at most LDAP_PDU_MAX bytes (the
 * frame check refuses a longer length before any byte of the body is
 * read), a filter at most LDAP_FILTER_DEPTH_MAX deep and
 * LDAP_FILTER_ITEMS_MAX items, a search at most LDAP_ATTRS_MAX attributes,
 * a request at most LDAP_CONTROLS_MAX controls.  Fuzzed by fuzz/ldap_msg.c.
 */
#ifndef TEGAMI_LDAP_LDAP_MSG_H
#define TEGAMI_LDAP_LDAP_MSG_H

#include "lib/compat.h"

#include <stdint.h>

#include "lib/bounds.h"
#include "lib/error.h"

struct buf;
struct dir_entry;
struct dir_filter;

/* protocolOp tags (RFC 4511 4.2 ...) */
#define LDAP_OP_BIND		0x60
#define LDAP_OP_BIND_RES	0x61
#define LDAP_OP_UNBIND		0x42
#define LDAP_OP_SEARCH		0x63
#define LDAP_OP_SEARCH_ENTRY	0x64
#define LDAP_OP_SEARCH_DONE	0x65
#define LDAP_OP_MODIFY		0x66
#define LDAP_OP_MODIFY_RES	0x67
#define LDAP_OP_ADD		0x68
#define LDAP_OP_ADD_RES		0x69
#define LDAP_OP_DELETE		0x4a
#define LDAP_OP_DELETE_RES	0x6b
#define LDAP_OP_MODDN		0x6c
#define LDAP_OP_MODDN_RES	0x6d
#define LDAP_OP_COMPARE		0x6e
#define LDAP_OP_COMPARE_RES	0x6f
#define LDAP_OP_ABANDON		0x50
#define LDAP_OP_EXTENDED	0x77
#define LDAP_OP_EXTENDED_RES	0x78

/* resultCode (RFC 4511 4.1.9) */
enum ldap_rc {
	LDAP_RC_SUCCESS = 0, LDAP_RC_OPERATIONS_ERROR = 1,
	LDAP_RC_PROTOCOL_ERROR = 2, LDAP_RC_TIMELIMIT = 3,
	LDAP_RC_SIZELIMIT = 4, LDAP_RC_COMPARE_FALSE = 5,
	LDAP_RC_COMPARE_TRUE = 6, LDAP_RC_AUTH_METHOD = 7,
	LDAP_RC_ADMINLIMIT = 11, LDAP_RC_UNAVAILABLE_CRITICAL = 12,
	LDAP_RC_CONFIDENTIALITY = 13, LDAP_RC_NO_SUCH_ATTRIBUTE = 16,
	LDAP_RC_NO_SUCH_OBJECT = 32, LDAP_RC_INVALID_DN = 34,
	LDAP_RC_INAPPROPRIATE_AUTH = 48, LDAP_RC_INVALID_CREDENTIALS = 49,
	LDAP_RC_INSUFFICIENT_ACCESS = 50, LDAP_RC_BUSY = 51,
	LDAP_RC_UNAVAILABLE = 52, LDAP_RC_UNWILLING = 53,
	LDAP_RC_NAMING_VIOLATION = 64, LDAP_RC_NOT_ALLOWED_ON_NONLEAF = 66,
	LDAP_RC_ALREADY_EXISTS = 68, LDAP_RC_OTHER = 80
};

#define LDAP_OID_PAGED		"1.2.840.113556.1.4.319"
#define LDAP_OID_STARTTLS	"1.3.6.1.4.1.1466.20037"
#define LDAP_OID_WHOAMI		"1.3.6.1.4.1.4203.1.11.3"
#define LDAP_OID_PASSWD		"1.3.6.1.4.1.4203.1.11.1"
#define LDAP_OID_NOTICE		"1.3.6.1.4.1.1466.20036"	/* of disconnection */
#define LDAP_OID_SORT		"1.2.840.113556.1.4.473"	/* RFC 2891 */
#define LDAP_OID_SORT_RES	"1.2.840.113556.1.4.474"
#define LDAP_OID_VLV		"2.16.840.1.113730.3.4.9"	/* virtual list view */
#define LDAP_OID_VLV_RES	"2.16.840.1.113730.3.4.10"

#define LDAP_RC_SORT_MISSING	60	/* VLV without sort (draft-ietf-ldapext-ldapv3-vlv) */
#define LDAP_RC_OFFSET_RANGE	61

struct ldap_control {
	char	*oid;
	bool	 critical;
	char	*value;			/* may hold NULs */
	size_t	 vlen;
	bool	 has_value;
};

enum ldap_mod_op { LDAP_MOD_ADD_ = 0, LDAP_MOD_DELETE_ = 1,
		   LDAP_MOD_REPLACE_ = 2 };
struct ldap_mod {
	enum ldap_mod_op	 op;
	char			*attr;
	char			**vals;
	size_t			 nvals;
};

struct ldap_req {
	int			 msgid;
	unsigned		 op;		/* LDAP_OP_* */
	/* bind */
	int			 version;
	bool			 sasl;
	char			*mech;		/* SASL mechanism */
	/* bind, search (base), compare, delete, modify, add, moddn */
	char			*dn;
	char			*password;	/* simple bind; SASL credentials */
	size_t			 pwlen;
	/* search */
	int			 scope, deref, sizelimit, timelimit;
	bool			 typesonly;
	struct dir_filter	*filter;
	char			**attrs;
	size_t			 nattrs;
	/* compare (attr, value) */
	char			*attr, *value;
	/* modify */
	struct ldap_mod		*mods;
	size_t			 nmods;
	/* add */
	struct dir_entry	*entry;
	/* moddn */
	char			*newrdn, *newsuperior;
	bool			 deleteoldrdn;
	/* abandon */
	int			 abandon_id;
	/* extended: oid in dn's place, value in password's */
	char			*oid;
	/* controls */
	struct ldap_control	 controls[LDAP_CONTROLS_MAX];
	size_t			 ncontrols;
};

/*
 * The frame of the message at the start of p (len bytes so far): 1 with
 * *total_r its whole size (tag, length and body) once the header is in,
 * 0 when more header bytes are needed, -1 with err_r when it cannot be an
 * LDAPMessage (not a SEQUENCE, an indefinite or over-long length) or it
 * is longer than LDAP_PDU_MAX (ERR_LIMIT).
 */
int	ldap_frame(const unsigned char *p, size_t len, size_t *total_r,
	    struct error *err_r);

/*
 * Decodes one whole message.  0, or -1 with err_r: ERR_SYNTAX (malformed;
 * r->msgid and r->op are set when they could be read, else 0), ERR_LIMIT
 * (a bound above; msgid and op set).  r must be zeroed; clear it with
 * ldap_req_clear() either way.
 */
int	ldap_msg_decode(const void *p, size_t len, struct ldap_req *r,
	    struct error *err_r);
void	ldap_req_clear(struct ldap_req *r);

/* A server-side sort key (RFC 2891). */
struct ldap_sort_key {
	char	attr[128];
	bool	reverse;
};
/* A virtual list view request. */
struct ldap_vlv {
	int	before, after;
	bool	by_value;		/* greaterThanOrEqual */
	int	offset, count;		/* byOffset */
	char	value[256];		/* greaterThanOrEqual's assertion */
	/* contextID (draft-ietf-ldapext-ldapv3-vlv-09 6.1): what the
	 * server returned last time, to go on in the same list */
	char	context[LDAP_VLV_CONTEXT_MAX];
	size_t	context_len;
	bool	has_context;
};
/* Decodes a sort control value: at most max keys (ERR_LIMIT past it).
 * 0, or -1 with ERR_SYNTAX. */
int	ldap_dec_sort_value(const void *p, size_t len,
	    struct ldap_sort_key *keys, size_t max, size_t *n_r,
	    struct error *err_r);
int	ldap_dec_vlv_value(const void *p, size_t len, struct ldap_vlv *v,
	    struct error *err_r);
/* The response control values: { sortResult } and { targetPosition,
 * contentCount, virtualListViewResult }. */
void	ldap_enc_sort_res(struct buf *out, int rc);
void	ldap_enc_vlv_res(struct buf *out, int pos, int count, int rc);
/* The same with a contextID (ctx, len bytes; NULL: none). */
void	ldap_enc_vlv_res_ctx(struct buf *out, int pos, int count, int rc,
	    const void *ctx, size_t len);

/* ---- encoding (append one whole LDAPMessage to out) -------------------- */

/* One control of a response. */
struct ldap_ctrl_out {
	const char	*oid;
	const void	*value;
	size_t		 vlen;
};

/* An LDAPResult-shaped response (op is a *_RES tag, SEARCH_DONE ...).
 * ctrl_oid/ctrl_value: one response control, or NULL. */
void	ldap_enc_result(struct buf *out, int msgid, unsigned op, int rc,
	    const char *matched, const char *diag, const char *ctrl_oid,
	    const void *ctrl_value, size_t ctrl_vlen);
/* The same with n response controls. */
void	ldap_enc_result_ctrls(struct buf *out, int msgid, unsigned op, int rc,
	    const char *matched, const char *diag,
	    const struct ldap_ctrl_out *ctrls, size_t n);
/* ExtendedResponse with optional responseName and responseValue. */
void	ldap_enc_extended(struct buf *out, int msgid, int rc,
	    const char *diag, const char *name, const void *value,
	    size_t vlen);
/* SearchResultEntry; attributes in order of first appearance.  want(name,
 * arg) picks the attributes (NULL: all); typesonly sends no values. */
void	ldap_enc_entry(struct buf *out, int msgid, const char *dn,
	    const struct dir_entry *e, bool (*want)(const char *name,
	    void *arg), void *arg, bool typesonly);
/* The paged-results control value { size, cookie } (RFC 2696). */
void	ldap_enc_paged_value(struct buf *out, int size, const void *cookie,
	    size_t clen);
/* Decodes a paged-results control value: 0, or -1 (ERR_SYNTAX). */
int	ldap_dec_paged_value(const void *p, size_t len, int *size_r,
	    char *cookie, size_t csize, size_t *clen_r, struct error *err_r);
/* Decodes a Password Modify request value (RFC 3062): each output is
 * allocated or NULL; on -1 (ERR_SYNTAX) all three are NULL. */
int	ldap_dec_passwd_value(const void *p, size_t len, char **user_r,
	    char **old_r, char **new_r, struct error *err_r);

#endif
