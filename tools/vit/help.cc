#include "help.h"

#include <CLI/CLI.hpp>

#include "vit/extract.h"

namespace vit::tool {

std::string Examples(const std::vector<std::string>& lines, const std::string& note) {
  std::string text = "\nExamples:\n";
  for (const std::string& line : lines) text += "  " + line + "\n";
  if (!note.empty()) text += "\n" + note + "\n";
  return text;
}

void AddPoolingOption(CLI::App& command, std::string& pooling, const std::string& default_text) {
  const std::string help = "one vector per image: pooler (pooler_output), image_embeds (CLIP's visual_projection), cls "
                           "(last_hidden_state[:, 0]) or mean (of the patch tokens); default: " + default_text;
  auto names = CLI::IsMember({"pooler", "pooler_output", "image_embeds", "cls", "mean"});
  command.add_option("--pooling", pooling, help)->check(names);
  command.add_option("--features", pooling, "the same as --pooling")->check(names)->group("");
}

void AddBatchSizeOption(CLI::App& command, int& batch_size) {
  batch_size = kDefaultBatchSize;
  command.add_option("-b,--batch-size", batch_size, "images per forward pass")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
}

void AddImageSizeOptions(CLI::App& command, bool& interpolate_pos_encoding, std::vector<int>& image_size) {
  command.add_flag("--interpolate-pos-encoding", interpolate_pos_encoding,
                   "accept other input sizes (bicubic-interpolated position embeddings, as transformers)");
  // CLI11 lets a vector option go on taking values after expected(2); the inputs come next.
  command.add_option("--image-size", image_size, "resize images straight to H W (no centre crop) instead of the model's preprocessing")
      ->expected(2)
      ->allow_extra_args(false)
      ->check(CLI::Range(1, 16384));
}

}  // namespace vit::tool
