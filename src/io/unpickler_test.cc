#include "io/unpickler.h"

#include <gtest/gtest.h>

#include "io/pickle_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

using testing::PickleBuilder;
using testing::StateDictPickle;
using testing::TensorSpec;

std::vector<PickledTensor> Unpickle(const std::string& bytes) {
  return UnpickleStateDict(std::as_bytes(std::span(bytes.data(), bytes.size())), "test.bin");
}

std::string Refusal(const std::string& bytes) {
  try {
    Unpickle(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.bin"), std::string::npos) << e.what();
    return e.what();
  }
  return "accepted";
}

#define EXPECT_REFUSED(bytes, text)                                     \
  do {                                                                  \
    const std::string message_ = Refusal(bytes);                        \
    EXPECT_NE(message_.find(text), std::string::npos) << message_;      \
  } while (0)

TEST(Unpickler, ReadsATorchStateDict) {
  const std::string bytes = StateDictPickle({
      {"embeddings.cls_token", "FloatStorage", "0", 8, 0, {1, 1, 8}, {8, 8, 1}},
      {"pooler.dense.bias", "HalfStorage", "1", 20, 4, {4}, {1}},
      {"position_ids", "LongStorage", "2", 5, 0, {1, 5}, {5, 1}},
      {"scalar", "BFloat16Storage", "3", 1, 0, {}, {}},
  });
  std::vector<PickledTensor> tensors = Unpickle(bytes);
  ASSERT_EQ(tensors.size(), 4u);
  EXPECT_EQ(tensors[0].name, "embeddings.cls_token");
  EXPECT_EQ(tensors[0].storage.dtype, DType::kF32);
  EXPECT_EQ(tensors[0].size, (std::vector<int64_t>{1, 1, 8}));
  EXPECT_EQ(tensors[0].stride, (std::vector<int64_t>{8, 8, 1}));
  EXPECT_EQ(tensors[1].storage.key, "1");
  EXPECT_EQ(tensors[1].storage.dtype, DType::kF16);
  EXPECT_EQ(tensors[1].storage.numel, 20u);
  EXPECT_EQ(tensors[1].storage_offset, 4);
  EXPECT_EQ(tensors[2].storage.dtype, DType::kI64);
  EXPECT_EQ(tensors[3].storage.dtype, DType::kBF16);
  EXPECT_TRUE(tensors[3].size.empty());
}

TEST(Unpickler, ReadsParametersPlainDictsAndBigInts) {
  PickleBuilder p;
  p.Proto().EmptyDict().Mark().Str("w");
  p.Global("torch._utils", "_rebuild_parameter").Mark();
  p.Tensor("DoubleStorage", "k", 70000, 3000000000LL, {70000 - 3}, {1});
  p.Bool(true).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
  p.SetItems().Stop();
  std::vector<PickledTensor> tensors = Unpickle(p.bytes());
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors[0].storage.dtype, DType::kF64);
  EXPECT_EQ(tensors[0].storage.numel, 70000u);         // BININT2
  EXPECT_EQ(tensors[0].storage_offset, 3000000000LL);  // LONG1
  EXPECT_EQ(tensors[0].size[0], 70000 - 3);

  // Memo at LONG_BINPUT indices; an empty state_dict.
  EXPECT_TRUE(Unpickle(PickleBuilder().Proto().EmptyDict().Put(300).Get(300).Stop().bytes()).empty());
}

TEST(Unpickler, RefusesCodeExecutionGlobals) {
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"posix", "system"}, {"os", "system"}, {"builtins", "eval"}, {"subprocess", "Popen"},
           {"torch", "load"}, {"collections", "Counter"}, {"torch._utils", "_rebuild_tensor"},
           {"torch", "ComplexFloatStorage"}, {"__builtin__", "getattr"}}) {
    PickleBuilder p;
    p.Proto().Global(module, name).Mark().Str("touch /tmp/x").Tuple().Reduce().Stop();
    EXPECT_REFUSED(p.bytes(), "global " + module + "." + name + " is not allowed");
  }
  // A newline-free GLOBAL argument never ends: refused, not scanned forever.
  EXPECT_REFUSED(PickleBuilder().Proto().Op('c').Raw(std::string(1000, 'a')).bytes(), "longer than 256");
  EXPECT_REFUSED(PickleBuilder().Proto().Op('c').Raw("os").bytes(), "truncated");
}

TEST(Unpickler, RefusesOpcodesOutsideTheStateDictSubset) {
  const std::vector<std::pair<uint8_t, std::string>> refused = {
      {'i', "INST"}, {'o', "OBJ"}, {0x81, "NEWOBJ"}, {0x92, "NEWOBJ_EX"}, {0x93, "STACK_GLOBAL"},
      {'G', "BINFLOAT"}, {'p', "PUT"}, {'g', "GET"}, {'S', "STRING"}, {'P', "PERSID"}, {0x82, "EXT1"},
      {0x95, "FRAME"}, {'0', "POP"}, {'2', "DUP"}, {0xff, "unknown (0xff)"}, {0x00, "unknown (0x00)"}};
  for (const auto& [op, name] : refused) {
    EXPECT_REFUSED(PickleBuilder().Proto().Op(op).Raw(std::string(16, '\0')).bytes(), "opcode " + name);
  }
  EXPECT_REFUSED(PickleBuilder().Proto(1).EmptyDict().Stop().bytes(), "protocol 1");
}

