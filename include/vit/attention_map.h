// What the model looks at: maps of its [CLS] token's attention over the patch grid, computed from
// ModelOutput::attentions (run with RunOptions::output_attentions), and pictures of them.
//
//   vit::RunOptions run;  run.output_attentions = true;
//   vit::ModelOutput out = model->Run(pixel_values, run);
//   auto grid = vit::PatchGrid(model->config(), pixel_values);               // {grid_h, grid_w}
//   vit::Tensor maps = vit::AttentionMaps(out.attentions, grid, {});         // [B, grid_h, grid_w]
//   vit::SavePng(vit::AttentionOverlay(pixel_values.Rows(0, 1), maps.Rows(0, 1),
//                                      model->processor().config()), "cat.png");
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "vit/config.h"
#include "vit/image.h"
#include "vit/image_processor.h"
#include "vit/tensor.h"

namespace vit {

enum class AttentionMethod {
  // Abnar & Zuidema's attention rollout: each layer's heads fused, the identity added for the residual
  // path and halved, rows renormalised to sum 1, the layers multiplied from the first to the last.
  kRollout,
  // One layer's (the last by default) [CLS] attention, its heads fused.
  kLayer,
};
enum class HeadFusion { kMean, kMax, kMin };

// "rollout" | "last"; "mean" | "max" | "min". Throw vit::Error(kInvalidArgument) otherwise.
AttentionMethod ParseAttentionMethod(const std::string& name);
HeadFusion ParseHeadFusion(const std::string& name);
const char* AttentionMethodName(AttentionMethod method);
const char* HeadFusionName(HeadFusion fusion);

struct AttentionMapOptions {
  AttentionMethod method = AttentionMethod::kRollout;
  HeadFusion head_fusion = HeadFusion::kMean;
  // In [0, 1): after fusing a layer's heads, this share of its weights outside the [CLS] column (the
  // lowest; ties in token order) is set to zero, so that faint attention does not blur the rollout.
  // The [CLS] column is always kept. Applied to every layer the method reads.
  double discard_ratio = 0.0;
  // The layer, 0-based; negative counts from the end (-1: the last). kRollout rolls out layers 0..layer.
  int layer = -1;
};

struct PatchGridSize {
  int64_t height = 0;  // patches down
  int64_t width = 0;   // patches across
};
// The patch grid of pixel_values [B, C, H, W] (or [C, H, W]) for this model: H / patch_size by
// W / patch_size.
PatchGridSize PatchGrid(const ViTConfig& config, const Tensor& pixel_values);

// attentions: the layers' [B, heads, T, T] with T = 1 + grid.height * grid.width (ModelOutput::attentions).
// Returns [B, grid.height, grid.width] float32: the [CLS] row over the patch tokens, scaled so that each
// image's largest value is 1. Computed in double precision.
Tensor AttentionMaps(std::span<const Tensor> attentions, PatchGridSize grid, const AttentionMapOptions& options = {});

// Every head of one layer (negative: from the end): [B, heads, grid.height, grid.width], each head's
// [CLS] row over the patch tokens scaled so that its largest value is 1.
Tensor HeadAttentionMaps(std::span<const Tensor> attentions, PatchGridSize grid, int layer = -1);

// The image as the model saw it: pixel_values [1, 3, H, W] or [3, H, W] with the processor's
// normalisation and rescaling undone, as 8-bit RGB.
Image ImageFromPixelValues(const Tensor& pixel_values, const ImageProcessorConfig& processor);

// The map ([1, gh, gw] or [gh, gw], values in [0, 1]) upsampled bilinearly to the image's size and laid
// over ImageFromPixelValues(pixel_values) in the viridis colormap at `alpha` opacity.
Image AttentionOverlay(const Tensor& pixel_values, const Tensor& map, const ImageProcessorConfig& processor,
                       double alpha = 0.6);

// A grid of overlays, one per head (maps [heads, gh, gw] or [1, heads, gh, gw] from HeadAttentionMaps),
// each labelled with its head's number, under a title line (e.g. "layer 11").
Image AttentionHeadsGrid(const Tensor& pixel_values, const Tensor& head_maps, const ImageProcessorConfig& processor,
                         const std::string& title, double alpha = 0.6);

}  // namespace vit
