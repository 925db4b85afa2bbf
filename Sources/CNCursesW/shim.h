// ncursesw for Swift: wide-character API on, plus accessors for what Swift cannot import
// (macros and mutable globals).
#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

extern int wcwidth(wchar_t c);

static inline WINDOW *bita_stdscr(void) { return stdscr; }
static inline int bita_colors(void) { return COLORS; }
static inline int bita_color_pairs(void) { return COLOR_PAIRS; }
static inline int bita_key_f(int n) { return KEY_F(n); }
static inline attr_t bita_a_bold(void) { return A_BOLD; }
static inline attr_t bita_a_dim(void) { return A_DIM; }
static inline attr_t bita_a_underline(void) { return A_UNDERLINE; }
static inline attr_t bita_a_reverse(void) { return A_REVERSE; }
static inline attr_t bita_a_italic(void) { return A_ITALIC; }
static inline attr_t bita_a_normal(void) { return A_NORMAL; }
static inline attr_t bita_color_pair(int n) { return COLOR_PAIR(n); }
#endif