TEST(Unpickler, RefusesMalformedStructure) {
  auto p = [] { return PickleBuilder().Proto(); };
  EXPECT_REFUSED(p().EmptyDict().bytes(), "without STOP");
  EXPECT_REFUSED(p().Stop().bytes(), "empty stack");
  EXPECT_REFUSED(p().Tuple().bytes(), "without a MARK");
  EXPECT_REFUSED(p().Op(0x86).bytes(), "needs 2 stack items");
  EXPECT_REFUSED(p().Get(7).bytes(), "memo entry 7");
  EXPECT_REFUSED(p().Op(0x8a).Op(9).Raw(std::string(9, 1)).bytes(), "LONG1 of 9 bytes");
  EXPECT_REFUSED(p().Op('X').Raw(std::string("\xff\xff\xff\x7f", 4)).Raw("abc").bytes(), "runs past the end");
  EXPECT_REFUSED(p().EmptyDict().Mark().Str("a").SetItems().Stop().bytes(), "odd number");
  EXPECT_REFUSED(p().EmptyTuple().Str("k").Str("v").SetItem().bytes(), "SETITEM on a tuple, expected a dict");
  EXPECT_REFUSED(p().EmptyDict().Int(1).Op('a').bytes(), "APPEND on a dict");
  EXPECT_REFUSED(p().Str("x").EmptyTuple().Reduce().bytes(), "REDUCE calls a str");
  EXPECT_REFUSED(p().Global("collections", "OrderedDict").Str("x").Reduce().bytes(), "not a tuple");
  EXPECT_REFUSED(p().Global("collections", "OrderedDict").Mark().Int(1).Tuple().Reduce().bytes(), "with arguments");
  EXPECT_REFUSED(p().Global("torch", "FloatStorage").EmptyTuple().Reduce().bytes(), "cannot be called");
  EXPECT_REFUSED(p().Str("x").EmptyDict().Build().bytes(), "BUILD on a str");
  EXPECT_REFUSED(p().EmptyDict().Int(3).Build().bytes(), "BUILD with an int");
  EXPECT_REFUSED(p().Mark().Str("storage").Str("FloatStorage").Str("0").Str("cpu").Int(1).Tuple().PersId().bytes(),
                 "names no torch storage type");
  EXPECT_REFUSED(p().Mark().Str("x").Tuple().PersId().bytes(), "persistent id");
  EXPECT_REFUSED(p().Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(-1).Tuple()
                     .PersId().bytes(),
                 "storage size is negative");
  // What the pickle holds in the end.
  EXPECT_REFUSED(p().Op(']').Stop().bytes(), "holds a list, expected a state_dict");
  EXPECT_REFUSED(p().EmptyDict().Str("x").Int(1).SetItem().Stop().bytes(), "\"x\" is an int, expected a tensor");
  EXPECT_REFUSED(p().EmptyDict().Int(1).Int(1).SetItem().Stop().bytes(), "key is an int");
}

TEST(Unpickler, RefusesBadTensorArguments) {
  auto dict_with = [](const std::function<void(PickleBuilder&)>& tensor) {
    PickleBuilder p;
    p.Proto().EmptyDict().Str("t");
    tensor(p);
    return p.SetItem().Stop().bytes();
  };
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) { p.Tensor("FloatStorage", "0", 4, -1, {4}, {1}); }),
                 "storage_offset is negative");
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) { p.Tensor("FloatStorage", "0", 4, 0, {-4}, {1}); }),
                 "size has a negative entry");
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) { p.Tensor("FloatStorage", "0", 4, 0, {2, 2}, {1}); }),
                 "differ in length");
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) {
                   p.Global("torch._utils", "_rebuild_tensor_v2").Mark().Int(1).Int(0).Tuple().Reduce();
                 }),
                 "6 or 7 arguments");
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) {
                   p.Global("torch._utils", "_rebuild_tensor_v2").Mark().Int(1).Int(0).EmptyTuple().EmptyTuple();
                   p.Bool(false).EmptyDict().Tuple().Reduce();
                 }),
                 "first argument is not a storage");
  // Non-empty backward hooks would hold callables.
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) {
                   p.Global("torch._utils", "_rebuild_tensor_v2").Mark();
                   p.Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(1).Tuple().PersId();
                   p.Int(0).EmptyTuple().EmptyTuple().Bool(false);
                   p.EmptyDict().Int(1).Int(2).SetItem().Tuple().Reduce();
                 }),
                 "backward_hooks");
  EXPECT_REFUSED(dict_with([](PickleBuilder& p) {
                   p.Global("torch._utils", "_rebuild_parameter").Mark().Int(1).Bool(false).EmptyDict().Tuple().Reduce();
                 }),
                 "_rebuild_parameter expects");
  // Duplicate state_dict keys: the second would silently win in Python.
  PickleBuilder dup;
  dup.Proto().EmptyDict().Mark();
  for (int i = 0; i < 2; ++i) dup.Str("w").Tensor("FloatStorage", "0", 1, 0, {1}, {1});
  EXPECT_REFUSED(dup.SetItems().Stop().bytes(), "\"w\" appears twice");
}

TEST(Unpickler, RandomBytesNeverCrash) {
  const std::string good = StateDictPickle({{"a", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}},
                                            {"b", "HalfStorage", "1", 2, 0, {2}, {1}}});
  ASSERT_EQ(Unpickle(good).size(), 2u);
  uint32_t state = 99;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  int refused = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string bytes = good;
    for (int i = 0, n = 1 + static_cast<int>(next() % 3); i < n && !bytes.empty(); ++i) {
      const size_t pos = next() % bytes.size();
      if (next() % 4 == 0) {
        bytes.resize(pos);
      } else {
        bytes[pos] = static_cast<char>(next());
      }
    }
    try {
      Unpickle(bytes);
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 2500);
}

}  // namespace
}  // namespace vit::io
