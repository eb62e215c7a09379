/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_webadmin.c: ListDomainObjects, ListLogs and ReadLog (see
 * cli_webadmin.h).  Both answer in bounded pieces: a page of a domain's
 * objects, a slice of a log file, so a WebAdmin page or an API client never
 * draws 100,000 names or a whole day's log at once.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "core/server.h"
#include "cli/cli_args.h"
#include "cli/cli_webadmin.h"

static enum cli_rc
usage(struct error *err_r, const char *text)
{
	error_set(err_r, ERR_SYNTAX, "usage: %s", text);
	return CLI_ERROR;
}

/* ---- ListDomainObjects ------------------------------------------------- */

#define LDO_USAGE "ListDomainObjects domain [FILTER \"text\"] limit " \
	"[COOKIE \"name\"] [ACCOUNTS] [FORWARDERS]"

/* Case-insensitive substring test; "" matches everything. */
static bool
has_substr(const char *s, const char *sub)
{
	size_t n = strlen(sub);

	if (n == 0)
		return true;
	for (; *s != '\0'; s++)
		if (strncasecmp(s, sub, n) == 0)
			return true;
	return false;
}

enum cli_rc
cli_list_domain_objects(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	const char *domain = cli_arg_str(a, 0), *filter = "", *cookie = "";
	struct dval *names, *res, *objs;
	bool want_a = false, want_f = false, more = false;
	size_t i, n, total = 0, limit = 0;
	bool have_limit = false;

	if (domain == NULL)
		return usage(err_r, LDO_USAGE);
	for (i = 1; i < a->argc; i++) {
		const char *s = cli_arg_str(a, i);

		if (cli_arg_is(a, i, "FILTER") && i + 1 < a->argc &&
		    cli_arg_str(a, i + 1) != NULL)
			filter = cli_arg_str(a, ++i);
		else if (cli_arg_is(a, i, "COOKIE") && i + 1 < a->argc &&
		    cli_arg_str(a, i + 1) != NULL)
			cookie = cli_arg_str(a, ++i);
		else if (cli_arg_is(a, i, "ACCOUNTS"))
			want_a = true;
		else if (cli_arg_is(a, i, "FORWARDERS"))
			want_f = true;
		else if (!have_limit && s != NULL && s[0] >= '0' &&
		    s[0] <= '9' && strlen(s) < 8) {
			limit = strtoul(s, NULL, 10);
			have_limit = true;
		} else if (!have_limit && dict_type(a->argv[i]) ==
		    DICT_NUMBER && dict_number(a->argv[i]) >= 0) {
			limit = (size_t)dict_number(a->argv[i]);
			have_limit = true;
		} else
			return usage(err_r, LDO_USAGE);
	}
	if (!have_limit)
		return usage(err_r, LDO_USAGE);
	if (limit > CLI_LIST_PAGE_MAX)
		limit = CLI_LIST_PAGE_MAX;
	if (!want_a && !want_f)
		want_a = want_f = true;
	if (!c->master && strcasecmp(domain, c->domain) != 0) {
		error_set(err_r, ERR_PERM, "not enough access rights");
		return CLI_ERROR;
	}
	names = objects_name_page(c->srv->objects, domain,
	    (want_a ? 1u << OBJ_ACCOUNT : 0) |
	    (want_f ? 1u << OBJ_FORWARDER : 0), filter, cookie, limit, &total,
	    &more, err_r);
	if (names == NULL)
		return CLI_ERROR;
	n = dict_array_len(names);
	objs = dict_new_dict();
	for (i = 0; i < n; i++) {
		const char *nm = dict_str(dict_array_get(names, i), NULL);
		char type[64], addr[ADDRESS_MAX + 1];

		if (objects_account_type(c->srv->objects, nm, domain, type,
		    sizeof(type), NULL) == 0)
			dict_set_str(objs, nm, type);
		else if (objects_forwarder_get(c->srv->objects, nm, domain,
		    addr, sizeof(addr), NULL) == 0) {
			struct dval *f = dict_new_dict();

			dict_set_str(f, "Forwarder", addr);
			dict_set(objs, nm, f);
		}
	}
	res = dict_new_array();
	dict_array_push(res, dict_new_number((int64_t)total));
	dict_array_push(res, objs);
	dict_array_push_cstr(res, more && n > 0 ? dict_str(dict_array_get(
	    names, n - 1), NULL) : "");
	dict_write(out, res, 0);
	dict_free(&res);
	dict_free(&names);
	return CLI_DATA;
}

