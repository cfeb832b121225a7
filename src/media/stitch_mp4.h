/*
 * Split and stitch (issue 13): a rendition's progressive MP4 (moov first)
 * from its stitched HLS fragments and the first chunk's audio MP4, by
 * stream copy: the packets and timestamps the unsplit MP4 would hold.
 */
#ifndef MF_STITCH_MP4_H
#define MF_STITCH_MP4_H

#include <stddef.h>

/**
 * Write mp4_path from hls_dir (a rendition's folder: init.mp4 and the
 * segments of its index.m3u8) and audio_mp4 (NULL: video only).
 * 0, or a negative AVERROR with err.
 */
int mf_stitch_mp4(const char *hls_dir, const char *audio_mp4, const char *mp4_path, char *err, size_t err_len);

#endif
