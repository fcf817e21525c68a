#include "gqa_op.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gqa_attention.h"

namespace quire {

namespace {

// GroupQueryAttention's inputs as Quire's graphs give them (models/llama-graph.ts): packed QKV, no separate key
// and value, the cache, its lengths and the rotary tables.
enum Input { kQuery, kKey, kValue, kPastKey, kPastValue, kSeqlensK, kTotalLength, kCos, kSin, kInputs };

// The attributes onnxruntime 1.30's kernel reads; each one the node sets is handed on to it unchanged.
const char* const kIntAttrs[] = {"num_heads", "kv_num_heads", "local_window_size", "do_rotary", "rotary_interleaved", "smooth_softmax", "qk_output"};
const char* const kFloatAttrs[] = {"scale", "softcap"};

template <typename V>
bool TryAttr(const Ort::ConstKernelInfo& ki, const char* name, V& value) {
  try {
    value = ki.GetAttribute<V>(name);
    return true;
  } catch (const Ort::Exception&) {
    return false;
  }
}

struct AttentionKernel {
  ONNXTensorElementDataType type;
  SimdPath path;
  int64_t heads = 0, kvHeads = 0;
  float scale = 0.f;
  // Whether the node's attributes ask for nothing beyond what Quire's kernels compute.
  bool supportedAttrs = false;
  Ort::Op builtin{nullptr};

  AttentionKernel(const OrtKernelInfo* info, ONNXTensorElementDataType t, SimdPath p) : type(t), path(p) {
    Ort::ConstKernelInfo ki(info);
    std::vector<Ort::OpAttr> attrs;
    int64_t ints[std::size(kIntAttrs)] = {0, 0, -1, 0, 0, 0, 0};
    for (size_t i = 0; i < std::size(kIntAttrs); i++) {
      if (TryAttr(ki, kIntAttrs[i], ints[i])) attrs.emplace_back(kIntAttrs[i], &ints[i], 1, OrtOpAttrType::ORT_OP_ATTR_INT);
    }
    float floats[std::size(kFloatAttrs)] = {0.f, 0.f};
    for (size_t i = 0; i < std::size(kFloatAttrs); i++) {
      if (TryAttr(ki, kFloatAttrs[i], floats[i])) attrs.emplace_back(kFloatAttrs[i], &floats[i], 1, OrtOpAttrType::ORT_OP_ATTR_FLOAT);
    }
    heads = ints[0];
    kvHeads = ints[1];
    scale = floats[0];
    const bool doRotary = ints[3] == 1, interleaved = ints[4] == 1, window = ints[2] > 0, smooth = ints[5] != 0, qkOutput = ints[6] != 0;
    supportedAttrs = doRotary && !interleaved && !window && !smooth && !qkOutput && floats[1] == 0.f;
    const char* names[] = {"T", "M"};
    const ONNXTensorElementDataType types[] = {type, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32};
    builtin = Ort::Op::Create(info, "GroupQueryAttention", "com.microsoft", 1, names, types, 2, attrs.data(), attrs.size(), kInputs, 3);
  }

  static void Parallel(void* ctx, size_t total, void (*fn)(void*, size_t), void* arg) {
    Ort::ThrowOnError(Ort::GetApi().KernelContext_ParallelFor(static_cast<OrtKernelContext*>(ctx), fn, total, 0, arg));
  }

  void Compute(OrtKernelContext* context) {
    Ort::KernelContext ctx(context);
    Ort::ConstValue query = ctx.GetInput(kQuery), pastK = ctx.GetInput(kPastKey);
    const std::vector<int64_t> q = query.GetTensorTypeAndShapeInfo().GetShape();
    // The output shapes below are read from these before either kernel checks its inputs.
    if (q.size() != 3 || (pastK && pastK.GetTensorTypeAndShapeInfo().GetShape().size() != 4)) {
      throw Ort::Exception("GroupQueryAttention: the query must have 3 dimensions and the past cache 4", ORT_INVALID_ARGUMENT);
    }
    const bool packed = !ctx.GetInput(kKey);
    const int64_t batch = q[0], length = q[1], headDim = q[2] / (packed ? heads + 2 * kvHeads : heads);
    const int64_t total = *ctx.GetInput(kTotalLength).GetTensorData<int32_t>();
    const int64_t pastCapacity = pastK ? pastK.GetTensorTypeAndShapeInfo().GetShape()[2] : 0;
    // As onnxruntime sizes them: the cache is the past buffer when that holds the total (the engine binds one
    // buffer as both), else as long as the total.
    const int64_t presentCapacity = std::max(total, pastCapacity);
    Ort::UnownedValue output = ctx.GetOutput(0, {batch, length, heads * headDim});
    Ort::UnownedValue presentK = ctx.GetOutput(1, {batch, kvHeads, presentCapacity, headDim});
    Ort::UnownedValue presentV = ctx.GetOutput(2, {batch, kvHeads, presentCapacity, headDim});
    // Decode steps, and an fp16 prompt's chunks: onnxruntime's fp16 path holds the scores of the chunk against the
    // whole cache (gqa_attention.cc); its fp32 path works in tiles and stays.
    const bool ours = length == 1 || type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    if (ours && packed && pastK && ctx.GetInput(kCos) && supportedAttrs && GqaShape(heads, kvHeads, headDim)) {
      Run(context, ctx, query, pastK, pastCapacity, presentK, presentV, presentCapacity, output, headDim);
      return;
    }
    std::vector<const OrtValue*> inputs(kInputs);
    for (size_t i = 0; i < kInputs; i++) inputs[i] = ctx.GetInput(i);
    OrtValue* outputs[] = {output, presentK, presentV};
    builtin.Invoke(context, inputs.data(), kInputs, outputs, 3);
  }

