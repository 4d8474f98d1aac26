// Plain double-precision versions of every kernel: slow, obvious, and the yardstick the kernel tests
// compare against. Inputs are float (as the kernels see them); outputs are double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace vit::kernels::reference {

inline double GeluErf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

inline std::vector<double> LayerNorm(const float* x, int64_t rows, int64_t cols, const float* gamma,
                                     const float* beta, double eps) {
  std::vector<double> y(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    double mean = 0;
    for (int64_t c = 0; c < cols; ++c) mean += in[c];
    mean /= static_cast<double>(cols);
    double var = 0;
    for (int64_t c = 0; c < cols; ++c) var += (in[c] - mean) * (in[c] - mean);
    var /= static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = (in[c] - mean) * rstd * gamma[c] + beta[c];
  }
  return y;
}

// softmax(scale * x) over each row of `cols` values, rows `ld` apart; result is rows x cols dense.
inline std::vector<double> SoftmaxRows(const float* x, int64_t rows, int64_t cols, int64_t ld, double scale = 1.0) {
  std::vector<double> y(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    double max = -HUGE_VAL;
    for (int64_t c = 0; c < cols; ++c) max = std::max(max, scale * x[r * ld + c]);
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += y[r * cols + c] = std::exp(scale * x[r * ld + c] - max);
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] /= sum;
  }
  return y;
}

enum class Epilogue { kBias, kBiasGelu, kBiasResidual, kBiasTanh, kBiasQuickGelu, kBiasGeluTanh };

// transformers' quick_gelu: x * sigmoid(1.702 x).
inline double QuickGelu(double x) { return x / (1.0 + std::exp(-1.702 * x)); }
// PyTorch's gelu(approximate="tanh").
inline double GeluTanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

// y[m, n] = epilogue(sum_k x[m, k] w[n, k] + bias[n]); `residual` is read for kBiasResidual.
inline std::vector<double> Linear(const float* x, int64_t rows, const float* w, const float* bias,
                                  int64_t out_features, int64_t in_features, Epilogue epilogue,
                                  const float* residual = nullptr) {
  std::vector<double> y(static_cast<size_t>(rows * out_features));
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < out_features; ++n) {
      double acc = bias != nullptr ? bias[n] : 0.0;
      for (int64_t k = 0; k < in_features; ++k) acc += static_cast<double>(x[m * in_features + k]) * w[n * in_features + k];
      switch (epilogue) {
        case Epilogue::kBias:
          break;
        case Epilogue::kBiasGelu:
          acc = GeluErf(acc);
          break;
        case Epilogue::kBiasResidual:
          acc += residual[m * out_features + n];
          break;
        case Epilogue::kBiasTanh:
          acc = std::tanh(acc);
          break;
        case Epilogue::kBiasQuickGelu:
          acc = QuickGelu(acc);
          break;
        case Epilogue::kBiasGeluTanh:
          acc = GeluTanh(acc);
          break;
      }
      y[m * out_features + n] = acc;
    }
  }
  return y;
}

struct AttentionResult {
  std::vector<double> out;    // [batch*tokens, heads*head_dim]
  std::vector<double> probs;  // [batch, heads, tokens, tokens]
};

// q, k, v rows are ld apart; head h at columns [h*head_dim, (h+1)*head_dim).
inline AttentionResult MultiHeadAttention(const float* q, const float* k, const float* v, int64_t ld, int64_t batch,
                                          int64_t tokens, int64_t heads, int64_t head_dim, double scale) {
  AttentionResult r;
  r.out.assign(static_cast<size_t>(batch * tokens * heads * head_dim), 0.0);
  r.probs.assign(static_cast<size_t>(batch * heads * tokens * tokens), 0.0);
  std::vector<double> s(static_cast<size_t>(tokens));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < tokens; ++i) {
        const float* qi = q + (b * tokens + i) * ld + h * head_dim;
        double max = -HUGE_VAL;
        for (int64_t j = 0; j < tokens; ++j) {
          const float* kj = k + (b * tokens + j) * ld + h * head_dim;
          double dot = 0;
          for (int64_t c = 0; c < head_dim; ++c) dot += static_cast<double>(qi[c]) * kj[c];
          s[j] = dot * scale;
          max = std::max(max, s[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < tokens; ++j) sum += s[j] = std::exp(s[j] - max);
        double* p = &r.probs[static_cast<size_t>(((b * heads + h) * tokens + i) * tokens)];
        for (int64_t j = 0; j < tokens; ++j) p[j] = s[j] / sum;
        double* o = &r.out[static_cast<size_t>((b * tokens + i) * heads * head_dim + h * head_dim)];
        for (int64_t j = 0; j < tokens; ++j) {
          const float* vj = v + (b * tokens + j) * ld + h * head_dim;
          for (int64_t c = 0; c < head_dim; ++c) o[c] += p[j] * vj[c];
        }
      }
    }
  }
  return r;
}

}  // namespace vit::kernels::reference
