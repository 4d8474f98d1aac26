// vit::Error: the one exception type of the library. Its message names the file, the field and what was
// expected; its kind lets front ends choose an exit code or an HTTP status without parsing text.
#pragma once

#include <stdexcept>
#include <string>

namespace vit {

enum class ErrorKind {
  kInvalidArgument,  // a caller's option or request is wrong (bad flag, wrong tensor shape)
  kInvalidInput,     // a user file is malformed: corrupt image, hostile checkpoint, bad JSON
  kNotFound,         // a file, tensor, repository, revision or label that does not exist
  kUnauthorized,     // the hub refused us (401/403): a token is needed
  kUnsupported,      // valid input we deliberately do not handle (old torch format, exotic dtype)
  kIo,               // the operating system or the network failed
  kInternal,         // a bug: an invariant of ours did not hold
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kInvalidInput)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace vit