/* ---- logs --------------------------------------------------------------- */

/* "YYYY-MM-DD.log" or "YYYY-MM-DD_N.log": nothing else is a log file. */
static bool
log_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 14 || n > 24 || strcmp(s + n - 4, ".log") != 0)
		return false;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return false;
		} else if (s[i] < '0' || s[i] > '9')
			return false;
	}
	if (n == 14)
		return true;
	if (s[10] != '_')
		return false;
	for (i = 11; i < n - 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return i > 11;
}

static int
cmp_name_desc(const void *a, const void *b)
{
	return -strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum cli_rc
cli_list_logs(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2], today[32];
	char *names[CLI_LOG_FILES_MAX];
	struct dirent *de;
	struct dval *res;
	struct tm tm;
	time_t now = time(NULL);
	size_t n = 0, i;
	DIR *d;

	if (a->argc != 0)
		return usage(err_r, "ListLogs");
	snprintf(dir, sizeof(dir), "%s/SystemLogs", c->srv->base);
	if ((d = opendir(dir)) == NULL) {
		error_set(err_r, ERR_IO, "%s: %s", dir, strerror(errno));
		return CLI_ERROR;
	}
	while ((de = readdir(d)) != NULL && n < CLI_LOG_FILES_MAX)
		if (log_name_ok(de->d_name))
			names[n++] = xstrdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name_desc);
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	res = dict_new_array();
	for (i = 0; i < n; i++) {
		struct dval *f = dict_new_dict();
		struct stat st;

		dict_set_str(f, "Name", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		dict_set(f, "Size", dict_new_number(stat(path, &st) == 0 ?
		    (int64_t)st.st_size : 0));
		if (strncmp(names[i], today, 10) == 0 && i == 0)
			dict_set_str(f, "Current", "YES");
		dict_array_push(res, f);
		free(names[i]);
	}
	dict_write(out, res, 0);
	dict_free(&res);
	return CLI_DATA;
}

int
cli_log_record_level(const char *line, size_t len)
{
	/* "HH:MM:SS.mmm L ..." */
	if (len < 15 || line[2] != ':' || line[5] != ':' || line[12] != ' ' ||
	    line[14] != ' ' || line[13] < '0' || line[13] > '5')
		return -1;
	return line[13] - '0';
}

void
cli_log_record_tag(const char *line, size_t len, char *tag, size_t n)
{
	size_t i = 15, j = 0;

	if (n == 0)
		return;
	tag[0] = '\0';
	if (cli_log_record_level(line, len) < 0)
		return;
	while (i < len && j + 1 < n && line[i] != ' ' && line[i] != '-' &&
	    line[i] != '(' && line[i] != '\n')
		tag[j++] = line[i++];
	tag[j] = '\0';
}

struct log_filter {
	int		 level;			/* records up to it; 5: all */
	const char	*module;		/* tag, "" any */
	const char	*filter;		/* substring, "" any */
	const char	*from, *till;		/* "HH:MM[:SS]", "" open */
};

static bool
record_matches(const struct log_filter *f, const char *line, size_t len)
{
	char tag[32];
	int lv = cli_log_record_level(line, len);

	if (lv < 0)				/* a continuation: keep */
		return f->module[0] == '\0' && f->filter[0] == '\0';
	if (lv > f->level)
		return false;
	if (f->from[0] != '\0' && strncmp(line, f->from,
	    strlen(f->from)) < 0)
		return false;
	if (f->till[0] != '\0' && strncmp(line, f->till,
	    strlen(f->till)) > 0)
		return false;
	if (f->module[0] != '\0') {
		cli_log_record_tag(line, len, tag, sizeof(tag));
		if (strcasecmp(tag, f->module) != 0)
			return false;
	}
	return has_substr(line, f->filter);
}

static const char *
opt_str(const struct dval *d, const char *key)
{
	const char *s = d != NULL ? dict_get_str(d, key) : NULL;

	return s != NULL ? s : "";
}

