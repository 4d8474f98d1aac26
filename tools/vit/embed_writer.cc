#include "embed_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "vit/error.h"
#include "vit/npy.h"

namespace vit::tool {
namespace {

namespace fs = std::filesystem;

const char* const kOutputNames[] = {"last_hidden_state", "pooler_output", "image_embeds", "logits", "cls", "mean",
                                    "pixel_values",      "hidden_states", "attentions"};

[[noreturn]] void Fail(const fs::path& path, const char* what) {
  throw Error(path.string() + ": " + what + ": " + std::strerror(errno), ErrorKind::kIo);
}

// A file written with stdio whose every failure names the file and the reason.
class OutFile {
 public:
  explicit OutFile(fs::path path) : path_(std::move(path)), f_(std::fopen(path_.c_str(), "wb")) {
    if (!f_) Fail(path_, "cannot create");
  }
  ~OutFile() {
    if (f_) std::fclose(f_);
  }
  void Put(const void* data, size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, f_) != n) Fail(path_, "cannot write");
  }
  void Put(const std::string& s) { Put(s.data(), s.size()); }
  void Close() {
    FILE* f = f_;
    f_ = nullptr;
    if (std::fflush(f) != 0) {
      std::fclose(f);
      Fail(path_, "cannot write");
    }
    if (std::fclose(f) != 0) Fail(path_, "cannot write");
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  FILE* f_;
};

// Each output in <name>.npy (or another file name), rows streamed in.
class NpyFiles {
 public:
  NpyFiles(io::FileSet& set, int64_t planned, std::string suffix) : set_(set), planned_(planned), suffix_(std::move(suffix)) {}

  void Write(int64_t first_row, const std::vector<OutputBlock>& blocks) {
    for (const OutputBlock& b : blocks) {
      if (!b.slices.empty()) {
        std::vector<int64_t> shape = b.slices.front().shape();
        shape.insert(shape.begin(), static_cast<int64_t>(b.slices.size()));
        WriterFor(b.name, shape, 1).WriteRows(first_row, b.slices);
      } else {
        WriterFor(b.name, b.tensor.shape(), 0).WriteRows(first_row, b.tensor);
      }
    }
  }
  void Finish(int64_t rows) {
    for (auto& [name, writer] : writers_) writer->Finish(rows);
  }
  // Output names and their files, in the order they were first written.
  const std::vector<std::pair<std::string, fs::path>>& files() const { return files_; }
  const std::vector<int64_t>& shape(const std::string& name) const { return writers_.at(name)->shape(); }

 private:
  NpyWriter& WriterFor(const std::string& name, std::vector<int64_t> shape, int row_axis) {
    auto it = writers_.find(name);
    if (it == writers_.end()) {
      shape[static_cast<size_t>(row_axis)] = planned_;
      const fs::path path = set_.Stage(name + suffix_);
      it = writers_.emplace(name, std::make_unique<NpyWriter>(path, shape, row_axis)).first;
      files_.emplace_back(name, path);
    }
    return *it->second;
  }

  io::FileSet& set_;
  int64_t planned_;
  std::string suffix_;
  std::map<std::string, std::unique_ptr<NpyWriter>> writers_;
  std::vector<std::pair<std::string, fs::path>> files_;
};

class NpyEmbedWriter : public EmbedWriter {
 public:
  NpyEmbedWriter(io::FileSet& set, int64_t planned) : files_(set, planned, ".npy") {}
  void Write(int64_t first_row, const std::vector<OutputBlock>& blocks, const std::vector<std::string>&) override {
    files_.Write(first_row, blocks);
  }
  void Finish(int64_t rows) override { files_.Finish(rows); }

 private:
  NpyFiles files_;
};

// Shortest text that reads back as the same float32; NaN and infinities as Python's json writes them.
void AppendFloat(std::string& out, float v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, v).ptr;
    out.append(text, end);
  }
}

// data (C order, `dims`) as nested JSON lists.
void AppendNested(std::string& out, const float* data, const int64_t* dims, size_t rank) {
  if (rank == 0) {
    AppendFloat(out, *data);
    return;
  }
  int64_t inner = 1;
  for (size_t i = 1; i < rank; ++i) inner *= dims[i];
  out += '[';
  for (int64_t i = 0; i < dims[0]; ++i) {
    if (i) out += ',';
    AppendNested(out, data + i * inner, dims + 1, rank - 1);
  }
  out += ']';
}

