/* SPDX-License-Identifier: Apache-2.0 */
/*
 * objects.h: the server's objects -- domains, accounts, account aliases,
 * forwarders -- and their settings with inheritance, the named settings files
 * of the server, its domains and accounts behind one get/set/update
 * (objects_settings_file_*), passwords, the postmaster account, network
 * address lists, module settings, the Router Table text and the directory
 * adaptor the Router uses (objects_router_ops).
 *
 * Everything is loaded into memory by objects_open() and guarded by one
 * rwlock; every change first writes the affected file atomically and only
 * then updates memory, so a failed change leaves both unchanged.  The storage
 * layout is described in objects.c and docs/storage.md.
 *
 * Conventions:
 *  - Names are case-insensitive; lookups accept any case and results give the
 *    canonical spelling (as created).
 *  - A `domain` argument may be NULL (the main domain), a domain name or a
 *    domain alias.
 *  - Functions returning struct dval * return a fresh copy the caller frees
 *    with dict_free(); NULL with err_r filled on failure.
 *  - Lists of names are returned as a dval array of strings, sorted.
 *  - Set* replaces the whole dictionary; Update* merges with dict_update()
 *    semantics (a value "default" removes the key).
 *  - Errors: ERR_NOTFOUND "unknown account" / "unknown domain" / "unknown
 *    forwarder"; ERR_EXISTS "Account with this name already exists" ...;
 *    ERR_SYNTAX "illegal object name" / "illegal domain name"; ERR_IO for the
 *    file system.
 *  - All functions are thread-safe.
 */
#ifndef TEGAMI_OBJECTS_OBJECTS_H
#define TEGAMI_OBJECTS_OBJECTS_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/settings.h"
#include "router/router.h"

struct dval;
struct sockaddr;
struct objects;

#define OBJECTS_PATH_MAX	4096	/* a file path below the base directory */
#define OBJECTS_PASSWORD_GEN	16	/* generated postmaster password length */
#define OBJECTS_ALIASES_MAX	1000	/* aliases of one account or domain */
#define OBJECTS_MAILBOXES_MAX	10000	/* MaxMailboxes at most (STORE_MAILBOXES_MAX) */
#define OBJECTS_MODULE_NAME_MAX	32	/* "SMTP", "HTTPU" ... */

enum obj_kind {
	OBJ_NONE = 0,
	OBJ_ACCOUNT,
	OBJ_ALIAS,		/* account alias */
	OBJ_FORWARDER,
	OBJ_GROUP		/* group (group.c) */
};

/* Server-wide network address lists (docs/admin-cli.md). */
enum obj_iplist {
	OBJ_IPS_CLIENT = 0,	/* ClientIPs */
	OBJ_IPS_BLACKLISTED,	/* BlacklistedIPs */
	OBJ_IPS_WHITEHOLE,	/* WhiteHoleIPs */
	OBJ_IPS_DEBUG,		/* DebugIPs */
	OBJ_IPS_LAN,		/* LANIPs */
	OBJ_IPS_DENIED,		/* DeniedIPs */
	OBJ_IPS_NATED,		/* NATedIPs */
	OBJ_IPS_COUNT
};

/* ---- life cycle -------------------------------------------------------- */

/* Opens (creating Settings/, Accounts/, Domains/ when missing) and loads the
 * base directory.  On first start DomainName in Settings/Main.settings is set
 * to main_domain_if_new, or to gethostname() when that is NULL. */
struct objects	*objects_open(const char *base, const char *main_domain_if_new,
		    struct error *err_r);
void		 objects_close(struct objects **op);
/* Re-reads everything from disk and swaps it in (SIGHUP); on error the old
 * state stays.  Also refreshes the local address cache. */
int		 objects_reload(struct objects *o, struct error *err_r);
const char	*objects_base(const struct objects *o);
void		 objects_main_domain(struct objects *o, char *buf, size_t size);

/* Name rules: [A-Za-z0-9._-], no leading/trailing '.', 1..OBJECT_NAME_MAX. */
bool		 objects_name_valid(const char *name);
/* Domain names: letters, digits, '-', '_', '.', labels non-empty,
 * 1..DOMAIN_NAME_MAX. */
bool		 objects_domain_name_valid(const char *name);

/* ---- named settings files -------------------------------------------- */

/* Whose file it is: the server's, a domain's or an account's. */
enum obj_scope {
	OBJ_SCOPE_SERVER = 0,
	OBJ_SCOPE_DOMAIN,
	OBJ_SCOPE_ACCOUNT
};

