/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_compat_parse.c: the PWD login lines APOP and AUTH WEBUSER, NEWPASS,
 * and the argument forms of SetAccountPassword and GetAccountInfo (see
 * cli_compat_parse.h).
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/strv.h"
#include "cli/cli_args.h"
#include "cli/cli_compat_parse.h"

/* The next space-separated word of s from *pos (spaces skipped). */
static struct strv
next_word(struct strv s, size_t *pos)
{
	size_t b;

	while (*pos < s.len && s.p[*pos] == ' ')
		(*pos)++;
	b = *pos;
	while (*pos < s.len && s.p[*pos] != ' ')
		(*pos)++;
	return strv_make(s.p + b, *pos - b);
}

static bool
word_is(struct strv w, const char *kw)
{
	return w.len == strlen(kw) && strncasecmp(w.p, kw, w.len) == 0;
}

bool
cli_login_is_login_line(const char *line, size_t len)
{
	size_t pos = 0;
	struct strv w = next_word(strv_make(line, len), &pos);

	return word_is(w, "APOP") || word_is(w, "AUTH");
}

/* The user name at *pos: an atom or a quoted string (one data-format
 * string object), followed by a space or the end. */
static int
parse_user(struct strv s, size_t *pos, char *buf, size_t size,
    struct error *err_r)
{
	struct dval *v;
	const char *str;
	size_t used;
	int rc = -1;

	while (*pos < s.len && s.p[*pos] == ' ')
		(*pos)++;
	if (*pos >= s.len)
		return error_set(err_r, ERR_SYNTAX, "user name expected");
	v = dict_parse_prefix(s.p + *pos, s.len - *pos, &used, NULL);
	if (v == NULL || dict_type(v) != DICT_STRING ||
	    (*pos + used < s.len && s.p[*pos + used] != ' ') ||
	    (str = dict_str(v, NULL)) == NULL || str[0] == '\0')
		error_set(err_r, ERR_SYNTAX, "user name expected");
	else if (strlen(str) >= size)
		error_set(err_r, ERR_LIMIT, "user name too long");
	else {
		memcpy(buf, str, strlen(str) + 1);
		*pos += used;
		rc = 0;
	}
	dict_free(&v);
	return rc;
}

/* The rest of the line as a password: a quoted string is unquoted. */
static int
parse_rest_password(struct strv s, size_t pos, char *buf, size_t size,
    struct error *err_r)
{
	struct strv rest = strv_trim(strv_make(s.p + pos, s.len - pos));
	struct dval *v = NULL;
	size_t used = 0;
	int rc = 0;

	if (rest.len == 0)
		return error_set(err_r, ERR_SYNTAX, "password expected");
	if (rest.len > PASSWORD_MAX)
		return error_set(err_r, ERR_LIMIT, "password too long");
	if (memchr(rest.p, '\0', rest.len) != NULL)
		return error_set(err_r, ERR_SYNTAX, "NUL in the password");
	if (rest.p[0] == '"')
		v = dict_parse_prefix(rest.p, rest.len, &used, NULL);
	if (v != NULL && used == rest.len && dict_type(v) == DICT_STRING) {
		const char *str = dict_str(v, NULL);

		if (strlen(str) >= size)
			rc = error_set(err_r, ERR_LIMIT, "password too long");
		else
			memcpy(buf, str, strlen(str) + 1);
	} else {
		memcpy(buf, rest.p, rest.len);
		buf[rest.len] = '\0';
	}
	dict_free(&v);
	return rc;
}

int
cli_login_parse(const char *line, size_t len, struct cli_login *l,
    struct error *err_r)
{
	struct strv s = strv_make(line, len), w;
	size_t pos = 0, i;

