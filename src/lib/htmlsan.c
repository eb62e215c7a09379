/* SPDX-License-Identifier: Apache-2.0 */
/*
 * htmlsan.c: the allow-list HTML sanitiser (htmlsan.h).  libxml2's HTML
 * parser builds the tree the way a browser would recover it (unclosed tags,
 * stray end tags, entities, broken attributes); the walk below writes back
 * only what the tables allow, escaping every text and attribute value
 * itself, so that nothing the parser kept can reach the output as markup.
 * Element and attribute names written are this file's constants, never the
 * input's bytes.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/htmlsan.h"
#include "lib/strv.h"

/* ---- tables ---- */

enum { E_KEEP = 1, E_VOID = 2, E_DROP = 4, E_LINK = 8, E_IMG = 16,
       E_DIV = 32 };

static const struct elem {
	const char	*name;
	unsigned	 flags;
} elems[] = {
	/* written out */
	{ "a", E_KEEP | E_LINK }, { "abbr", E_KEEP }, { "address", E_KEEP },
	{ "article", E_KEEP }, { "aside", E_KEEP }, { "b", E_KEEP },
	{ "bdi", E_KEEP }, { "bdo", E_KEEP }, { "big", E_KEEP },
	{ "blockquote", E_KEEP }, { "body", E_KEEP | E_DIV },
	{ "br", E_KEEP | E_VOID }, { "caption", E_KEEP },
	{ "center", E_KEEP }, { "cite", E_KEEP }, { "code", E_KEEP },
	{ "col", E_KEEP | E_VOID }, { "colgroup", E_KEEP }, { "dd", E_KEEP },
	{ "del", E_KEEP }, { "details", E_KEEP }, { "dfn", E_KEEP },
	{ "div", E_KEEP }, { "dl", E_KEEP }, { "dt", E_KEEP },
	{ "em", E_KEEP }, { "figcaption", E_KEEP }, { "figure", E_KEEP },
	{ "font", E_KEEP }, { "footer", E_KEEP }, { "h1", E_KEEP },
	{ "h2", E_KEEP }, { "h3", E_KEEP }, { "h4", E_KEEP },
	{ "h5", E_KEEP }, { "h6", E_KEEP }, { "header", E_KEEP },
	{ "hr", E_KEEP | E_VOID }, { "i", E_KEEP },
	{ "img", E_KEEP | E_VOID | E_IMG }, { "ins", E_KEEP },
	{ "kbd", E_KEEP }, { "li", E_KEEP }, { "main", E_KEEP },
	{ "mark", E_KEEP }, { "nav", E_KEEP }, { "ol", E_KEEP },
	{ "p", E_KEEP }, { "pre", E_KEEP }, { "q", E_KEEP },
	{ "rp", E_KEEP }, { "rt", E_KEEP }, { "ruby", E_KEEP },
	{ "s", E_KEEP }, { "samp", E_KEEP }, { "section", E_KEEP },
	{ "small", E_KEEP }, { "span", E_KEEP }, { "strike", E_KEEP },
	{ "strong", E_KEEP }, { "sub", E_KEEP }, { "summary", E_KEEP },
	{ "sup", E_KEEP }, { "table", E_KEEP }, { "tbody", E_KEEP },
	{ "td", E_KEEP }, { "tfoot", E_KEEP }, { "th", E_KEEP },
	{ "thead", E_KEEP }, { "time", E_KEEP }, { "tr", E_KEEP },
	{ "tt", E_KEEP }, { "u", E_KEEP }, { "ul", E_KEEP },
	{ "var", E_KEEP }, { "wbr", E_KEEP | E_VOID },
	/* dropped with everything inside: active content, foreign content
	 * (svg and math re-parse differently: mutation XSS), raw-text
	 * elements, controls, document metadata */
	{ "applet", E_DROP }, { "audio", E_DROP }, { "base", E_DROP },
	{ "basefont", E_DROP }, { "button", E_DROP }, { "canvas", E_DROP },
	{ "datalist", E_DROP }, { "dialog", E_DROP }, { "embed", E_DROP },
	{ "frame", E_DROP }, { "frameset", E_DROP }, { "head", E_DROP },
	{ "iframe", E_DROP }, { "input", E_DROP }, { "isindex", E_DROP },
	{ "keygen", E_DROP }, { "link", E_DROP }, { "listing", E_DROP },
	{ "map", E_DROP }, { "math", E_DROP }, { "meta", E_DROP },
	{ "noembed", E_DROP }, { "noframes", E_DROP },
	{ "noscript", E_DROP }, { "object", E_DROP }, { "optgroup", E_DROP },
	{ "option", E_DROP }, { "param", E_DROP }, { "picture", E_DROP },
	{ "plaintext", E_DROP }, { "portal", E_DROP }, { "script", E_DROP },
	{ "select", E_DROP }, { "slot", E_DROP }, { "source", E_DROP },
	{ "svg", E_DROP }, { "template", E_DROP }, { "textarea", E_DROP },
	{ "title", E_DROP }, { "track", E_DROP }, { "video", E_DROP },
	{ "xmp", E_DROP },
	/* anything else (html, form, fieldset, label, custom tags) is
	 * unwrapped: its children are written, the tag is not */
};