class JsonlEmbedWriter : public EmbedWriter {
 public:
  explicit JsonlEmbedWriter(io::FileSet& set) : file_(set.Stage("embeddings.jsonl")) {}
  void Write(int64_t, const std::vector<OutputBlock>& blocks, const std::vector<std::string>& names) override {
    for (size_t r = 0; r < names.size(); ++r) {
      std::string line = "{\"input\":" + nlohmann::json(names[r]).dump();
      for (const OutputBlock& b : blocks) {
        line += "," + nlohmann::json(b.name).dump() + ":";
        if (b.slices.empty()) {
          const auto& shape = b.tensor.shape();
          const int64_t row = b.tensor.numel() / shape[0];
          AppendNested(line, b.tensor.data() + static_cast<int64_t>(r) * row, shape.data() + 1, shape.size() - 1);
        } else {
          line += '[';
          for (size_t l = 0; l < b.slices.size(); ++l) {
            if (l) line += ',';
            const auto& shape = b.slices[l].shape();
            const int64_t row = b.slices[l].numel() / shape[0];
            AppendNested(line, b.slices[l].data() + static_cast<int64_t>(r) * row, shape.data() + 1, shape.size() - 1);
          }
          line += ']';
        }
      }
      line += "}\n";
      file_.Put(line);
    }
  }
  void Finish(int64_t) override { file_.Close(); }

 private:
  OutFile file_;
};

// The size of a .npy file's preamble (magic, version, header), after which its data starts.
size_t NpyDataOffset(const fs::path& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) Fail(path, "cannot open");
  unsigned char head[12] = {};
  const size_t got = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (got < 10 || std::memcmp(head, "\x93NUMPY", 6) != 0)
    throw Error(path.string() + ": not a .npy file", ErrorKind::kInternal);
  if (head[6] == 1) return 10 + (static_cast<size_t>(head[8]) | static_cast<size_t>(head[9]) << 8);
  return 12 + (static_cast<size_t>(head[8]) | static_cast<size_t>(head[9]) << 8 | static_cast<size_t>(head[10]) << 16 |
               static_cast<size_t>(head[11]) << 24);
}

// Rows go to one .npy part per output while the job runs (the row count is known only at the end); Finish
// writes the safetensors header and copies the parts' data after it, then removes the parts.
class SafetensorsEmbedWriter : public EmbedWriter {
 public:
  SafetensorsEmbedWriter(io::FileSet& set, int64_t planned)
      : set_(set), parts_(set, planned, ".part.npy") {}
  void Write(int64_t first_row, const std::vector<OutputBlock>& blocks, const std::vector<std::string>&) override {
    parts_.Write(first_row, blocks);
  }
  void Finish(int64_t rows) override {
    parts_.Finish(rows);
    nlohmann::json header = {{"__metadata__", {{"format", "pt"}}}};
    size_t offset = 0;
    for (const auto& [name, path] : parts_.files()) {
      const auto& shape = parts_.shape(name);
      size_t bytes = sizeof(float);
      for (int64_t d : shape) bytes *= static_cast<size_t>(d);
      header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
      offset += bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data area starts 8-byte aligned
    OutFile out(set_.Stage("embeddings.safetensors"));
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.Put(length, 8);
    out.Put(text);
    std::vector<char> buffer(1 << 20);
    for (const auto& [name, path] : parts_.files()) {
      FILE* in = std::fopen(path.c_str(), "rb");
      if (!in) Fail(path, "cannot open");
      std::fseek(in, static_cast<long>(NpyDataOffset(path)), SEEK_SET);
      size_t n;
      while ((n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0) out.Put(buffer.data(), n);
      const bool failed = std::ferror(in);
      std::fclose(in);
      if (failed) Fail(path, "cannot read");
      std::error_code ec;
      fs::remove(path, ec);
    }
    out.Close();
  }

 private:
  io::FileSet& set_;
  NpyFiles parts_;
};

}  // namespace

std::unique_ptr<EmbedWriter> MakeEmbedWriter(const std::string& format, io::FileSet& set, int64_t planned_rows) {
  if (format == "npy") return std::make_unique<NpyEmbedWriter>(set, planned_rows);
  if (format == "jsonl") return std::make_unique<JsonlEmbedWriter>(set);
  if (format == "safetensors") return std::make_unique<SafetensorsEmbedWriter>(set, planned_rows);
  throw Error("--format: expected npy, jsonl or safetensors, got \"" + format + "\"", ErrorKind::kInvalidArgument);
}

std::vector<std::string> EmbedFileNames() {
  std::vector<std::string> names = {"inputs.txt", "embeddings.jsonl", "embeddings.safetensors"};
  for (const char* n : kOutputNames) names.push_back(std::string(n) + ".npy");
  return names;
}

}  // namespace vit::tool
