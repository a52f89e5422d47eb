/*
 * nsregex.h - the regular expressions of list(regex=...) and
 * remove(regex=...): Python re syntax, re.match() semantics (anchored at
 * the start, need not reach the end), run by a Pike VM in time linear in
 * pattern size times name length, so a hostile pattern cannot stall the
 * event loop.
 *
 * Trust: patterns come from any VPN peer.  Patterns are capped at
 * NSRE_MAX_PATTERN bytes and compile to at most NSRE_MAX_PROG
 * instructions.  Supported: literals and escapes, ., classes with ranges
 * and \d \w \s (and negations), ^ $ \A \Z \b \B, groups (?:...) (?P<n>...)
 * (?#...), alternation, * + ? {m,n} and their lazy forms, inline flags
 * i m s a u (global at the start, or scoped "(?i:...)").  Refused with an
 * "unsupported" error: backreferences, lookarounds, atomic groups,
 * possessive quantifiers, conditionals, verbose mode, \N{...}.  \d and \w
 * and case folding are ASCII-only (Python's re.ASCII); \s is Unicode.
 * Syntax errors carry Python's re.error texts and positions.
 */
#ifndef NSREGEX_H
#define NSREGEX_H

#include <stddef.h>

#include "util.h"

#define NSRE_MAX_PATTERN	1024
#define NSRE_MAX_PROG		8192

struct nsre;

/* Compile len bytes of UTF-8.  NULL with an re.error-style text in err. */
struct nsre	*nsre_compile(const char *, size_t len, char *err,
		    size_t errlen) WUR;
/* re.match(pattern, s) is not None: 1 or 0 (0 also for bad UTF-8). */
int		 nsre_match(const struct nsre *, const char *, size_t);
void		 nsre_free(struct nsre *);

#endif /* NSREGEX_H */
