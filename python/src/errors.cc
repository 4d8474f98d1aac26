// vit::Error becomes a Python exception chosen by its kind, with the message the CLI prints. Each class
// derives from VitError and from the built-in exception a Python user would catch for that kind.
#include <pybind11/pybind11.h>

#include <exception>
#include <new>

#include "bindings.h"
#include "vit/error.h"

namespace py = pybind11;

namespace vit::python {
namespace {

struct ErrorClasses {
  PyObject* base = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* invalid_input = nullptr;
  PyObject* not_found = nullptr;
  PyObject* unauthorized = nullptr;
  PyObject* unsupported = nullptr;
  PyObject* io = nullptr;

  PyObject* For(ErrorKind kind) const {
    switch (kind) {
      case ErrorKind::kInvalidArgument: return invalid_argument;
      case ErrorKind::kInvalidInput: return invalid_input;
      case ErrorKind::kNotFound: return not_found;
      case ErrorKind::kUnauthorized: return unauthorized;
      case ErrorKind::kUnsupported: return unsupported;
      case ErrorKind::kIo: return io;
      case ErrorKind::kInternal: break;
    }
    return base;
  }
};

ErrorClasses classes;  // owned by the module for the life of the interpreter

PyObject* MakeClass(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  py::dict namespace_;
  namespace_["__doc__"] = doc;
  namespace_["__module__"] = "vit";
  py::object cls = py::module_::import("builtins").attr("type")(name, bases, namespace_);
  m.attr(name) = cls;
  return cls.release().ptr();
}

}  // namespace

void RegisterErrors(py::module_& m) {
  auto builtin = [](PyObject* e) { return py::reinterpret_borrow<py::object>(e); };
  classes.base = MakeClass(m, "VitError", py::make_tuple(builtin(PyExc_Exception)),
                           "Base of every error vit raises; the message names the file or field and the problem.");
  py::object base = builtin(classes.base);
  classes.invalid_argument = MakeClass(m, "InvalidArgumentError", py::make_tuple(base, builtin(PyExc_ValueError)),
                                       "A wrong argument: a bad shape, dtype, option or name.");
  classes.invalid_input = MakeClass(m, "InvalidInputError", py::make_tuple(base, builtin(PyExc_ValueError)),
                                    "A malformed input: a corrupt image, a bad checkpoint or JSON file.");
  classes.not_found = MakeClass(m, "NotFoundError", py::make_tuple(base, builtin(PyExc_FileNotFoundError)),
                                "A file, folder, repository, revision or tensor that does not exist.");
  classes.unauthorized = MakeClass(m, "UnauthorizedError", py::make_tuple(base, builtin(PyExc_PermissionError)),
                                   "The Hugging Face hub refused access: set HF_TOKEN or pass token=.");
  classes.unsupported = MakeClass(m, "UnsupportedError", py::make_tuple(base),
                                  "A valid input vit deliberately does not handle.");
  classes.io = MakeClass(m, "VitIOError", py::make_tuple(base, builtin(PyExc_OSError)),
                         "The operating system or the network failed.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(classes.For(e.kind()), e.what());
    } catch (const py::builtin_exception&) {
      throw;  // pybind11's own (value_error, index_error, ...) keep their Python types
    } catch (const py::error_already_set&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      PyErr_SetString(classes.base, e.what());
    }
  });
}

}  // namespace vit::python
