#include "q4_matmul_op.h"

#include <algorithm>
#include <string>
#include <vector>

#include "q4_gemm.h"

namespace quire {

namespace {

struct Int4MatMulKernel {
  Q4Io io;
  SimdPath path;
  int64_t K;
  int64_t N;

  Int4MatMulKernel(const OrtKernelInfo* info, Q4Io type, SimdPath p) : io(type), path(p) {
    Ort::ConstKernelInfo ki(info);
    K = ki.GetAttribute<int64_t>("K");
    N = ki.GetAttribute<int64_t>("N");
    const int64_t bits = ki.GetAttribute<int64_t>("bits");
    const int64_t block = ki.GetAttribute<int64_t>("block_size");
    if (bits != 4 || block != kQ4Block || K % kQ4Block != 0 || ki.GetInputCount() != 3) {
      throw Ort::Exception("MatMulNBits " + ki.GetNodeName() + ": Quire's int4 kernel runs 4-bit, block 32, symmetric nodes only (got bits " +
                               std::to_string(bits) + ", block " + std::to_string(block) + ", " + std::to_string(ki.GetInputCount()) + " inputs)",
                           ORT_NOT_IMPLEMENTED);
    }
  }

  static void Parallel(void* ctx, size_t total, void (*fn)(void*, size_t), void* arg) {
    Ort::ThrowOnError(Ort::GetApi().KernelContext_ParallelFor(static_cast<OrtKernelContext*>(ctx), fn, total, 0, arg));
  }

  void Compute(OrtKernelContext* context) {
    Ort::KernelContext ctx(context);
    Ort::ConstValue a = ctx.GetInput(0);
    std::vector<int64_t> shape = a.GetTensorTypeAndShapeInfo().GetShape();
    const int64_t M = static_cast<int64_t>(a.GetTensorTypeAndShapeInfo().GetElementCount()) / K;
    shape.back() = N;
    Ort::UnownedValue y = ctx.GetOutput(0, shape);
    if (M == 0) return;
    // One scratch per thread that runs the graph, shared by all its nodes (they run one after another): the
    // activations of the widest product, 1.25 bytes a value (9 MB for a 512-token chunk of an 8B model's
    // down_proj), instead of that much per node.
    thread_local std::vector<uint8_t> scratch;
    scratch.resize(std::max(scratch.size(), Q4GemmScratchBytes(M, K)));
    Q4Gemm(path, io, a.GetTensorRawData(), M, K, ctx.GetInput(1).GetTensorData<uint8_t>(), ctx.GetInput(2).GetTensorRawData(), N,
           y.GetTensorMutableRawData(), scratch.data(), Parallel, context);
  }
};

// One op per activation type (an --io fp32 or --io fp16 conversion); onnxruntime picks by the node's types.
struct Int4MatMulOp : Ort::CustomOpBase<Int4MatMulOp, Int4MatMulKernel> {
  Int4MatMulOp(ONNXTensorElementDataType type, SimdPath path) : type_(type), path_(path) {}
  void* CreateKernel(const OrtApi&, const OrtKernelInfo* info) const {
    return new Int4MatMulKernel(info, type_ == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ? Q4Io::Float16 : Q4Io::Float32, path_);
  }
  const char* GetName() const { return "MatMulNBits"; }
  const char* GetExecutionProviderType() const { return "CPUExecutionProvider"; }
  size_t GetInputTypeCount() const { return 3; }
  ONNXTensorElementDataType GetInputType(size_t index) const { return index == 1 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 : type_; }
  size_t GetOutputTypeCount() const { return 1; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return type_; }

 private:
  ONNXTensorElementDataType type_;
  SimdPath path_;
};

// The paths the kernel is built for, widest first.
constexpr SimdPath kInt4Paths[] = {SimdPath::kAvx512, SimdPath::kAvx2};

}  // namespace

std::vector<std::string> Int4Paths() { return PathNames(kInt4Paths, Q4GemmSupported); }

SimdPath Int4Path(const std::string& name) { return NamedPath(kInt4Paths, Q4GemmSupported, name); }

void AddInt4Ops(Ort::CustomOpDomain& domain, SimdPath path) {
  // Sessions keep pointers to the ops: they live as long as the process.
  static Int4MatMulOp avx512[] = {{ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, SimdPath::kAvx512}, {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, SimdPath::kAvx512}};
  static Int4MatMulOp avx2[] = {{ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, SimdPath::kAvx2}, {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, SimdPath::kAvx2}};
  for (Int4MatMulOp& op : path == SimdPath::kAvx512 ? avx512 : avx2) domain.Add(&op);
}

}  // namespace quire
