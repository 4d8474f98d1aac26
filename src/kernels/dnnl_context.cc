#include "kernels/dnnl_context.h"

namespace vit::kernels {

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& ThreadStream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

ThreadScratchBuffers& ThreadScratch() {
  thread_local ThreadScratchBuffers scratch;
  return scratch;
}

}  // namespace vit::kernels