	memset(l, 0, sizeof(*l));
	w = next_word(s, &pos);
	if (word_is(w, "APOP")) {
		l->kind = CLI_LOGIN_APOP;
		if (parse_user(s, &pos, l->user, sizeof(l->user), err_r) < 0)
			goto usage_apop;
		w = next_word(s, &pos);
		if (w.len != CLI_APOP_DIGEST_LEN ||
		    next_word(s, &pos).len != 0)
			goto usage_apop;
		for (i = 0; i < w.len; i++) {
			if (!isxdigit((unsigned char)w.p[i]))
				goto usage_apop;
			l->secret[i] = (char)tolower((unsigned char)w.p[i]);
		}
		l->secret[w.len] = '\0';
		return 0;
	}
	if (!word_is(w, "AUTH"))
		return error_set(err_r, ERR_SYNTAX, "not a login command");
	w = next_word(s, &pos);
	if (w.len == 0)
		return error_set(err_r, ERR_SYNTAX,
		    "usage: AUTH WEBUSER name password");
	if (!word_is(w, "WEBUSER"))
		return error_set(err_r, ERR_SYNTAX, "unsupported AUTH method");
	l->kind = CLI_LOGIN_WEBUSER;
	if (parse_user(s, &pos, l->user, sizeof(l->user), err_r) < 0 ||
	    parse_rest_password(s, pos, l->secret, sizeof(l->secret),
	    err_r) < 0) {
		explicit_bzero(l->secret, sizeof(l->secret));
		if (err_r != NULL && err_r->kind == ERR_LIMIT)
			return -1;
		return error_set(err_r, ERR_SYNTAX,
		    "usage: AUTH WEBUSER name password");
	}
	return 0;
usage_apop:
	explicit_bzero(l->secret, sizeof(l->secret));
	if (err_r != NULL && err_r->kind == ERR_LIMIT)
		return -1;
	return error_set(err_r, ERR_SYNTAX, "usage: APOP name digest");
}

bool
cli_newpass_is_line(const char *line, size_t len)
{
	size_t pos = 0;

	return word_is(next_word(strv_make(line, len), &pos), "NEWPASS");
}

int
cli_newpass_parse(const char *line, size_t len, char *buf, size_t size,
    struct error *err_r)
{
	struct strv s = strv_make(line, len);
	size_t pos = 0;

	buf[0] = '\0';
	if (!word_is(next_word(s, &pos), "NEWPASS"))
		return error_set(err_r, ERR_SYNTAX, "not a NEWPASS line");
	if (parse_rest_password(s, pos, buf, size, err_r) < 0) {
		explicit_bzero(buf, size);
		if (err_r != NULL && err_r->kind == ERR_LIMIT)
			return -1;
		return error_set(err_r, ERR_SYNTAX, "usage: NEWPASS password");
	}
	return 0;
}

int
cli_setpw_parse(const struct cli_args *a, struct cli_setpw *r,
    struct error *err_r)
{
	size_t i;
	bool method = false;

	memset(r, 0, sizeof(*r));
	if (a->argc < 3 || (r->account = cli_arg_str(a, 0)) == NULL ||
	    !(cli_arg_is(a, 1, "PASSWORD") || cli_arg_is(a, 1, "TO")) ||
	    (r->password = cli_arg_str(a, 2)) == NULL)
		goto usage;
	for (i = 3; i < a->argc; i++) {
		if (cli_arg_is(a, i, "CHECK") && !r->check)
			r->check = true;
		else if (cli_arg_is(a, i, "METHOD") && !method &&
		    i + 1 < a->argc && cli_arg_str(a, i + 1) != NULL &&
		    strlen(cli_arg_str(a, i + 1)) <= CLI_METHOD_MAX &&
		    cli_arg_str(a, i + 1)[0] != '\0') {
			method = true;
			snprintf(r->method, sizeof(r->method), "%s",
			    cli_arg_str(a, ++i));
		} else
			goto usage;
	}
	return 0;
usage:
	memset(r, 0, sizeof(*r));
	return error_set(err_r, ERR_SYNTAX, "usage: SetAccountPassword name "
	    "PASSWORD \"password\" [METHOD mode] [CHECK]");
}

int
cli_info_parse(const struct cli_args *a, struct cli_info_req *r,
    struct error *err_r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	if (a->argc < 1 || (r->account = cli_arg_str(a, 0)) == NULL ||
	    r->account[0] == '\0')
		goto usage;
	if (a->argc == 3 && cli_arg_is(a, 1, "Key") &&
	    cli_arg_str(a, 2) != NULL)
		r->key = cli_arg_str(a, 2);
	else if (a->argc == 2 && dict_type(a->argv[1]) == DICT_ARRAY) {
		for (i = 0; i < dict_array_len(a->argv[1]); i++)
			if (dict_type(dict_array_get(a->argv[1], i)) !=
			    DICT_STRING)
				goto usage;
		r->keys = a->argv[1];
	} else if (a->argc != 1)
		goto usage;
	return 0;
usage:
	memset(r, 0, sizeof(*r));
	return error_set(err_r, ERR_SYNTAX,
	    "usage: GetAccountInfo name [Key key | (key, ...)]");
}
