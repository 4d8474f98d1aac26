#include "adapt/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "vit/error.h"

namespace vit::adapt {
namespace {

double Dot(std::span<const double> a, std::span<const double> b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double MaxAbs(std::span<const double> a) {
  double m = 0.0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

struct CurvaturePair {
  std::vector<double> s, y;
  double rho = 0.0;  // 1 / (s.y)
};

// The two-loop recursion: direction = -H g, H the L-BFGS inverse-Hessian estimate.
void SearchDirection(const std::deque<CurvaturePair>& pairs, std::span<const double> g, std::vector<double>& direction) {
  std::vector<double> q(g.begin(), g.end());
  std::vector<double> alpha(pairs.size());
  for (size_t i = pairs.size(); i-- > 0;) {
    alpha[i] = pairs[i].rho * Dot(pairs[i].s, q);
    for (size_t j = 0; j < q.size(); ++j) q[j] -= alpha[i] * pairs[i].y[j];
  }
  double gamma;
  if (pairs.empty()) {
    // First step: a unit-length move along the negative gradient, as scipy's first iteration does.
    const double norm = std::sqrt(Dot(g, g));
    gamma = norm > 0.0 ? 1.0 / norm : 1.0;
  } else {
    const CurvaturePair& last = pairs.back();
    gamma = Dot(last.s, last.y) / Dot(last.y, last.y);
  }
  for (double& v : q) v *= gamma;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const double beta = pairs[i].rho * Dot(pairs[i].y, q);
    for (size_t j = 0; j < q.size(); ++j) q[j] += pairs[i].s[j] * (alpha[i] - beta);
  }
  direction.resize(q.size());
  for (size_t j = 0; j < q.size(); ++j) direction[j] = -q[j];
}

}  // namespace

LbfgsResult MinimizeLbfgs(const Objective& objective, std::vector<double>& x, const LbfgsOptions& options) {
  if (options.history < 1 || options.max_iterations < 0)
    throw Error("L-BFGS: history must be >= 1 and max_iterations >= 0", ErrorKind::kInvalidArgument);
  constexpr double kArmijo = 1e-4;
  constexpr int kMaxBacktracks = 40;
  const size_t n = x.size();
  std::vector<double> g(n), x_new(n), g_new(n), direction;
  std::deque<CurvaturePair> pairs;

  LbfgsResult result;
  double f = objective(x, g);
  result.evaluations = 1;
  if (!std::isfinite(f)) throw Error("L-BFGS: the objective is not finite at the starting point", ErrorKind::kInternal);

  while (true) {
    result.value = f;
    result.gradient_max_abs = MaxAbs(g);
    if (result.gradient_max_abs <= options.gradient_tolerance) {
      result.converged = true;
      result.stop_reason = "gradient tolerance";
      return result;
    }
    if (result.iterations >= options.max_iterations) {
      result.stop_reason = "iteration limit";
      return result;
    }
    SearchDirection(pairs, g, direction);
    double slope = Dot(direction, g);
    if (!(slope < 0.0)) {  // the estimate lost positive definiteness: restart from steepest descent
      pairs.clear();
      SearchDirection(pairs, g, direction);
      slope = Dot(direction, g);
    }

    double step = 1.0, f_new = 0.0;
    bool accepted = false;
    for (int b = 0; b < kMaxBacktracks; ++b) {
      for (size_t j = 0; j < n; ++j) x_new[j] = x[j] + step * direction[j];
      f_new = objective(x_new, g_new);
      ++result.evaluations;
      if (std::isfinite(f_new) && f_new <= f + kArmijo * step * slope) {
        accepted = true;
        break;
      }
      // Minimiser of the quadratic through f, slope and f_new, kept within [0.1, 0.5] of the step.
      double next = 0.5 * step;
      if (std::isfinite(f_new)) {
        const double curvature = f_new - f - slope * step;
        if (curvature > 0.0) next = -slope * step * step / (2.0 * curvature);
      }
      step = std::clamp(next, 0.1 * step, 0.5 * step);
    }
    if (!accepted) {
      result.stop_reason = "line search failed to decrease the objective";
      return result;
    }
    ++result.iterations;

    CurvaturePair pair;
    pair.s.resize(n);
    pair.y.resize(n);
    for (size_t j = 0; j < n; ++j) {
      pair.s[j] = x_new[j] - x[j];
      pair.y[j] = g_new[j] - g[j];
    }
    const double sy = Dot(pair.s, pair.y);
    if (sy > 1e-12 * std::sqrt(Dot(pair.s, pair.s) * Dot(pair.y, pair.y))) {
      pair.rho = 1.0 / sy;
      pairs.push_back(std::move(pair));
      if (static_cast<int>(pairs.size()) > options.history) pairs.pop_front();
    }
    const double f_old = f;
    x.swap(x_new);
    g.swap(g_new);
    f = f_new;
    if (f_old - f <= options.function_tolerance * std::max({std::abs(f_old), std::abs(f), 1.0})) {
      result.value = f;
      result.gradient_max_abs = MaxAbs(g);
      result.converged = true;
      result.stop_reason = "function tolerance";
      return result;
    }
  }
}

}  // namespace vit::adapt
