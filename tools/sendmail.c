/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sendmail: the server's sendmail replacement (docs/sendmail.md;
 * docs/behaviour.md, B17).  Scripts that pipe a message to sendmail work
 * unchanged:
 * the message is read from standard input and written as one file into the
 * Submitted folder (<base>/Submitted/<unique>.tmp, fsynced, renamed to
 * .sub), which the running server queues (src/delivery/submitted.c).  It
 * does not talk to the server, so it works while the server is stopped or
 * busy; the message is queued when the server next scans the folder.
 *
 *   sendmail [options] [--] [recipient ...]
 *
 *   -t		recipients from the To:, Cc:, Bcc: fields.  Recipients given
 *		as arguments are ADDED (Postfix behaviour; classic sendmail
 *		removed them).
 *   -f addr, -faddr, -r addr	envelope sender (written as Return-Path:);
 *		"<>" or "" is the null sender.
 *   -F name	full name for the From: field added when the message has none.
 *   -i, -oi	a line with a single "." does not end the input (without it
 *		such a line ends the message, like sendmail).
 *   -bm		deliver mail (the default); other -b modes are refused.
 *   -o...	other options ignored; -v ignored; -q (run the queue) does
 *		nothing (the server runs its queue by itself) and exits 0.
 *   -N, -R, -V, -B, -C, -X, -L, -h (with an argument), -n, -m, -U, -G
 *		accepted and ignored.
 *   --base DIR	the base directory; else $TEGAMI_BASE, else /var/Tegami.
 *
 * Argument recipients become Envelope-To: fields (then they alone are the
 * recipients; with -t the header recipients are written too).  A message
 * without From: gets one with the sender (-f, else the login name at the
 * main domain read from Settings/Main.settings).  Exit status 0, or a
 * sysexits code with a message on standard error.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "delivery/submitted.h"
#include "lib/addrlist.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "router/address.h"

#define DEFAULT_BASE	"/var/Tegami"

struct opts {
	const char	*base;
	const char	*sender;	/* -f/-r, or NULL */
	const char	*fullname;	/* -F, or NULL */
	bool		 t, i;
	char		**rcpts;	/* canonical argument recipients */
	size_t		 nrcpt;
};

static void die(int, const char *, ...) ATTR_FORMAT(2, 3) ATTR_NORETURN;

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sendmail: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

/* The main domain from Settings/Main.settings, else the host name. */
static char *
main_domain(const char *base)
{
	char *path = xasprintf("%s/Settings/Main.settings", base), host[256];
	struct dval *d = dict_file_read(path, NULL);
	const char *s;
	char *r = NULL;

	free(path);
	if (d != NULL && (s = dict_get_str(d, "DomainName")) != NULL &&
	    *s != '\0')
		r = xstrdup(s);
	dict_free(&d);
	if (r == NULL) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			memcpy(host, "localhost", 10);
		host[sizeof(host) - 1] = '\0';
		r = xstrdup(host);
	}
	return r;
}

/* Canonical address text; bare names get domain. */
static char *
canonical(const char *text, const char *domain)
{
	struct address a;
	char out[ADDRESS_MAX + DOMAIN_NAME_MAX + 2];
	struct error err;

	if (address_parse(text, strlen(text), &a, &err) < 0)
		die(EX_DATAERR, "bad address: %s", text);
	if (a.dkind == ADDRESS_DOMAIN_NONE &&
	    address_set_domain(&a, domain, strlen(domain), 0, &err) < 0)
		die(EX_DATAERR, "bad domain: %s", domain);
	if (address_format(&a, out, sizeof(out)) < 0)
		die(EX_DATAERR, "address too long: %s", text);
	return xstrdup(out);
}

