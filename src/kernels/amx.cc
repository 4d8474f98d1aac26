#include "kernels/amx.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace vit::kernels {

bool AmxTileStateGranted() {
  static const bool granted = [] {
    constexpr long kArchRequestPermission = 0x1023;  // ARCH_REQ_XCOMP_PERM
    constexpr long kTileData = 18;                   // XFEATURE_XTILEDATA
    return syscall(SYS_arch_prctl, kArchRequestPermission, kTileData) == 0;
  }();
  return granted;
}

}  // namespace vit::kernels
