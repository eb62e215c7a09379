/* SPDX-License-Identifier: Apache-2.0 */
/*
 * objects.c: opening, loading and reloading the object store, shared file
 * helpers, the server-wide network address lists, module settings and
 * their tables, and the Router Table text (the named settings files --
 * Main, DomainDefault, Protection ... -- are in settings_file.c).
 *
 * Storage layout under the base directory (also in docs/storage.md):
 *
 *   Settings/Main.settings           server settings; DomainName = main domain
 *   Settings/DomainDefault.settings  server-wide domain defaults, with the
 *                                    nested AccountDefaults dictionary
 *                                    (server-wide account defaults)
 *   Settings/WebUserPrefs.settings   server-wide account preference defaults
 *   Settings/Network.settings        address lists as text: ClientIPs,
 *                                    BlacklistedIPs, WhiteHoleIPs, DebugIPs,
 *                                    LANIPs, DeniedIPs, NATedIPs
 *   Settings/Protection.settings     protection settings
 *   Settings/<MODULE>.settings       one per module (SMTP, POP, HTTPU ...)
 *   Settings/Router.txt              the Router Table text
 *   Accounts/                        folder of the main domain
 *   Domains/<domain>/                folder of each secondary domain
 *
 * A domain folder holds:
 *   domain.settings                  the domain's settings; DomainAliases
 *                                    (array), IPAddresses, AccountDefaults
 *                                    and AccountPrefs (nested dictionaries)
 *   Forwarders.settings              { name = "address"; }
 *   AccountTemplate.settings         settings copied into new accounts
 *   <account>.macnt/                 one folder per account:
 *       account.settings             the account's own settings (Password,
 *                                    PasswordEncryption, RealName ...)
 *       account.prefs                its preferences
 *       account.meta                 { Type = MultiMailbox; Aliases = (..);
 *                                      Rights = (Master); }
 *       initial.password             generated postmaster password (0600)
 *
 * Every file is a dictionary in the data format (lib/dict.h) written
 * atomically (dict_file_write); missing files mean empty dictionaries.
 */
#include "lib/compat.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/fileio.h"
#include "lib/iplist.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

static const char *const iplist_names[OBJ_IPS_COUNT] = {
	"ClientIPs", "BlacklistedIPs", "WhiteHoleIPs", "DebugIPs", "LANIPs",
	"DeniedIPs", "NATedIPs"
};

/* ---- helpers shared by the module's files ------------------------------ */

int
obj_path(char *buf, size_t size, struct error *err_r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return error_set(err_r, ERR_LIMIT, "path too long");
	return 0;
}

void
obj_copy(char *buf, size_t size, const char *s)
{
	size_t n;

	if (size == 0)
		return;
	n = strlen(s);
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

struct dval *
obj_read_dict(const char *path, struct error *err_r)
{
	struct error err;
	struct dval *d;

	error_clear(&err);
	d = dict_file_read(path, &err);
	if (d == NULL) {
		if (err.kind == ERR_NOTFOUND)
			return dict_new_dict();
		error_set(err_r, err.kind, "%s: %s", path, err.msg);
		return NULL;
	}
	if (dict_type(d) != DICT_DICT) {
		dict_free(&d);
		error_set(err_r, ERR_SYNTAX, "%s: not a dictionary", path);
		return NULL;
	}
	return d;
}

/* Settings files are replaced atomically (lib/fileio: temporary file,
 * fsync, rename, fsync of the folder). */
int
obj_write_text(const char *path, const char *text, size_t len, mode_t mode,
    struct error *err_r)
{
	return fileio_write_atomic(path, text, len, mode, 0, err_r);
}

static int
rm_one(const char *path, const struct stat *sb ATTR_UNUSED, int flag,
    struct FTW *ftw ATTR_UNUSED)
{
	if (flag == FTW_DP)
		return rmdir(path) == -1 ? -1 : 0;
	return unlink(path) == -1 ? -1 : 0;
}

int
obj_rmtree(const char *path, struct error *err_r)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1 &&
	    errno != ENOENT)
		return error_set(err_r, ERR_IO, "removing %s: %s", path,
		    strerror(errno));
	return 0;
}

