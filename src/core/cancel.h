// Cooperative cancellation of the work a thread does for someone who may stop waiting (a server's
// client that disconnects): the owner installs its flag for a scope; long loops deep below (a JPEG's
// scans, rows) call ThrowIfCancelled() between steps, with no parameter threaded through every API.
#pragma once

#include <atomic>

namespace vit {

// Installs `flag` (may be null: nothing to cancel) as this thread's for the scope's lifetime.
class CancelScope {
 public:
  explicit CancelScope(const std::atomic<bool>* flag) noexcept;
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  const std::atomic<bool>* previous_;
};

// True when this thread's current flag is set.
bool CancelRequested() noexcept;
// Throws vit::Error(kIo) "cancelled: ..." when CancelRequested().
void ThrowIfCancelled();

}  // namespace vit
