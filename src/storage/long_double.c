/* Redis does INCRBYFLOAT (and HINCRBYFLOAT) in C's `long double`, which on
 * x86-64 is the x87 80-bit format, and prints the result with "%.17Lf".
 * Rust has no such type, and f64 gives different digits (10.5 + 0.1 prints
 * as 10.59999999999999964 instead of 10.6), so this one operation is done
 * here, by the same C library routines Redis uses. */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest input or output Redis handles (MAX_LONG_DOUBLE_CHARS). */
#define LD_MAX_CHARS (5 * 1024)

/* Redis's string2ld: the whole text must be a number, no leading space, no
 * NaN, and no overflow or underflow to zero. */
static int parse(const char *s, size_t len, long double *out) {
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Redis's ld2string in its "human" mode: 17 decimals, trailing zeros and a
 * trailing dot removed, "-0" written as "0". Returns the length, 0 when the
 * text does not fit (Redis then stores an empty string). */
static size_t format_human(long double v, char *out, size_t cap) {
    int n;
    size_t l;
    if (isinf(v)) {
        const char *t = v > 0 ? "inf" : "-inf";
        l = strlen(t);
        memcpy(out, t, l);
        return l;
    }
    n = snprintf(out, cap, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > cap) return 0;
    l = (size_t)n;
    if (memchr(out, '.', l) != NULL) {
        while (out[l - 1] == '0') l--;
        if (out[l - 1] == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    return l;
}

/* a + b into out (capacity LD_MAX_CHARS). Returns the length written, or
 * -1 when a is not a float, -2 when b is not, -3 when the sum is NaN or
 * infinite. */
long ferrodis_ld_add(const char *a, size_t alen, const char *b, size_t blen, char *out) {
    long double x, y, sum;
    if (!parse(a, alen, &x)) return -1;
    if (!parse(b, blen, &y)) return -2;
    sum = x + y;
    if (isnan(sum) || isinf(sum)) return -3;
    return (long)format_human(sum, out, LD_MAX_CHARS);
}

/* Whether the text is a float as Redis's string2ld accepts it. */
int ferrodis_ld_valid(const char *s, size_t len) {
    long double v;
    return parse(s, len, &v);
}

/* A blocking command's timeout in seconds, as Redis's
 * getTimeoutFromObjectOrReply reads it: parsed as a long double, times
 * 1000, converted to long long. A value out of range is LLONG_MIN, what
 * Redis's unchecked conversion gives on x86-64 and then calls negative;
 * it is made explicit here, since that conversion is undefined in C.
 * Returns 0 when the text is not a float. */
int ferrodis_ld_timeout_ms(const char *s, size_t len, long long *out) {
    long double v, ms;
    if (!parse(s, len, &v)) return 0;
    ms = v * 1000.0;
    *out = (ms >= (long double)LLONG_MIN && ms < (long double)LLONG_MAX) ? (long long)ms : LLONG_MIN;
    return 1;
}