/*
 * The settings dictionaries with Get/Set/Update (docs/storage.md); each is
 * one entry of the table in settings_file.c.  Adding one: a constant here,
 * an entry there, and a line in the CLI's table (cli_commands.c).
 */
enum obj_settings_file {
	OBJ_SF_SERVER_SETTINGS = 0,	/* Settings/Main.settings; a write keeps
					 * DomainName (objects_domain_rename) */
	OBJ_SF_DOMAIN_DEFAULTS,		/* Settings/DomainDefault.settings
					 * without its AccountDefaults */
	OBJ_SF_SERVER_ACCOUNT_DEFAULTS,	/* AccountDefaults in it */
	OBJ_SF_SERVER_ACCOUNT_PREFS,	/* Settings/WebUserPrefs.settings */
	OBJ_SF_PROTECTION,		/* Settings/Protection.settings
					 * (RejectNonClientLogins ...) */
	OBJ_SF_DOMAIN_SETTINGS,		/* domain.settings: DomainAliases shown
					 * and kept (objects_domain_aliases_set),
					 * IPAddresses checked ("All" or a list);
					 * AccountDefaults, AccountPrefs apart */
	OBJ_SF_DOMAIN_ACCOUNT_DEFAULTS,	/* AccountDefaults in domain.settings */
	OBJ_SF_DOMAIN_ACCOUNT_PREFS,	/* AccountPrefs in domain.settings */
	OBJ_SF_ACCOUNT_TEMPLATE,	/* AccountTemplate.settings: copied into
					 * new accounts */
	OBJ_SF_ACCOUNT_SETTINGS,	/* account.settings; a Password in clear
					 * is stored hashed unless asked */
	OBJ_SF_ACCOUNT_PREFS,		/* account.prefs */
	OBJ_SF_COUNT
};

/* "ServerSettings", "AccountDefaults" ...: the CLI's Get/Set/Update
 * suffix. */
const char	*objects_settings_file_name(enum obj_settings_file which);
enum obj_scope	 objects_settings_file_scope(enum obj_settings_file which);
/* The explicit settings of the file of account name@domain (account scope),
 * of domain (domain scope; NULL the main domain) or of the server (both
 * ignored).  ERR_NOTFOUND "unknown domain" / "unknown account". */
struct dval	*objects_settings_file_get(struct objects *o,
		    enum obj_settings_file which, const char *name,
		    const char *domain, struct error *err_r);
/* Set replaces, update merges (see Conventions); the file is written
 * before memory changes.  A settings table registered for a server file
 * (Protection) refuses a bad value and nothing changes. */
int		 objects_settings_file_set(struct objects *o,
		    enum obj_settings_file which, const char *name,
		    const char *domain, const struct dval *d, struct error *err_r);
int		 objects_settings_file_update(struct objects *o,
		    enum obj_settings_file which, const char *name,
		    const char *domain, const struct dval *d, struct error *err_r);

/* ---- domains ----------------------------------------------------------- */

/* settings may be NULL.  Refuses names already used by a domain or alias. */
int		 objects_domain_create(struct objects *o, const char *name,
		    const struct dval *settings, struct error *err_r);
/* Renames a domain (its folder moves; its aliases stay with it).  Renaming
 * the main domain changes DomainName. */
int		 objects_domain_rename(struct objects *o, const char *name,
		    const char *newname, struct error *err_r);
/* Refuses the main domain, and a domain holding any object (account, account
 * alias, forwarder) unless force: ERR_PERM "domain is not empty".  With force
 * the folder is removed with everything in it. */
int		 objects_domain_delete(struct objects *o, const char *name,
		    bool force, struct error *err_r);
/* All domain names (main included), sorted. */
struct dval	*objects_domain_list(struct objects *o);
/* 0 and the canonical name when name is a domain or domain alias. */
int		 objects_find_domain(struct objects *o, const char *name,
		    char *buf, size_t size);
bool		 objects_domain_is_main(struct objects *o, const char *name);

/* Domain settings over Settings/DomainDefault.settings over built-in
 * defaults (MailToUnknown = Rejected ...); the explicit ones are
 * OBJ_SF_DOMAIN_SETTINGS. */
struct dval	*objects_domain_effective_get(struct objects *o,
		    const char *domain, struct error *err_r);

/* Domain aliases: array of names, each unique across all domain names and
 * aliases. */
