/*
 * DASH thumbnails: the sprite sheets as an image AdaptationSet (DASH-IF IOP
 * 4.3 section 6.2.6, "thumbnail_tile"), added to a written MPD.
 *
 *   <AdaptationSet id=(after the others) contentType="image" mimeType="image/jpeg">
 *     <SegmentTemplate media="../images/sprite-$Number$.jpg" startNumber="0"
 *                      timescale duration=(columns x rows x interval)/>
 *     <Representation id="thumbnails" width=columns*tile_w height=rows*tile_h>
 *       <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="CxR"/>
 *
 * A SegmentTemplate fits: every sheet holds columns x rows tiles of one
 * interval each, so every sheet spans the same time; only the last one is
 * cut short (fewer rows, and the period's end). Shaka keeps the template's
 * full span of the last segment (SegmentReference.trueEndTime) to place its
 * tiles, so a tile's position follows from its index in every sheet.
 */
#ifndef MF_DASH_THUMBNAILS_H
#define MF_DASH_THUMBNAILS_H

#include <stddef.h>

#include "mpegflow/result.h"

/** Insert the image AdaptationSet for result->images before the MPD's
 *  last </Period> (the MPD is in OUTDIR/hls/ or OUTDIR/dash/, the sprites
 *  in OUTDIR/images/), and update the "mpd" output's bytes. 0 or an
 *  AVERROR with err set; 0 and nothing done without thumbnails. */
int mf_dash_add_thumbnails(const char *mpd, struct mf_result *result, char *err, size_t err_len);

#endif
