// vit bench: load a model, run it on random pixel_values, and report ms/image and images/s (median
// and spread over the timed runs), achieved GFLOP/s against the measured peak of the precision, load
// time and peak resident memory; with --stages, where the time goes, stage by stage.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "checks.h"
#include "commands.h"
#include "help.h"
#include "exit_codes.h"
#include "kernel_table_json.h"
#include "model_args.h"
#include "vit/bench.h"
#include "vit/kernel_table.h"
#include "vit/vit.h"

namespace vit::tool {
namespace {

struct BenchArgs {
  ModelArgs model;
  int batch_size = kDefaultBatchSize;
  int iterations = 10;
  int warmup = 2;
  bool json = false;
  bool skip_peak = false;
  bool stages = false;
};

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Seconds since the kernel started this process (exec, dynamic linking and static initialisation included),
// from /proc/self/stat's start time in clock ticks since boot (10 ms where USER_HZ is 100). Negative if
// unknown.
double SecondsSinceProcessStart() {
  std::FILE* f = std::fopen("/proc/self/stat", "r");
  if (f == nullptr) return -1;
  char line[4096];
  const size_t n = std::fread(line, 1, sizeof line - 1, f);
  std::fclose(f);
  line[n] = 0;
  // Fields after the command name, which may hold spaces and parentheses: start at its last ')'.
  const char* p = std::strrchr(line, ')');
  unsigned long long start_ticks = 0;
  // Field 22, starttime; the 19 before it, from state on, skipped.
  const char* format = " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu";
  if (p == nullptr || std::sscanf(p + 1, format, &start_ticks) != 1) {
    return -1;
  }
  timespec now{};
  if (clock_gettime(CLOCK_BOOTTIME, &now) != 0) return -1;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return -1;
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9 -
         static_cast<double>(start_ticks) / static_cast<double>(ticks);
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

std::string Fixed(double x, int decimals = 2) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, x);
  return text;
}

// Linear-interpolated quantile of sorted values.
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// Per stage over the timed runs: the median seconds, its share of the median run, and its rate.
struct StageRow {
  std::string name;
  double ms_per_image = 0, share = 0, gflops = 0;
  bool has_flops = false;
};

// runs[i] and run_seconds[i] are timed run i's stages and whole; run_median is the median of run_seconds.
std::vector<StageRow> StageRows(const std::vector<StageValues>& runs, const std::vector<double>& run_seconds,
                                double run_median, const StageValues& flops_per_image, double batch) {
  auto row = [&](const std::string& name, std::vector<double> seconds, double flops) {
    std::sort(seconds.begin(), seconds.end());
    const double median = Quantile(seconds, 0.5);
    return StageRow{name, median * 1e3 / batch, median / run_median,
                    median > 0 ? flops * batch / median * 1e-9 : 0.0, flops > 0};
  };
  std::vector<StageRow> rows;
  for (Stage stage : kStages) {
    std::vector<double> seconds;
    for (const StageValues& run : runs) seconds.push_back(run[stage]);
    rows.push_back(row(StageName(stage), seconds, flops_per_image[stage]));
  }
  // What no stage covers: the output tensors, hidden-state snapshots, the calls between stages.
  std::vector<double> other;
  for (size_t i = 0; i < runs.size(); ++i) other.push_back(std::max(0.0, run_seconds[i] - runs[i].Sum()));
  rows.push_back(row("other", other, 0));
  return rows;
}

int RunBench(const BenchArgs& args) {
  const LoadOptions load_options = args.model.ToLoadOptions();
  const auto load_start = Clock::now();
  std::unique_ptr<Model> model = LoadModel(args.model.model, load_options);
  const double load_seconds = Seconds(load_start);
  const double ready_seconds = SecondsSinceProcessStart();
  const double rss_after_load = PeakRssMiB();

  const ViTConfig& config = model->config();
  Tensor pixels({args.batch_size, config.num_channels, config.image_size, config.image_size});
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (float& v : pixels.values()) v = normal(rng);

  for (int i = 0; i < args.warmup; ++i) model->Run(pixels);
  RunOptions run_options;
  run_options.time_stages = args.stages;
  std::vector<double> seconds;
  std::vector<StageValues> stage_seconds;
  for (int i = 0; i < args.iterations; ++i) {
    const auto start = Clock::now();
    ModelOutput out = model->Run(pixels, run_options);
    seconds.push_back(Seconds(start));
    stage_seconds.push_back(out.stage_seconds);
  }
  const std::vector<double> run_seconds = seconds;
  std::sort(seconds.begin(), seconds.end());
  const double batch = static_cast<double>(args.batch_size);
  const double median = Quantile(seconds, 0.5);
  const double ms_per_image = median * 1e3 / batch;
  const double flops = ForwardFlopsPerImage(config, model->info().has_pooler, model->info().has_classifier);
  const double gflops = flops * batch / median * 1e-9;

  PeakThroughput peak;
  if (!args.skip_peak) peak = MeasurePeakThroughput(load_options.precision, load_options.threads);
  const double percent = peak.available && peak.gflops > 0 ? 100.0 * gflops / peak.gflops : 0.0;
  const std::vector<StageRow> stages =
      args.stages ? StageRows(stage_seconds, run_seconds, median,
                              StageFlopsPerImage(config, model->info().has_pooler, model->info().has_classifier),
                              batch)
                  : std::vector<StageRow>{};
  auto stage_percent = [&](const StageRow& row) {
    return peak.available && peak.gflops > 0 && row.has_flops ? 100.0 * row.gflops / peak.gflops : -1.0;
  };

  if (args.json) {
    nlohmann::json j = {
        {"model", args.model.model},
        {"precision", PrecisionName(load_options.precision)},
        {"batch_size", args.batch_size},
        {"threads", load_options.threads},
        {"iterations", args.iterations},
        {"ms_per_image_median", ms_per_image},
        {"ms_per_image_min", seconds.front() * 1e3 / batch},
        {"ms_per_image_max", seconds.back() * 1e3 / batch},
        {"ms_per_image_p25", Quantile(seconds, 0.25) * 1e3 / batch},
        {"ms_per_image_p75", Quantile(seconds, 0.75) * 1e3 / batch},
        {"images_per_second", batch / median},
        {"gflop_per_image", flops * 1e-9},
        {"gflops", gflops},
        {"peak_gflops", peak.available ? nlohmann::json(peak.gflops) : nlohmann::json(nullptr)},
        {"peak_isa", peak.isa},
        {"percent_of_peak", peak.available ? nlohmann::json(percent) : nlohmann::json(nullptr)},
        {"vector_peak_gflops", peak.vector_gflops > 0 ? nlohmann::json(peak.vector_gflops) : nlohmann::json(nullptr)},
        {"vector_peak_isa", peak.vector_isa},
        {"load_seconds", load_seconds},
        {"ready_seconds_since_process_start",
         ready_seconds >= 0 ? nlohmann::json(ready_seconds) : nlohmann::json(nullptr)},
        {"packed_cache", model->info().packed_cache},
        {"gemm_kernel", model->info().gemm_kernel},
        {"kernel_table", KernelTableJson(KernelTable())},
        {"peak_rss_mib_after_load", rss_after_load},
        {"peak_rss_mib", PeakRssMiB()},
    };
    if (args.stages) {
      nlohmann::json rows = nlohmann::json::array();
      for (const StageRow& row : stages) {
        const double stage_peak = stage_percent(row);
        rows.push_back({{"name", row.name},
                        {"ms_per_image_median", row.ms_per_image},
                        {"share_of_run", row.share},
                        {"gflops", row.has_flops ? nlohmann::json(row.gflops) : nlohmann::json(nullptr)},
                        {"percent_of_peak", stage_peak >= 0 ? nlohmann::json(stage_peak) : nlohmann::json(nullptr)}});
      }
      j["stages"] = rows;
    }
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("model        %s (%s, batch %d, threads %s)\n", args.model.model.c_str(),
              PrecisionName(load_options.precision), args.batch_size,
              load_options.threads > 0 ? std::to_string(load_options.threads).c_str() : "all");
  std::printf("load         %.2f s%s%s\n", load_seconds,
              ready_seconds >= 0 ? (", ready " + Fixed(ready_seconds) + " s after process start").c_str() : "",
              model->info().packed_cache.empty() ? "" : (" (packed cache: " + model->info().packed_cache + ")").c_str());
  std::printf("kernel       %s\n", model->info().gemm_kernel.c_str());
  std::printf("kernels on this CPU:\n%s", FormatKernelTable(KernelTable(), "             ").c_str());
  std::printf("ms/image     %.2f median  (min %.2f, p25 %.2f, p75 %.2f, max %.2f; %d runs after %d warm-up)\n",
              ms_per_image, seconds.front() * 1e3 / batch, Quantile(seconds, 0.25) * 1e3 / batch,
              Quantile(seconds, 0.75) * 1e3 / batch, seconds.back() * 1e3 / batch, args.iterations, args.warmup);
  std::printf("images/s     %.2f\n", batch / median);
  std::printf("GFLOP/image  %.2f\n", flops * 1e-9);
  if (peak.available) {
    std::printf("GFLOP/s      %.1f  (%.1f%% of the measured %s peak %.1f GFLOP/s, %s)\n", gflops, percent,
                PrecisionName(load_options.precision), peak.gflops, peak.isa.c_str());
    if (peak.vector_gflops > 0) {
      std::printf("             (%.1f%% of the vector dot-product peak %.1f GFLOP/s, %s)\n",
                  100.0 * gflops / peak.vector_gflops, peak.vector_gflops, peak.vector_isa.c_str());
    }
  } else {
    std::printf("GFLOP/s      %.1f  (%% of peak n/a%s)\n", gflops,
                args.skip_peak ? "" : ": this CPU lacks the precision's dot-product instruction");
  }
  std::printf("peak RSS     %.0f MiB (%.0f MiB after load)\n", PeakRssMiB(), rss_after_load);
  if (args.stages) {
    std::printf("\n%-38s %9s %7s %8s %7s   (medians of the %d timed runs)\n", "stage", "ms/image", "share",
                "GFLOP/s", "% peak", args.iterations);
    for (const StageRow& row : stages) {
      const double stage_peak = stage_percent(row);
      std::printf("%-38s %9.2f %6.1f%% %8s %7s\n", row.name.c_str(), row.ms_per_image, 100.0 * row.share,
                  row.has_flops ? Fixed(row.gflops, 1).c_str() : "-",
                  stage_peak >= 0 ? (Fixed(stage_peak, 1) + "%").c_str() : "-");
    }
    if (load_options.precision != Precision::kF32)
      std::printf("(attention's products run in bf16 in bf16 and int8 models)\n");
  }
  return kExitOk;
}

}  // namespace

void AddBenchCommand(CLI::App& app, CommandRunner& run) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "time a model on random pixel_values: ms/image, images/s, "
                                              "GFLOP/s and % of this machine's measured peak, load time, peak RSS");
  args->model.AddTo(*cmd);
  cmd->add_option("-b,--batch-size", args->batch_size, "images per Run")->check(cli::Positive())->capture_default_str();
  cmd->add_option("-n,--iterations", args->iterations, "timed runs")->check(cli::Positive())->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "untimed runs first")->check(cli::NonNegative())->capture_default_str();
  cmd->add_flag("--json", args->json, "one JSON object on stdout instead of the table");
  cmd->add_flag("--no-peak", args->skip_peak, "skip the peak-throughput probe");
  cmd->add_flag("--stages", args->stages,
                "also time each stage (embeddings, layernorm, query/key/value, attention, the dense layers, "
                "head): ms/image, share of the run, GFLOP/s and % of peak");
  cmd->footer(Examples({"vit bench -m google/vit-large-patch16-224-in21k -b 1 -t 2 -n 10",
                        "vit bench -m ./my-model -p int8 --stages --json"}));
  cmd->callback([args, &run] { run = [args] { return RunBench(*args); }; });
}

}  // namespace vit::tool
