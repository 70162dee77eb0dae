/* mono: the monotonic clock, the one place that reads it (durations, deadlines, timeouts:
 * immune to wall-clock steps). */
#ifndef AAM_MONO_H
#define AAM_MONO_H

#include <time.h>

/* Monotonic milliseconds since an arbitrary start. */
long long mono_ms(void);

/* Now, for mono_elapsed_ms. */
struct timespec mono_now(void);

/* Milliseconds (fractional) since t0 (from mono_now). */
double mono_elapsed_ms(const struct timespec *t0);

#endif
