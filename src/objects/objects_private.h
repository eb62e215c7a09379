/* SPDX-License-Identifier: Apache-2.0 */
/*
 * objects_private.h: the in-memory state of src/objects, shared by its files
 * (objects.c, ohash.c, domain.c, account.c, password.c, localip.c,
 * settings_file.c, domrec.c, forwarder.c, group.c).  Nobody
 * outside src/objects includes this.
 *
 * struct objects holds the base path, the rwlock and a pointer to the loaded
 * struct objstate; objects_reload() builds a new objstate from disk and swaps
 * it in.  Every function that reads state takes the read lock, every change
 * the write lock, and a change writes its file before touching memory.
 */
#ifndef TEGAMI_OBJECTS_PRIVATE_H
#define TEGAMI_OBJECTS_PRIVATE_H

#include "lib/compat.h"

#include <pthread.h>

#include "lib/dict.h"
#include "lib/error.h"
#include "lib/iplist.h"
#include "lib/settings.h"
#include "objects/objects.h"

#define OHASH_BUCKETS_MIN	16	/* initial buckets; doubles at load 1 */
#define OBJECTS_LOCAL_IPS_MAX	1024	/* interface addresses we remember */
#define OBJ_MODFILES_MAX	64	/* module settings files kept parsed */
#define OBJ_MODTABLES_MAX	64	/* settings tables registered (code, not input) */

/* A chained hash table keyed by lower-cased strings. */
struct ohash_ent {
	char			*key;		/* lower-cased copy */
	void			*val;
	struct ohash_ent	*next;
};

struct ohash {
	struct ohash_ent	**b;
	size_t			  nb;
	size_t			  count;
};

void	 ohash_init(struct ohash *h);
/* Frees the entries; free_val (may be NULL) is called on each value. */
void	 ohash_clear(struct ohash *h, void (*free_val)(void *));
/* Lookup with any case. */
void	*ohash_get(const struct ohash *h, const char *key);
/* Inserts or replaces. */
void	 ohash_put(struct ohash *h, const char *key, void *val);
/* Removes and returns the value (NULL when absent). */
void	*ohash_del(struct ohash *h, const char *key);
void	 ohash_each(const struct ohash *h,
	    void (*fn)(const char *key, void *val, void *arg), void *arg);

struct domain;

struct account {
	char		*name;		/* canonical spelling */
	struct domain	*dom;
	struct dval	*settings;	/* account.settings */
	struct dval	*prefs;		/* account.prefs */
	struct dval	*meta;		/* account.meta: Type, Aliases, Rights */
};

/* One entry of a domain's name table. */
struct nament {
	enum obj_kind	 kind;
	struct account	*acct;		/* ACCOUNT, ALIAS */
	char		*name;		/* canonical spelling of this name */
};

struct domain {
	char		*name;		/* canonical spelling */
	bool		 is_main;
	char		*dir;		/* the domain's folder */
	struct dval	*settings;	/* domain.settings (all keys) */
	struct dval	*forwarders;	/* Forwarders.settings: name = address */
	struct dval	*groups;	/* Groups.settings: name = {settings} */
	struct dval	*templ;		/* AccountTemplate.settings */
	struct iplist	*ips;		/* parsed IPAddresses, NULL when none */
	bool		 ips_all;	/* IPAddresses = All (All Available) */
	struct ohash	 names;		/* lower name -> struct nament */
	struct domain	*next;
};

struct objstate {
	struct dval	*main;		/* Settings/Main.settings */
	struct dval	*ddef;		/* Settings/DomainDefault.settings */
	struct dval	*uprefs;	/* Settings/WebUserPrefs.settings */
	struct dval	*network;	/* Settings/Network.settings */
	struct dval	*protection;	/* Settings/Protection.settings */
	struct iplist	*ipl[OBJ_IPS_COUNT];
	struct ohash	 dnames;	/* lower name or alias -> struct domain */
	struct domain	*domains;	/* all, main first */
	struct domain	*maind;
};