/* Attributes kept on any kept element, besides the special ones handled
 * in write_attrs() (href, src, background, style, class, id, name). */
static const char *const plain_attrs[] = {
	"abbr", "align", "alt", "bgcolor", "border", "cellpadding",
	"cellspacing", "char", "charoff", "clear", "color", "cols", "colspan",
	"compact", "datetime", "dir", "face", "headers", "height", "hspace",
	"lang", "nowrap", "open", "reversed", "rows", "rowspan", "rules",
	"scope", "size", "span", "start", "summary", "title", "type",
	"valign", "value", "vspace", "width",
};

static const struct elem *
elem_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(elems); i++)
		if (strcasecmp(elems[i].name, name) == 0)
			return &elems[i];
	return NULL;
}

static const char *
plain_attr(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(plain_attrs); i++)
		if (strcasecmp(plain_attrs[i], name) == 0)
			return plain_attrs[i];
	return NULL;
}

/* ---- escaping ---- */

static void
esc(struct buf *out, const char *s, size_t n, bool attr)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		case '\'': rep = attr ? "&#39;" : NULL; break;
		case '\0': rep = ""; break;
		default: rep = NULL; break;
		}
		if (rep == NULL)
			continue;
		buf_append(out, s + from, i - from);
		buf_puts(out, rep);
		from = i + 1;
	}
	buf_append(out, s + from, n - from);
}

/* ---- URLs ---- */

enum url_kind { U_BAD, U_HTTP, U_MAILTO, U_CID, U_DATA_IMAGE, U_FRAGMENT };

/* The URL without white space and controls (browsers drop tabs and line
 * breaks anywhere in a URL, and blanks and controls around it) into u;
 * then its kind.  Anything without one of our schemes is U_BAD, including
 * relative URLs (they would resolve against /Message/...). */
static enum url_kind
url_classify(const char *s, struct buf *u)
{
	static const char *const raster[] = {
		"data:image/png", "data:image/gif", "data:image/jpeg",
		"data:image/jpg", "data:image/webp", "data:image/bmp",
	};
	size_t i, k;

	buf_reset(u);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x20 && *s != 0x7f)
			buf_putc(u, *s);
	if (u->err != 0 || u->len == 0)
		return U_BAD;
	s = buf_cstr(u);
	if (s[0] == '#')
		return U_FRAGMENT;
	if (strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0)
		return U_HTTP;
	if (strncasecmp(s, "mailto:", 7) == 0)
		return U_MAILTO;
	if (strncasecmp(s, "cid:", 4) == 0)
		return U_CID;
	for (i = 0; i < N_ELEMENTS(raster); i++) {
		k = strlen(raster[i]);
		if (strncasecmp(s, raster[i], k) == 0 &&
		    (s[k] == ';' || s[k] == ','))
			return U_DATA_IMAGE;
	}
	return U_BAD;
}

