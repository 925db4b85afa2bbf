// Processor count for the thread pool's default size.
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include "CKernels.h"

int bita_active_cpu_count(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
