// transformers' ViTEmbeddings.interpolate_pos_encoding: the [CLS] position kept, the patch grid resized
// with torch.nn.functional.interpolate(mode="bicubic", align_corners=False, size=(H/p, W/p)).
#pragma once

#include <cstdint>
#include <vector>

namespace vit::model {

// position_embeddings: [(side*side + 1) * dim]. Returns [(new_height*new_width + 1) * dim].
std::vector<float> InterpolatePositionEmbeddings(const float* position_embeddings, int64_t side, int64_t dim,
                                                 int64_t new_height, int64_t new_width);

}  // namespace vit::model