struct dval	*objects_domain_aliases_get(struct objects *o,
		    const char *domain, struct error *err_r);
int		 objects_domain_aliases_set(struct objects *o,
		    const char *domain, const struct dval *arr, struct error *err_r);

/* The domain owning a local address (docs/behaviour.md, B10): a secondary
 * domain whose IPAddresses list matches wins; else the main domain when its
 * IPAddresses is
 * "All" (the default: every address not assigned to a secondary domain) or
 * its list matches.  -1 when no domain owns it ("unassigned local network
 * address"). */
int		 objects_domain_for_local_ip(struct objects *o,
		    const struct sockaddr *sa, char *buf, size_t size);

/* ---- accounts ---------------------------------------------------------- */

/* type NULL means "MultiMailbox"; also "TextMailbox", "MailDirMailbox".
 * Initial settings: the domain's Account Template updated by settings (may
 * be NULL).  Refuses a name used by any object of the domain. */
int		 objects_account_create(struct objects *o, const char *name,
		    const char *domain, const char *type,
		    const struct dval *settings, struct error *err_r);
/* Renames within the account's domain; the folder moves, aliases stay. */
int		 objects_account_rename(struct objects *o, const char *name,
		    const char *domain, const char *newname, struct error *err_r);
/* Removes the account and its folder with everything in it. */
int		 objects_account_delete(struct objects *o, const char *name,
		    const char *domain, struct error *err_r);
/* One page of the domain's names of the kinds (1 << OBJ_ACCOUNT ...):
 * those containing filter (any case; NULL or "" all) that sort (strcmp)
 * after after (NULL or "": from the first), at most limit, sorted; *total_r
 * counts every name of those kinds containing filter, *more_r tells whether
 * names follow the page.  One pass over the domain's name table; NULL with
 * err_r for an unknown domain. */
struct dval	*objects_name_page(struct objects *o, const char *domain,
		    unsigned kinds, const char *filter, const char *after,
		    size_t limit, size_t *total_r, bool *more_r,
		    struct error *err_r);
/* Account names of the domain, sorted. */
struct dval	*objects_account_list(struct objects *o, const char *domain,
		    struct error *err_r);
/* 0 when the account exists, with canonical names (either buffer may be
 * NULL). */
int		 objects_account_find(struct objects *o, const char *name,
		    const char *domain, char *name_r, size_t nsize,
		    char *domain_r, size_t dsize, struct error *err_r);
/* The account's folder ("<base>/Accounts/abc.macnt"), for the store. */
int		 objects_account_path(struct objects *o, const char *name,
		    const char *domain, char *buf, size_t size, struct error *err_r);
int		 objects_account_type(struct objects *o, const char *name,
		    const char *domain, char *buf, size_t size, struct error *err_r);

/* Account over domain AccountDefaults over server AccountDefaults over the
 * built-in defaults. */
struct dval	*objects_account_effective_get(struct objects *o,
		    const char *name, const char *domain, struct error *err_r);
/* One effective setting with a text value, through the same levels, copied
 * (truncated) into buf; without building the merged dictionary, for lookups
 * made per message.  0, or -1 with ERR_NOTFOUND (no such account, or no
 * text value under key at any level). */
int		 objects_account_effective_str(struct objects *o,
		    const char *name, const char *domain, const char *key,
		    char *buf, size_t size, struct error *err_r);
/* Preferences over the domain's AccountPrefs over the server's
 * (WebUserPrefs) over the built-in ones. */
struct dval	*objects_account_effective_prefs_get(struct objects *o,
		    const char *name, const char *domain, struct error *err_r);

/* Account aliases: array of names, each unique in the domain. */
struct dval	*objects_account_aliases_get(struct objects *o,
		    const char *name, const char *domain, struct error *err_r);
int		 objects_account_aliases_set(struct objects *o,
		    const char *name, const char *domain, const struct dval *arr,
		    struct error *err_r);

/* Access rights: array of strings ("Master", "CanCreateAccounts" ...). */
struct dval	*objects_account_rights_get(struct objects *o,
		    const char *name, const char *domain, struct error *err_r);
int		 objects_account_rights_set(struct objects *o,
		    const char *name, const char *domain, const struct dval *arr,
		    struct error *err_r);
/* True for a main-domain account holding the Master right. */
bool		 objects_account_has_master(struct objects *o,
		    const char *name, const char *domain);

/* Object `name` in `domain` (any kind); target gets the canonical account
 * name (account, alias) or the address (forwarder). */
