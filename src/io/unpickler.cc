#include "io/unpickler.h"

#include <cstring>
#include <deque>
#include <set>
#include <unordered_map>

#include "vit/error.h"

namespace vit::io {
namespace {

// Names of the pickle opcodes, for messages about the ones we refuse.
const char* OpcodeName(uint8_t op) {
  switch (op) {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'P': return "PERSID";
    case 'Q': return "BINPERSID";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'i': return "INST";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'o': return "OBJ";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

std::string Hex(uint8_t op) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[op >> 4] + digits[op & 15];
}

// The globals a state_dict pickle may name.
enum class Callable { kOrderedDict, kRebuildTensorV2, kRebuildParameter, kStorageType };

struct AllowedGlobal {
  const char* module;
  const char* name;
  Callable callable;
  DType dtype;  // for storage types
};

constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections", "OrderedDict", Callable::kOrderedDict, DType::kF32},
    {"torch._utils", "_rebuild_tensor_v2", Callable::kRebuildTensorV2, DType::kF32},
    {"torch._utils", "_rebuild_parameter", Callable::kRebuildParameter, DType::kF32},
    {"torch", "FloatStorage", Callable::kStorageType, DType::kF32},
    {"torch", "HalfStorage", Callable::kStorageType, DType::kF16},
    {"torch", "BFloat16Storage", Callable::kStorageType, DType::kBF16},
    {"torch", "DoubleStorage", Callable::kStorageType, DType::kF64},
    {"torch", "LongStorage", Callable::kStorageType, DType::kI64},
    {"torch", "IntStorage", Callable::kStorageType, DType::kI32},
    {"torch", "ShortStorage", Callable::kStorageType, DType::kI16},
    {"torch", "CharStorage", Callable::kStorageType, DType::kI8},
    {"torch", "ByteStorage", Callable::kStorageType, DType::kU8},
    {"torch", "BoolStorage", Callable::kStorageType, DType::kBool},
};

struct Value {
  enum class Kind { kNone, kBool, kInt, kString, kTuple, kList, kDict, kGlobal, kStorage, kTensor };
  Kind kind = Kind::kNone;
  int64_t integer = 0;         // kBool, kInt
  std::string text;            // kString; kGlobal: "module.name"
  std::vector<Value*> items;   // kTuple, kList; kDict: key, value, key, value, ...
  const AllowedGlobal* global = nullptr;  // kGlobal
  const PickledStorage* storage = nullptr;  // kStorage
  const PickledTensor* tensor = nullptr;    // kTensor (name unset)
};

// Values a state_dict of a few thousand tensors needs ~25 each: this bound keeps a hostile pickle
// from turning each of its bytes into a ~100-byte Value for gigabytes on end.
constexpr size_t kMaxValues = size_t{1} << 22;

// The kind with its article, for messages: "an int", "a tuple", "None".
const char* KindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return "a bool";
    case Value::Kind::kInt: return "an int";
    case Value::Kind::kString: return "a str";
    case Value::Kind::kTuple: return "a tuple";
    case Value::Kind::kList: return "a list";
    case Value::Kind::kDict: return "a dict";
    case Value::Kind::kGlobal: return "a global";
    case Value::Kind::kStorage: return "a storage";
    case Value::Kind::kTensor: return "a tensor";
  }
  return "?";
}

class Machine {
 public:
  Machine(std::span<const std::byte> bytes, const std::string& where) : bytes_(bytes), where_(where) {}