/* "cid:xyz" through the caller's hook onto out; false to drop. */
static bool
cid_rewrite(const char *url, const struct htmlsan_opts *o, struct buf *out)
{
	struct buf cid;
	const char *p;
	bool ok;
	int c;

	if (o->cid_url == NULL)
		return false;
	buf_init(&cid, 1024);
	for (p = url + 4; *p != '\0'; p++) {
		/* NUL-terminated: hex_pair_value stops at p[1] == '\0' */
		if (*p == '%' && (c = hex_pair_value(p + 1, 2)) >= 0) {
			buf_putc(&cid, (char)c);
			p += 2;
		} else
			buf_putc(&cid, *p);
	}
	ok = cid.err == 0 && memchr(buf_cstr(&cid), '\0', cid.len) == NULL &&
	    o->cid_url(o->cid_arg, buf_cstr(&cid), out);
	buf_free(&cid);
	return ok;
}

/* An image URL onto out as it is to be written; false to drop the URL
 * (counted in *blocked when it is a remote image held back). */
static bool
image_url(const char *v, const struct htmlsan_opts *o, struct buf *u,
    struct buf *out, size_t *blocked)
{
	switch (url_classify(v, u)) {
	case U_CID:
		return cid_rewrite(buf_cstr(u), o, out);
	case U_DATA_IMAGE:
		buf_append(out, u->data, u->len);
		return true;
	case U_HTTP:
		if (o->remote_images) {
			buf_append(out, u->data, u->len);
			return true;
		}
		(*blocked)++;
		return false;
	default:
		return false;
	}
}

/* ---- CSS ---- */

static void
put_utf8(struct buf *b, unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80)
		buf_putc(b, (char)cp);
	else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* CSS text with comments removed and escapes resolved (CSS Syntax 4.3.7),
 * so that the checks below see what the browser's CSS parser sees. */
static void
css_plain(const char *in, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		if (in[i] == '/' && i + 1 < n && in[i + 1] == '*') {
			const char *end = memmem(in + i + 2, n - i - 2, "*/",
			    2);

			if (end == NULL)
				break;
			i = (size_t)(end - in) + 2;
			buf_putc(out, ' ');
			continue;
		}
		if (in[i] == '\\' && i + 1 < n) {
			unsigned long cp = 0;
			size_t k = 0;
			int d;

			i++;
			if (in[i] == '\n' || in[i] == '\r' || in[i] == '\f') {
				i++;
				continue;
			}
			while (k < 6 && i < n && (d = hex_digit_value(
			    (unsigned char)in[i])) >= 0) {
				cp = cp * 16 + (unsigned long)d;
				i++;
				k++;
			}
			if (k > 0) {
				if (i < n && (in[i] == ' ' || in[i] == '\t' ||
				    in[i] == '\n'))
					i++;
				put_utf8(out, cp);
			} else
				buf_putc(out, in[i++]);
			continue;
		}
		if (in[i] == '\0')
			put_utf8(out, 0xfffd);
		else
			buf_putc(out, in[i]);
		i++;
	}
}

static bool
has_word(const char *lower, const char *w)
{
	return strstr(lower, w) != NULL;
}

/* Words that make a declaration (or a whole sheet) go: script URLs, old
 * IE expressions and behaviours, XBL bindings, imports, and image
 * functions without url() (image-set("x") loads a remote image). */
