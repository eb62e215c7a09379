/* SPDX-License-Identifier: Apache-2.0 */
/*
 * htmlsan_test.c: the HTML sanitiser against the classic XSS vectors (the
 * OWASP filter-evasion list's families): nothing that runs or loads may
 * survive, and ordinary mail HTML must.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/htmlsan.h"
#include "lib/test.h"

static struct htmlsan_stats st;

static bool
cid_hook(void *arg, const char *cid, struct buf *out)
{
	(void)arg;
	if (strcmp(cid, "known@x") != 0)
		return false;
	buf_puts(out, "/Message/E1-1/part/3");
	return true;
}

static const char *
san2(const char *in, bool remote)
{
	static struct buf out;
	struct htmlsan_opts o;
	struct error err;

	memset(&o, 0, sizeof(o));
	o.remote_images = remote;
	o.links_blank = true;
	o.cid_url = cid_hook;
	buf_free(&out);
	buf_init(&out, 1024 * 1024);
	if (htmlsan_clean(in, strlen(in), &o, &out, &st, &err) < 0)
		return "ERROR";
	return buf_cstr(&out);
}

static const char *
san(const char *in)
{
	return san2(in, false);
}

/* Nothing active: no script element, no event handler, no script URL,
 * none of the dropped elements, whatever the case. */
static bool
inert(const char *out)
{
	static const char *const bad[] = {
		"<script", "javascript:", "vbscript:", " on", "<iframe",
		"<object", "<embed", "<form", "<svg", "<math", "<meta",
		"<base", "<link", "expression", "data:text", "<input",
		"<button", "<textarea", "<frame", "<applet", "srcset",
		"<noscript", "<template", "<!--", "<![cdata", "@import",
		"behavior", "binding", "<title", "<xmp", "<plaintext",
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(bad); i++)
		if (strcasestr(out, bad[i]) != NULL) {
			fprintf(stderr, "  found %s in: %s\n", bad[i], out);
			return false;
		}
	return true;
}

