/* What the images step wrote: result.json's "images" (see images.c). */
#ifndef MF_IMAGES_REPORT_H
#define MF_IMAGES_REPORT_H

#include "mpegflow/result.h"   /* struct mf_images_report */

#define MF_IMAGES_DIR "images"         /* under the output directory */


#endif
