// embed_image MODEL IMAGE OUT.npy: the pooler_output of one image, as a user of <vit/vit.h> writes it.
#include <vit/vit.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: embed_image MODEL IMAGE OUT.npy\n");
    return 2;
  }
  try {
    auto model = vit::Model::Load(argv[1]);
    std::vector<vit::Image> images = {vit::LoadImage(argv[2])};
    vit::ModelOutput out = model->Run(images);
    vit::WriteNpy(argv[3], out.pooler_output);
    std::printf("pooler_output %s\n", out.pooler_output.ShapeString().c_str());
  } catch (const vit::Error& e) {
    std::fprintf(stderr, "embed_image: %s\n", e.what());
    return 1;
  }
  return 0;
}
