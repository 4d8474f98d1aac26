// WriteConfusionMatrixPng: a confusion matrix people can read. A title (examples, accuracy), class
// names along both axes (true labels down the left, predicted labels up the top), each cell shaded by
// its share of the row (white 0 -> dark blue 1) with its count written in it. Up to kMaxShown classes
// are all drawn; beyond that, the kMaxShown classes most involved in confusions (largest off-diagonal
// row plus column sums), so that the picture stays legible and says so in its title.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "api/draw.h"
#include "vit/error.h"
#include "vit/image.h"
#include "vit/probe.h"

namespace vit {
namespace {

constexpr int kMaxShown = 100;        // every class up to this many; beyond, the most confused ones
constexpr int kTopConfused = 40;      // classes shown when there are more than kMaxShown
constexpr int kMaxLabelPixels = 220;  // longer class names are shortened with an ellipsis
constexpr draw::Color kInk = {30, 30, 34}, kMuted = {98, 99, 107}, kWhite = {255, 255, 255},
                      kGrid = {214, 214, 220};

// The classes to draw, in id order.
std::vector<int> ShownClasses(const ClassificationReport& report) {
  const int k = static_cast<int>(report.confusion.size());
  std::vector<int> ids(static_cast<size_t>(k));
  std::iota(ids.begin(), ids.end(), 0);
  if (k <= kMaxShown) return ids;
  std::vector<int64_t> confused(static_cast<size_t>(k), 0);
  for (int r = 0; r < k; ++r)
    for (int c = 0; c < k; ++c)
      if (r != c) {
        const int64_t v = report.confusion[static_cast<size_t>(r)][static_cast<size_t>(c)];
        confused[static_cast<size_t>(r)] += v;
        confused[static_cast<size_t>(c)] += v;
      }
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int a, int b) { return confused[static_cast<size_t>(a)] > confused[static_cast<size_t>(b)]; });
  ids.resize(kTopConfused);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// `text` cut with an ellipsis to fit `max_width` pixels.
std::string Fit(const std::string& text, int size, int max_width) {
  if (draw::TextWidth(text, size) <= max_width) return text;
  std::string cut = text;
  while (!cut.empty()) {
    cut.pop_back();
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();  // whole UTF-8
    if (draw::TextWidth(cut + "\u2026", size) <= max_width) return cut + "\u2026";
  }
  return cut;
}

std::string LabelOf(const ClassificationReport& report, int id) {
  const auto i = static_cast<size_t>(id);
  return i < report.labels.size() && !report.labels[i].empty() ? report.labels[i] : std::to_string(id);
}

}  // namespace

void WriteConfusionMatrixPng(const ClassificationReport& report, const std::filesystem::path& path) {
  const auto k = static_cast<int>(report.confusion.size());
  if (k == 0) throw Error("confusion matrix: no classes", ErrorKind::kInvalidArgument);
  for (const auto& row : report.confusion)
    if (row.size() != static_cast<size_t>(k))
      throw Error("confusion matrix: rows must have one count per class", ErrorKind::kInvalidArgument);
  const std::vector<int> shown = ShownClasses(report);
  const auto n = static_cast<int>(shown.size());

  int64_t largest = 0, total = 0, correct = 0;
  for (int r = 0; r < k; ++r)
    for (int c = 0; c < k; ++c) {
      const int64_t v = report.confusion[static_cast<size_t>(r)][static_cast<size_t>(c)];
      largest = std::max(largest, v);
      total += v;
      if (r == c) correct += v;
    }
  // Cells from 56 pixels (a few classes) down to 22 (a hundred); labels and counts scale with them.
  const int cell = std::clamp(1800 / n, 22, 56);
  const int label_size = std::clamp(cell * 55 / 100, 10, 15);
  int count_size = std::clamp(cell * 42 / 100, 7, 16);
  while (count_size > 7 && draw::TextWidth(std::to_string(largest), count_size) > cell - 3) --count_size;
  const int title_size = 18, note_size = 13;

  std::vector<std::string> names;
  int label_width = 0;
  for (int id : shown) {
    names.push_back(Fit(LabelOf(report, id), label_size, kMaxLabelPixels));
    label_width = std::max(label_width, draw::TextWidth(names.back(), label_size));
  }
  const int pad = 10;
  const int axis_band = note_size + 12;              // "true label" / "predicted label"
  const int header = title_size + note_size + 3 * pad;  // title and the note under it
  const int left = pad + axis_band + label_width + pad;
  const int top = header + axis_band + label_width + pad;
  const int side = n * cell + 1;
  const int width = std::max(left + side + pad, 560), height = top + side + pad;
  Image canvas = draw::Blank(width, height, kWhite);

  char title[160];
  std::snprintf(title, sizeof(title), "Confusion matrix: %lld examples, accuracy %.2f%%", static_cast<long long>(total),
                total ? 100.0 * static_cast<double>(correct) / static_cast<double>(total) : 0.0);
  draw::Text(canvas, title, pad, pad + title_size, title_size, kInk);
  const std::string note =
      n < k ? "the " + std::to_string(n) + " most confused of " + std::to_string(k) +
                  " classes; shade: share of the true label's examples"
            : "shade: share of the true label's examples";
  draw::Text(canvas, note, pad, pad * 2 + title_size + note_size, note_size, kMuted);
  draw::Text(canvas, "predicted label", left, header + note_size, note_size, kMuted);
  draw::Text(canvas, "true label", pad + note_size, top + std::min(side, draw::TextWidth("true label", note_size) + 4),
             note_size, kMuted, /*rotate=*/true);

  draw::FillRect(canvas, left, top, side, side, kGrid);
  for (int i = 0; i < n; ++i) {
    const auto& row = report.confusion[static_cast<size_t>(shown[static_cast<size_t>(i)])];
    const int64_t row_total = std::accumulate(row.begin(), row.end(), int64_t{0});
    const int y = top + i * cell + 1;
    // Names: the true label right-aligned before its row, the predicted label running up over its column.
    const std::string& name = names[static_cast<size_t>(i)];
    const int baseline_offset = (cell + label_size * 7 / 10) / 2;
    draw::Text(canvas, name, left - pad / 2 - draw::TextWidth(name, label_size), y + baseline_offset - 1, label_size,
               kInk);
    draw::Text(canvas, name, left + i * cell + 1 + baseline_offset - 1, top - pad / 2, label_size, kInk, true);
    for (int j = 0; j < n; ++j) {
      const int64_t count = row[static_cast<size_t>(shown[static_cast<size_t>(j)])];
      const double f = row_total ? static_cast<double>(count) / static_cast<double>(row_total) : 0.0;
      const draw::Color color = {static_cast<uint8_t>(255 - f * (255 - 8)), static_cast<uint8_t>(255 - f * (255 - 48)),
                                 static_cast<uint8_t>(255 - f * (255 - 107))};
      const int x = left + j * cell + 1;
      draw::FillRect(canvas, x, y, cell - 1, cell - 1, color);
      if (count == 0) continue;
      const std::string text = std::to_string(count);
      const int text_width = draw::TextWidth(text, count_size);
      if (text_width > cell - 2) continue;  // never overlaps the next cell
      draw::Text(canvas, text, x + (cell - 1 - text_width) / 2, y + (cell - 1 + count_size * 7 / 10) / 2, count_size,
                 f > 0.5 ? kWhite : kInk);
    }
  }
  SavePng(canvas, path);
}

}  // namespace vit
