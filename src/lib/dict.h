/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict.h: the CommuniGate Pro data format ("dictionary format"): the text form
 * of settings files, CLI arguments and CLI results.
 *
 *   string     atom (letters, digits, '.', '_'; on input also - @ ! # % : and
 *              bytes 0x80-0xFF) or "quoted" with \" \\ \r \n \e \t \nnn
 *   datablock  [base64]
 *   number     #12  #-3
 *   timestamp  #T07-11-2011_16:53:05  (time part optional)  #TPAST #TFUTURE
 *   null       #NULL#
 *   array      ( obj , obj )
 *   dictionary { key = obj ; key = obj ; }   keys case-sensitive, unique
 *
 * Values are trees of struct dval.  A parse followed by a write followed by a
 * parse gives an equal tree (dict_equal; dictionary key order is not
 * compared).  Parse errors name the position:
 * "expected ';' after dictionary value, got 'x' at line 3, column 7 (offset 41)".
 * Dictionaries keep insertion order; past 32 keys they get a hash index, so
 * get/set stay O(1) (remove is O(n)).
 * Implemented in dict.c (tree), dict_parse.c, dict_write.c, dict_file.c.
 */
#ifndef TEGAMI_LIB_DICT_H
#define TEGAMI_LIB_DICT_H

#include "lib/compat.h"

#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"

enum dict_type {
	DICT_STRING,
	DICT_DATA,		/* datablock: raw bytes */
	DICT_NUMBER,
	DICT_TIME,
	DICT_NULL,
	DICT_ARRAY,
	DICT_DICT
};

/* Special timestamps. */
#define DICT_TIME_PAST		((int64_t)INT64_MIN)
#define DICT_TIME_FUTURE	((int64_t)INT64_MAX)

struct dval;

/* Constructors; never NULL.  Strings and data are copied. */
struct dval	*dict_new_string(const char *p, size_t len);
struct dval	*dict_new_cstr(const char *s);
struct dval	*dict_new_data(const void *p, size_t len);
struct dval	*dict_new_number(int64_t n);
/* t is seconds since the epoch, UTC (the text form is written in UTC);
 * has_time false means the date-only form #Tdd-mm-yyyy (t is cut to
 * midnight).  Times before 1970 become DICT_TIME_PAST, after 9999 become
 * DICT_TIME_FUTURE (both with has_time true), as the text form allows. */
struct dval	*dict_new_time(int64_t t, bool has_time);
struct dval	*dict_new_null(void);
struct dval	*dict_new_array(void);
struct dval	*dict_new_dict(void);

/* Frees a tree and sets *vp to NULL; NULL-safe. */
void		 dict_free(struct dval **vp);
struct dval	*dict_clone(const struct dval *v);
bool		 dict_equal(const struct dval *a, const struct dval *b);

enum dict_type	 dict_type(const struct dval *v);
/* String or datablock bytes (NUL-terminated copy inside); NULL for others. */
const char	*dict_str(const struct dval *v, size_t *len_r);
int64_t		 dict_number(const struct dval *v);	/* NUMBER; 0 otherwise */
int64_t		 dict_time(const struct dval *v, bool *has_time_r);

/* Arrays.  push takes ownership of item. */
size_t		 dict_array_len(const struct dval *arr);
struct dval	*dict_array_get(const struct dval *arr, size_t i);
void		 dict_array_push(struct dval *arr, struct dval *item);
void		 dict_array_push_cstr(struct dval *arr, const char *s);

/* Dictionaries.  Keys are case-sensitive; order of insertion is kept.
 * set replaces an existing value and takes ownership of v. */
size_t		 dict_len(const struct dval *d);
const char	*dict_key_at(const struct dval *d, size_t i);
struct dval	*dict_value_at(const struct dval *d, size_t i);
struct dval	*dict_get(const struct dval *d, const char *key);
/* The value of key when it is a string, else NULL. */
const char	*dict_get_str(const struct dval *d, const char *key);
void		 dict_set(struct dval *d, const char *key, struct dval *v);
void		 dict_set_str(struct dval *d, const char *key, const char *s);
/* 0 when removed, -1 when absent. */
int		 dict_remove(struct dval *d, const char *key);
/* Copies every key of src into dst (replacing); a src value that is the
 * string "default" removes the key from dst instead (CLI Update* semantics). */
void		 dict_update(struct dval *dst, const struct dval *src);

/* Parses text that holds exactly one object (white space around it allowed).
 * White space is space, tab, CR and LF anywhere between tokens; with
 * DICT_PARSE_COMMENTS also "//" to the end of the line (';' cannot start a
 * comment: it ends dictionary pairs).  Limits: len <= DICT_TEXT_MAX, nesting
 * <= DICT_DEPTH_MAX (ERR_LIMIT).  NULL with err_r (ERR_SYNTAX or ERR_LIMIT)
 * on failure; the message ends "at line L, column C (offset O)" (1-based
 * line and byte column).  The caller frees the tree with dict_free(). */
#define DICT_PARSE_COMMENTS	0x01
struct dval	*dict_parse(const char *text, size_t len, unsigned flags,
		    struct error *err_r);
/* Parses one object at the start of text (after white space); *used_r gets
 * the number of bytes consumed (up to the end of the object, not past the
 * white space after it).  No comments.  For CLI arguments: call it again on
 * the rest of the line. */
struct dval	*dict_parse_prefix(const char *text, size_t len, size_t *used_r,
		    struct error *err_r);

/* Writes v in text form.  DICT_WRITE_PRETTY: dictionaries one key per line
 * with tab indentation (settings files); otherwise one line (CLI).  out's
 * ceiling applies (check out->err).  The text parses back to an equal tree
 * unless a string holds a NUL byte (written as \000, which is rejected). */
#define DICT_WRITE_PRETTY	0x01
void		 dict_write(struct buf *out, const struct dval *v, unsigned flags);
/* Writes s as a string object: an atom when it can be, else quoted. */
void		 dict_write_string(struct buf *out, const char *s, size_t len);
/* Allocated one-line text form (caller frees). */
char		*dict_to_text(const struct dval *v);

/* Reads a whole settings file (one dictionary, "//" comments allowed, at
 * most DICT_TEXT_MAX bytes).  A missing file gives ERR_NOTFOUND; read
 * errors ERR_IO; parse errors name the file ("path: msg"). */
struct dval	*dict_file_read(const char *path, struct error *err_r);
/* Writes the pretty form atomically: path.tmp, fsync, rename over path,
 * fsync directory.  Keeps the mode of the file replaced; a new file gets
 * 0600 when its name ends in "account.settings", else 0644.  ERR_IO or
 * ERR_LIMIT; callers serialise writers of one path. */
int		 dict_file_write(const char *path, const struct dval *v,
		    struct error *err_r);

#endif