enum obj_kind	 objects_find_object(struct objects *o, const char *domain,
		    const char *name, char *target, size_t size);

/* Remembers a successful login of the account (name and domain canonical,
 * as auth_result gives them) from client address ip (text): the account
 * info LastLogin and LastAddress.  Kept in memory only, since the server
 * started (a reload keeps it). */
void		 objects_account_note_login(struct objects *o,
		    const char *name, const char *domain, const char *ip);
/* 0 with the time (seconds since the epoch) and address of the account's
 * last login since the server started; -1 when it has not logged in. */
int		 objects_account_last_login(struct objects *o,
		    const char *name, const char *domain, int64_t *time_r,
		    char *ip, size_t size);

/* ---- directory integration hooks --------------------------------------- */

/* What happened to an account, for the Directory Integration
 * (directory/dirsync.h) that the wiring installs at start. */
enum objects_dir_event {
	OBJ_DIR_CREATED = 0,
	OBJ_DIR_RENAMED,	/* oldname given */
	OBJ_DIR_UPDATED,	/* its settings changed */
	OBJ_DIR_DELETED
};
struct objects_dir_hooks {
	/* Before an account's settings change (Set/UpdateAccountSettings):
	 * -1 with err_r refuses the change, nothing is written (B12: the
	 * directory record is missing). */
	int	(*account_check)(void *arg, const char *name,
		    const char *domain, struct error *err_r);
	/* After a change was written; name and domain canonical.  Called
	 * without the objects lock held, so it may call objects_* again. */
	void	(*account_changed)(void *arg, enum objects_dir_event ev,
		    const char *name, const char *domain, const char *oldname);
	/* The same for a forwarder or a group (kind); name, domain
	 * canonical. */
	void	(*object_changed)(void *arg, enum objects_dir_event ev,
		    enum obj_kind kind, const char *name, const char *domain,
		    const char *oldname);
	/* A domain was renamed (oldname given), deleted, or its aliases
	 * changed (UPDATED); domain canonical.  For a delete, eff holds the
	 * domain's effective settings as they were (NULL otherwise). */
	void	(*domain_changed)(void *arg, enum objects_dir_event ev,
		    const char *domain, const char *oldname,
		    const struct dval *eff);
};
/* Installs the hooks (h must outlive o); NULL removes them. */
void		 objects_set_dir_hooks(struct objects *o,
		    const struct objects_dir_hooks *h, void *arg);

/* ---- forwarders -------------------------------------------------------- */

int		 objects_forwarder_create(struct objects *o, const char *name,
		    const char *domain, const char *address, struct error *err_r);
int		 objects_forwarder_delete(struct objects *o, const char *name,
		    const char *domain, struct error *err_r);
int		 objects_forwarder_get(struct objects *o, const char *name,
		    const char *domain, char *buf, size_t size, struct error *err_r);
struct dval	*objects_forwarder_list(struct objects *o, const char *domain,
		    struct error *err_r);

/* ---- groups (group.c) ------------------------------------------------- */

/* A group's settings: a dictionary, Members an array of addresses (a bare
 * name is in the group's domain), at most GROUP_MEMBERS_MAX; RealName
 * ... kept as given.  ERR_NOTFOUND "unknown group". */
int		 objects_group_create(struct objects *o, const char *name,
		    const char *domain, const struct dval *settings,
		    struct error *err_r);
int		 objects_group_rename(struct objects *o, const char *name,
		    const char *domain, const char *newname, struct error *err_r);
int		 objects_group_delete(struct objects *o, const char *name,
		    const char *domain, struct error *err_r);
struct dval	*objects_group_get(struct objects *o, const char *name,
		    const char *domain, struct error *err_r);
/* Replaces the group's settings. */
int		 objects_group_set(struct objects *o, const char *name,
		    const char *domain, const struct dval *settings,
		    struct error *err_r);
struct dval	*objects_group_list(struct objects *o, const char *domain,
		    struct error *err_r);

/* A number that grows with every change of a domain, an account (its
 * settings, password, rights, name, existence), a forwarder or a settings
 * file in this process: what was derived from objects at epoch e (a
 * remembered login) still holds while the epoch is e. */
uint64_t	 objects_change_epoch(void);

/* ---- passwords and postmaster ------------------------------------------ */

