/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_compat_parse.h: pure parsing for the CLI forms the vendor's CGP::CLI
 * module uses (docs/admin-cli.md): the PWD login lines `APOP user digest` and
 * `AUTH WEBUSER user password`, the arguments of `SetAccountPassword name
 * PASSWORD p [METHOD m] [CHECK]` (and the older `TO p` form) and of
 * `GetAccountInfo name [Key k | (k1, k2 ...)]`.  No I/O, no globals.
 */
#ifndef TEGAMI_CLI_CLI_COMPAT_PARSE_H
#define TEGAMI_CLI_CLI_COMPAT_PARSE_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"

struct cli_args;
struct dval;

#define CLI_APOP_DIGEST_LEN	32	/* hex MD5, as POP3 APOP (RFC 1939 7) */
#define CLI_METHOD_MAX		32	/* an access mode name after METHOD */

enum cli_login_kind {
	CLI_LOGIN_APOP,			/* APOP user md5hex(stamp + password) */
	CLI_LOGIN_WEBUSER		/* AUTH WEBUSER user password */
};

struct cli_login {
	enum cli_login_kind kind;
	char	user[ADDRESS_MAX + 1];
	/* APOP: the lower-cased hex digest; WEBUSER: the password.  The
	 * caller wipes it (explicit_bzero) after use. */
	char	secret[PASSWORD_MAX + 1];
};

/* True when line (without CR LF) is an APOP or AUTH line: the session
 * handles those before the command parser, and never logs their text. */
bool	cli_login_is_login_line(const char *line, size_t len);

/* Parses "APOP user digest" or "AUTH WEBUSER user password".  user is an
 * atom or a quoted string; digest is 32 hex digits; the WEBUSER password is
 * the rest of the line (a quoted string is unquoted, as for PASS).  0, or -1
 * with ERR_SYNTAX ("usage: ...", "unsupported AUTH method") or ERR_LIMIT.
 * On error l->secret holds nothing. */
int	cli_login_parse(const char *line, size_t len, struct cli_login *l,
	    struct error *err_r);

/* True when line is a NEWPASS line (handled before the command parser). */
bool	cli_newpass_is_line(const char *line, size_t len);
/* "NEWPASS password": the rest of the line (a quoted string is unquoted)
 * into buf (PASSWORD_MAX + 1 bytes at least).  0, or -1 with ERR_SYNTAX /
 * ERR_LIMIT. */
int	cli_newpass_parse(const char *line, size_t len, char *buf, size_t size,
	    struct error *err_r);

struct cli_setpw {
	const char	*account;	/* borrowed from the args */
	const char	*password;	/* borrowed from the args */
	char		 method[CLI_METHOD_MAX + 1];	/* "" when not given */
	bool		 check;		/* CHECK: apply the password policy */
};

/* SetAccountPassword name (PASSWORD|TO) password [METHOD mode] [CHECK]
 * (keywords in any case, METHOD and CHECK in any order).  0, or -1 with
 * ERR_SYNTAX. */
int	cli_setpw_parse(const struct cli_args *a, struct cli_setpw *r,
	    struct error *err_r);

struct cli_info_req {
	const char		*account;	/* borrowed; "*" = yourself */
	const char		*key;		/* Key k, or NULL */
	const struct dval	*keys;		/* (k1, ...) array, or NULL */
};

/* GetAccountInfo name [Key k | (k1, k2 ...)]: every array element must be
 * a string.  0, or -1 with ERR_SYNTAX. */
int	cli_info_parse(const struct cli_args *a, struct cli_info_req *r,
	    struct error *err_r);

#endif
