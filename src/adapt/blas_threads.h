// OpenMP is the process's one thread pool. Debian's default OpenBLAS (openblas-pthread) brings a second one
// whose threads would spin against OpenMP's, so BLAS calls here run on the calling thread; the parallelism
// of this layer comes from OpenMP loops around them (FAISS does the same).
#pragma once

namespace vit::adapt {

// Idempotent and cheap; call before any cblas_* call.
void KeepBlasOnCallingThread();

}  // namespace vit::adapt
