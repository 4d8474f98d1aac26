// Highway's dispatch tables start with a stub that chooses the target (CPUID) and then calls the
// chosen function; until some call has gone through it, HWY_DYNAMIC_DISPATCH hands out that stub.
// The kernels take a function pointer once and call it many times from many threads, so they resolve
// the target first: each call through the stub would query CPUID again, which traps to the
// hypervisor in a virtual machine.
#pragma once

#include "hwy/highway.h"
#include "hwy/targets.h"

namespace vit::kernels {

inline void ChooseSimdTarget() {
  hwy::ChosenTarget& chosen = hwy::GetChosenTarget();
  if (!chosen.IsInitialized()) chosen.Update(hwy::SupportedTargets());
}

}  // namespace vit::kernels

// The chosen target's version of `name`, resolved (never the choosing stub).
#define VIT_DISPATCH(name) (::vit::kernels::ChooseSimdTarget(), HWY_DYNAMIC_DISPATCH(name))
