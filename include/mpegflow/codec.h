/*
 * The video codecs a job may ask for: the one type the job contract shares
 * with the encoder vtable. No FFmpeg header, so the worker side (which links
 * no FFmpeg) can include it.
 */
#ifndef MPEGFLOW_CODEC_H
#define MPEGFLOW_CODEC_H

enum mf_video_codec {
    MF_CODEC_H264 = 0,
    MF_CODEC_HEVC = 1,
};

#endif