  static std::vector<int64_t> Shape(const Ort::ConstValue& v) { return v.GetTensorTypeAndShapeInfo().GetShape(); }

  // What onnxruntime's kernel checks before it reads or writes, for the inputs this path reads.
  void Run(OrtKernelContext* context, Ort::KernelContext& ctx, Ort::ConstValue& query, Ort::ConstValue& pastK, int64_t pastCapacity,
           Ort::UnownedValue& presentK, Ort::UnownedValue& presentV, int64_t presentCapacity, Ort::UnownedValue& output, int64_t headDim) {
    const int64_t batch = Shape(query)[0], length = Shape(query)[1];
    const std::vector<int64_t> cache = {batch, kvHeads, pastCapacity, headDim}, table = Shape(ctx.GetInput(kCos));
    Ort::ConstValue seqlensK = ctx.GetInput(kSeqlensK), pastV = ctx.GetInput(kPastValue), sin = ctx.GetInput(kSin);
    if (Shape(query).size() != 3 || Shape(pastK) != cache || !pastV || Shape(pastV) != cache || !sin || Shape(sin) != table ||
        table.size() != 2 || table[1] * 2 != headDim || seqlensK.GetTensorTypeAndShapeInfo().GetElementCount() != static_cast<size_t>(batch)) {
      throw Ort::Exception("GroupQueryAttention: the query, cache, rotary tables or seqlens_k do not have the shapes they need", ORT_INVALID_ARGUMENT);
    }
    const int32_t* seqlens = seqlensK.GetTensorData<int32_t>();
    const bool shared = pastK.GetTensorRawData() == presentK.GetTensorRawData();
    for (int64_t b = 0; b < batch; b++) {
      // The new tokens' rows must exist in the cache and the tables, and a past copied into a new present must hold it.
      const int64_t last = seqlens[b], past = last + 1 - length;
      if (past < 0 || last >= presentCapacity || last >= table[0] || (!shared && past > pastCapacity)) {
        const std::string where = length == 1 ? "position " + std::to_string(last) + " is" : "positions " + std::to_string(past) + "–" + std::to_string(last) + " are";
        throw Ort::Exception("GroupQueryAttention: " + where + " outside the cache (" +
                                 std::to_string(presentCapacity) + " rows) or the rotary tables (" + std::to_string(table[0]) + ")",
                             ORT_INVALID_ARGUMENT);
      }
    }
    GqaArgs args{type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ? GqaType::Float16 : GqaType::Float32,
                 batch, length, heads, kvHeads, headDim,
                 query.GetTensorRawData(), seqlens,
                 ctx.GetInput(kCos).GetTensorRawData(), sin.GetTensorRawData(),
                 pastK.GetTensorRawData(), pastV.GetTensorRawData(), pastCapacity,
                 presentK.GetTensorMutableRawData(), presentV.GetTensorMutableRawData(), presentCapacity,
                 output.GetTensorMutableRawData(),
                 scale == 0.f ? 1.f / std::sqrt(static_cast<float>(headDim)) : scale};
    GqaAttention(args, path, Parallel, context);
  }
};

struct AttentionOp : Ort::CustomOpBase<AttentionOp, AttentionKernel> {
  AttentionOp(ONNXTensorElementDataType type, SimdPath path) : type_(type), path_(path) {}
  void* CreateKernel(const OrtApi&, const OrtKernelInfo* info) const { return new AttentionKernel(info, type_, path_); }
  const char* GetName() const { return "GroupQueryAttention"; }
  const char* GetExecutionProviderType() const { return "CPUExecutionProvider"; }
  size_t GetInputTypeCount() const { return kInputs; }
  ONNXTensorElementDataType GetInputType(size_t index) const {
    return index == kSeqlensK || index == kTotalLength ? ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 : type_;
  }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t index) const {
    return index == kQuery || index == kSeqlensK || index == kTotalLength ? INPUT_OUTPUT_REQUIRED : INPUT_OUTPUT_OPTIONAL;
  }
  size_t GetOutputTypeCount() const { return 3; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return type_; }

 private:
  ONNXTensorElementDataType type_;
  SimdPath path_;
};

// The paths the kernels are built for, widest first.
constexpr SimdPath kAttentionPaths[] = {SimdPath::kAvx512, SimdPath::kAvx2};

}  // namespace

std::vector<std::string> AttentionPaths() { return PathNames(kAttentionPaths, SimdPathSupported); }

SimdPath AttentionPath(const std::string& name) { return NamedPath(kAttentionPaths, SimdPathSupported, name); }

void AddAttentionOps(Ort::CustomOpDomain& domain, SimdPath path) {
  // Sessions keep pointers to the ops: they live as long as the process.
  static AttentionOp avx512[] = {{ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, SimdPath::kAvx512}, {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, SimdPath::kAvx512}};
  static AttentionOp avx2[] = {{ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, SimdPath::kAvx2}, {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, SimdPath::kAvx2}};
  for (AttentionOp& op : path == SimdPath::kAvx512 ? avx512 : avx2) domain.Add(&op);
}

}  // namespace quire
