// OpenMP is the process's one thread pool. Debian's default OpenBLAS (openblas-pthread, which FAISS and
// this layer link) starts a pool of its own when the library loads, before main: one thread per core but
// one, spinning in sched_yield a while after each call and waiting after, against OpenMP's threads. vit
// never wants it: BLAS calls here run on the calling thread, the parallelism of this layer comes from
// OpenMP loops around them (FAISS does the same), and most commands call no BLAS at all. So the pool is
// stopped as this library loads (after OpenBLAS's own start-up, which it depends on), and told to stay
// at one thread.
#pragma once

namespace vit::adapt {

// Idempotent and cheap; call before any cblas_* call (the load-time stop already did it once).
void KeepBlasOnCallingThread();

}  // namespace vit::adapt
