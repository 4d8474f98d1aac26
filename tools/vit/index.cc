// vit index: FAISS similarity search over image embeddings.
//   build   INPUTS -> a new index folder (exact for small sets, HNSW or IVF for large ones)
//   add     INPUTS -> appended to an index, embedded with the model and features it records
//   search  QUERIES -> JSON lines {"query", "neighbors": [{"path", "score", "id"}]}, cosine scores
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "checks.h"
#include "commands.h"
#include "exit_codes.h"
#include "feature_args.h"
#include "help.h"
#include "name_list.h"
#include "model_args.h"
#include "vit/index.h"
#include "vit/npy.h"
#include "vit/probe.h"
#include "vit/vit.h"

namespace vit::tool {
namespace {

namespace fs = std::filesystem;

struct IndexArgs {
  ModelArgs model;
  FeatureArgs extraction;
  std::string index;
  std::string type = "auto";
  int64_t flat_limit = 50000;
  int hnsw_m = 32;
  int ef_search = 0;  // 0: what the index records
  int nlist = 0;
  int nprobe = 0;     // 0: what the index records
  int k = 10;
  std::vector<std::string> inputs;
  std::string npy;    // embeddings already computed, instead of images
  std::string names;  // one name per row of npy (default: inputs.txt beside it, as vit embed writes)
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Embeddings of the inputs and the absolute paths of the rows that made it.
struct Embedded {
  Tensor vectors;
  std::vector<std::string> paths;
  bool skipped = false;
};

// Rows of a .npy file with their names: --names, else the inputs.txt `vit embed` wrote beside it,
// else "<file>#<row>".
Embedded ReadEmbeddings(const IndexArgs& args) {
  Embedded out;
  out.vectors = ReadNpy(args.npy);
  if (out.vectors.rank() != 2)
    throw Error(args.npy + ": expected embeddings [N, D], got " + out.vectors.ShapeString(), ErrorKind::kInvalidInput);
  fs::path names = args.names;
  if (names.empty() && fs::exists(fs::path(args.npy).parent_path() / "inputs.txt"))
    names = fs::path(args.npy).parent_path() / "inputs.txt";
  if (names.empty()) {
    for (int64_t i = 0; i < out.vectors.dim(0); ++i) out.paths.push_back(args.npy + "#" + std::to_string(i));
    return out;
  }
  std::ifstream in(names);
  if (!in) throw Error(names.string() + ": cannot open the names file", ErrorKind::kNotFound);
  for (std::string line; std::getline(in, line);) out.paths.push_back(NameFromLine(line, names.string()));
  if (static_cast<int64_t>(out.paths.size()) != out.vectors.dim(0))
    throw Error(names.string() + " names " + std::to_string(out.paths.size()) + " rows but " + args.npy + " has " +
                    std::to_string(out.vectors.dim(0)),
                ErrorKind::kInvalidInput);
  return out;
}

// `pooling`: the index's, or empty for build (--pooling, else the model's default).
Embedded Embed(const IndexArgs& args, const std::string& model_name, const std::string& what, std::string& pooling) {
  if (args.npy.empty() == args.inputs.empty())
    throw Error(what + ": give either images or --npy with embeddings, not both or neither",
                ErrorKind::kInvalidArgument);
  if (!args.npy.empty()) return ReadEmbeddings(args);
  if (model_name.empty()) throw Error(what + ": --model is required to embed images", ErrorKind::kInvalidArgument);
  const std::vector<fs::path> files = ListImageFiles(args.inputs);
  LoadOptions load = args.model.ToLoadOptions();
  auto model = LoadModel(model_name, load);
  const auto start = std::chrono::steady_clock::now();
  const Pooling kind = pooling.empty() ? args.extraction.PoolingOr(DefaultPooling(model->info()))
                                       : ParsePooling(pooling);
  pooling = PoolingName(kind);
  ExtractedFeatures features = args.extraction.Extract(*model, files, what, kind);
  std::fprintf(stderr, "%s: embedded %zu image(s) in %.2f s (%zu from the cache)\n", what.c_str(), features.kept.size(),
               Seconds(start), features.from_cache);
  if (features.kept.empty()) throw Error("no input could be read", ErrorKind::kInvalidInput);
  Embedded out;
  out.vectors = features.features;
  for (size_t i : features.kept) out.paths.push_back(fs::absolute(files[i]).lexically_normal().string());
  out.skipped = !features.skipped.empty();
  return out;
}

int RunBuild(const IndexArgs& args) {
  IndexOptions options;
  options.kind = ParseIndexKind(args.type);
  options.flat_limit = args.flat_limit;
  options.hnsw_m = args.hnsw_m;
  if (args.ef_search > 0) options.hnsw_ef_search = args.ef_search;
  options.ivf_nlist = args.nlist;
  if (args.nprobe > 0) options.ivf_nprobe = args.nprobe;
  std::string pooling;
  const Embedded e = Embed(args, args.model.model, "vit index build", pooling);
  if (pooling.empty()) {  // --npy: --pooling, else what `vit embed` named the file, else cls
    const std::string stem = fs::path(args.npy).stem().string();
    pooling = !args.extraction.pooling.empty() ? PoolingName(ParsePooling(args.extraction.pooling))
              : (stem == "pooler_output" || stem == "mean" || stem == "image_embeds") ? PoolingName(ParsePooling(stem))
                                                            : "cls";
  }
  const auto start = std::chrono::steady_clock::now();
  const EmbeddingIndex index =
      EmbeddingIndex::Build(e.vectors, e.paths, {ModelReference(args.model.model), pooling}, options);
  index.Save(args.index);
  std::fprintf(stderr, "vit index build: %s index of %lld %lld-d vectors in %.3f s -> %s\n", IndexKindName(index.kind()),
               static_cast<long long>(index.size()), static_cast<long long>(index.dim()), Seconds(start),
               args.index.c_str());
  return e.skipped ? kExitPartial : kExitOk;
}

int RunAdd(const IndexArgs& args) {
  EmbeddingIndex index = EmbeddingIndex::Load(args.index);
  std::string pooling = index.metadata().features;
  const std::string model = args.model.model.empty() ? index.metadata().model : args.model.model;
  const Embedded e = Embed(args, model, "vit index add", pooling);
  const auto start = std::chrono::steady_clock::now();
  index.Add(e.vectors, e.paths);
  index.Save(args.index);
  std::fprintf(stderr, "vit index add: %zu vector(s) added in %.3f s; %lld in %s\n", e.paths.size(), Seconds(start),
               static_cast<long long>(index.size()), args.index.c_str());
  return e.skipped ? kExitPartial : kExitOk;
}

int RunSearch(const IndexArgs& args) {
  EmbeddingIndex index = EmbeddingIndex::Load(args.index);
  if (args.ef_search > 0 || args.nprobe > 0) {
    IndexOptions defaults;
    index.SetSearchEffort(args.ef_search > 0 ? args.ef_search : defaults.hnsw_ef_search,
                          args.nprobe > 0 ? args.nprobe : defaults.ivf_nprobe);
  }
  std::string pooling = index.metadata().features;
  const std::string model = args.model.model.empty() ? index.metadata().model : args.model.model;
  const Embedded q = Embed(args, model, "vit index search", pooling);
  const auto start = std::chrono::steady_clock::now();
  const auto results = index.Search(q.vectors, args.k);
  const double seconds = Seconds(start);
  for (size_t i = 0; i < results.size(); ++i) {
    nlohmann::json neighbors = nlohmann::json::array();
    for (const Neighbor& n : results[i]) neighbors.push_back({{"path", n.path}, {"score", n.score}, {"id", n.id}});
    std::printf("%s\n", nlohmann::json({{"query", q.paths[i]}, {"neighbors", neighbors}}).dump().c_str());
  }
  std::fprintf(stderr, "vit index search: %zu quer%s in %.4f s (%s index of %lld)\n", results.size(),
               results.size() == 1 ? "y" : "ies", seconds, IndexKindName(index.kind()),
               static_cast<long long>(index.size()));
  return q.skipped ? kExitPartial : kExitOk;
}

// --model as ModelArgs offers it, but optional: add and search default to the index's model.
void AddOptionalModel(CLI::App& cmd, ModelArgs& model) {
  model.AddTo(cmd);
  cmd.get_option("--model")->required(false)->description(
      "model folder or hub id (build: required for images; add, search: default the one the index records)");
}

void AddInputs(CLI::App& cmd, IndexArgs& args, const std::string& what) {
  cmd.add_option("inputs", args.inputs, what);
  cmd.add_option("--npy", args.npy, "embeddings [N, D] already computed (e.g. vit embed --outputs cls) instead of images");
  cmd.add_option("--names", args.names, "one name per row of --npy (default: inputs.txt beside it)");
}

}  // namespace

void AddIndexCommand(CLI::App& app, CommandRunner& run) {
  CLI::App* index = app.add_subcommand("index", "Similarity search over image embeddings (FAISS, cosine)");
  index->require_subcommand(1);

  auto build = std::make_shared<IndexArgs>();
  CLI::App* b = index->add_subcommand("build", "Embed images and write a new index folder");
  AddOptionalModel(*b, build->model);
  build->extraction.AddTo(*b);
  b->add_option("-o,--out", build->index, "index folder (index.faiss, paths.txt, index.json)")->required();
  b->add_option("--index-type", build->type, "auto (flat up to --flat-limit vectors, else hnsw) | flat | hnsw | ivf")
      ->check(CLI::IsMember({"auto", "flat", "hnsw", "ivf"}))
      ->capture_default_str();
  b->add_option("--flat-limit", build->flat_limit, "largest set that auto indexes exactly")->check(cli::NonNegative())->capture_default_str();
  b->add_option("--hnsw-m", build->hnsw_m, "HNSW graph degree")->check(CLI::Range(2, 512))->capture_default_str();
  b->add_option("--ef-search", build->ef_search, "HNSW search breadth stored with the index (default 128)")->check(CLI::Range(1, 1 << 20));
  b->add_option("--nlist", build->nlist, "IVF cells (default: about 4 sqrt(N))")->check(CLI::Range(1, 1 << 24));
  b->add_option("--nprobe", build->nprobe, "IVF cells visited per query, stored with the index (default 16)")->check(CLI::Range(1, 1 << 24));
  AddInputs(*b, *build, "image files or folders (recursed, sorted)");
  b->footer(Examples({"vit index build -m google/vit-base-patch16-224-in21k --out photos.index photos/",
                      "vit embed -m M --outputs cls -o emb photos/ && vit index build --npy emb/cls.npy --out photos.index"}));
  b->callback([build, &run] { run = [build] { return RunBuild(*build); }; });

  auto add = std::make_shared<IndexArgs>();
  CLI::App* a = index->add_subcommand("add", "Embed images and append them to an index");
  a->add_option("index", add->index, "index folder")->required();
  AddOptionalModel(*a, add->model);
  add->extraction.AddTo(*a, /*with_pooling=*/false);
  AddInputs(*a, *add, "image files or folders (recursed, sorted)");
  a->footer(Examples({"vit index add photos.index new-photos/"}));
  a->callback([add, &run] { run = [add] { return RunAdd(*add); }; });

  auto search = std::make_shared<IndexArgs>();
  CLI::App* s = index->add_subcommand("search", "Nearest stored images of each query image (JSON lines)");
  s->add_option("index", search->index, "index folder")->required();
  AddOptionalModel(*s, search->model);
  search->extraction.AddTo(*s, /*with_pooling=*/false);
  s->add_option("-k,--top-k", search->k, "neighbours per query")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  s->add_option("--k", search->k, "the same as --top-k")->check(CLI::Range(1, 1 << 20))->group("");
  s->add_option("--ef-search", search->ef_search, "HNSW search breadth (default: the index's)")->check(CLI::Range(1, 1 << 20));
  s->add_option("--nprobe", search->nprobe, "IVF cells visited (default: the index's)")->check(CLI::Range(1, 1 << 24));
  AddInputs(*s, *search, "query image files or folders");
  s->footer(Examples({"vit index search photos.index -k 5 query.jpg"}));
  s->callback([search, &run] { run = [search] { return RunSearch(*search); }; });
}

}  // namespace vit::tool
