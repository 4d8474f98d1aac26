// Pieces of the vit._vit module, one file each: errors, arrays, images, the processor, the model,
// adaptation (probes, indexes) and attention maps. module.cc calls each Register function once.
#pragma once

#include <pybind11/pybind11.h>

namespace vit::python {

void RegisterErrors(pybind11::module_& m);
void RegisterProcessor(pybind11::module_& m);
void RegisterModel(pybind11::module_& m);
void RegisterAdapt(pybind11::module_& m);
void RegisterAttention(pybind11::module_& m);

}  // namespace vit::python