struct objects {
	char		*base;
	pthread_rwlock_t lock;
	struct objstate	*st;
	pthread_mutex_t	 iflock;	/* guards the local address cache */
	struct ipaddr	*local;
	size_t		 nlocal;
	pthread_mutex_t	 loginlock;	/* guards logins */
	struct ohash	 logins;	/* "name@domain" -> struct login_info */
	/* Module settings files as parsed, and the tables registered for
	 * them (objects.c); guarded by lock. */
	struct obj_modfile {
		char		 name[OBJECTS_MODULE_NAME_MAX + 1];
		struct dval	*stored;
	}		 modfiles[OBJ_MODFILES_MAX];
	size_t		 nmodfiles;
	struct obj_modtable {
		char		 file[OBJECTS_MODULE_NAME_MAX + 1];
		const struct settings_table *t;
		struct settings_holder holder;
		settings_report_fn *report;
		void		*arg;
	}		 modtables[OBJ_MODTABLES_MAX];
	size_t		 nmodtables;
	/* Directory Integration (objects_set_dir_hooks); set at start. */
	const struct objects_dir_hooks *dirhooks;
	void		*dirarg;
};

/* Calls the directory hooks when installed (account.c). */
int	obj_dir_check(struct objects *o, const char *name, const char *domain,
	    struct error *err_r);
void	obj_dir_changed(struct objects *o, enum objects_dir_event ev,
	    const char *name, const char *domain, const char *oldname);
void	obj_dir_object(struct objects *o, enum objects_dir_event ev,
	    enum obj_kind kind, const char *name, const char *domain,
	    const char *oldname);
void	obj_dir_domain(struct objects *o, enum objects_dir_event ev,
	    const char *domain, const char *oldname, const struct dval *eff);

/* domrec.c: the named records of a domain (forwarders, groups), kept in
 * one dictionary of struct domain (at offset field) and in <dir>/<file>, and
 * sharing the domain's name table. */
struct domrec_kind {
	enum obj_kind	 kind;
	const char	*file;		/* "Forwarders.settings" */
	size_t		 field;		/* offsetof(struct domain, ...) */
	const char	*unknown;	/* ERR_NOTFOUND text: "unknown group" */
	/* Whether a value read from the file makes a record at load. */
	bool		(*valid)(const struct dval *v);
	/* Checks a value given to create or set: 0, or -1 with err_r. */
	int		(*check)(const struct dval *v, struct error *err_r);
};
extern const struct domrec_kind domrec_forwarders;	/* forwarder.c */
extern const struct domrec_kind domrec_groups;		/* group.c */

/* The kind's dictionary in d. */
struct dval **domrec_slot(const struct domrec_kind *k, struct domain *d);
int	 domrec_path(const struct domrec_kind *k, const struct domain *d,
	    char *buf, size_t size, struct error *err_r);
/* Adds the valid records of the kind's dictionary (loaded) to d's name
 * table; a name already taken there or not a legal name is skipped. */
void	 domrec_index(const struct domrec_kind *k, struct domain *d);
/* The record's name table entry (o->lock held), *d_r its domain; NULL with
 * ERR_NOTFOUND k->unknown (or dom_get's error). */
struct nament *domrec_get(const struct domrec_kind *k, struct objstate *st,
	    const char *name, const char *domain, struct domain **d_r,
	    struct error *err_r);
/* These take o->lock.  value is owned by the call (freed on failure):
 * create checks name (ERR_SYNTAX "illegal object name"), then k->check, then
 * that the name is free in the domain (dom_name_free); set replaces the
 * value after k->check.  Each writes the file, updates memory and calls
 * obj_dir_object (CREATED, RENAMED, UPDATED, DELETED). */
int	 domrec_create(struct objects *o, const struct domrec_kind *k,
	    const char *name, const char *domain, struct dval *value,
	    struct error *err_r);
int	 domrec_rename(struct objects *o, const struct domrec_kind *k,
	    const char *name, const char *domain, const char *newname,
	    struct error *err_r);
int	 domrec_set(struct objects *o, const struct domrec_kind *k,
	    const char *name, const char *domain, struct dval *value,
	    struct error *err_r);
int	 domrec_delete(struct objects *o, const struct domrec_kind *k,
	    const char *name, const char *domain, struct error *err_r);
/* A copy of the record's value (an empty dictionary when it has none);
 * NULL with err_r when unknown. */
struct dval *domrec_value(struct objects *o, const struct domrec_kind *k,
	    const char *name, const char *domain, struct error *err_r);
/* The names of the kind's records in the domain, sorted; NULL with err_r
 * when the domain is unknown. */