static void
add_rcpts(struct opts *o, const char *arg, const char *domain)
{
	struct addrlist l = { NULL, 0 };
	struct error err;
	size_t i;

	if (addrlist_parse(arg, strlen(arg), &l, &err) < 0)
		die(EX_DATAERR, "bad recipient: %s", arg);
	for (i = 0; i < l.n; i++) {
		if (o->nrcpt >= SUBMITTED_RCPT_MAX)
			die(EX_DATAERR, "too many recipients");
		o->rcpts = xrealloc(o->rcpts, size_mul(o->nrcpt + 1,
		    sizeof(char *)));
		o->rcpts[o->nrcpt++] = canonical(l.v[i].addr, domain);
	}
	addrlist_clear(&l);
}

/* The value of an option taking an argument: attached or the next one. */
static const char *
optarg_of(char **argv, int *i, const char *attached)
{
	if (*attached != '\0')
		return attached;
	if (argv[*i + 1] == NULL)
		die(EX_USAGE, "option %s needs an argument", argv[*i]);
	return argv[++*i];
}

/* Parses the command line; returns the index of the first recipient. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	const char *a, *v;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1;
		if (strcmp(a, "--base") == 0) {
			if (argv[i + 1] == NULL)
				die(EX_USAGE, "%s needs a directory", a);
			o->base = argv[++i];
			continue;
		}
		if (strncmp(a, "--base=", 7) == 0) {
			o->base = a + 7;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0')
			return i;
		switch (a[1]) {
		case 't':
		case 'i':
		case 'v':
		case 'n':
		case 'm':
		case 'U':
		case 'G':
			for (v = a + 1; *v != '\0'; v++) {
				if (*v == 't')
					o->t = true;
				else if (*v == 'i')
					o->i = true;
				else if (strchr("vnmUG", *v) == NULL)
					die(EX_USAGE, "unknown option: %s", a);
			}
			break;
		case 'f':
		case 'r':
			o->sender = optarg_of(argv, &i, a + 2);
			break;
		case 'F':
			o->fullname = optarg_of(argv, &i, a + 2);
			break;
		case 'N':
		case 'R':
		case 'V':
		case 'B':
		case 'C':
		case 'X':
		case 'L':
		case 'h':
			(void)optarg_of(argv, &i, a + 2);
			break;
		case 'o':
			if (strcmp(a, "-oi") == 0 || strcmp(a, "-oitrue") == 0)
				o->i = true;
			break;			/* other -o options: ignored */
		case 'b':
			if (strcmp(a, "-bm") != 0)
				die(EX_USAGE, "mode not supported: %s", a);
			break;
		case 'q':
			exit(0);		/* the server runs its queue */
		default:
			die(EX_USAGE, "unknown option: %s", a);
		}
	}
	return i;
}

/* Reads standard input; without -i a line "." ends it. */
static void
read_message(struct buf *msg, bool dot_ok)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (!dot_ok && (strcmp(line, ".\n") == 0 ||
		    strcmp(line, ".\r\n") == 0 || strcmp(line, ".") == 0))
			break;
		buf_append(msg, line, (size_t)n);
		if (msg->err != 0)
			die(EX_DATAERR, "message larger than %lu bytes",
			    SUBMITTED_FILE_MAX);
	}
	if (ferror(stdin))
		die(EX_IOERR, "reading the message: %s", strerror(errno));
	free(line);
}

