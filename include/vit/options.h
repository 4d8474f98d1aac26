// Options of the public API, one struct per call site, plain data with the defaults users expect.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "vit/precision.h"

namespace vit {

// "f32" | "bf16" | "int8" (and their long names); throws vit::Error(kInvalidArgument) otherwise.
Precision ParsePrecision(const std::string& name);

// Where a hub id's files come from. Empty fields fall back to the environment as huggingface_hub does
// (HF_ENDPOINT, HF_TOKEN or $HF_HOME/token, HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME, HF_HUB_OFFLINE).
struct HubOptions {
  std::string revision;                       // branch, tag or commit; "main" when empty and not in the id
  std::optional<bool> offline;                // unset: HF_HUB_OFFLINE
  std::optional<std::filesystem::path> cache_dir;
  std::string endpoint;
  std::string token;
  bool progress = true;                       // a progress bar when stderr is a terminal
};

struct LoadOptions {
  Precision precision = Precision::kF32;
  int threads = 0;  // 0: every core
  HubOptions hub;
  // A folder keeping the linear layers packed (converted, quantized, reordered for this CPU) between
  // loads, so that the next load maps them instead of packing: about one model's size of disk per
  // precision. Unset: $VIT_PACKED_CACHE; empty: no cache.
  std::optional<std::filesystem::path> packed_cache;
};

struct RunOptions {
  bool output_hidden_states = false;
  bool output_attentions = false;
  // transformers' interpolate_pos_encoding: other input sizes get bicubic-resized position embeddings.
  bool interpolate_pos_encoding = false;
  // Fill ModelOutput::stage_seconds: the wall time of each stage, read on the calling thread between
  // stages (every stage already ends with all threads done, so timing adds no synchronisation).
  bool time_stages = false;
};

}  // namespace vit
