/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict_write.c: the writer of the CommuniGate Pro data format (dict.h).
 *
 * Strings become atoms only when they are non-empty and made of
 * [A-Za-z0-9._] (the formal grammar's atom), otherwise quoted strings with
 * \" \\ \r \n \t and \nnn for other control bytes; bytes 0x80-0xFF are
 * written as they are (UTF-8).  Timestamps are written in UTC.  The compact
 * form is one line, "{k = v; k2 = v2; }" and "(a, b)"; the pretty form puts
 * each dictionary pair on its own line, indented by tabs, as settings files
 * are (arrays and the dictionaries inside arrays stay on one line).
 * Everything written here parses back to an equal tree, except strings
 * holding a NUL byte, which the format cannot carry (written as \000 and
 * rejected by the parser).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"

#define B64_CHUNK	(3 * 1024)	/* input bytes per EVP_EncodeBlock call */

static bool
is_out_atom_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_';
}

void
dict_write_string(struct buf *out, const char *s, size_t len)
{
	size_t i, run;
	unsigned char c;

	for (i = 0; i < len && is_out_atom_char((unsigned char)s[i]); i++)
		;
	if (len > 0 && i == len) {
		buf_append(out, s, len);
		return;
	}
	buf_putc(out, '"');
	for (i = 0; i < len; i = run) {
		/* Copy runs of plain bytes at once. */
		for (run = i; run < len; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				break;
		}
		if (run > i) {
			buf_append(out, s + i, run - i);
			continue;
		}
		c = (unsigned char)s[run++];
		switch (c) {
		case '"':
			buf_puts(out, "\\\"");
			break;
		case '\\':
			buf_puts(out, "\\\\");
			break;
		case '\r':
			buf_puts(out, "\\r");
			break;
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\t':
			buf_puts(out, "\\t");
			break;
		default:
			buf_printf(out, "\\%03u", (unsigned)c);
			break;
		}
	}
	buf_putc(out, '"');
}

static void
write_data(struct buf *out, const unsigned char *p, size_t len)
{
	unsigned char enc[B64_CHUNK / 3 * 4 + 1];
	size_t n;
	int got;

	buf_putc(out, '[');
	while (len > 0 && out->err == 0) {
		n = len < B64_CHUNK ? len : B64_CHUNK;
		got = EVP_EncodeBlock(enc, p, (int)n);
		buf_append(out, enc, (size_t)got);
		p += n;
		len -= n;
	}
	buf_putc(out, ']');
}

/* Civil date of a day count since 1970-01-01 (H. Hinnant). */
static void
civil_from_days(int64_t z, int *y_r, unsigned *m_r, unsigned *d_r)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(y + (*m_r <= 2));
}

static void
write_time(struct buf *out, int64_t t, bool has_time)
{
	int64_t days, secs;
	unsigned m, d;
	int y;

	if (t == DICT_TIME_PAST) {
		buf_puts(out, "#TPAST");
		return;
	}
	if (t == DICT_TIME_FUTURE) {
		buf_puts(out, "#TFUTURE");
		return;
	}
	/* dict_new_time() keeps t within 1970..9999. */
	days = t / 86400;
	secs = t % 86400;
	civil_from_days(days, &y, &m, &d);
	buf_printf(out, "#T%02u-%02u-%04d", d, m, y);
	if (has_time)
		buf_printf(out, "_%02d:%02d:%02d", (int)(secs / 3600),
		    (int)(secs / 60 % 60), (int)(secs % 60));
}

static void
indent(struct buf *out, int level)
{
	for (; level > 0; level--)
		buf_putc(out, '\t');
}

static void
write_value(struct buf *out, const struct dval *v, bool pretty, int level)
{
	const char *s;
	size_t i, n, len;
	bool has_time;
	int64_t t;

	switch (dict_type(v)) {
	case DICT_STRING:
		s = dict_str(v, &len);
		dict_write_string(out, s, len);
		break;
	case DICT_DATA:
		s = dict_str(v, &len);
		write_data(out, (const unsigned char *)s, len);
		break;
	case DICT_NUMBER:
		buf_printf(out, "#%lld", (long long)dict_number(v));
		break;
	case DICT_TIME:
		t = dict_time(v, &has_time);
		write_time(out, t, has_time);
		break;
	case DICT_NULL:
		buf_puts(out, "#NULL#");
		break;
	case DICT_ARRAY:
		buf_putc(out, '(');
		n = dict_array_len(v);
		for (i = 0; i < n && out->err == 0; i++) {
			if (i > 0)
				buf_puts(out, ", ");
			write_value(out, dict_array_get(v, i), false, 0);
		}
		buf_putc(out, ')');
		break;
	case DICT_DICT:
		n = dict_len(v);
		if (n == 0) {
			buf_puts(out, "{}");
			break;
		}
		buf_puts(out, pretty ? "{\n" : "{");
		for (i = 0; i < n && out->err == 0; i++) {
			if (pretty)
				indent(out, level + 1);
			s = dict_key_at(v, i);
			dict_write_string(out, s, strlen(s));
			buf_puts(out, " = ");
			write_value(out, dict_value_at(v, i), pretty,
			    level + 1);
			buf_puts(out, pretty ? ";\n" : "; ");
		}
		if (pretty)
			indent(out, level);
		buf_putc(out, '}');
		break;
	}
}

void
dict_write(struct buf *out, const struct dval *v, unsigned flags)
{
	write_value(out, v, (flags & DICT_WRITE_PRETTY) != 0, 0);
}

char *
dict_to_text(const struct dval *v)
{
	struct buf b;

	buf_init(&b, SIZE_MAX / 2);
	dict_write(&b, v, 0);
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}
