/*
 * jstr.h - the one JSON string writer: a json-c string, with invalid UTF-8
 *	    repaired
 *
 * CONTRACT
 *	jstr(s) is a new json-c string object (json_object_put() it, or hand
 *	it to an object or array) holding s, where every byte that does not
 *	start a valid UTF-8 sequence (RFC 3629: no overlong forms, no
 *	surrogates, nothing above U+10FFFF) becomes U+FFFD, so that the JSON
 *	written is valid UTF-8 whatever the input bytes. NULL for s NULL (a
 *	JSON null where json-c takes it) or on an allocation failure. Every
 *	JSON string the programs write goes through it (tests/layout checks
 *	that json_object_new_string is called nowhere else).
 */
#ifndef RM_JSTR_H
#define RM_JSTR_H

struct json_object;

struct json_object	*jstr(const char *s);

#endif
