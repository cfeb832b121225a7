/* On the include path of the worker-side header tests only: reaching it is the failure. */
#error "an FFmpeg header (libavutil/error.h) reached from the worker side, which links no FFmpeg"
