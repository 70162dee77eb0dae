/* mono: CLOCK_MONOTONIC readings (see mono.h). */
#include "util/mono.h"

struct timespec mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

long long mono_ms(void)
{
    struct timespec ts = mono_now();
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double mono_elapsed_ms(const struct timespec *t0)
{
    struct timespec t1 = mono_now();
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}