  std::vector<PickledTensor> Run() {
    while (true) {
      op_offset_ = pos_;
      const uint8_t op = ReadU8();
      op_ = op;
      switch (op) {
        case 0x80: {  // PROTO
          const uint8_t version = ReadU8();
          if (version < 2 || version > 5) Fail("pickle protocol " + std::to_string(version) + " (expected 2)");
          break;
        }
        case '(': metastack_.push_back(std::move(stack_)); stack_.clear(); break;
        case '}': Push(New(Value::Kind::kDict)); break;
        case ']': Push(New(Value::Kind::kList)); break;
        case ')': Push(New(Value::Kind::kTuple)); break;
        case 'N': Push(New(Value::Kind::kNone)); break;
        case 0x88: PushBool(true); break;
        case 0x89: PushBool(false); break;
        case 'K': PushInt(ReadU8()); break;
        case 'M': PushInt(ReadLittle(2, false)); break;
        case 'J': PushInt(ReadLittle(4, true)); break;
        case 0x8a: {  // LONG1: n-byte two's complement
          const uint8_t n = ReadU8();
          if (n > 8) Fail("LONG1 of " + std::to_string(n) + " bytes (at most 8 supported)");
          PushInt(n == 0 ? 0 : ReadLittle(n, true));
          break;
        }
        case 'X': {  // BINUNICODE
          const uint64_t n = static_cast<uint64_t>(ReadLittle(4, false));
          Value* v = New(Value::Kind::kString);
          v->text = ReadBytes(n);
          Push(v);
          break;
        }
        case 'c': Push(Global()); break;
        case 't': Push(Tuple(PopMark())); break;
        case 0x85: Push(Tuple(PopN(1))); break;
        case 0x86: Push(Tuple(PopN(2))); break;
        case 0x87: Push(Tuple(PopN(3))); break;
        case 'q': Memoize(static_cast<uint32_t>(ReadU8())); break;
        case 'r': Memoize(static_cast<uint32_t>(ReadLittle(4, false))); break;
        case 'h': Recall(static_cast<uint32_t>(ReadU8())); break;
        case 'j': Recall(static_cast<uint32_t>(ReadLittle(4, false))); break;
        case 'Q': Push(PersistentLoad(Pop())); break;
        case 'R': {
          Value* args = Pop();
          Value* callable = Pop();
          Push(Reduce(callable, args));
          break;
        }
        case 'b': {  // BUILD: only the OrderedDict's __dict__ (its _metadata), which we drop
          Value* state = Pop();
          Value* target = Top();
          if (target->kind != Value::Kind::kDict) Fail(std::string("BUILD on ") + KindName(target->kind));
          if (state->kind != Value::Kind::kDict && state->kind != Value::Kind::kNone) {
            Fail(std::string("BUILD with ") + KindName(state->kind) + " state");
          }
          break;
        }
        case 's': {
          Value* value = Pop();
          Value* key = Pop();
          Value* dict = Container(Value::Kind::kDict);
          dict->items.push_back(key);
          dict->items.push_back(value);
          break;
        }
        case 'u': {
          std::vector<Value*> pairs = PopMark();
          if (pairs.size() % 2 != 0) Fail("SETITEMS with an odd number of items");
          Value* dict = Container(Value::Kind::kDict);
          dict->items.insert(dict->items.end(), pairs.begin(), pairs.end());
          break;
        }
        case 'a': {
          Value* value = Pop();
          Container(Value::Kind::kList)->items.push_back(value);
          break;
        }
        case 'e': {
          std::vector<Value*> values = PopMark();
          Value* list = Container(Value::Kind::kList);
          list->items.insert(list->items.end(), values.begin(), values.end());
          break;
        }
        case '.': return Finish(Pop());
        default: {
          const char* name = OpcodeName(op);
          Fail(std::string("opcode ") + (name ? name : "unknown") + " (" + Hex(op) +
               ") is not allowed in a state_dict pickle");
        }
      }
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(where_ + ": refusing pickle at byte " + std::to_string(op_offset_) + ": " + what);
  }

  std::string OpName() const {
    const char* name = OpcodeName(op_);
    return name ? name : Hex(op_);
  }

  uint8_t ReadU8() {
    if (pos_ >= bytes_.size()) Fail("the pickle ends without STOP (truncated)");
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  int64_t ReadLittle(size_t n, bool is_signed) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(ReadU8()) << (8 * i);
    if (is_signed && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }
  std::string ReadBytes(uint64_t n) {
    if (n > bytes_.size() - pos_) Fail("a string of " + std::to_string(n) + " bytes runs past the end");
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string ReadLine() {
    const size_t start = pos_;
    while (ReadU8() != '\n') {
      if (pos_ - start > 256) Fail("GLOBAL name longer than 256 bytes");
    }
    return std::string(reinterpret_cast<const char*>(bytes_.data() + start), pos_ - start - 1);
  }

  Value* New(Value::Kind kind) {
    if (arena_.size() >= kMaxValues) Fail("more than " + std::to_string(kMaxValues) + " values (too large)");
    arena_.emplace_back();
    arena_.back().kind = kind;
    return &arena_.back();
  }
  void Push(Value* v) { stack_.push_back(v); }
  void PushBool(bool b) {
    Value* v = New(Value::Kind::kBool);
    v->integer = b;
    Push(v);
  }
  void PushInt(int64_t i) {
    Value* v = New(Value::Kind::kInt);
    v->integer = i;
    Push(v);
  }
  Value* Top() {
    if (stack_.empty()) Fail(OpName() + " on an empty stack");
    return stack_.back();
  }
  Value* Pop() {
    Value* v = Top();
    stack_.pop_back();
    return v;
  }
  std::vector<Value*> PopN(size_t n) {
    if (stack_.size() < n) Fail(OpName() + " needs " + std::to_string(n) + " stack items");
    std::vector<Value*> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return items;
  }
  std::vector<Value*> PopMark() {
    if (metastack_.empty()) Fail(OpName() + " without a MARK");
    std::vector<Value*> items = std::move(stack_);
    stack_ = std::move(metastack_.back());
    metastack_.pop_back();
    return items;
  }
  Value* Tuple(std::vector<Value*> items) {
    Value* v = New(Value::Kind::kTuple);
    v->items = std::move(items);
    return v;
  }
  Value* Container(Value::Kind kind) {
    Value* v = Top();
    if (v->kind != kind) {
      Fail(OpName() + " on " + KindName(v->kind) + ", expected " + KindName(kind));
    }
    return v;
  }
  void Memoize(uint32_t index) { memo_[index] = Top(); }
  void Recall(uint32_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) Fail("memo entry " + std::to_string(index) + " was never stored");
    Push(it->second);
  }

  Value* Global() {
    const std::string module = ReadLine();
    const std::string name = ReadLine();
    for (const AllowedGlobal& g : kAllowedGlobals) {
      if (module == g.module && name == g.name) {
        Value* v = New(Value::Kind::kGlobal);
        v->text = module + "." + name;
        v->global = &g;
        return v;
      }
    }
    Fail("global " + module + "." + name + " is not allowed (a state_dict names only collections.OrderedDict, " +
         "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and torch.*Storage)");
  }

  int64_t Int(const Value* v, const char* what) {
    if (v->kind != Value::Kind::kInt) Fail(std::string(what) + " is " + KindName(v->kind) + ", expected an int");
    return v->integer;
  }
  std::vector<int64_t> IntTuple(const Value* v, const char* what) {
    if (v->kind != Value::Kind::kTuple) Fail(std::string(what) + " is " + KindName(v->kind) + ", expected a tuple");
    std::vector<int64_t> out;
    for (const Value* item : v->items) {
      const int64_t i = Int(item, what);
      if (i < 0) Fail(std::string(what) + " has a negative entry");
      out.push_back(i);
    }
    return out;
  }

  // ('storage', torch.XStorage, key, location, numel)
  Value* PersistentLoad(const Value* pid) {
    if (pid->kind != Value::Kind::kTuple || pid->items.size() != 5 || pid->items[0]->kind != Value::Kind::kString ||
        pid->items[0]->text != "storage") {
      Fail("persistent id is not ('storage', type, key, location, numel)");
    }
    const Value* type = pid->items[1];
    if (type->kind != Value::Kind::kGlobal || type->global->callable != Callable::kStorageType) {
      Fail("persistent id names no torch storage type");
    }
    if (pid->items[2]->kind != Value::Kind::kString || pid->items[3]->kind != Value::Kind::kString) {
      Fail("persistent id key and location must be strings");
    }
    const int64_t numel = Int(pid->items[4], "storage size");
    if (numel < 0) Fail("storage size is negative");
    PickledStorage& storage = storages_.emplace_back();
    storage.key = pid->items[2]->text;
    storage.dtype = type->global->dtype;
    storage.numel = static_cast<uint64_t>(numel);
    Value* v = New(Value::Kind::kStorage);
    v->storage = &storage;
    return v;
  }

  Value* Reduce(const Value* callable, const Value* args) {
    if (callable->kind != Value::Kind::kGlobal) Fail(std::string("REDUCE calls ") + KindName(callable->kind));
    if (args->kind != Value::Kind::kTuple) Fail("REDUCE arguments are not a tuple");
    const std::vector<Value*>& a = args->items;
    switch (callable->global->callable) {
      case Callable::kOrderedDict:
        if (!a.empty()) Fail("collections.OrderedDict called with arguments");
        return New(Value::Kind::kDict);
      case Callable::kRebuildTensorV2: {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (a.size() != 6 && a.size() != 7) Fail("_rebuild_tensor_v2 takes 6 or 7 arguments");
        if (a[0]->kind != Value::Kind::kStorage) Fail("_rebuild_tensor_v2's first argument is not a storage");
        if (a[4]->kind != Value::Kind::kBool) Fail("_rebuild_tensor_v2's requires_grad is not a bool");
        if (a[5]->kind != Value::Kind::kDict || !a[5]->items.empty()) {
          Fail("_rebuild_tensor_v2's backward_hooks must be an empty OrderedDict");
        }
        if (a.size() == 7 && a[6]->kind != Value::Kind::kNone && a[6]->kind != Value::Kind::kDict) {
          Fail("_rebuild_tensor_v2's metadata must be None or a dict");
        }
        PickledTensor& tensor = tensors_.emplace_back();
        tensor.storage = *a[0]->storage;
        tensor.storage_offset = Int(a[1], "storage_offset");
        if (tensor.storage_offset < 0) Fail("storage_offset is negative");
        tensor.size = IntTuple(a[2], "size");
        tensor.stride = IntTuple(a[3], "stride");
        if (tensor.size.size() != tensor.stride.size()) Fail("size and stride differ in length");
        Value* v = New(Value::Kind::kTensor);
        v->tensor = &tensor;
        return v;
      }
      case Callable::kRebuildParameter:
        // (data, requires_grad, backward_hooks): a Parameter is its tensor here.
        if (a.size() != 3 || a[0]->kind != Value::Kind::kTensor) Fail("_rebuild_parameter expects (tensor, bool, hooks)");
        return a[0];
      case Callable::kStorageType:
        break;
    }
    Fail("global " + callable->text + " cannot be called");
  }

  std::vector<PickledTensor> Finish(const Value* result) {
    if (result->kind != Value::Kind::kDict) {
      Fail(std::string("the pickle holds ") + KindName(result->kind) + ", expected a state_dict (dict of tensors)");
    }
    std::vector<PickledTensor> tensors;
    std::set<std::string> names;
    for (size_t i = 0; i + 1 < result->items.size(); i += 2) {
      const Value* key = result->items[i];
      const Value* value = result->items[i + 1];
      if (key->kind != Value::Kind::kString) Fail(std::string("state_dict key is ") + KindName(key->kind));
      if (value->kind != Value::Kind::kTensor) {
        Fail("state_dict entry \"" + key->text + "\" is " + KindName(value->kind) + ", expected a tensor");
      }
      if (!names.insert(key->text).second) Fail("state_dict key \"" + key->text + "\" appears twice");
      tensors.push_back(*value->tensor);
      tensors.back().name = key->text;
    }
    return tensors;
  }

  std::span<const std::byte> bytes_;
  const std::string& where_;
  size_t pos_ = 0;
  size_t op_offset_ = 0;
  uint8_t op_ = 0;
  std::deque<Value> arena_;  // owns every value; the graph may share (memo) but never frees early
  std::deque<PickledStorage> storages_;
  std::deque<PickledTensor> tensors_;
  std::vector<Value*> stack_;
  std::vector<std::vector<Value*>> metastack_;
  std::unordered_map<uint32_t, Value*> memo_;
};

}  // namespace

std::vector<PickledTensor> UnpickleStateDict(std::span<const std::byte> pickle, const std::string& where) {
  return Machine(pickle, where).Run();
}

}  // namespace vit::io
