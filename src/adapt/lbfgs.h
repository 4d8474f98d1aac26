// Limited-memory BFGS for smooth unconstrained minimisation (Nocedal & Wright, Numerical
// Optimization, algorithms 7.4 and 7.5): the solver scikit-learn's LogisticRegression(solver="lbfgs")
// relies on, here with a backtracking Armijo line search, which is enough for the convex objectives
// it serves (curvature pairs with s.y <= 0 are simply not stored).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vit::adapt {

struct LbfgsOptions {
  int max_iterations = 1000;
  int history = 10;                     // curvature pairs kept, scipy's default
  double gradient_tolerance = 1e-6;     // stop when max |grad_i| <= this
  double function_tolerance = 1e-14;    // stop when f improves by less than this, relative
};

struct LbfgsResult {
  double value = 0.0;
  double gradient_max_abs = 0.0;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;  // a tolerance was met (not the iteration limit, not a failed line search)
  std::string stop_reason;
};

// Returns f(x) and writes its gradient into grad (same size as x).
using Objective = std::function<double(std::span<const double> x, std::span<double> grad)>;

// Minimises from the starting point in x; x holds the minimiser on return.
LbfgsResult MinimizeLbfgs(const Objective& objective, std::vector<double>& x, const LbfgsOptions& options = {});

}  // namespace vit::adapt
