/* SPDX-License-Identifier: Apache-2.0 */
/*
 * directory.h: the central directory (CGP's Directory Manager, one Local
 * Unit mounted at the root; docs/ldap.md).  Records have a DN and
 * multi-valued attributes; attribute names are case-insensitive, values
 * compare case-insensitively (caseIgnoreMatch for every attribute but
 * userPassword, which compares exactly).  The tree (B11): the root is
 * `top` (also the empty DN), each domain is `cn=<domain>`, its accounts
 * `uid=<name>,cn=<domain>`.
 *
 * Storage: one SQLite database, <base>/Directory/directory.db, WAL with
 * synchronous=FULL: a change returns after its commit is fsynced, so a
 * crash loses nothing acknowledged.  The attributes clients query (uid,
 * mail, cn, sn, givenName, objectClass, hostServer) are indexed for
 * equality, presence and prefix (initial substring) search; any other
 * filter is evaluated over the records of the search's scope.
 *
 * Filters evaluate in three values (RFC 4511 4.5.1.7): an attribute a
 * record lacks makes an item Undefined, never an error; a record is
 * returned only for True.
 *
 * Thread-safe: one lock guards the writer, another the reader connection;
 * a search returns its records in memory (at most `max` per call) so no
 * lock is held while a session writes to its client.
 */
#ifndef TEGAMI_DIRECTORY_DIRECTORY_H
#define TEGAMI_DIRECTORY_DIRECTORY_H

#include "lib/compat.h"

#include <stdint.h>

#include "lib/bounds.h"
#include "lib/error.h"

struct directory;

/* One attribute value; a multi-valued attribute repeats its name. */
struct dir_av {
	char	*name;			/* as written ("givenName") */
	char	*val;			/* NUL-terminated; no NUL inside */
};

struct dir_entry {
	int64_t		 id;		/* storage order (paging cookie) */
	char		*dn;		/* as written */
	char		 uuid[37];	/* entryUUID */
	int64_t		 mtime;		/* modifyTimestamp, s since epoch */
	struct dir_av	*avs;
	size_t		 navs, cap;
};

enum dir_filter_kind {
	DF_AND = 0, DF_OR, DF_NOT, DF_EQ, DF_SUBSTR, DF_GE, DF_LE,
	DF_PRESENT, DF_APPROX,
	DF_DNSET	/* the record's normal DN is one of any[] (sorted):
			 * an equality on a computed attribute (memberOf)
			 * after the server looked its values up */
};

struct dir_filter {
	enum dir_filter_kind	 kind;
	char			*attr;		/* items */
	char			*value;		/* EQ, GE, LE, APPROX */
	char			*initial;	/* SUBSTR parts (any may be NULL) */
	char			*final;
	char			**any;
	size_t			 nany;
	struct dir_filter	**kids;		/* AND, OR, NOT (one) */
	size_t			 nkids;
};

enum dir_scope { DIR_SCOPE_BASE = 0, DIR_SCOPE_ONE = 1, DIR_SCOPE_SUB = 2 };
enum dir_match { DIR_FALSE = 0, DIR_TRUE, DIR_UNDEFINED };

/* ---- entries and filters (pure; dir_entry.c) ---------------------------- */

struct dir_entry	*dir_entry_new(const char *dn);
void	dir_entry_free(struct dir_entry **ep);
/* Appends one value (copied). */
void	dir_entry_add(struct dir_entry *e, const char *name, const char *val);
/* Removes every value of name (any case); the count removed. */
size_t	dir_entry_remove(struct dir_entry *e, const char *name);
/* Removes one value of name; true when it was there. */
bool	dir_entry_remove_value(struct dir_entry *e, const char *name,
	    const char *val);
/* The first value of name, or NULL. */
const char	*dir_entry_get(const struct dir_entry *e, const char *name);
bool	dir_entry_has_value(const struct dir_entry *e, const char *name,
	    const char *val);

/* The normal form of a DN: RDNs without the blanks around ',', '=' and
 * '+', attribute names and values in lower case.  "" and "top" are the
 * root (""). -1 with ERR_SYNTAX when an RDN has no '=' or an attribute
 * name is bad, ERR_LIMIT past DIR_DN_MAX. */
int	dir_dn_normalize(const char *dn, char *out, size_t size,
	    struct error *err_r);
/* The parent of a normal DN ("" for a top-level one or the root). */
const char	*dir_dn_parent(const char *ndn);
/* Whether normal DN ndn is in the scope of normal base. */
bool	dir_dn_in_scope(const char *ndn, const char *base,
	    enum dir_scope scope);

