/* Process-wide counters behind one mutex: updates are rare (a few per job). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static struct {
    pthread_mutex_t lock;
    int64_t outcomes[MF_OUTCOME_COUNT];
    int64_t attempts, frames, bytes_in, bytes_out, queue_wait_count;
    double encode_seconds, queue_wait_sum;
    int in_flight;
    char backend[32];
} m = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const outcome_names[MF_OUTCOME_COUNT] = {
    "succeeded", "failed", "retried", "handed_back", "lost", "unrecorded",
};

void mf_metrics_init(const char *backend)
{
    pthread_mutex_lock(&m.lock);
    snprintf(m.backend, sizeof(m.backend), "%s", backend);
    pthread_mutex_unlock(&m.lock);
}

void mf_metrics_outcome(enum mf_outcome o)
{
    pthread_mutex_lock(&m.lock);
    m.outcomes[o]++;
    pthread_mutex_unlock(&m.lock);
}

void mf_metrics_attempt(void)
{
    pthread_mutex_lock(&m.lock);
    m.attempts++;
    pthread_mutex_unlock(&m.lock);
}

void mf_metrics_encode(double seconds, int64_t frames)
{
    pthread_mutex_lock(&m.lock);
    m.encode_seconds += seconds;
    m.frames += frames;
    pthread_mutex_unlock(&m.lock);
}

void mf_metrics_bytes(int64_t in, int64_t out)
{
    pthread_mutex_lock(&m.lock);
    m.bytes_in += in;
    m.bytes_out += out;
    pthread_mutex_unlock(&m.lock);
}

void mf_metrics_queue_wait(double seconds)
{
    pthread_mutex_lock(&m.lock);
    m.queue_wait_sum += seconds > 0 ? seconds : 0;
    m.queue_wait_count++;
    pthread_mutex_unlock(&m.lock);
}

void mf_metrics_in_flight(int delta)
{
    pthread_mutex_lock(&m.lock);
    m.in_flight += delta;
    pthread_mutex_unlock(&m.lock);
}

char *mf_metrics_render(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m.lock);
    fprintf(f, "# HELP mpegflow_jobs_total Jobs handled, by outcome.\n"
               "# TYPE mpegflow_jobs_total counter\n");
    for (int i = 0; i < MF_OUTCOME_COUNT; i++)
        fprintf(f, "mpegflow_jobs_total{outcome=\"%s\"} %lld\n", outcome_names[i], (long long)m.outcomes[i]);
    fprintf(f, "# HELP mpegflow_job_attempts_total Job attempts started (deliveries processed).\n"
               "# TYPE mpegflow_job_attempts_total counter\n"
               "mpegflow_job_attempts_total %lld\n", (long long)m.attempts);
    fprintf(f, "# HELP mpegflow_encode_seconds_total Wall seconds spent in the transcode pipeline.\n"
               "# TYPE mpegflow_encode_seconds_total counter\n"
               "mpegflow_encode_seconds_total %.3f\n", m.encode_seconds);
    fprintf(f, "# HELP mpegflow_frames_total Source video frames decoded.\n"
               "# TYPE mpegflow_frames_total counter\n"
               "mpegflow_frames_total %lld\n", (long long)m.frames);
    fprintf(f, "# HELP mpegflow_bytes_in_total Bytes downloaded from storage.\n"
               "# TYPE mpegflow_bytes_in_total counter\n"
               "mpegflow_bytes_in_total %lld\n", (long long)m.bytes_in);
    fprintf(f, "# HELP mpegflow_bytes_out_total Bytes uploaded to storage.\n"
               "# TYPE mpegflow_bytes_out_total counter\n"
               "mpegflow_bytes_out_total %lld\n", (long long)m.bytes_out);
    fprintf(f, "# HELP mpegflow_queue_wait_seconds Time from enqueue (XADD) to first pickup.\n"
               "# TYPE mpegflow_queue_wait_seconds summary\n"
               "mpegflow_queue_wait_seconds_sum %.3f\n"
               "mpegflow_queue_wait_seconds_count %lld\n", m.queue_wait_sum, (long long)m.queue_wait_count);
    fprintf(f, "# HELP mpegflow_jobs_in_flight Jobs being worked on now.\n"
               "# TYPE mpegflow_jobs_in_flight gauge\n"
               "mpegflow_jobs_in_flight %d\n", m.in_flight);
    fprintf(f, "# HELP mpegflow_backend_info The encoder backend of this worker.\n"
               "# TYPE mpegflow_backend_info gauge\n"
               "mpegflow_backend_info{backend=\"%s\"} 1\n", m.backend);
    pthread_mutex_unlock(&m.lock);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}
