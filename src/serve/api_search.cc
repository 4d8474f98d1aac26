// With `vit serve --index DIR`:
//   POST /search {"inputs": img | [img...], "k": 5}
//     -> [[{"id", "path", "score"}, ...], ...]  the k nearest indexed images of each input, best first,
//        embedded as the index was built (its features, normalised) and scored by cosine similarity
//   GET /indexed/{id}  the indexed image file itself, only with --serve-indexed-files (the paths are
//        the server's files: serving them is the operator's choice)
// A body with Content-Type image/* is one raw image; ?k= then carries k.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

#include "serve/api.h"
#include "serve/api_common.h"
#include "vit/pooling.h"

namespace vit::serve {
namespace {

const EmbeddingIndex& IndexOf(const ServeContext& context) {
  if (!context.index) throw HttpError(404, "this server holds no index (start it with --index DIR)");
  return *context.index;
}

std::string ImageContentType(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jpg" || ext == ".jpeg" || ext == ".jpe" || ext == ".jfif") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".webp") return "image/webp";
  if (ext == ".gif") return "image/gif";
  if (ext == ".bmp" || ext == ".dib") return "image/bmp";
  if (ext == ".tif" || ext == ".tiff") return "image/tiff";
  return "application/octet-stream";
}

}  // namespace

Response Search(ServeContext& context, const Request& request) {
  const EmbeddingIndex& index = IndexOf(context);
  InFlight in_flight(context.metrics);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();
  int k = 5;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<EncodedImage> images;
  if (auto raw = RawImageBody(request)) {
    images.push_back(*raw);
    if (auto v = request.Query("k")) k = ParseIntText(*v, "k");
  } else {
    const Json body = ParseJsonObject(request.body);
    if (auto v = OptionalInt(body, "k")) k = *v;
    images = ImagesField(body, "inputs", storage);
  }
  if (k < 1 || k > 1000) throw Error("\"k\": expected 1 to 1000, got " + std::to_string(k), ErrorKind::kInvalidArgument);
  EmbedOptions options;
  options.pooling = ParsePooling(index.metadata().features);
  options.normalize = true;
  const std::vector<std::vector<float>> vectors = Embed(context, images, options, deadline);
  if (!vectors.empty() && static_cast<int64_t>(vectors[0].size()) != index.dim())
    throw Error("the index holds vectors of " + std::to_string(index.dim()) + " dimensions, this model gives " +
                    std::to_string(vectors[0].size()),
                ErrorKind::kUnsupported);
  Tensor queries({static_cast<int64_t>(vectors.size()), index.dim()});
  for (size_t i = 0; i < vectors.size(); ++i)
    std::copy(vectors[i].begin(), vectors[i].end(), queries.data() + static_cast<int64_t>(i) * index.dim());
  Json out = Json::array();
  for (const auto& neighbours : index.Search(queries, k)) {
    Json row = Json::array();
    for (const Neighbor& n : neighbours) row.push_back({{"id", n.id}, {"path", n.path}, {"score", n.score}});
    out.push_back(std::move(row));
  }
  return Response::Json(out.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Response IndexedFile(ServeContext& context, const Request& request) {
  const EmbeddingIndex& index = IndexOf(context);
  if (!context.serve_indexed_files)
    throw HttpError(404, "the indexed files are not served (start the server with --serve-indexed-files)");
  const std::string& text = request.path_params.at(0);
  const auto& paths = index.paths();
  if (text.size() > 18 || std::stoll(text) >= static_cast<long long>(paths.size()))
    throw HttpError(404, "no indexed image " + text.substr(0, 24) + " (the index holds " +
                             std::to_string(paths.size()) + ")");
  const std::string& path = paths[static_cast<size_t>(std::stoll(text))];
  std::ifstream file(path, std::ios::binary);
  if (!file) throw HttpError(404, "indexed image " + text + ": cannot read " + path);
  Response r;
  r.content_type = ImageContentType(path);
  r.body.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  r.headers.emplace_back("Cache-Control", "max-age=3600");
  return r;
}

}  // namespace vit::serve
