/*
 * te_host.c - batch runner for host builds (a shared library loaded from Python).
 *
 * Host only: it allocates one arena per worker thread, which firmware never does.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "te_model.h"
#include "host_simd/te_host_simd.h"

#define TE_HOST_MAX_THREADS 64

typedef struct {
    const int8_t *inputs;
    int8_t *outputs;
    int32_t first;
    int32_t last;
    int32_t status;
} te_host_job;

static void *te_host_worker(void *arg)
{
    te_host_job *job = (te_host_job *)arg;
    const te_model_info *info = te_model_get_info();
    /* 16-byte alignment, as the generated plan assumes. */
    if (info->arena_size < 0 || info->input_size < 0 || info->output_size < 0) {
        job->status = TE_ERROR_ARG;
        return NULL;
    }
    uint8_t *arena = aligned_alloc(16, ((size_t)info->arena_size + 15u) / 16u * 16u);
    if (arena == NULL) {
        job->status = TE_ERROR_ARG;
        return NULL;
    }
    job->status = TE_OK;
    for (int32_t i = job->first; i < job->last; ++i) {
        memcpy(arena + info->input_offset, job->inputs + (size_t)i * info->input_size,
               (size_t)info->input_size);
        const te_status status = te_model_invoke(arena);
        if (status != TE_OK) {
            job->status = status;
            break;
        }
        memcpy(job->outputs + (size_t)i * info->output_size, arena + info->output_offset,
               (size_t)info->output_size);
    }
    free(arena);
    return NULL;
}

/* 1 when this library's host_simd kernels take the AVX-512 VNNI path (te_host_simd.h),
 * 0 for the portable C loops. */
int32_t te_host_vector_path(void)
{
#ifdef TE_HOST_VNNI
    return 1;
#else
    return 0;
#endif
}

/* Whether this CPU runs what the library was compiled for (-march=native on another CPU
 * would otherwise stop on an illegal instruction). */
int32_t te_host_cpu_ok(void)
{
#ifdef TE_HOST_VNNI
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi");
#else
    return 1;
#endif
}

/* Run `count` inputs (packed back to back) on up to `threads` threads; returns TE_OK or
 * the first failing status (TE_ERROR_UNSUPPORTED: this CPU lacks the instructions the
 * library was built for). */
int32_t te_host_run_batch(const int8_t *inputs, int32_t count, int8_t *outputs, int32_t threads)
{
    if (inputs == NULL || outputs == NULL || count < 0) {
        return TE_ERROR_ARG;
    }
    if (!te_host_cpu_ok()) {
        return TE_ERROR_UNSUPPORTED;
    }
    if (threads < 1) {
        threads = 1;
    }
    if (threads > TE_HOST_MAX_THREADS) {
        threads = TE_HOST_MAX_THREADS;
    }
    if (threads > count) {
        threads = count > 0 ? count : 1;
    }
    te_host_job jobs[TE_HOST_MAX_THREADS];
    pthread_t ids[TE_HOST_MAX_THREADS];
    int started[TE_HOST_MAX_THREADS] = {0};
    for (int32_t t = 0; t < threads; ++t) {
        jobs[t] = (te_host_job){inputs, outputs, (int32_t)((int64_t)count * t / threads),
                                (int32_t)((int64_t)count * (t + 1) / threads), TE_OK};
    }
    for (int32_t t = 1; t < threads; ++t) {
        started[t] = pthread_create(&ids[t], NULL, te_host_worker, &jobs[t]) == 0;
        if (!started[t]) {
            te_host_worker(&jobs[t]); /* no thread available: run that share inline */
        }
    }
    te_host_worker(&jobs[0]);
    int32_t status = jobs[0].status;
    for (int32_t t = 1; t < threads; ++t) {
        if (started[t]) {
            pthread_join(ids[t], NULL);
        }
        if (status == TE_OK) {
            status = jobs[t].status;
        }
    }
    return status;
}
