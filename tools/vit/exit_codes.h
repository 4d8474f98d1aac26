#pragma once

namespace vit::tool {

// Meaningful exit codes for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;         // the job failed; the message is on stderr
inline constexpr int kExitUsage = 2;         // bad flags or arguments
inline constexpr int kExitPartial = 3;       // --skip-invalid skipped some inputs; the rest were written
inline constexpr int kExitInterrupted = 130; // SIGINT

}  // namespace vit::tool
