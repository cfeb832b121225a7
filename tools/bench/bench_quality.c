/*
 * PSNR and SSIM against the source, computed by ffmpeg's own psnr and ssim
 * filters: one ffmpeg process per side decodes the source once, scales it
 * to every rung with the bicubic scaler both encoders used, and compares.
 * The filters' end-of-stream summaries are read from its log:
 *   [psnr@p0 @ 0x...] PSNR y:... average:41.23 min:... max:...
 *   [ssim@s0 @ 0x...] SSIM Y:... All:0.9876 (19.1)
 */
#include <libavutil/error.h>

#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int build_graph(const struct mf_bench_file *f, const struct mf_bench_rung *rungs,
                       int n, char *g, size_t len)
{
    size_t u = 0;
    u += (size_t)snprintf(g + u, len - u, "[0:v]%ssplit=%d",
                          f->interlaced ? "bwdif=mode=send_frame:parity=auto:deint=interlaced," : "", n);
    for (int i = 0; i < n && u < len; i++)
        u += (size_t)snprintf(g + u, len - u, "[r%d]", i);
    for (int i = 0; i < n && u < len; i++)
        u += (size_t)snprintf(g + u, len - u,
                              ";[r%d]scale=w=%d:h=%d:flags=bicubic,format=yuv420p,split[ra%d][rb%d]"
                              ";[%d:v]format=yuv420p,split[ea%d][eb%d]"
                              ";[ea%d][ra%d]psnr@p%d;[eb%d][rb%d]ssim@s%d",
                              i, rungs[i].width, rungs[i].height, i, i, i + 1, i, i, i, i, i, i, i, i);
    return u < len ? 0 : AVERROR(E2BIG);
}

static void parse_log(const char *log, struct mf_bench_rung *rungs, int n)
{
    FILE *fp = fopen(log, "r");
    char line[1024];
    if (!fp)
        return;
    while (fgets(line, sizeof(line), fp)) {
        int i;
        const char *v;
        if (sscanf(line, "[psnr@p%d ", &i) == 1 && i >= 0 && i < n && (v = strstr(line, " average:")))
            rungs[i].psnr = strncmp(v + 9, "inf", 3) ? strtod(v + 9, NULL) : 99;
        else if (sscanf(line, "[ssim@s%d ", &i) == 1 && i >= 0 && i < n && (v = strstr(line, " All:")))
            rungs[i].ssim = strtod(v + 5, NULL);
    }
    fclose(fp);
}

int mf_bench_quality(const struct mf_bench_file *f, const char *outdir, int side,
                     struct mf_bench_rung *rungs, int n_rungs, char *err, size_t err_len)
{
    static char graph[8192];
    char paths[MF_MAX_RENDITIONS][1200], log[1200];
    char *argv[64];
    int a = 0;
    if (n_rungs <= 0)
        return 0;
    int ret = build_graph(f, rungs, n_rungs, graph, sizeof(graph));
    if (ret < 0)
        return ret;
    argv[a++] = "ffmpeg";
    argv[a++] = "-hide_banner";
    argv[a++] = "-nostdin";
    argv[a++] = "-nostats";
    argv[a++] = "-i";
    argv[a++] = (char *)f->path;
    for (int i = 0; i < n_rungs; i++) {
        mf_bench_output_path(paths[i], sizeof(paths[i]), outdir, side, &rungs[i]);
        argv[a++] = "-i";
        argv[a++] = paths[i];
        rungs[i].psnr = rungs[i].ssim = -1;
    }
    argv[a++] = "-lavfi";
    argv[a++] = graph;
    argv[a++] = "-f";
    argv[a++] = "null";
    argv[a++] = "-";
    argv[a] = NULL;
    snprintf(log, sizeof(log), "%s/quality-%s.log", outdir, side == MF_BENCH_OURS ? "ours" : "ffmpeg");
    struct mf_bench_sample s;
    ret = mf_bench_spawn(argv, log, &s);
    if (ret != 0) {
        char tail[256];
        mf_bench_log_tail(log, tail, sizeof(tail));
        mf_errf(err, err_len, "PSNR/SSIM: ffmpeg %s: %s", ret < 0 ? "could not start" : "failed",
                ret < 0 ? strerror(-ret) : tail);
        return ret < 0 ? ret : AVERROR_EXTERNAL;
    }
    parse_log(log, rungs, n_rungs);
    for (int i = 0; i < n_rungs; i++) {
        if (rungs[i].psnr < 0 || rungs[i].ssim < 0) {
            mf_errf(err, err_len, "PSNR/SSIM: no summary for %s in ffmpeg's log %s", rungs[i].name, log);
            return AVERROR_EXTERNAL;
        }
    }
    return 0;
}