struct dir_filter	*dir_filter_new(enum dir_filter_kind kind);
void	dir_filter_free(struct dir_filter **fp);
/* Evaluates f on e (RFC 4511 4.5.1.7, three-valued). */
enum dir_match	dir_filter_match(const struct dir_filter *f,
		    const struct dir_entry *e);
/* Case-insensitive value comparison as the attribute's syntax says:
 * <0, 0, >0. */
int	dir_value_cmp(const char *attr, const char *a, const char *b);

/* ---- the store (directory.c) --------------------------------------------- */

/* Opens (creating) <base>/Directory/directory.db.  NULL with err_r. */
struct directory	*directory_open(const char *base, struct error *err_r);
void	directory_close(struct directory **dp);

/* Adds e (a new DN) or, with replace, replaces the record of its DN.
 * ERR_EXISTS "directory record already exists" without replace. */
int	directory_put(struct directory *d, const struct dir_entry *e,
	    bool replace, struct error *err_r);
/* Several records in one transaction (one fsync): Insert All. */
int	directory_put_many(struct directory *d, struct dir_entry *const *es,
	    size_t n, struct error *err_r);
/* What a writer owns in the records it puts (Directory Integration owns
 * what it builds from an account's settings).  objectClass is always
 * merged: values the old record has beyond the new one stay. */
struct dir_owned {
	const char *const	*names;		/* attribute names, any case */
	size_t			 n;
};
/* As directory_put_many with replace, but merging with a record that
 * exists: the new record, then the old one's attributes that own does
 * not name and the new record lacks (what an administrator added over
 * LDAP), then its other objectClass values.  own NULL: replace. */
int	directory_merge_many(struct directory *d,
	    struct dir_entry *const *es, size_t n, const struct dir_owned *own,
	    struct error *err_r);
/* ERR_NOTFOUND DIR_NOT_FOUND_ERROR when there is no such record. */
int	directory_delete(struct directory *d, const char *dn,
	    struct error *err_r);
/* Deletes dn and every record below it; the count deleted. */
int	directory_delete_subtree(struct directory *d, const char *dn,
	    size_t *n_r, struct error *err_r);
/* Moves a record (its DN changes; the records below it are not moved:
 * a record with children gives ERR_PERM). */
int	directory_rename(struct directory *d, const char *dn,
	    const char *newdn, struct error *err_r);
/* Moves dn and every record below it to newdn (a domain rename): the
 * records keep their ids, entryUUIDs and attributes; the RDNs below newdn
 * keep their written form.  ERR_EXISTS when newdn is a record, ERR_NOTFOUND
 * when dn is not or newdn's parent is missing.  One transaction; *n_r the
 * records moved. */
int	directory_move_subtree(struct directory *d, const char *dn,
	    const char *newdn, size_t *n_r, struct error *err_r);
/* The record of dn, or NULL with ERR_NOTFOUND DIR_NOT_FOUND_ERROR. */
struct dir_entry	*directory_get(struct directory *d, const char *dn,
			    struct error *err_r);
bool	directory_exists(struct directory *d, const char *dn);
/* The record with storage id id (dir_entry.id), or NULL with ERR_NOTFOUND. */
struct dir_entry	*directory_get_id(struct directory *d, int64_t id,
			    struct error *err_r);
/* A number that grows with every committed change: a view of the
 * directory taken at generation g (a sorted VLV list) is current while
 * the generation is g. */
uint64_t	directory_generation(struct directory *d);
/* Records held. */
size_t	directory_count(struct directory *d);
/* Copies the database (one committed state) to path, which must not
 * exist, and fsyncs it: the online backup (backup/backup_run.c). */
int	directory_backup(struct directory *d, const char *path,
	    struct error *err_r);

struct dir_search {
	const char		*base;		/* normal DN; "" the root */
	enum dir_scope		 scope;
	const struct dir_filter	*filter;	/* NULL: every record */
	int64_t			 after_id;	/* only records with id > this */
	size_t			 max;		/* records per call, >= 1 */
};
struct dir_results {
	struct dir_entry	**e;
	size_t			 n;
	bool			 more;		/* another match follows */
	size_t			 examined;	/* records evaluated */
};
/* Up to s->max records matching, in id order, after s->after_id; call
 * again with after_id = the last id for more.  A base that is not a record
 * (nor the root) gives ERR_NOTFOUND.  Frees nothing of s. */
int	directory_search(struct directory *d, const struct dir_search *s,
	    struct dir_results *r, struct error *err_r);
void	dir_results_clear(struct dir_results *r);

#define DIR_NOT_FOUND_ERROR	"directory record with the specified DN is not found"

#endif
