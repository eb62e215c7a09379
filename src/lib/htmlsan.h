/* SPDX-License-Identifier: Apache-2.0 */
/*
 * htmlsan.h: the HTML sanitiser of WebUser (issue 13; docs/webuser.md):
 * mail HTML is parsed by libxml2's HTML parser (a real, recovering HTML
 * parser, never regular expressions) and only allow-listed elements and
 * attributes are written back out; the output is a fragment of well-formed
 * HTML to put inside a <body>.  Everything else is dropped: scripts, event
 * handlers, forms and their controls, frames, objects, embeds, <svg> and
 * <math> (with their content), <meta>, <link>, <base>, comments, CDATA and
 * processing instructions.
 *
 * URLs: a link (a href) keeps only http:, https:, mailto:, a cid: (rewritten
 * through the caller's hook) or a fragment ("#x", made "#m-x" as ids are);
 * an image (img src, background) keeps cid: (rewritten), data:image/ of a
 * raster type, and http:/https: only when remote images are allowed, else
 * the URL is dropped and counted.  srcset is always dropped.  Schemes are
 * matched after entity decoding (the parser's), white space and controls
 * removed, case folded: "JaVa&#x53;cript:" and "java\tscript:" are caught.
 * style attributes and <style> sheets are filtered (CSS comments and
 * escapes resolved first): expression(), behavior, -moz-binding, @import,
 * javascript:, and position other than static/relative are dropped; url()
 * is kept only for what an image may load.
 *
 * Pure apart from libxml2 (which it initialises once, thread-safe); no
 * logging, no I/O.
 */
#ifndef TEGAMI_LIB_HTMLSAN_H
#define TEGAMI_LIB_HTMLSAN_H

#include "lib/compat.h"

#include <stddef.h>

#include "lib/buf.h"
#include "lib/error.h"

#define HTMLSAN_INPUT_MAX	(32 * 1024 * 1024)	/* HTML given to libxml2 */
#define HTMLSAN_DEPTH_MAX	256	/* element nesting written out (libxml2's own) */
#define HTMLSAN_STYLE_MAX	(256 * 1024)	/* one style attribute or sheet filtered */

struct htmlsan_opts {
	/* the charset of the input (a name iconv or libxml2 knows); NULL:
	 * UTF-8.  <meta charset> in the document is ignored. */
	const char	*charset;
	/* keep http:/https: images (img src, background, CSS url()) */
	bool		 remote_images;
	/* add target="_blank" rel="noopener noreferrer" to links */
	bool		 links_blank;
	/* appends the URL to use for "cid:<cid>" (cid as in the URL,
	 * percent-decoded) to out and returns true, or false to drop it;
	 * NULL: cid: URLs are dropped */
	bool		(*cid_url)(void *arg, const char *cid, struct buf *out);
	void		*cid_arg;
};

struct htmlsan_stats {
	size_t		 blocked_images;	/* remote images held back */
	size_t		 dropped;		/* elements or attributes dropped */
	bool		 truncated;		/* nesting past HTMLSAN_DEPTH_MAX cut */
};

/*
 * Sanitises in[0, n) onto out (UTF-8).  stats_r may be NULL.  -1 with err_r
 * (ERR_LIMIT) when the input is larger than HTMLSAN_INPUT_MAX or out hit its
 * ceiling (out then holds a partial result the caller must not use), or
 * ERR_INTERNAL when libxml2 failed; 0 otherwise (any input parses).
 */
int	htmlsan_clean(const char *in, size_t n, const struct htmlsan_opts *o,
	    struct buf *out, struct htmlsan_stats *stats_r,
	    struct error *err_r);

/* Plain text in[0, n) (UTF-8) as HTML onto out: escaped, http:, https: and
 * mailto: URLs made links (target="_blank" rel="noopener noreferrer").  The
 * caller wraps it (e.g. in <pre>). */
void	htmlsan_text(const char *in, size_t n, struct buf *out);

/* Filters one CSS declaration list (a style attribute's value) onto out,
 * as htmlsan_clean() does; counts blocked images in *blocked. */
void	htmlsan_style(const char *in, size_t n, const struct htmlsan_opts *o,
	    struct buf *out, size_t *blocked);

#endif
