/* Enough of sh(1) to find a command's words in a crontab line: quotes, escapes, expansions
 * (kept, marked unknown), assignments, separators and redirections. */
#ifndef CRONGUARD_SHWORD_H
#define CRONGUARD_SHWORD_H

#include <stddef.h>
#include <stdio.h>

struct shword {
	char *s;                 /* the word with its quotes removed; a redirection's target */
	size_t start;            /* where the word (or operator) begins in the text */
	char op[4];              /* a separator's or redirection's operator: "|", "&&", ">>"... */
	unsigned dynamic : 1;    /* holds an expansion ($X, $(...), `...`): its value is unknown */
	unsigned sep : 1;        /* ends a simple command (; && || | & and parentheses) */
	unsigned assign : 1;     /* NAME=VALUE before a command */
	unsigned redir : 1;      /* a redirection: OP (without its descriptor), S its target */
};

/* shword_split splits shell text S into words, with a separator word between simple commands
 * and a redirection word for each redirection (its target in s); comments are dropped. W must
 * have room for strlen(S) + 2 words, BUF for 2 * strlen(S) + 2 bytes; the words point into
 * BUF. Pure. Returns the number of words. */
size_t shword_split(const char *s, struct shword *w, char *buf);

/* shword_quote writes WORD to OUT quoted for sh(1) so that shword_split gives it back as
 * one word: as it is when it holds only characters no shell treats specially, else in
 * single quotes (a ' inside as '\''); the empty word is ''. Pure. Returns 0, or -1 when
 * writing fails. */
int shword_quote(FILE *out, const char *word);

/* shword_base is the part of PATH after its last '/'. */
const char *shword_base(const char *path);

#endif