int
main(void)
{
	static const char *const vectors[] = {
		"<script>alert(1)</script>",
		"<SCRIPT SRC=//x.example/x.js></SCRIPT>",
		"<scr<script>ipt>alert(1)</scr</script>ipt>",
		"<img src=x onerror=alert(1)>",
		"<img src=x OnErRoR=alert(1)>",
		"<img src=\"x\" onerror=\"alert(1)\"/>",
		"<body onload=alert(1)>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\"JaVaScRiPt:alert(1)\">x</a>",
		"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;"
		    "&#116;&#58;alert(1)\">x</a>",
		"<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
		"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
		"<a href=\"jav\tascript:alert(1)\">x</a>",
		"<a href=\"jav\nascript:alert(1)\">x</a>",
		"<a href=\" \x01javascript:alert(1)\">x</a>",
		"<a href=\"vbscript:msgbox(1)\">x</a>",
		"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2"
		    "NyaXB0Pg==\">x</a>",
		"<img src=\"data:text/html,<script>alert(1)</script>\">",
		"<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
		"<svg><script>alert(1)</script></svg>",
		"<svg onload=alert(1)>",
		"<math><mtext><table><mglyph><style><img src=x onerror="
		    "alert(1)>",
		"<iframe src=\"https://x.example/\"></iframe>",
		"<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
		"<object data=\"x.swf\"></object><embed src=\"x.swf\">",
		"<form action=\"https://x.example/\"><input name=a>"
		    "<button formaction=javascript:alert(1)>go</button></form>",
		"<meta http-equiv=\"refresh\" content=\"0;url=javascript:"
		    "alert(1)\">",
		"<base href=\"https://x.example/\">",
		"<link rel=stylesheet href=\"https://x.example/x.css\">",
		"<div style=\"background:url(javascript:alert(1))\">x</div>",
		"<div style=\"width: expression(alert(1))\">x</div>",
		"<div style=\"width: expr/**/ession(alert(1))\">x</div>",
		"<div style=\"width: \\65 xpression(alert(1))\">x</div>",
		"<div style=\"behavior: url(x.htc)\">x</div>",
		"<div style=\"-moz-binding: url(x.xml#xss)\">x</div>",
		"<style>@import 'https://x.example/x.css';</style>",
		"<style>@im\\port 'x.css';</style>",
		"<style>body{background:url(\"javascript:alert(1)\")}</style>",
		"<style></style><script>alert(1)</script>",
		"<style>a{color:red}</style><img src=x onerror=alert(1)>",
		"<img srcset=\"https://x.example/a.png 1x\">",
		"<!--<script>alert(1)</script>-->",
		"<!--[if IE]><script>alert(1)</script><![endif]-->",
		"<![CDATA[<script>alert(1)</script>]]>",
		"<p>unclosed <b>tags <i><img src=x onerror=alert(1)",
		"<img src=x onerror=alert(1)",
		"<a href=\"javascript:alert(1)",
		"<noscript><p title=\"</noscript><img src=x onerror="
		    "alert(1)>\"></noscript>",
		"<template><script>alert(1)</script></template>",
		"<textarea><script>alert(1)</script></textarea>",
		"<xmp><script>alert(1)</script></xmp>",
		"<title><script>alert(1)</script></title>",
		"<plaintext><script>alert(1)</script>",
		"<div/onmouseover='alert(1)'>x</div>",
		"<img \"\"\"><script>alert(1)</script>\">",
		"<<script>alert(1);//<</script>",
		"<a href=\"java&#0000115cript:alert(1)\">x</a>",
		"<frameset><frame src=\"javascript:alert(1)\"></frameset>",
		"<isindex action=javascript:alert(1) type=image>",
		"<video><source onerror=alert(1)></video>",
		"<details open ontoggle=alert(1)>",
		"<a href=\"  javascript:alert(1)\">x</a>",
		"<a href=\"java\0script:alert(1)\">x</a>",
		"<xss style=\"xss:expression(alert(1))\">",
		"<table background=\"javascript:alert(1)\"><tr><td>x</td></tr>"
		    "</table>",
		"<div style=\"background-image: image-set('x.png' 1x)\">",
		"<style>*{x:expression(alert(1))}</style>",
		"<style>a{}</style<script>alert(1)</script>",
		"<a href=\"https://ok.example/\" onclick=\"alert(1)\">ok</a>",
	};
	size_t i;
	const char *o;

	test_begin("classic XSS vectors come out inert");
	for (i = 0; i < N_ELEMENTS(vectors); i++) {
		o = san(vectors[i]);
		if (!inert(o))
			fprintf(stderr, "  vector %zu: %s\n", i, vectors[i]);
		test_assert(inert(o));
		/* with remote images allowed too */
		o = san2(vectors[i], true);
		test_assert(inert(o));
	}
	test_end();

	test_begin("ordinary mail HTML survives");
	o = san("<html><head><title>t</title></head><body bgcolor=\"#fff\">"
	    "<p style=\"color: red; font-family: 'Times New Roman'\">Hello "
	    "<b>world</b> &amp; co</p><table border=1><tr><td colspan=2>c"
	    "</td></tr></table></body></html>");
	test_assert_str(o, "<div bgcolor=\"#fff\"><p style=\"color:red;"
	    "font-family:&#39;Times New Roman&#39;;\">Hello <b>world</b> "
	    "&amp; co</p><table border=\"1\"><tr><td colspan=\"2\">c"
	    "</td></tr></table></div>");
	test_end();

	test_begin("links get http(s)/mailto only, and target _blank");
	o = san("<a href=\"https://ok.example/a?b=1&amp;c=2\">x</a>");
	test_assert_str(o, "<div><a href=\"https://ok.example/a?b=1&amp;c=2\" "
	    "target=\"_blank\" rel=\"noopener noreferrer\">x</a></div>");
	o = san("<a href=\"mailto:a@b.example\">m</a>");
	test_assert(strstr(o, "href=\"mailto:a@b.example\"") != NULL);
	o = san("<a href=\"/logout\">rel</a><a href=\"ftp://x/\">f</a>");
	test_assert(strstr(o, "href") == NULL);
	o = san("<a href=\"#top\">t</a><a name=\"top\" id=\"x\">a</a>");
	test_assert(strstr(o, "href=\"#m-top\"") != NULL);
	test_assert(strstr(o, "name=\"m-top\"") != NULL);
	test_assert(strstr(o, "id=\"m-x\"") != NULL);
	test_end();

	test_begin("remote images are held back and counted");
	o = san("<img src=\"https://x.example/t.gif\" alt=\"a\"><img src="
	    "\"http://x.example/u.gif\"><div style=\"background: url("
	    "'https://x.example/b.png')\">x</div><img srcset=\"http://x/a 1x"
	    "\">");
	test_assert(strstr(o, "x.example") == NULL);
	test_assert(st.blocked_images == 4);
	test_assert(strstr(o, "alt=\"a\"") != NULL);
	o = san2("<img src=\"https://x.example/t.gif\"><div style=\"background:"
	    " url('https://x.example/b.png') no-repeat\">x</div>", true);
	test_assert(strstr(o, "src=\"https://x.example/t.gif\"") != NULL);
	test_assert(strstr(o, "background:url(&quot;https://x.example/b.png"
	    "&quot;) no-repeat;") != NULL);
	test_assert(st.blocked_images == 0);
	o = san("<style>td{background:url(http://x.example/a.png)}"
	    "p{color:blue}</style><p>x</p>");
	test_assert(strstr(o, "x.example") == NULL);
	test_assert(strstr(o, "p{color:blue;}") != NULL);
	test_assert(st.blocked_images == 1);
	test_end();

	test_begin("cid: images are rewritten, unknown ones dropped");
	o = san("<img src=\"cid:known@x\"><img src=\"CID:other@x\">");
	test_assert_str(o, "<div><img src=\"/Message/E1-1/part/3\"><img>"
	    "</div>");
	o = san("<img src=\"cid:known%40x\">");
	test_assert(strstr(o, "/Message/E1-1/part/3") != NULL);
	o = san("<img src=\"data:image/png;base64,iVBORw0KGgo=\">");
	test_assert(strstr(o, "src=\"data:image/png;base64,iVBORw0KGgo=\"") !=
	    NULL);
	test_end();

	test_begin("style: position fixed and absolute go, relative stays");
	o = san("<div style=\"position:fixed;top:0\">a</div><div style="
	    "\"position: ABSOLUTE\">b</div><div style=\"position:relative\">"
	    "c</div>");
	test_assert(strstr(o, "fixed") == NULL);
	test_assert(strcasestr(o, "absolute") == NULL);
	test_assert(strstr(o, "top:0;") != NULL);
	test_assert(strstr(o, "position:relative;") != NULL);
	test_end();

	test_begin("style sheets: rules kept, @media kept, </style> cannot "
	    "break out");
	o = san("<style>@media (max-width: 600px) { p { color: red } }"
	    "</style><p>x</p>");
	test_assert(strstr(o, "@media (max-width: 600px) {") != NULL);
	test_assert(strstr(o, "color:red;") != NULL);
	o = san("<style>p{font-family:\"</style><script>alert(1)</script>\"}"
	    "</style>");
	test_assert(inert(o));
	test_end();

	test_begin("text escaping, entities, charset");
	o = san("<p>a &lt;b&gt; &quot;c&quot; &#x263A;</p>");
	test_assert_str(o, "<div><p>a &lt;b&gt; \"c\" \xe2\x98\xba</p></div>");
	{
		struct htmlsan_opts op;
		struct buf out;
		struct error err;

		memset(&op, 0, sizeof(op));
		op.charset = "ISO-8859-1";
		buf_init(&out, 4096);
		test_assert(htmlsan_clean("<p>caf\xe9</p>", 9, &op, &out, NULL,
		    &err) == 0);
		test_assert_str(buf_cstr(&out), "<div><p>caf\xc3\xa9</p></div>");
		/* a meta charset does not override what we were told */
		buf_reset(&out);
		op.charset = NULL;
		test_assert(htmlsan_clean("<meta charset=\"iso-8859-1\"><p>"
		    "\xc3\xa9</p>", 38, &op, &out, NULL, &err) == 0);
		test_assert(strstr(buf_cstr(&out), "\xc3\xa9") != NULL);
		buf_free(&out);
	}
	test_end();

	test_begin("limits: an output ceiling is an error, deep nesting cut");
	{
		struct htmlsan_opts op;
		struct buf out, in;
		struct error err;

		memset(&op, 0, sizeof(op));
		buf_init(&out, 16);
		test_assert(htmlsan_clean("<p>0123456789012345678901234567</p>",
		    35, &op, &out, NULL, &err) == -1 && err.kind == ERR_LIMIT);
		buf_free(&out);
		buf_init(&in, 1024 * 1024);
		for (i = 0; i < 2000; i++)
			buf_puts(&in, "<div>");
		buf_puts(&in, "deep");
		buf_init(&out, 1024 * 1024);
		test_assert(htmlsan_clean(in.data, in.len, &op, &out, &st,
		    &err) == 0);
		buf_free(&out);
		buf_free(&in);
	}
	test_end();

	test_begin("plain text: escaped, URLs linked");
	{
		struct buf out;

		buf_init(&out, 4096);
		htmlsan_text("a <b> see https://x.example/p?a=1&b=2. and "
		    "javascript:alert(1)", 62, &out);
		test_assert_str(buf_cstr(&out), "a &lt;b&gt; see <a href=\""
		    "https://x.example/p?a=1&amp;b=2\" target=\"_blank\" rel=\""
		    "noopener noreferrer\">https://x.example/p?a=1&amp;b=2</a>. "
		    "and javascript:alert(1)");
		buf_free(&out);
	}
	test_end();

	return test_done();
}
