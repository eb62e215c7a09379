/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/htmlsan_fuzz.c: libFuzzer target for the HTML sanitiser
 * (src/lib/htmlsan.c).  The first byte picks the options (remote images,
 * links, a cid hook, a charset); the rest is the HTML.  Besides memory
 * errors (ASan/UBSan) it aborts when the output holds anything active: an
 * element or attribute outside the allow-list's names, an event handler, a
 * script URL, a comment; and the output is sanitised a second time to
 * check that it is stable (sanitising clean output changes nothing the
 * browser would run).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/htmlsan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
cid_hook(void *arg, const char *cid, struct buf *out)
{
	(void)arg;
	if (cid[0] == 'x')
		return false;
	buf_puts(out, "/Message/E1-1/part/2");
	return true;
}

/* Outside quoted attribute values, every '<' must open one of the tags
 * the sanitiser writes, and no attribute may be an event handler. */
static void
check(const char *s, size_t n)
{
	static const char *const bad[] = {
		"<script", "<iframe", "<object",
		"<embed", "<form", "<svg", "<math", "<meta", "<base", "<link",
		"<!--", "<input", "<frame", "<noscript", "<template",
		"<textarea", "<title",
	};
	size_t i;
	bool in_tag = false, url_attr = false;
	char q = 0;

	if (memchr(s, '\0', n) != NULL)
		abort();
	for (i = 0; i < N_ELEMENTS(bad); i++)
		if (strcasestr(s, bad[i]) != NULL)
			abort();
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (q != 0) {
			if (c == q)
				q = 0;
			else if (c == '<' || c == '>')
				abort();	/* attribute values are escaped */
			else if (url_attr && (c == 'j' || c == 'J' || c == 'v' ||
			    c == 'V') && (strncasecmp(s + i, "javascript:",
			    11) == 0 || strncasecmp(s + i, "vbscript:", 9) == 0))
				abort();	/* a script URL in a style
						 * (title="..." may say it) */
			continue;
		}
		if (in_tag) {
			if (c == '"') {
				size_t b = i - 1;

				/* the attribute's name, before '=' */
				while (b > 0 && s[b - 1] >= 'a' && s[b - 1] <=
				    'z')
					b--;
				/* a URL attribute must not start with a
				 * script scheme (http://x/javascript: is
				 * fine); a style may not hold one at all */
				if (((i - 1 - b == 4 && strncmp(s + b, "href",
				    4) == 0) || (i - 1 - b == 3 && strncmp(s +
				    b, "src", 3) == 0) || (i - 1 - b == 10 &&
				    strncmp(s + b, "background", 10) == 0)) &&
				    (strncasecmp(s + i + 1, "javascript:", 11) ==
				    0 || strncasecmp(s + i + 1, "vbscript:", 9) ==
				    0 || strncasecmp(s + i + 1, "data:text", 9) ==
				    0))
					abort();
				url_attr = i - 1 - b == 5 && strncmp(s + b,
				    "style", 5) == 0;
				q = c;
			}
			else if (c == '>')
				in_tag = false;
			else if (c == '\'' || c == '<' || (c == '=' &&
			    i + 1 < n && s[i + 1] != '"'))
				abort();	/* always double-quoted */
			else if (c == ' ' && i + 2 < n &&
			    (s[i + 1] == 'o' || s[i + 1] == 'O') &&
			    (s[i + 2] == 'n' || s[i + 2] == 'N'))
				abort();	/* on* handlers */
			continue;
		}
		if (c == '<')
			in_tag = true;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct htmlsan_opts o;
	struct htmlsan_stats st;
	struct buf out, again;
	struct error err;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	memset(&o, 0, sizeof(o));
	o.remote_images = (flags & 1) != 0;
	o.links_blank = (flags & 2) != 0;
	if (flags & 4)
		o.cid_url = cid_hook;
	if (flags & 8)
		o.charset = "ISO-8859-1";
	buf_init(&out, 4 * 1024 * 1024);
	if (htmlsan_clean((const char *)data + 1, size - 1, &o, &out, &st,
	    &err) == 0) {
		check(buf_cstr(&out), out.len);
		buf_init(&again, 4 * 1024 * 1024);
		o.charset = NULL;
		if (htmlsan_clean(buf_cstr(&out), out.len, &o, &again, NULL,
		    &err) == 0)
			check(buf_cstr(&again), again.len);
		buf_free(&again);
	}
	buf_free(&out);
	{
		size_t blocked = 0;

		buf_init(&out, 1024 * 1024);
		htmlsan_style((const char *)data + 1, size - 1, &o, &out,
		    &blocked);
		buf_free(&out);
		buf_init(&out, 4 * 1024 * 1024);
		htmlsan_text((const char *)data + 1, size - 1, &out);
		buf_free(&out);
	}
	return 0;
}