struct dval *domrec_list(struct objects *o, const struct domrec_kind *k,
	    const char *domain, struct error *err_r);

/* objects.c */
int	 obj_path(char *buf, size_t size, struct error *err_r,
	    const char *fmt, ...) ATTR_FORMAT(4, 5);
struct dval *obj_read_dict(const char *path, struct error *err_r);
int	 obj_write_text(const char *path, const char *text, size_t len,
	    mode_t mode, struct error *err_r);
int	 obj_rmtree(const char *path, struct error *err_r);
void	 obj_copy(char *buf, size_t size, const char *s);
/* A dictionary from in (set) or cur updated with in (update). */
struct dval *obj_merge(const struct dval *cur, const struct dval *in,
	    bool update, struct error *err_r);
/* Writes nv to path and, when that worked, replaces *slot with it; frees
 * nv on failure. */
/* Marks a change that obj_commit does not write (a rename, a delete). */
void	 obj_changed(void);
int	 obj_commit(struct dval **slot, const char *path, struct dval *nv,
	    struct error *err_r);
struct dval *obj_sorted_array(struct dval *arr);
/* For Settings/<file> (o->lock held): every settings table registered for
 * the file checks d; after a write the snapshots and the module cache
 * follow d.  Files not named "<module>.settings" pass. */
int	 obj_modfile_check(struct objects *o, const char *file,
	    const struct dval *d, struct error *err_r);
void	 obj_modfile_changed(struct objects *o, const char *file,
	    const struct dval *d);

/* password.c */
/* Settings given by an administrator (CreateAccount, Set/UpdateAccount-
 * Settings) may carry Password in clear.  Unless they ask for
 * PasswordEncryption = clear, or the value already is a crypt hash (the output
 * of GetAccountSettings fed back), *out_r gets a copy of in with the password
 * hashed and PasswordEncryption = U-crpt; otherwise *out_r is NULL.  Call
 * without the objects lock (hashing is slow). */
/* The values of account settings being written (account_check.c): 0, or
 * -1 with err_r naming the setting, its value and what is allowed. */
int	 obj_account_settings_check(const struct dval *in, struct error *err_r);
extern const struct settings_table obj_account_settings_table;
int	 obj_settings_hash_password(const struct dval *in, struct dval **out_r,
	    struct error *err_r);

/* domain.c */
struct domain *dom_find(struct objstate *st, const char *name);
struct domain *dom_get(struct objstate *st, const char *name,
	    struct error *err_r);
struct domain *dom_load(struct objects *o, struct objstate *st,
	    const char *name, const char *dir, bool is_main,
	    struct error *err_r);
void	 dom_free(struct domain *d);
int	 dom_parse_ips(const struct dval *settings, bool is_main,
	    struct iplist **ips_r, bool *all_r, struct error *err_r);
struct dval *dom_builtin_defaults(void);
struct dval *dom_effective(struct objstate *st, struct domain *d);

/* account.c */
int	 acct_load_all(struct objects *o, struct domain *d,
	    struct error *err_r);
void	 acct_free(struct account *a);
void	 nament_free(void *p);
struct account *acct_get(struct objstate *st, const char *name,
	    const char *domain, struct error *err_r);
int	 acct_dir(struct account *a, char *buf, size_t size,
	    struct error *err_r);
int	 acct_create_locked(struct objects *o, struct domain *d,
	    const char *name, const char *type, const struct dval *settings,
	    struct account **a_r, struct error *err_r);
int	 acct_commit_meta(struct account *a, struct dval *nv,
	    struct error *err_r);
int	 acct_commit_settings(struct account *a, struct dval *nv,
	    struct error *err_r);
/* 0 when name is free in d (or names `self`), else -1 ERR_EXISTS. */
int	 dom_name_free(struct domain *d, const char *name, const void *self,
	    struct error *err_r);

/* localip.c */
void	 localip_free(struct objects *o);

/* logininfo.c */
void	 logininfo_init(struct objects *o);
void	 logininfo_free(struct objects *o);
/* Drop or move the entries of an account, or of every account of a
 * domain (canonical names). */
void	 logininfo_forget(struct objects *o, const char *name,
	    const char *domain);
void	 logininfo_rename(struct objects *o, const char *name,
	    const char *newname, const char *domain);
void	 logininfo_forget_domain(struct objects *o, const char *domain);

#endif
