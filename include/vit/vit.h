// Umbrella header of the public API.
#pragma once

#include "vit/config.h"
#include "vit/error.h"
#include "vit/extract.h"
#include "vit/hub.h"
#include "vit/image.h"
#include "vit/image_processor.h"
#include "vit/index.h"
#include "vit/inspect.h"
#include "vit/model.h"
#include "vit/options.h"
#include "vit/pooling.h"
#include "vit/probe.h"
#include "vit/stages.h"
#include "vit/tensor.h"
