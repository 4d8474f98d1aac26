// Umbrella header of the inference API (link vit::vit): models, images, the hub, npy files.
// Probes and embedding indexes are vit/adapt.h (link vit::adapt).
#pragma once

#include "vit/attention_map.h"
#include "vit/bench.h"
#include "vit/config.h"
#include "vit/error.h"
#include "vit/extract.h"
#include "vit/hub.h"
#include "vit/image.h"
#include "vit/image_processor.h"
#include "vit/inspect.h"
#include "vit/kernel_table.h"
#include "vit/model.h"
#include "vit/model_output.h"
#include "vit/npy.h"
#include "vit/options.h"
#include "vit/pooling.h"
#include "vit/precision.h"
#include "vit/stages.h"
#include "vit/tensor.h"
