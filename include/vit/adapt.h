// Umbrella header of adaptation and search over the inference API (link vit::adapt): linear probes
// and their Hugging Face export, FAISS embedding indexes, near-duplicate groups.
#pragma once

#include "vit/index.h"
#include "vit/probe.h"
#include "vit/vit.h"
