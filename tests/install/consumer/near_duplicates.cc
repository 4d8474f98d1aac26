// near_duplicates MODEL IMAGE...: groups of near-duplicate images by their pooler_output, as a user of
// <vit/adapt.h> finds them; one line per group, the members' indexes separated by spaces.
#include <vit/adapt.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: near_duplicates MODEL IMAGE...\n");
    return 2;
  }
  try {
    auto model = vit::Model::Load(argv[1]);
    std::vector<vit::Image> images;
    for (int i = 2; i < argc; ++i) images.push_back(vit::LoadImage(argv[i]));
    const vit::ModelOutput out = model->Run(images);
    for (const auto& group : vit::FindNearDuplicates(out.pooler_output, 0.999f)) {
      for (size_t i = 0; i < group.size(); ++i) std::printf(i ? " %lld" : "%lld", static_cast<long long>(group[i]));
      std::printf("\n");
    }
  } catch (const vit::Error& e) {
    std::fprintf(stderr, "near_duplicates: %s\n", e.what());
    return 1;
  }
  return 0;
}