/* Stores the password as the account's effective PasswordEncryption says:
 * in clear when it is "clear" (APOP and CRAM-MD5 need that), else a
 * yescrypt hash (PasswordEncryption = U-crpt); removes the account's
 * initial.password file. */
int		 objects_set_password(struct objects *o, const char *name,
		    const char *domain, const char *password, struct error *err_r);
/* 0 when password matches the stored one (clear or crypt form); -1 with
 * ERR_AUTH when not, ERR_NOTFOUND for an unknown account. */
int		 objects_check_password(struct objects *o, const char *name,
		    const char *domain, const char *password, struct error *err_r);
/* The password when it is stored in clear (for CRAM-MD5 and APOP); -1 with
 * ERR_AUTH when it is stored hashed or absent. */
int		 objects_get_clear_password(struct objects *o, const char *name,
		    const char *domain, char *buf, size_t size, struct error *err_r);
/* Called at every start (docs/behaviour.md, B3): when the main domain has no
 * account
 * "postmaster", creates it with a random OBJECTS_PASSWORD_GEN-character
 * password, stored hashed, writes the password into the file
 * objects_initial_password_path() names (mode 0600) and returns 1 with it in
 * password_r; returns 0 when postmaster exists.  Either way postmaster gets
 * the Master right. */
int		 objects_ensure_postmaster(struct objects *o, char *password_r,
		    size_t size, struct error *err_r);
void		 objects_initial_password_path(struct objects *o, char *buf,
		    size_t size);

/* ---- server-wide network lists, modules, router table ----------------- */

const char	*objects_iplist_name(enum obj_iplist which);
/* The list's text (caller frees; "" when empty). */
char		*objects_iplist_get(struct objects *o, enum obj_iplist which);
/* Validates with iplist_parse(); on error nothing changes. */
int		 objects_iplist_set(struct objects *o, enum obj_iplist which,
		    const char *text, struct error *err_r);
bool		 objects_iplist_match(struct objects *o, enum obj_iplist which,
		    const struct sockaddr *sa);

/* Settings/<module>.settings; module is [A-Za-z0-9]{1,32} ("SMTP").  get
 * parses a file once and then returns copies of the parsed settings until
 * a set/update or objects_reload replaces them. */
struct dval	*objects_module_get(struct objects *o, const char *module,
		    struct error *err_r);
int		 objects_module_set(struct objects *o, const char *module,
		    const struct dval *d, struct error *err_r);
int		 objects_module_update(struct objects *o, const char *module,
		    const struct dval *d, struct error *err_r);

/*
 * Module settings snapshots (lib/settings.h).  A table registered for a
 * settings file is checked on every objects_module_set/update of that file
 * (a bad value refuses the change and leaves the file as it was) and its
 * snapshot is replaced after the write, and again by objects_reload
 * (SIGHUP).  At registration the file is read; a bad value there takes the
 * setting's default and goes to report (may be NULL) -- the server starts.
 * Several tables may share a file (SMTP's own and the listener limits).
 * Registration is for start-up; objects_settings_get registers a table it
 * does not know yet (without a report).
 */
void		 objects_settings_register(struct objects *o, const char *file,
		    const struct settings_table *t, settings_report_fn *report,
		    void *arg);
/* The current snapshot with a reference the caller drops with
 * settings_snap_unref().  No file is read unless the table is new. */
struct settings_snap *objects_settings_get(struct objects *o,
		    const char *file, const struct settings_table *t);
/* Calls fn with every table registered for file and its current snapshot
 * (fn must not call back into objects_settings_*); for GetModule. */
void		 objects_settings_foreach(struct objects *o, const char *file,
		    void (*fn)(const struct settings_table *t,
		    const struct settings_snap *snap, void *arg), void *arg);

/* Settings/Router.txt.  The caller validates with router_check_table()
 * first.  get: caller frees; "" when absent. */
char		*objects_router_table_get(struct objects *o);
int		 objects_router_table_set(struct objects *o, const char *text,
		    struct error *err_r);

/* ---- local addresses --------------------------------------------------- */

/* Re-reads the interface addresses (getifaddrs). */
void		 objects_refresh_local_ips(struct objects *o);
/* The cached local addresses as a dval array of strings. */
struct dval	*objects_local_ips(struct objects *o);
/* ip is "1.2.3.4" or "::1"; loopback addresses always count. */
bool		 objects_is_local_ip(struct objects *o, const char *ip);

/* The directory the Router uses; ctx is the struct objects *. */
extern const struct router_dir_ops objects_router_ops;

#endif