static long long
opt_num(const struct dval *d, const char *key, long long def)
{
	const struct dval *v = d != NULL ? dict_get(d, key) : NULL;
	const char *s;
	char *end;
	long long n;

	if (v == NULL)
		return def;
	if (dict_type(v) == DICT_NUMBER)
		return dict_number(v);
	if ((s = dict_str(v, NULL)) == NULL || *s == '\0')
		return def;
	errno = 0;
	n = strtoll(s, &end, 10);
	return (*end != '\0' || errno != 0) ? def : n;
}

enum cli_rc
cli_read_log(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	const char *file = cli_arg_str(a, 0);
	const struct dval *opt = a->argc == 2 &&
	    dict_type(a->argv[1]) == DICT_DICT ? a->argv[1] : NULL;
	struct log_filter f;
	char path[PATH_MAX], *chunk = NULL;
	struct dval *res, *lines;
	struct stat st;
	long long off, limit, lv;
	size_t got, pos, start, nlines = 0, first, i;
	const char **ring;
	bool tail;
	FILE *fp;

	if (file == NULL || a->argc > 2 || (a->argc == 2 && opt == NULL))
		return usage(err_r, "ReadLog \"file\" [{Offset=n; Limit=n; "
		    "Level=n; Module=tag; Filter=text; From=hh:mm; "
		    "Till=hh:mm}]");
	if (!log_name_ok(file)) {
		error_set(err_r, ERR_SYNTAX, "illegal log file name");
		return CLI_ERROR;
	}
	lv = opt_num(opt, "Level", 5);
	f.level = lv < 0 ? 0 : lv > 5 ? 5 : (int)lv;
	f.module = opt_str(opt, "Module");
	f.filter = opt_str(opt, "Filter");
	f.from = opt_str(opt, "From");
	f.till = opt_str(opt, "Till");
	limit = opt_num(opt, "Limit", 500);
	if (limit <= 0 || limit > CLI_LOG_LINES_MAX)
		limit = CLI_LOG_LINES_MAX;
	snprintf(path, sizeof(path), "%s/SystemLogs/%s", c->srv->base, file);
	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) != 0) {
		error_set(err_r, ERR_NOTFOUND, "%s: %s", file, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return CLI_ERROR;
	}
	/* Offset -1 (the default): the last piece of the file, a tail. */
	off = opt_num(opt, "Offset", -1);
	if (off < 0)
		off = st.st_size > CLI_LOG_SCAN_MAX / 4 ?
		    st.st_size - CLI_LOG_SCAN_MAX / 4 : 0;
	if (off > st.st_size)
		off = st.st_size;
	chunk = xmalloc(CLI_LOG_SCAN_MAX + 1);
	if (fseeko(fp, (off_t)off, SEEK_SET) != 0)
		got = 0;
	else
		got = fread(chunk, 1, CLI_LOG_SCAN_MAX, fp);
	fclose(fp);
	chunk[got] = '\0';
	tail = opt_num(opt, "Offset", -1) < 0;
	pos = 0;
	/* A tail starts at a record boundary. */
	if (tail && off > 0) {
		while (pos < got && chunk[pos] != '\n')
			pos++;
		if (pos < got)
			pos++;
	}
	/* Matching records in order; a tail keeps the last limit of them
	 * (ring), a forward read stops after limit. */
	ring = xcalloc((size_t)limit, sizeof(*ring));
	for (start = pos; pos < got; start = pos) {
		char *nl = memchr(chunk + start, '\n', got - start);
		size_t len;

		if (nl == NULL)
			break;		/* an unfinished record: next time */
		len = (size_t)(nl - (chunk + start));
		pos = start + len + 1;
		*nl = '\0';
		if (!record_matches(&f, chunk + start, len))
			continue;
		ring[nlines % (size_t)limit] = chunk + start;
		nlines++;
		if (!tail && nlines >= (size_t)limit)
			break;
	}
	lines = dict_new_array();
	first = nlines > (size_t)limit ? nlines - (size_t)limit : 0;
	for (i = first; i < nlines; i++)
		dict_array_push_cstr(lines, ring[i % (size_t)limit]);
	free(ring);
	free(chunk);
	res = dict_new_dict();
	dict_set(res, "Lines", lines);
	dict_set(res, "Offset", dict_new_number(off + (long long)pos));
	dict_set(res, "Size", dict_new_number((int64_t)st.st_size));
	dict_write(out, res, 0);
	dict_free(&res);
	return CLI_DATA;
}
