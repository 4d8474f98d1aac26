#include "core/cancel.h"

#include "vit/error.h"

namespace vit {
namespace {

thread_local const std::atomic<bool>* t_cancel = nullptr;

}  // namespace

CancelScope::CancelScope(const std::atomic<bool>* flag) noexcept : previous_(t_cancel) { t_cancel = flag; }

CancelScope::~CancelScope() { t_cancel = previous_; }

bool CancelRequested() noexcept { return t_cancel && t_cancel->load(std::memory_order_relaxed); }

void ThrowIfCancelled() {
  if (CancelRequested()) throw Error("cancelled: the work's requester stopped waiting", ErrorKind::kIo);
}

}  // namespace vit
