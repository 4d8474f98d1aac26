// transformers' ViTEmbeddings.interpolate_pos_encoding (and DeiT's, DINOv2's, CLIP's): the [CLS] position kept, the patch grid resized
// with torch.nn.functional.interpolate(mode="bicubic", align_corners=False, size=(H/p, W/p)).
#pragma once

#include <cstdint>
#include <vector>

namespace vit::model {

// position_embeddings: [(leading + side*side) * dim], the `leading` tokens' ([CLS], DeiT's distillation
// token; none for SigLIP) kept as they are. Returns [(leading + new_height*new_width) * dim]. antialias:
// interpolate(..., antialias=True), as Dinov2WithRegistersEmbeddings resizes.
std::vector<float> InterpolatePositionEmbeddings(const float* position_embeddings, int64_t side, int64_t dim,
                                                 int64_t new_height, int64_t new_width, int64_t leading = 1,
                                                 bool antialias = false);

}  // namespace vit::model
