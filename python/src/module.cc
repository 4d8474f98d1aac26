// vit._vit: the compiled half of the `vit` Python package, a thin layer over include/vit/. The
// transformers-shaped API (ViTModel, ViTImageProcessor, ...) is pure Python in python/vit/.
#include "bindings.h"

PYBIND11_MODULE(_vit, m) {
  m.doc() = "Compiled bindings of vit's C++ API; use the `vit` package rather than this module.";
  vit::python::RegisterErrors(m);
  vit::python::RegisterProcessor(m);
  vit::python::RegisterModel(m);
  vit::python::RegisterAdapt(m);
  vit::python::RegisterAttention(m);
}