struct dval *
obj_merge(const struct dval *cur, const struct dval *in, bool update,
    struct error *err_r)
{
	struct dval *nv;

	if (in == NULL || dict_type(in) != DICT_DICT) {
		error_set(err_r, ERR_SYNTAX, "dictionary expected");
		return NULL;
	}
	if (!update) {
		nv = dict_clone(in);
		/* "default" means absent in a Set as in an Update. */
		for (size_t i = dict_len(nv); i > 0; i--) {
			const char *s = dict_str(dict_value_at(nv, i - 1), NULL);

			if (s != NULL && dict_type(dict_value_at(nv, i - 1)) ==
			    DICT_STRING && strcmp(s, "default") == 0)
				dict_remove(nv, dict_key_at(nv, i - 1));
		}
		return nv;
	}
	nv = cur != NULL && dict_type(cur) == DICT_DICT ? dict_clone(cur) :
	    dict_new_dict();
	dict_update(nv, in);
	return nv;
}

/* Bumped by every change of an object (objects_change_epoch). */
static _Atomic uint64_t change_epoch = 1;

uint64_t
objects_change_epoch(void)
{
	return change_epoch;
}

void
obj_changed(void)
{
	change_epoch++;
}

int
obj_commit(struct dval **slot, const char *path, struct dval *nv,
    struct error *err_r)
{
	if (dict_file_write(path, nv, err_r) == -1) {
		dict_free(&nv);
		return -1;
	}
	dict_free(slot);
	*slot = nv;
	obj_changed();
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

struct dval *
obj_sorted_array(struct dval *arr)
{
	size_t n = dict_array_len(arr), i;
	const char **v;
	struct dval *out;

	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = dict_str(dict_array_get(arr, i), NULL);
	qsort(v, n, sizeof(*v), cmp_str);
	out = dict_new_array();
	for (i = 0; i < n; i++)
		dict_array_push_cstr(out, v[i]);
	free(v);
	dict_free(&arr);
	return out;
}

/* ---- loading ----------------------------------------------------------- */

static void
state_free(struct objstate **stp)
{
	struct objstate *st = *stp;
	struct domain *d, *next;
	int i;

	if (st == NULL)
		return;
	*stp = NULL;
	for (d = st->domains; d != NULL; d = next) {
		next = d->next;
		dom_free(d);
	}
	ohash_clear(&st->dnames, NULL);
	dict_free(&st->main);
	dict_free(&st->ddef);
	dict_free(&st->uprefs);
	dict_free(&st->network);
	dict_free(&st->protection);
	for (i = 0; i < OBJ_IPS_COUNT; i++)
		iplist_free(&st->ipl[i]);
	free(st);
}

static int
make_dir(const char *path, struct error *err_r)
{
	if (mkdir(path, 0750) == -1 && errno != EEXIST)
		return error_set(err_r, ERR_IO, "mkdir %s: %s", path,
		    strerror(errno));
	return 0;
}

static int
parse_network(struct objstate *st, struct error *err_r)
{
	const char *text;
	int i;

	for (i = 0; i < OBJ_IPS_COUNT; i++) {
		text = dict_get_str(st->network, iplist_names[i]);
		if (text == NULL || *text == '\0')
			continue;
		st->ipl[i] = iplist_parse(text, strlen(text), err_r);
		if (st->ipl[i] == NULL)
			return -1;
	}
	return 0;
}

static void
load_domain_aliases(struct objstate *st)
{
	const struct dval *arr;
	struct domain *d;
	const char *a;
	size_t i;

	for (d = st->domains; d != NULL; d = d->next) {
		arr = dict_get(d->settings, "DomainAliases");
		if (arr == NULL || dict_type(arr) != DICT_ARRAY)
			continue;
		for (i = 0; i < dict_array_len(arr); i++) {
			a = dict_str(dict_array_get(arr, i), NULL);
			if (a != NULL && objects_domain_name_valid(a) &&
			    ohash_get(&st->dnames, a) == NULL)
				ohash_put(&st->dnames, a, d);
		}
	}
}

static struct objstate *
state_load(struct objects *o, const char *main_if_new, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], hn[DOMAIN_NAME_MAX + 1];
	struct objstate *st;
	struct domain *d, **tail;
	const char *mainname;
	struct dirent *de;
	struct stat sb;
	DIR *dir;

