/* worker/job_message.c (issue 16 item 11): errors in the job's names, the last cause. */
#include <string.h>

#include "worker/job_message.h"
#include "unit.h"

static void test_unscratch(void)
{
    const char *s = "/var/tmp/mpegflow-j1-AbC123";
    char m[512];
    snprintf(m, sizeof(m), "%s/input.mp4: cannot read the mov container", s);
    mf_message_unscratch(m, sizeof(m), s, "uploads/a b.mp4", "out/j1/");
    CHECK_STR_EQ(m, "input uploads/a b.mp4: cannot read the mov container");
    snprintf(m, sizeof(m), "%s/input: short read; %s/out/720p/seg_001.m4s: write failed; %s/encode.log", s, s, s);
    mf_message_unscratch(m, sizeof(m), s, "in/x", "out/j1/");
    CHECK_STR_EQ(m, "input in/x: short read; out/j1/720p/seg_001.m4s: write failed; (scratch)/encode.log");
    snprintf(m, sizeof(m), "nothing local here");
    mf_message_unscratch(m, sizeof(m), s, "in/x", "out/");
    CHECK_STR_EQ(m, "nothing local here");
    mf_message_unscratch(m, sizeof(m), "", "in/x", "out/");     /* no scratch dir yet */
    CHECK_STR_EQ(m, "nothing local here");
    char small[16];
    snprintf(small, sizeof(small), "%s", "/s/input.mp4: x");
    mf_message_unscratch(small, sizeof(small), "/s", "a/very/long/input/key.mp4", "o/");
    CHECK_INT_EQ(strlen(small), sizeof(small) - 1);                    /* cut, still terminated */
}

static void test_gave_up(void)
{
    char m[512];
    mf_message_gave_up(m, sizeof(m), 3, 3, "running", NULL, "host-12", "3");
    CHECK_STR_EQ(m, "gave up after 3 attempts (MPEGFLOW_MAX_ATTEMPTS=3): attempt 3 on worker host-12 ended "
                    "without an outcome: the worker was killed (out of memory, kill -9, node lost) or cut off "
                    "from Redis mid-job");
    mf_message_gave_up(m, sizeof(m), 3, 3, "running", "storage: 503", "host-12", "3");
    CHECK_STR_CONTAINS(m, "; an earlier attempt's error: storage: 503");
    mf_message_gave_up(m, sizeof(m), 2, 2, "queued", "input in/x: timeout", "h", "2");
    CHECK_STR_EQ(m, "gave up after 2 attempts (MPEGFLOW_MAX_ATTEMPTS=2): input in/x: timeout");
    mf_message_gave_up(m, sizeof(m), 1, 1, NULL, NULL, NULL, NULL);
    CHECK_STR_EQ(m, "gave up after 1 attempt (MPEGFLOW_MAX_ATTEMPTS=1): no attempt recorded a cause");
}

static void test_disk_full(void)
{
    char m[512];
    snprintf(m, sizeof(m), "out/j1/360p.mp4: write failed: No space left on device");
    mf_message_disk_full(m, sizeof(m), 8);
    CHECK_STR_EQ(m, "the worker's scratch disk (MPEGFLOW_SCRATCH_DIR, 8 MB) is full: "
                    "out/j1/360p.mp4: write failed: No space left on device");
    mf_message_disk_full(m, sizeof(m), 8);                           /* once */
    CHECK_STR_CONTAINS(m, "is full: out/j1/");
    CHECK_INT_EQ(strstr(m + 1, "the worker's scratch disk") == NULL, 1);
    snprintf(m, sizeof(m), "input in/x: No space left on device");
    mf_message_disk_full(m, sizeof(m), -1);
    CHECK_STR_EQ(m, "the worker's scratch disk (MPEGFLOW_SCRATCH_DIR) is full: input in/x: No space left on device");
    snprintf(m, sizeof(m), "storage: 503");
    mf_message_disk_full(m, sizeof(m), 8);
    CHECK_STR_EQ(m, "storage: 503");
}

int main(void)
{
    test_unscratch();
    test_gave_up();
    test_disk_full();
    return UNIT_DONE();
}