static bool
css_forbidden(const char *lower)
{
	static const char *const bad[] = {
		"expression", "javascript", "vbscript", "livescript",
		"behavior", "behaviour", "binding", "@import", "image-set",
		"cross-fade", "element(", "<", ">", "\\", "@namespace",
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(bad); i++)
		if (has_word(lower, bad[i]))
			return true;
	for (; *lower != '\0'; lower++)
		if ((unsigned char)*lower < 0x20 && *lower != '\t' &&
		    *lower != '\n' && *lower != '\r')
			return true;
	return false;
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* One declaration "name: value" (plain CSS) onto out as "name:value;",
 * url()s checked; false when it is dropped. */
static bool
css_decl(const char *d, size_t n, const struct htmlsan_opts *o,
    struct buf *out, size_t *blocked)
{
	struct buf name, val, low, u, rebuilt;
	const char *colon = memchr(d, ':', n), *p, *end = d + n;
	bool ok = false;
	size_t k;

	if (colon == NULL)
		return false;
	buf_init(&name, 128);
	buf_init(&val, HTMLSAN_STYLE_MAX);
	buf_init(&low, HTMLSAN_STYLE_MAX);
	buf_init(&u, HTMLSAN_STYLE_MAX);
	buf_init(&rebuilt, HTMLSAN_STYLE_MAX);
	for (p = d; p < colon; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			buf_putc(&name, *p);
	for (p = colon + 1; p < end && (*p == ' ' || *p == '\t' ||
	    *p == '\r' || *p == '\n'); p++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		end--;
	buf_append(&val, p, (size_t)(end - p));
	if (name.len == 0 || name.err != 0 || val.err != 0 || val.len == 0)
		goto out;
	lowercase(name.data);
	for (k = 0; k < name.len; k++)
		if (!((name.data[k] >= 'a' && name.data[k] <= 'z') ||
		    name.data[k] == '-'))
			goto out;
	buf_append(&low, val.data, val.len);
	lowercase(low.data);
	if (css_forbidden(buf_cstr(&name)) || css_forbidden(buf_cstr(&low)))
		goto out;
	/* a message may not lay itself over the page (or over the reader's
	 * own controls) */
	if (strcmp(buf_cstr(&name), "position") == 0 &&
	    strcmp(buf_cstr(&low), "static") != 0 &&
	    strcmp(buf_cstr(&low), "relative") != 0)
		goto out;
	/* balanced quotes and parentheses, or the browser could read the
	 * value differently from us */
	{
		char q = 0;
		int depth = 0;

		for (k = 0; k < val.len; k++) {
			char ch = val.data[k];

			if (q != 0) {
				if (ch == q)
					q = 0;
			} else if (ch == '"' || ch == '\'')
				q = ch;
			else if (ch == '(')
				depth++;
			else if (ch == ')' && --depth < 0)
				goto out;
			else if (ch == ';' || ch == '{' || ch == '}')
				goto out;
		}
		if (q != 0 || depth != 0)
			goto out;
	}
	/* every url(...) rebuilt as url("checked") */
	p = buf_cstr(&val);
	while (*p != '\0') {
		const char *hit = strcasestr(p, "url(");
		const char *a, *z;
		char quote = 0;
		struct buf one;
		bool keep;

		if (hit == NULL) {
			buf_puts(&rebuilt, p);
			break;
		}
		buf_append(&rebuilt, p, (size_t)(hit - p));
		a = hit + 4;
		while (*a == ' ' || *a == '\t')
			a++;
		if (*a == '"' || *a == '\'')
			quote = *a++;
		z = quote != 0 ? strchr(a, quote) : strchr(a, ')');
		if (z == NULL)
			goto out;
		buf_init(&one, HTMLSAN_STYLE_MAX);
		buf_append(&one, a, (size_t)(z - a));
		buf_reset(&u);
		{
			struct buf w;

			buf_init(&w, HTMLSAN_STYLE_MAX);
			keep = image_url(buf_cstr(&one), o, &u, &w, blocked);
			if (keep && (strpbrk(buf_cstr(&w), "\"'()\\ \t\r\n") !=
			    NULL))
				keep = false;
			if (keep) {
				buf_puts(&rebuilt, "url(\"");
				buf_append(&rebuilt, w.data, w.len);
				buf_puts(&rebuilt, "\")");
			}
			buf_free(&w);
		}
		buf_free(&one);
		if (!keep)
			goto out;
		if (quote != 0) {
			z++;
			while (*z == ' ' || *z == '\t')
				z++;
			if (*z != ')')
				goto out;
		}
		p = z + 1;
	}
	if (rebuilt.err != 0)
		goto out;
	buf_append(out, name.data, name.len);
	buf_putc(out, ':');
	buf_append(out, rebuilt.data, rebuilt.len);
	buf_putc(out, ';');
	ok = true;
out:
	buf_free(&name);
	buf_free(&val);
	buf_free(&low);
	buf_free(&u);
	buf_free(&rebuilt);
	return ok;
}

/* Declarations of plain CSS in[0, n), split on ';' outside quotes and
 * parentheses. */
static void
css_decls(const char *in, size_t n, const struct htmlsan_opts *o,
    struct buf *out, size_t *blocked, size_t *dropped)
{
	size_t i, from = 0;
	char q = 0;
	int depth = 0;

	for (i = 0; i <= n; i++) {
		char ch = i < n ? in[i] : ';';

		if (q != 0) {
			if (ch == q)
				q = 0;
			if (i < n)
				continue;
		} else if (ch == '"' || ch == '\'') {
			q = ch;
			continue;
		} else if (ch == '(') {
			depth++;
			continue;
		} else if (ch == ')') {
			depth--;
			continue;
		}
		if (ch != ';' || (depth > 0 && i < n))
			continue;
		{
			size_t s = from, e = i;

			while (s < e && (in[s] == ' ' || in[s] == '\t' ||
			    in[s] == '\r' || in[s] == '\n'))
				s++;
			if (s < e && !css_decl(in + s, e - s, o, out, blocked))
				(*dropped)++;
		}
		from = i + 1;
		depth = 0;
		q = 0;
	}
}

void
htmlsan_style(const char *in, size_t n, const struct htmlsan_opts *o,
    struct buf *out, size_t *blocked)
{
	struct buf plain;
	size_t dropped = 0;

	if (n > HTMLSAN_STYLE_MAX)
		return;
	buf_init(&plain, HTMLSAN_STYLE_MAX * 4);
	css_plain(in, n, &plain);
	if (plain.err == 0)
		css_decls(buf_cstr(&plain), plain.len, o, out, blocked,
		    &dropped);
	buf_free(&plain);
}

/* A style sheet: rules "selectors { declarations }" with their
 * declarations filtered, @media and @supports blocks recursed into,
 * @font-face kept as declarations, other at-rules dropped.  Nesting is
 * bounded by depth. */
static size_t
css_sheet(const char *s, size_t n, const struct htmlsan_opts *o,
    struct buf *out, size_t *blocked, size_t *dropped, int depth)
{
	size_t i = 0;

	while (i < n) {
		size_t pre = i, open, close;
		int lvl = 0;

		while (i < n && s[i] != '{' && s[i] != '}' && s[i] != ';')
			i++;
		if (i >= n)
			break;
		if (s[i] == '}')
			return i + 1;	/* the end of the enclosing block */
		if (s[i] == ';') {	/* a statement at-rule: dropped */
			(*dropped)++;
			i++;
			continue;
		}
		open = i;
		/* the matching '}' */
		for (close = open; close < n; close++) {
			if (s[close] == '{')
				lvl++;
			else if (s[close] == '}' && --lvl == 0)
				break;
		}
		while (pre < open && (s[pre] == ' ' || s[pre] == '\t' ||
		    s[pre] == '\r' || s[pre] == '\n'))
			pre++;
		if (s[pre] == '@') {
			if ((strncasecmp(s + pre, "@media", 6) == 0 ||
			    strncasecmp(s + pre, "@supports", 9) == 0) &&
			    depth < 4) {
				buf_append(out, s + pre, open - pre);
				buf_putc(out, '{');
				(void)css_sheet(s + open + 1, (close < n ?
				    close : n) - open - 1, o, out, blocked,
				    dropped, depth + 1);
				buf_puts(out, "}\n");
				i = close + 1;
				continue;
			}
			if (strncasecmp(s + pre, "@font-face", 10) != 0) {
				(*dropped)++;
				i = close + 1;
				continue;
			}
		}
		if (close >= n)
			break;
		buf_append(out, s + pre, open - pre);
		buf_putc(out, '{');
		css_decls(s + open + 1, close - open - 1, o, out, blocked,
		    dropped);
		buf_puts(out, "}\n");
		i = close + 1;
	}
	return n;
}

/* ---- the tree walk ---- */

struct walk {
	const struct htmlsan_opts *o;
	struct buf	*out;
	struct buf	 u;		/* scratch for URLs */
	struct htmlsan_stats st;
};

static void
put_attr(struct walk *w, const char *name, const char *v, size_t n)
{
	buf_putc(w->out, ' ');
	buf_puts(w->out, name);
	buf_puts(w->out, "=\"");
	esc(w->out, v, n, true);
	buf_putc(w->out, '"');
}

/* id and name values get the prefix "m-" (and fragment links with them):
 * a message's ids never equal the reader's own. */
static void
put_prefixed(struct walk *w, const char *name, const char *v)
{
	struct buf t;

	buf_init(&t, 4096);
	buf_puts(&t, "m-");
	buf_puts(&t, v);
	if (t.err == 0)
		put_attr(w, name, t.data, t.len);
	buf_free(&t);
}

static void
write_attrs(struct walk *w, xmlNodePtr node, const struct elem *e)
{
	xmlAttrPtr a;
	bool link = false;

	for (a = node->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name, *keep;
		xmlChar *xv = xmlNodeGetContent((xmlNodePtr)a);
		const char *v = xv != NULL ? (const char *)xv : "";
		struct buf t;

		buf_init(&t, HTMLSAN_STYLE_MAX);
		if ((e->flags & E_LINK) && strcasecmp(name, "href") == 0) {
			switch (url_classify(v, &w->u)) {
			case U_HTTP:
			case U_MAILTO:
				put_attr(w, "href", w->u.data, w->u.len);
				link = true;
				break;
			case U_FRAGMENT:
				/* "#x" becomes "#m-x", as the ids */
				buf_puts(&t, "#m-");
				buf_append(&t, w->u.data + 1, w->u.len - 1);
				put_attr(w, "href", t.data, t.len);
				break;
			case U_CID:
				if (cid_rewrite(buf_cstr(&w->u), w->o, &t)) {
					put_attr(w, "href", t.data, t.len);
					link = true;
				} else
					w->st.dropped++;
				break;
			default:
				w->st.dropped++;
				break;
			}
		} else if (((e->flags & E_IMG) && strcasecmp(name, "src") ==
		    0) || strcasecmp(name, "background") == 0) {
			if (image_url(v, w->o, &w->u, &t,
			    &w->st.blocked_images) && t.err == 0)
				put_attr(w, (e->flags & E_IMG) &&
				    strcasecmp(name, "src") == 0 ? "src" :
				    "background", t.data, t.len);
			else
				w->st.dropped++;
		} else if (strcasecmp(name, "style") == 0) {
			htmlsan_style(v, strlen(v), w->o, &t,
			    &w->st.blocked_images);
			if (t.len > 0 && t.err == 0)
				put_attr(w, "style", t.data, t.len);
		} else if (strcasecmp(name, "class") == 0) {
			/* the message is shown in a document of its own: its
			 * classes reach only its own style sheet */
			put_attr(w, "class", v, strlen(v));
		} else if (strcasecmp(name, "id") == 0 ||
		    ((e->flags & E_LINK) && strcasecmp(name, "name") == 0)) {
			if (strpbrk(v, " \t\r\n") == NULL && v[0] != '\0')
				put_prefixed(w, strcasecmp(name, "id") == 0 ?
				    "id" : "name", v);
		} else if (strcasecmp(name, "srcset") == 0) {
			/* candidates of remote images: held back always */
			w->st.blocked_images++;
		} else if ((keep = plain_attr(name)) != NULL)
			put_attr(w, keep, v, strlen(v));
		else
			w->st.dropped++;	/* on*, action, formaction,
						 * xmlns, data-*, ... */
		buf_free(&t);
		if (xv != NULL)
			xmlFree(xv);
	}
	if (link && w->o->links_blank)
		buf_puts(w->out, " target=\"_blank\" rel=\"noopener "
		    "noreferrer\"");
}

/* The text of a <style>: its children's text, filtered as a sheet. */
static void
write_style(struct walk *w, xmlNodePtr node)
{
	xmlChar *xv = xmlNodeGetContent(node);
	const char *v = xv != NULL ? (const char *)xv : "";
	size_t n = strlen(v);
	struct buf plain, low, sheet;

	buf_init(&plain, HTMLSAN_STYLE_MAX * 4);
	buf_init(&low, HTMLSAN_STYLE_MAX * 4);
	buf_init(&sheet, HTMLSAN_STYLE_MAX * 4);
	if (n <= HTMLSAN_STYLE_MAX)
		css_plain(v, n, &plain);
	buf_append(&low, plain.data, plain.len);
	if (low.len > 0)
		lowercase(low.data);
	if (n > HTMLSAN_STYLE_MAX || plain.err != 0 || low.err != 0 ||
	    css_forbidden(buf_cstr(&low))) {
		w->st.dropped++;
	} else {
		css_sheet(buf_cstr(&plain), plain.len, w->o, &sheet,
		    &w->st.blocked_images, &w->st.dropped, 0);
		/* no '<' can be in it (css_forbidden), so it cannot end the
		 * element early */
		if (sheet.len > 0 && sheet.err == 0) {
			buf_puts(w->out, "<style>");
			buf_append(w->out, sheet.data, sheet.len);
			buf_puts(w->out, "</style>");
		}
	}
	buf_free(&plain);
	buf_free(&low);
	buf_free(&sheet);
	if (xv != NULL)
		xmlFree(xv);
}

static void
walk_nodes(struct walk *w, xmlNodePtr node, int depth)
{
	for (; node != NULL && w->out->err == 0; node = node->next) {
		const struct elem *e;

		switch (node->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (node->content != NULL)
				esc(w->out, (const char *)node->content,
				    strlen((const char *)node->content), false);
			continue;
		case XML_ELEMENT_NODE:
			break;
		default:
			/* comments, processing instructions, entity
			 * references, DTD nodes */
			continue;
		}
		if (depth >= HTMLSAN_DEPTH_MAX) {
			w->st.truncated = true;
			continue;
		}
		if (strcasecmp((const char *)node->name, "style") == 0) {
			write_style(w, node);
			continue;
		}
		e = elem_find((const char *)node->name);
		if (e != NULL && (e->flags & E_DROP)) {
			w->st.dropped++;
			continue;
		}
		if (e == NULL) {
			walk_nodes(w, node->children, depth + 1);
			continue;
		}
		buf_putc(w->out, '<');
		buf_puts(w->out, (e->flags & E_DIV) ? "div" : e->name);
		write_attrs(w, node, e);
		buf_putc(w->out, '>');
		if (e->flags & E_VOID)
			continue;
		walk_nodes(w, node->children, depth + 1);
		buf_puts(w->out, "</");
		buf_puts(w->out, (e->flags & E_DIV) ? "div" : e->name);
		buf_putc(w->out, '>');
	}
}

/* <style> in <head> is kept (the head itself is dropped). */
static void
walk_head_styles(struct walk *w, xmlNodePtr node)
{
	for (; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE &&
		    strcasecmp((const char *)node->name, "style") == 0)
			write_style(w, node);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_libxml(void)
{
	xmlInitParser();
}

int
htmlsan_clean(const char *in, size_t n, const struct htmlsan_opts *o,
    struct buf *out, struct htmlsan_stats *stats_r, struct error *err_r)
{
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc;
	xmlNodePtr root, k;
	struct walk w;
	const char *cs = o->charset != NULL ? o->charset : "UTF-8";

	if (stats_r != NULL)
		memset(stats_r, 0, sizeof(*stats_r));
	if (n > HTMLSAN_INPUT_MAX)
		return error_set(err_r, ERR_LIMIT, "HTML larger than %d bytes",
		    HTMLSAN_INPUT_MAX);
	if (n == 0)
		return 0;
	pthread_once(&init_once, init_libxml);
	ctxt = htmlNewParserCtxt();
	if (ctxt == NULL)
		return error_set(err_r, ERR_INTERNAL, "libxml2: no parser");
	if (xmlFindCharEncodingHandler(cs) == NULL)
		cs = "UTF-8";
	/* NONET: never load anything; IGNORE_ENC: a <meta charset> may not
	 * change what we were told; RECOVER: any input gives a tree */
	doc = htmlCtxtReadMemory(ctxt, in, (int)n, NULL, cs,
	    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC);
	htmlFreeParserCtxt(ctxt);
	if (doc == NULL)
		return 0;	/* nothing the parser could make a tree of */
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	buf_init(&w.u, HTMLSAN_STYLE_MAX);
	root = xmlDocGetRootElement(doc);
	if (root != NULL && strcasecmp((const char *)root->name, "html") ==
	    0) {
		for (k = root->children; k != NULL; k = k->next)
			if (k->type == XML_ELEMENT_NODE &&
			    strcasecmp((const char *)k->name, "head") == 0)
				walk_head_styles(&w, k->children);
		for (k = root->children; k != NULL && out->err == 0;
		    k = k->next) {
			if (k->type == XML_ELEMENT_NODE &&
			    strcasecmp((const char *)k->name, "head") == 0)
				continue;
			/* one node at a time: walk_nodes() follows next */
			{
				xmlNodePtr nx = k->next;

				k->next = NULL;
				walk_nodes(&w, k, 1);
				k->next = nx;
			}
		}
	} else
		walk_nodes(&w, doc->children, 0);
	buf_free(&w.u);
	xmlFreeDoc(doc);
	if (stats_r != NULL)
		*stats_r = w.st;
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "sanitised HTML too large");
	return 0;
}

/* ---- plain text ---- */

void
htmlsan_text(const char *in, size_t n, struct buf *out)
{
	size_t i = 0, from = 0;

	while (i < n) {
		size_t plen = 0, e;

		if (n - i >= 8 && strncasecmp(in + i, "https://", 8) == 0)
			plen = 8;
		else if (n - i >= 7 && strncasecmp(in + i, "http://", 7) == 0)
			plen = 7;
		else if (n - i >= 7 && strncasecmp(in + i, "mailto:", 7) == 0)
			plen = 7;
		if (plen == 0 || (i > 0 && ((in[i - 1] >= 'a' && in[i - 1] <=
		    'z') || (in[i - 1] >= 'A' && in[i - 1] <= 'Z')))) {
			i++;
			continue;
		}
		for (e = i + plen; e < n && (unsigned char)in[e] > 0x20 &&
		    in[e] != 0x7f && strchr("<>\"'`", in[e]) == NULL; e++)
			;
		/* trailing punctuation belongs to the sentence */
		while (e > i + plen && strchr(".,;:!?)]}", in[e - 1]) != NULL)
			e--;
		if (e == i + plen) {
			i++;
			continue;
		}
		esc(out, in + from, i - from, false);
		buf_puts(out, "<a href=\"");
		esc(out, in + i, e - i, true);
		buf_puts(out, "\" target=\"_blank\" rel=\"noopener "
		    "noreferrer\">");
		esc(out, in + i, e - i, false);
		buf_puts(out, "</a>");
		i = from = e;
	}
	esc(out, in + from, n - from, false);
}
