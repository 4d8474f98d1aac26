// vit::Model: a Hugging Face ViT checkpoint (ViTModel or ViTForImageClassification) ready to run.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vit/config.h"
#include "vit/image.h"
#include "vit/image_processor.h"
#include "vit/model_output.h"
#include "vit/options.h"
#include "vit/tensor.h"

namespace vit {

struct ModelInfo {
  std::string source;                // what the user passed: a folder or org/name[@rev]
  std::string directory;             // the folder the files were read from
  std::string weights_file;          // model.safetensors, pytorch_model.bin, or an index
  int64_t num_parameters = 0;
  // The member of the ViT family config.json's model_type names: "ViT", "DeiT", "DINOv2", "CLIP", "SigLIP".
  std::string family;
  bool has_pooler = false;        // pooler_output: ViT's and DeiT's pooler.dense; every DINOv2, CLIP and SigLIP
  bool has_image_embeds = false;  // image_embeds: CLIP with visual_projection
  int64_t leading_tokens = 1;     // tokens before the patches in last_hidden_state (ModelOutput::leading_tokens)
  bool has_classifier = false;
  Precision precision = Precision::kF32;
  // With a packed-weights cache: "used <file>", "wrote <file>" or "not written: <reason>"; else empty.
  std::string packed_cache;
  // The kernel of the encoder's linear layers, e.g. "vit avx512 f32", "vit avx512_vnni" (int8) or
  // "oneDNN brg:avx512_core".
  std::string gemm_kernel;
};

class Model {
 public:
  // `model` is a folder or a hub id "org/name[@revision]".
  static std::unique_ptr<Model> Load(const std::string& model, const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // pixel_values [B, C, H, W] float32. Not reentrant: one Run at a time per Model.
  ModelOutput Run(const Tensor& pixel_values, const RunOptions& options = {});
  // Preprocesses with processor(), then Run.
  ModelOutput Run(std::span<const Image> images, const RunOptions& options = {});

  const ViTConfig& config() const;
  const ImageProcessor& processor() const;
  const ModelInfo& info() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vit
