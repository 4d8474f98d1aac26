// What every AMX user needs: the tile configuration LDTILECFG reads, and Linux's permission to use
// the tile state, which a process must ask for before its first tile instruction.
#pragma once

#include <cstdint>

namespace vit::kernels {

struct alignas(64) AmxTileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

// Asks Linux for the AMX tile state (ARCH_REQ_XCOMP_PERM) once per process; true when granted. oneDNN
// asks the same for its own kernels.
bool AmxTileStateGranted();

}  // namespace vit::kernels