	st = xcalloc(1, sizeof(*st));
	ohash_init(&st->dnames);
#define RD(field, file) do {						\
	if (obj_path(path, sizeof(path), err_r, "%s/Settings/%s",	\
	    o->base, file) == -1 ||					\
	    (st->field = obj_read_dict(path, err_r)) == NULL)		\
		goto fail;						\
} while (0)
	RD(main, "Main.settings");
	RD(ddef, "DomainDefault.settings");
	RD(uprefs, "WebUserPrefs.settings");
	RD(network, "Network.settings");
	RD(protection, "Protection.settings");
#undef RD
	if (parse_network(st, err_r) == -1)
		goto fail;

	mainname = dict_get_str(st->main, "DomainName");
	if (mainname == NULL || !objects_domain_name_valid(mainname)) {
		if (main_if_new != NULL)
			obj_copy(hn, sizeof(hn), main_if_new);
		else if (gethostname(hn, sizeof(hn)) == -1)
			obj_copy(hn, sizeof(hn), "localhost");
		hn[sizeof(hn) - 1] = '\0';
		if (!objects_domain_name_valid(hn)) {
			error_set(err_r, ERR_SYNTAX, "illegal domain name: %s",
			    hn);
			goto fail;
		}
		dict_set_str(st->main, "DomainName", hn);
		if (obj_path(path, sizeof(path), err_r,
		    "%s/Settings/Main.settings", o->base) == -1 ||
		    dict_file_write(path, st->main, err_r) == -1)
			goto fail;
		mainname = dict_get_str(st->main, "DomainName");
	}

	if (obj_path(path, sizeof(path), err_r, "%s/Accounts", o->base) == -1)
		goto fail;
	if ((st->maind = dom_load(o, st, mainname, path, true, err_r)) == NULL)
		goto fail;
	st->domains = st->maind;
	tail = &st->maind->next;

	if (obj_path(path, sizeof(path), err_r, "%s/Domains", o->base) == -1)
		goto fail;
	if ((dir = opendir(path)) == NULL) {
		error_set(err_r, ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while ((de = readdir(dir)) != NULL) {
		char dpath[OBJECTS_PATH_MAX];

		if (!objects_domain_name_valid(de->d_name) ||
		    ohash_get(&st->dnames, de->d_name) != NULL)
			continue;
		if (obj_path(dpath, sizeof(dpath), err_r, "%s/Domains/%s",
		    o->base, de->d_name) == -1 ||
		    stat(dpath, &sb) == -1 || !S_ISDIR(sb.st_mode))
			continue;
		if ((d = dom_load(o, st, de->d_name, dpath, false,
		    err_r)) == NULL) {
			closedir(dir);
			goto fail;
		}
		*tail = d;
		tail = &d->next;
	}
	closedir(dir);
	load_domain_aliases(st);
	return st;
fail:
	state_free(&st);
	return NULL;
}

struct objects *
objects_open(const char *base, const char *main_domain_if_new,
    struct error *err_r)
{
	static const char *const subdirs[] = { "Settings", "Accounts",
	    "Domains" };
	char path[OBJECTS_PATH_MAX];
	struct objects *o;
	size_t i;

	if (make_dir(base, err_r) == -1)
		return NULL;
	for (i = 0; i < N_ELEMENTS(subdirs); i++) {
		if (obj_path(path, sizeof(path), err_r, "%s/%s", base,
		    subdirs[i]) == -1 || make_dir(path, err_r) == -1)
			return NULL;
	}
	o = xcalloc(1, sizeof(*o));
	o->base = xstrdup(base);
	pthread_rwlock_init(&o->lock, NULL);
	pthread_mutex_init(&o->iflock, NULL);
	logininfo_init(o);
	if ((o->st = state_load(o, main_domain_if_new, err_r)) == NULL) {
		objects_close(&o);
		return NULL;
	}
	objects_refresh_local_ips(o);
	return o;
}

static void	modules_free(struct objects *o);
static void	modules_reload(struct objects *o);

void
objects_close(struct objects **op)
{
	struct objects *o = *op;

	if (o == NULL)
		return;
	*op = NULL;
	modules_free(o);
	state_free(&o->st);
	localip_free(o);
	logininfo_free(o);
	pthread_rwlock_destroy(&o->lock);
	pthread_mutex_destroy(&o->iflock);
	free(o->base);
	free(o);
}

int
objects_reload(struct objects *o, struct error *err_r)
{
	struct objstate *st, *old;

	if ((st = state_load(o, NULL, err_r)) == NULL)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	old = o->st;
	o->st = st;
	pthread_rwlock_unlock(&o->lock);
	state_free(&old);
	modules_reload(o);
	objects_refresh_local_ips(o);
	return 0;
}

const char *
objects_base(const struct objects *o)
{
	return o->base;
}

void
objects_main_domain(struct objects *o, char *buf, size_t size)
{
	pthread_rwlock_rdlock(&o->lock);
	obj_copy(buf, size, o->st->maind->name);
	pthread_rwlock_unlock(&o->lock);
}

bool
objects_name_valid(const char *name)
{
	size_t n = strlen(name), i;
	unsigned char c;

	if (n == 0 || n > OBJECT_NAME_MAX || name[0] == '.' ||
	    name[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}

bool
objects_domain_name_valid(const char *name)
{
	size_t n = strlen(name), i;
	unsigned char c;

	if (n == 0 || n > DOMAIN_NAME_MAX || name[0] == '.' ||
	    name[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (c == '.' && name[i + 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* ---- settings tables of server-wide files (settings_file.c) ------------ */

static int	modtables_check(struct objects *o, const char *file,
		    const struct dval *d, struct error *err_r);
static void	modtables_swap(struct objects *o, const char *file,
		    const struct dval *d);
static void	modfile_store(struct objects *o, const char *module,
		    struct dval *d);

/* "Protection.settings" -> "Protection"; false when file is no
 * "<name>.settings" with a module-sized name. */
static bool
module_of(const char *file, char *mod, size_t size)
{
	size_t n = strlen(file), sl = strlen(".settings");

	mod[0] = '\0';
	if (n <= sl || n - sl >= size || strcmp(file + n - sl, ".settings") != 0)
		return false;
	memcpy(mod, file, n - sl);
	mod[n - sl] = '\0';
	return true;
}

int
obj_modfile_check(struct objects *o, const char *file, const struct dval *d,
    struct error *err_r)
{
	char mod[OBJECTS_MODULE_NAME_MAX + 1];

	if (!module_of(file, mod, sizeof(mod)))
		return 0;
	return modtables_check(o, mod, d, err_r) < 0 ? -1 : 0;
}

void
obj_modfile_changed(struct objects *o, const char *file, const struct dval *d)
{
	char mod[OBJECTS_MODULE_NAME_MAX + 1];

	if (!module_of(file, mod, sizeof(mod)))
		return;
	modtables_swap(o, mod, d);
	modfile_store(o, mod, dict_clone(d));
}

/* ---- network address lists --------------------------------------------- */

const char *
objects_iplist_name(enum obj_iplist which)
{
	if ((unsigned)which >= OBJ_IPS_COUNT)
		return "?";
	return iplist_names[which];
}

char *
objects_iplist_get(struct objects *o, enum obj_iplist which)
{
	const char *s;
	char *r;

	if ((unsigned)which >= OBJ_IPS_COUNT)
		return xstrdup("");
	pthread_rwlock_rdlock(&o->lock);
	s = dict_get_str(o->st->network, iplist_names[which]);
	r = xstrdup(s != NULL ? s : "");
	pthread_rwlock_unlock(&o->lock);
	return r;
}

int
objects_iplist_set(struct objects *o, enum obj_iplist which,
    const char *text, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct iplist *l = NULL;
	struct dval *nv;
	size_t len = strlen(text);

	if ((unsigned)which >= OBJ_IPS_COUNT)
		return error_set(err_r, ERR_INTERNAL, "unknown address list");
	if (len > IPLIST_TEXT_MAX)
		return error_set(err_r, ERR_LIMIT, "address list too long");
	if (len > 0 && (l = iplist_parse(text, len, err_r)) == NULL)
		return -1;
	if (obj_path(path, sizeof(path), err_r, "%s/Settings/Network.settings",
	    o->base) == -1) {
		iplist_free(&l);
		return -1;
	}
	pthread_rwlock_wrlock(&o->lock);
	nv = dict_clone(o->st->network);
	if (len > 0)
		dict_set_str(nv, iplist_names[which], text);
	else
		dict_remove(nv, iplist_names[which]);
	if (obj_commit(&o->st->network, path, nv, err_r) == -1) {
		pthread_rwlock_unlock(&o->lock);
		iplist_free(&l);
		return -1;
	}
	iplist_free(&o->st->ipl[which]);
	o->st->ipl[which] = l;
	pthread_rwlock_unlock(&o->lock);
	return 0;
}

bool
objects_iplist_match(struct objects *o, enum obj_iplist which,
    const struct sockaddr *sa)
{
	bool r;

	if ((unsigned)which >= OBJ_IPS_COUNT)
		return false;
	pthread_rwlock_rdlock(&o->lock);
	r = o->st->ipl[which] != NULL && iplist_match_sa(o->st->ipl[which], sa);
	pthread_rwlock_unlock(&o->lock);
	return r;
}

/* ---- module settings and the router table ------------------------------ */

static int
module_path(struct objects *o, const char *module, char *buf, size_t size,
    struct error *err_r)
{
	size_t n = strlen(module), i;

	if (n == 0 || n > OBJECTS_MODULE_NAME_MAX)
		return error_set(err_r, ERR_SYNTAX, "illegal module name");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)module[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			return error_set(err_r, ERR_SYNTAX,
			    "illegal module name");
	}
	return obj_path(buf, size, err_r, "%s/Settings/%s.settings", o->base,
	    module);
}

static struct obj_modfile *
modfile_find(struct objects *o, const char *module)
{
	size_t i;

	for (i = 0; i < o->nmodfiles; i++)
		if (strcmp(o->modfiles[i].name, module) == 0)
			return &o->modfiles[i];
	return NULL;
}

/* Caches d (taken) as the parsed form of module (o->lock held for
 * writing); with a full cache the tree is freed and the next get reads the
 * file again. */
static void
modfile_store(struct objects *o, const char *module, struct dval *d)
{
	struct obj_modfile *f = modfile_find(o, module);

	if (f == NULL && o->nmodfiles < OBJ_MODFILES_MAX) {
		f = &o->modfiles[o->nmodfiles++];
		obj_copy(f->name, sizeof(f->name), module);
	}
	if (f == NULL) {
		dict_free(&d);
		return;
	}
	dict_free(&f->stored);
	f->stored = d;
}

struct dval *
objects_module_get(struct objects *o, const char *module, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct obj_modfile *f;
	struct dval *d;

	if (module_path(o, module, path, sizeof(path), err_r) == -1)
		return NULL;
	pthread_rwlock_rdlock(&o->lock);
	f = modfile_find(o, module);
	d = f != NULL ? dict_clone(f->stored) : NULL;
	pthread_rwlock_unlock(&o->lock);
	if (d != NULL)
		return d;
	pthread_rwlock_wrlock(&o->lock);
	if ((f = modfile_find(o, module)) != NULL)
		d = dict_clone(f->stored);
	else if ((d = obj_read_dict(path, err_r)) != NULL)
		modfile_store(o, module, dict_clone(d));
	pthread_rwlock_unlock(&o->lock);
	return d;
}

/* The stored settings of file (o->lock held for writing): cached, or read
 * and cached; a file that cannot be read counts as empty here. */
static const struct dval *
modfile_stored(struct objects *o, const char *file, struct dval **tmp_r)
{
	char path[OBJECTS_PATH_MAX];
	struct obj_modfile *f;
	struct dval *d;

	*tmp_r = NULL;
	if ((f = modfile_find(o, file)) != NULL)
		return f->stored;
	if (module_path(o, file, path, sizeof(path), NULL) == -1 ||
	    (d = obj_read_dict(path, NULL)) == NULL)
		return *tmp_r = dict_new_dict();
	modfile_store(o, file, d);
	if ((f = modfile_find(o, file)) != NULL)
		return f->stored;
	return NULL;		/* cache full: d was freed; defaults */
}

static struct obj_modtable *
modtable_find(struct objects *o, const char *file,
    const struct settings_table *t)
{
	size_t i;

	for (i = 0; i < o->nmodtables; i++)
		if (o->modtables[i].t == t &&
		    strcmp(o->modtables[i].file, file) == 0)
			return &o->modtables[i];
	return NULL;
}

/* o->lock held for writing. */
static struct obj_modtable *
modtable_add(struct objects *o, const char *file,
    const struct settings_table *t, settings_report_fn *report, void *arg)
{
	struct obj_modtable *m;
	const struct dval *d;
	struct dval *tmp;

	if ((m = modtable_find(o, file, t)) != NULL)
		return m;
	/* Tables are registered by code, never from input. */
	ASSERT(o->nmodtables < OBJ_MODTABLES_MAX);
	ASSERT(strlen(file) <= OBJECTS_MODULE_NAME_MAX);
	m = &o->modtables[o->nmodtables];
	obj_copy(m->file, sizeof(m->file), file);
	m->t = t;
	m->report = report;
	m->arg = arg;
	d = modfile_stored(o, file, &tmp);
	settings_holder_init(&m->holder, settings_snap_new(t, d, report,
	    arg));
	dict_free(&tmp);
	o->nmodtables++;
	return m;
}

void
objects_settings_register(struct objects *o, const char *file,
    const struct settings_table *t, settings_report_fn *report, void *arg)
{
	pthread_rwlock_wrlock(&o->lock);
	(void)modtable_add(o, file, t, report, arg);
	pthread_rwlock_unlock(&o->lock);
}

struct settings_snap *
objects_settings_get(struct objects *o, const char *file,
    const struct settings_table *t)
{
	struct obj_modtable *m;
	struct settings_snap *s;

	pthread_rwlock_rdlock(&o->lock);
	m = modtable_find(o, file, t);
	s = m != NULL ? settings_holder_get(&m->holder) : NULL;
	pthread_rwlock_unlock(&o->lock);
	if (s != NULL)
		return s;
	pthread_rwlock_wrlock(&o->lock);
	s = settings_holder_get(&modtable_add(o, file, t, NULL,
	    NULL)->holder);
	pthread_rwlock_unlock(&o->lock);
	return s;
}

void
objects_settings_foreach(struct objects *o, const char *file,
    void (*fn)(const struct settings_table *t,
    const struct settings_snap *snap, void *arg), void *arg)
{
	struct settings_snap *snap;
	size_t i;

	pthread_rwlock_rdlock(&o->lock);
	for (i = 0; i < o->nmodtables; i++) {
		if (strcmp(o->modtables[i].file, file) != 0)
			continue;
		snap = settings_holder_get(&o->modtables[i].holder);
		fn(o->modtables[i].t, snap, arg);
		settings_snap_unref(&snap);
	}
	pthread_rwlock_unlock(&o->lock);
}

/* Every table of file checks d (o->lock held). */
static int
modtables_check(struct objects *o, const char *file, const struct dval *d,
    struct error *err_r)
{
	size_t i;

	for (i = 0; i < o->nmodtables; i++)
		if (strcmp(o->modtables[i].file, file) == 0 &&
		    settings_check(o->modtables[i].t, d, err_r) < 0)
			return -1;
	return 0;
}

/* New snapshots of every table of file from d (o->lock held for
 * writing). */
static void
modtables_swap(struct objects *o, const char *file, const struct dval *d)
{
	size_t i;

	for (i = 0; i < o->nmodtables; i++) {
		struct obj_modtable *m = &o->modtables[i];

		if (strcmp(m->file, file) == 0)
			settings_holder_swap(&m->holder, settings_snap_new(m->t,
			    d, m->report, m->arg));
	}
}

/* SIGHUP: every cached file read again, every snapshot rebuilt.  A file
 * that cannot be read now keeps what was loaded before. */
static void
modules_reload(struct objects *o)
{
	char path[OBJECTS_PATH_MAX];
	struct dval *d;
	size_t i;

	pthread_rwlock_wrlock(&o->lock);
	for (i = 0; i < o->nmodfiles; i++) {
		struct obj_modfile *f = &o->modfiles[i];

		if (module_path(o, f->name, path, sizeof(path), NULL) == -1 ||
		    (d = obj_read_dict(path, NULL)) == NULL)
			continue;
		dict_free(&f->stored);
		f->stored = d;
		modtables_swap(o, f->name, d);
	}
	pthread_rwlock_unlock(&o->lock);
}

static void
modules_free(struct objects *o)
{
	size_t i;

	for (i = 0; i < o->nmodfiles; i++)
		dict_free(&o->modfiles[i].stored);
	for (i = 0; i < o->nmodtables; i++)
		settings_holder_destroy(&o->modtables[i].holder);
	o->nmodfiles = o->nmodtables = 0;
}

static int
module_write(struct objects *o, const char *module, const struct dval *in,
    bool update, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct dval *cur, *nv = NULL;
	int rc = -1;

	if (module_path(o, module, path, sizeof(path), err_r) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	if ((cur = obj_read_dict(path, err_r)) == NULL ||
	    (nv = obj_merge(cur, in, update, err_r)) == NULL)
		goto out;
	/* Every table of the file checks the new settings before a byte is
	 * written: a bad value leaves the file and the snapshots as they
	 * were. */
	if (modtables_check(o, module, nv, err_r) < 0)
		goto out;
	if ((rc = dict_file_write(path, nv, err_r)) == 0) {
		modtables_swap(o, module, nv);
		modfile_store(o, module, nv);
		nv = NULL;
	}
out:
	pthread_rwlock_unlock(&o->lock);
	dict_free(&cur);
	dict_free(&nv);
	return rc;
}

int
objects_module_set(struct objects *o, const char *module,
    const struct dval *d, struct error *err_r)
{
	return module_write(o, module, d, false, err_r);
}

int
objects_module_update(struct objects *o, const char *module,
    const struct dval *d, struct error *err_r)
{
	return module_write(o, module, d, true, err_r);
}

char *
objects_router_table_get(struct objects *o)
{
	char path[OBJECTS_PATH_MAX];
	struct stat sb;
	char *text;
	ssize_t n;
	size_t off = 0;
	int fd;

	if (obj_path(path, sizeof(path), NULL, "%s/Settings/Router.txt",
	    o->base) == -1)
		return xstrdup("");
	pthread_rwlock_rdlock(&o->lock);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1 || sb.st_size < 0 ||
	    sb.st_size > ROUTER_TABLE_MAX) {
		if (fd != -1)
			close(fd);
		pthread_rwlock_unlock(&o->lock);
		return xstrdup("");
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		n = read(fd, text + off, (size_t)sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	text[off] = '\0';
	close(fd);
	pthread_rwlock_unlock(&o->lock);
	return text;
}

int
objects_router_table_set(struct objects *o, const char *text,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	size_t len = strlen(text);
	int rc;

	if (len > ROUTER_TABLE_MAX)
		return error_set(err_r, ERR_LIMIT, "router table too long");
	if (obj_path(path, sizeof(path), err_r, "%s/Settings/Router.txt",
	    o->base) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	rc = obj_write_text(path, text, len, 0640, err_r);
	pthread_rwlock_unlock(&o->lock);
	return rc;
}