/* True when the header block of msg has a field named name. */
static bool
has_field(const struct buf *msg, const char *name)
{
	const char *p = msg->data, *e = msg->data + msg->len, *nl;
	size_t n = strlen(name);

	while (p < e && *p != '\n' && !(*p == '\r' && p + 1 < e &&
	    p[1] == '\n')) {
		if ((size_t)(e - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':')
			return true;
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

/* Writes data to dir/<unique>.tmp, fsyncs, renames to .sub, fsyncs dir. */
static void
submit(const char *dir, const struct buf *data)
{
	unsigned char rnd[6];
	char *tmp, *sub;
	size_t off = 0;
	ssize_t w;
	int fd;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		die(EX_OSERR, "getrandom: %s", strerror(errno));
	tmp = xasprintf("%s/%lld.%ld.%02x%02x%02x%02x%02x%02x.tmp", dir,
	    (long long)time(NULL), (long)getpid(), rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5]);
	sub = xstrdup(tmp);
	memcpy(sub + strlen(sub) - 4, ".sub", 4);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		die(EX_CANTCREAT, "cannot create the message file: %s",
		    strerror(errno));
	while (off < data->len) {
		w = write(fd, data->data + off, data->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			unlink(tmp);
			die(EX_IOERR, "writing the message file: %s",
			    strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		unlink(tmp);
		die(EX_IOERR, "writing the message file: %s", strerror(errno));
	}
	if (rename(tmp, sub) < 0) {
		unlink(tmp);
		die(EX_IOERR, "renaming the message file: %s", strerror(errno));
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(tmp);
	free(sub);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct buf msg, out;
	struct submitted_opts so;
	struct submitted_msg sm;
	struct passwd *pw;
	char *domain, *dir, *sender = NULL, *login;
	size_t i;
	int first;

	memset(&o, 0, sizeof(o));
	o.base = getenv("TEGAMI_BASE");
	first = parse_args(argc, argv, &o);
	if (o.base == NULL || *o.base == '\0')
		o.base = DEFAULT_BASE;
	domain = main_domain(o.base);
	for (i = (size_t)first; i < (size_t)argc; i++)
		add_rcpts(&o, argv[i], domain);
	if (!o.t && o.nrcpt == 0)
		die(EX_USAGE, "no recipients given (use -t to take them from "
		    "the message)");

	buf_init(&msg, SUBMITTED_FILE_MAX);
	read_message(&msg, o.i);

	if (o.sender != NULL) {
		const char *s = o.sender;

		if (strcmp(s, "<>") == 0 || *s == '\0')
			sender = xstrdup("");
		else
			sender = canonical(s, domain);
	}
	buf_init(&out, SUBMITTED_FILE_MAX);
	if (sender != NULL)
		buf_printf(&out, "Return-Path: <%s>\n", sender);
	if (o.t && o.nrcpt > 0) {
		/* Envelope-To: overrides the fields, so write their
		 * recipients too (the server still removes Bcc:). */
		so.main_domain = domain;
		so.now = time(NULL);
		so.unique = "sendmail";
		if (submitted_parse(msg.data, msg.len, &so, &sm, NULL) == 0)
			for (i = 0; i < sm.nrcpt; i++)
				buf_printf(&out, "Envelope-To: <%s>\n",
				    sm.rcpts[i]);
		submitted_msg_clear(&sm);
	}
	for (i = 0; i < o.nrcpt; i++)
		buf_printf(&out, "Envelope-To: <%s>\n", o.rcpts[i]);
	if (!has_field(&msg, "From")) {
		if (sender == NULL || *sender == '\0') {
			pw = getpwuid(getuid());
			login = canonical(pw != NULL ? pw->pw_name : "nobody",
			    domain);
		} else
			login = xstrdup(sender);
		if (o.fullname != NULL && strpbrk(o.fullname, "\r\n") == NULL) {
			const char *p;

			buf_puts(&out, "From: \"");
			for (p = o.fullname; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					buf_putc(&out, '\\');
				buf_putc(&out, *p);
			}
			buf_printf(&out, "\" <%s>\n", login);
		} else
			buf_printf(&out, "From: %s\n", login);
		free(login);
	}
	buf_append(&out, msg.data, msg.len);
	if (out.err != 0)
		die(EX_DATAERR, "message too large");

	dir = xasprintf("%s/Submitted", o.base);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die(EX_CANTCREAT, "no Submitted folder: %s", strerror(errno));
	submit(dir, &out);
	free(dir);
	free(domain);
	free(sender);
	for (i = 0; i < o.nrcpt; i++)
		free(o.rcpts[i]);
	free(o.rcpts);
	buf_free(&msg);
	buf_free(&out);
	return 0;
}
