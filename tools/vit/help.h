// Pieces of --help and flags that mean the same in every command: examples in the footer, --pooling,
// --batch-size, --interpolate-pos-encoding with --image-size.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace vit::tool {

// "Examples:" and one indented line per example, then `note` (if any) as a paragraph.
std::string Examples(const std::vector<std::string>& lines, const std::string& note = "");

// --pooling pooler|cls|mean into `pooling` (empty: the command's default, named in the help). `--features`
// stays as a hidden alias (the probes' earlier name).
void AddPoolingOption(CLI::App& command, std::string& pooling,
                      const std::string& default_text = "image_embeds when the checkpoint has them (CLIP), else pooler when it has one, else cls");
// -b/--batch-size, images per forward pass, kDefaultBatchSize unless given.
void AddBatchSizeOption(CLI::App& command, int& batch_size);
// --interpolate-pos-encoding, and --image-size H W, which takes exactly two numbers so that the inputs
// may follow it.
void AddImageSizeOptions(CLI::App& command, bool& interpolate_pos_encoding, std::vector<int>& image_size);

}  // namespace vit::tool
