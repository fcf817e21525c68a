// Checkpoint weights (F32, F16 or BF16 safetensors bytes) straight to what a converted model stores: int4
// blocks with their scales (models/int4.ts) or IEEE half (models/float16.ts). Each gives exactly the bytes of
// the JavaScript code it stands in for, which stays as the path without the addon; test/unit/models/
// weight-codecs.test.ts holds every path this CPU can run (AVX-512, AVX2, portable) to that. On this machine's
// Xeon int4 of bf16 runs at ~1.1–1.5 billion values per CPU second with AVX-512, ~600 million with AVX2, against
// ~90 million for the JavaScript; half at ~2.5 billion. On an AMD EPYC (Zen 4), 32 MiB of bf16 from memory: 2.0–2.1
// and 0.9–1.0 billion with AVX-512 and AVX2 (1.7–1.9 and 0.8–0.9 before PackNibbles).
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "simd_paths.h"

namespace {

// The dtype codes models/weight-codecs.ts passes.
enum SourceType : uint32_t { kF32 = 0, kF16 = 1, kBF16 = 2 };

constexpr int kBlock = 32;  // INT4_BLOCK
constexpr int kZeroPoint = 8;

inline float FromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint32_t BitsOf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

// As halfBitsToFloat32Table: every NaN becomes the one quiet NaN JavaScript has.
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0) return FromBits(sign | BitsOf(static_cast<float>(mant) * 5.9604644775390625e-8f));  // mant·2⁻²⁴, exact
  if (exp == 0x1f) return mant ? FromBits(0x7fc00000u) : FromBits(sign | 0x7f800000u);
  return FromBits(sign | ((exp + 112) << 23) | (mant << 13));
}

size_t ElementBytes(SourceType type) { return type == kF32 ? 4 : 2; }

inline float Load(const uint8_t* src, SourceType type, size_t i) {
  if (type == kF32) {
    float f;
    std::memcpy(&f, src + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, src + 2 * i, 2);
  return type == kBF16 ? FromBits(static_cast<uint32_t>(h) << 16) : HalfToFloat(h);
}

// float32ToHalfBits: round to nearest even, overflow to ±inf, NaN kept quiet with its sign.
inline uint16_t FloatToHalf(float value) {
  const uint32_t x = BitsOf(value);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int32_t exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const int32_t e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const int32_t shift = 14 - e;
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return sign | half;
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
  return sign | half;
}

// Math.min(15, Math.max(0, Math.round(x) + 8)) with JavaScript's rounding (halves toward +∞) and its NaN, which
// the packing's `|` turns into 0. Rounding is monotone, so clamping x to [−8, 7] first gives the same integer,
// and a NaN clamps to −8. y − floor(y) is exact for |y| ≤ 8.
inline uint8_t Nibble(double x) {
  const double y = x > -8 ? (x < 7 ? x : 7) : -8;
  const double floor = std::floor(y);
  return static_cast<uint8_t>(floor + (y - floor >= 0.5 ? 1 : 0) + kZeroPoint);
}

// quantizeInt4Rows' choice, given the block's largest magnitude: the first value of that magnitude (NaN never
// is) maps to q = 0; an all-zero block gets scale −0 and every q = 8.
inline void BlockScale(const float* v, float amax, float* scale, double* inv) {
  float vmax = 0;
  if (amax > 0) {
    for (int j = 0; j < kBlock; j++) {
      if (std::fabs(v[j]) == amax) {
        vmax = v[j];
        break;
      }
    }
  }
  *scale = static_cast<float>(static_cast<double>(vmax) / -kZeroPoint);
  *inv = *scale == 0 ? 0 : 1 / static_cast<double>(*scale);
}

void QuantizePortable(const uint8_t* in, SourceType type, size_t blocks, uint8_t* out, float* scales) {
  float v[kBlock];
  for (size_t b = 0; b < blocks; b++) {
    float amax = 0;
    for (int j = 0; j < kBlock; j++) {
      v[j] = Load(in, type, b * kBlock + j);
      amax = std::fabs(v[j]) > amax ? std::fabs(v[j]) : amax;
    }
    double inv;
    BlockScale(v, amax, scales + b, &inv);
    uint8_t* packed = out + b * (kBlock / 2);
    for (int j = 0; j < kBlock; j += 2) packed[j / 2] = Nibble(v[j] * inv) | (Nibble(v[j + 1] * inv) << 4);
  }
}

void ToFloat16Portable(const uint8_t* in, SourceType type, size_t values, uint16_t* out) {
  for (size_t i = 0; i < values; i++) out[i] = FloatToHalf(Load(in, type, i));
}

#if QUIRE_SIMD_X86
__attribute__((target("avx2"))) inline __m256 LoadBf16x8(const uint8_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
}

// A block's 32 q (at most 15; a negative one, or a NaN's INT_MIN, stands for 0), eight to a vector in order, as 16
// bytes of two nibbles. Narrowed to bytes (negatives to 0), which the packs leave in 4-byte runs interleaved across
// the 128-bit halves (put back in order by one dword permute); then each even q plus 16 times the odd one beside
// it (maddubs), narrowed again.
__attribute__((target("avx2"))) inline void PackNibbles(const __m256i q8[4], uint8_t* packed) {
  const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(_mm256_packs_epi32(q8[0], q8[1]), _mm256_packs_epi32(q8[2], q8[3])),
                                                    _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  const __m256i pairs = _mm256_maddubs_epi16(bytes, _mm256_set1_epi16(0x1001));
  const __m256i narrowed = _mm256_permute4x64_epi64(_mm256_packus_epi16(pairs, pairs), 0x08);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(packed), _mm256_castsi256_si128(narrowed));
}

// The portable arithmetic four doubles at a time: x·inv in double as JavaScript computes it, clamped to 7
// (min_pd(hi, ·) keeps a NaN), floor, and the half compared as in Nibble. Nothing clamps at −8: below it, and a NaN
// (which converts to INT_MIN), give q ≤ 0, which the unsigned narrowing to bytes makes 0.
__attribute__((target("avx2"))) void QuantizeAvx2(const uint8_t* in, SourceType type, size_t blocks, uint8_t* out, float* scales) {
  const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256d hi = _mm256_set1_pd(7), one = _mm256_set1_pd(1), half = _mm256_set1_pd(0.5), zeroPoint = _mm256_set1_pd(kZeroPoint);
  alignas(32) float v[kBlock];
  for (size_t b = 0; b < blocks; b++) {
    const size_t first = b * kBlock;
    __m256 x[4];
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < 4; j++) {
      if (type == kBF16) {
        x[j] = LoadBf16x8(in + 2 * (first + 8 * j));
      } else if (type == kF32) {
        x[j] = _mm256_loadu_ps(reinterpret_cast<const float*>(in + 4 * (first + 8 * j)));
      } else {
        for (int i = 0; i < 8; i++) v[8 * j + i] = Load(in, type, first + 8 * j + i);
        x[j] = _mm256_load_ps(v + 8 * j);
      }
      m = _mm256_max_ps(_mm256_and_ps(x[j], absMask), m);
    }
    // The largest magnitude in every lane, then the first value that has it.
    m = _mm256_max_ps(m, _mm256_permute2f128_ps(m, m, 1));
    m = _mm256_max_ps(m, _mm256_permute_ps(m, 0x4e));
    m = _mm256_max_ps(m, _mm256_permute_ps(m, 0xb1));
    const float amax = _mm256_cvtss_f32(m);
    float vmax = 0;
    if (amax > 0) {
      uint32_t hits = 0;
      for (int j = 0; j < 4; j++) hits |= static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(x[j], absMask), m, _CMP_EQ_OQ))) << (8 * j);
      const int at = __builtin_ctz(hits);
      vmax = _mm256_cvtss_f32(_mm256_permutevar8x32_ps(x[at / 8], _mm256_set1_epi32(at % 8)));
    }
    const float scale = static_cast<float>(static_cast<double>(vmax) / -kZeroPoint);
    scales[b] = scale;
    const __m256d scaleInv = _mm256_set1_pd(scale == 0 ? 0 : 1 / static_cast<double>(scale));
    __m256i q8[4];
    for (int j = 0; j < 4; j++) {
      __m128i q[2];
      for (int h = 0; h < 2; h++) {
        const __m256d d = _mm256_mul_pd(_mm256_cvtps_pd(h ? _mm256_extractf128_ps(x[j], 1) : _mm256_castps256_ps128(x[j])), scaleInv);
        const __m256d y = _mm256_min_pd(hi, d);
        const __m256d floor = _mm256_round_pd(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        const __m256d up = _mm256_and_pd(_mm256_cmp_pd(_mm256_sub_pd(y, floor), half, _CMP_GE_OQ), one);
        q[h] = _mm256_cvttpd_epi32(_mm256_add_pd(_mm256_add_pd(floor, up), zeroPoint));
      }
      q8[j] = _mm256_set_m128i(q[1], q[0]);
    }
    PackNibbles(q8, out + b * (kBlock / 2));
  }
}

// A block's 32 values as two vectors of 16 floats. A half's NaN payload survives vcvtph2ps, unlike HalfToFloat,
// but every NaN quantizes alike.
__attribute__((target("avx512f"))) inline void LoadBlock(const uint8_t* p, SourceType type, __m512 x[2]) {
  for (int h = 0; h < 2; h++) {
    if (type == kF32) {
      x[h] = _mm512_loadu_ps(p + 64 * h);
    } else {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * h));
      x[h] = type == kBF16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16)) : _mm512_cvtph_ps(v);
    }
  }
}

// QuantizeAvx2's arithmetic on a whole block at once: the doubles eight to a vector, Nibble's rounding in two
// instructions, and the nibbles packed as QuantizeAvx2 packs them.
__attribute__((target("avx512f"))) void QuantizeAvx512(const uint8_t* in, SourceType type, size_t blocks, uint8_t* out, float* scales) {
  constexpr int kDown = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
  const __m512d hi = _mm512_set1_pd(7), offset = _mm512_set1_pd(kZeroPoint + 0.5);
  const __m512i signBit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const size_t blockBytes = kBlock * ElementBytes(type);
  for (size_t b = 0; b < blocks; b++) {
    __m512 x[2];
    LoadBlock(in + b * blockBytes, type, x);
    const __m512 a0 = _mm512_abs_ps(x[0]), a1 = _mm512_abs_ps(x[1]);
    // max_ps hands back its second operand for a NaN: NaNs drop out as in BlockScale.
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a1, _mm512_max_ps(a0, _mm512_setzero_ps())));
    // BlockScale's first value of that magnitude: the magnitude with that value's sign.
    float vmax = 0;
    if (amax > 0) {
      const __m512 m = _mm512_set1_ps(amax);
      const uint32_t hits = _mm512_cmpeq_ps_mask(a0, m) | static_cast<uint32_t>(_mm512_cmpeq_ps_mask(a1, m)) << 16;
      const uint32_t negative = _mm512_test_epi32_mask(_mm512_castps_si512(x[0]), signBit) |
                                static_cast<uint32_t>(_mm512_test_epi32_mask(_mm512_castps_si512(x[1]), signBit)) << 16;
      vmax = (negative >> __builtin_ctz(hits)) & 1 ? -amax : amax;
    }
    const float scale = static_cast<float>(static_cast<double>(vmax) / -kZeroPoint);
    scales[b] = scale;
    const __m512d scaleInv = _mm512_set1_pd(scale == 0 ? 0 : 1 / static_cast<double>(scale));
    const __m256 eights[4] = {_mm512_castps512_ps256(x[0]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x[0]), 1)),
                              _mm512_castps512_ps256(x[1]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x[1]), 1))};
    __m256i q[4];
    for (int j = 0; j < 4; j++) {
      // Nibble's floor(y) + (y − floor(y) ≥ 0.5) + 8 is floor(y + 8.5), and y + 8.5 rounded down has that same
      // floor (the integer at or below the exact sum is at or below its rounded-down value too). min_pd(hi, ·)
      // keeps a NaN, which converts to INT_MIN as −∞ and anything far below −8 do; the packing makes them 0.
      const __m512d y = _mm512_min_pd(hi, _mm512_mul_pd(_mm512_cvtps_pd(eights[j]), scaleInv));
      q[j] = _mm512_cvt_roundpd_epi32(_mm512_add_round_pd(y, offset, kDown), kDown);
    }
    PackNibbles(q, out + b * (kBlock / 2));
  }
}

// F16C rounds to nearest even and overflows to ±inf as FloatToHalf does; a NaN is then set to FloatToHalf's
// quiet NaN with its sign (F16C would keep payload bits). F16 sources go the portable way (they are rare).
__attribute__((target("avx2,f16c"))) void ToFloat16Avx2(const uint8_t* in, SourceType type, size_t values, uint16_t* out) {
  size_t i = 0;
  if (type != kF16) {
    const __m128i quiet = _mm_set1_epi16(0x7e00);
    const __m256i signBit = _mm256_set1_epi32(static_cast<int>(0x80000000u));
    for (; i + 8 <= values; i += 8) {
      const __m256 x = type == kBF16 ? LoadBf16x8(in + 2 * i) : _mm256_loadu_ps(reinterpret_cast<const float*>(in + 4 * i));
      __m128i h = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
      if (!_mm256_testz_si256(nan, nan)) {
        const __m128i nan16 = _mm_packs_epi32(_mm256_castsi256_si128(nan), _mm256_extracti128_si256(nan, 1));
        const __m256i sign32 = _mm256_srli_epi32(_mm256_and_si256(_mm256_castps_si256(x), signBit), 16);
        const __m128i sign16 = _mm_packus_epi32(_mm256_castsi256_si128(sign32), _mm256_extracti128_si256(sign32, 1));
        h = _mm_blendv_epi8(h, _mm_or_si128(sign16, quiet), nan16);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
  }
  ToFloat16Portable(in + i * ElementBytes(type), type, values - i, out + i);
}

#endif

using Path = quire::SimdPath;

Path PathArg(const Napi::CallbackInfo& info, size_t i) { return quire::SimdPathArg(info, i, "codec"); }

SourceType TypeArg(const Napi::CallbackInfo& info, size_t i) {
  const uint32_t type = info[i].As<Napi::Number>().Uint32Value();
  if (type > kBF16) throw Napi::RangeError::New(info.Env(), "unknown source type");
  return static_cast<SourceType>(type);
}

// quantizeInt4(src: Uint8Array, type, rows, k, packed: Uint8Array, scales: Float32Array, path?: string)
Napi::Value QuantizeInt4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto src = info[0].As<Napi::Uint8Array>();
  const SourceType type = TypeArg(info, 1);
  const size_t rows = info[2].As<Napi::Number>().Int64Value();
  const size_t k = info[3].As<Napi::Number>().Int64Value();
  auto packed = info[4].As<Napi::Uint8Array>();
  auto scales = info[5].As<Napi::Float32Array>();
  const size_t values = rows * k;
  if (k % kBlock != 0 || src.ByteLength() < values * ElementBytes(type) || packed.ByteLength() < values / 2 || scales.ElementLength() < values / kBlock) {
    throw Napi::RangeError::New(env, "quantizeInt4: buffers do not fit rows x k");
  }
  const Path path = PathArg(info, 6);
#if QUIRE_SIMD_X86
  if (path == Path::kAvx512) {
    QuantizeAvx512(src.Data(), type, values / kBlock, packed.Data(), scales.Data());
    return env.Undefined();
  }
  if (path == Path::kAvx2) {
    QuantizeAvx2(src.Data(), type, values / kBlock, packed.Data(), scales.Data());
    return env.Undefined();
  }
#endif
  QuantizePortable(src.Data(), type, values / kBlock, packed.Data(), scales.Data());
  return env.Undefined();
}

// toFloat16(src: Uint8Array, type, dst: Uint16Array, path?: string): float32ToHalf of the source's values.
Napi::Value ToFloat16(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto src = info[0].As<Napi::Uint8Array>();
  const SourceType type = TypeArg(info, 1);
  auto dst = info[2].As<Napi::Uint16Array>();
  const size_t values = dst.ElementLength();
  if (src.ByteLength() < values * ElementBytes(type)) throw Napi::RangeError::New(env, "toFloat16: source shorter than destination");
  // F16C's eight at a time already outruns the disk: the AVX-512 path converts half with the AVX2 code.
  const Path path = PathArg(info, 3);
#if QUIRE_SIMD_X86
  if (path != Path::kPortable) {
    ToFloat16Avx2(src.Data(), type, values, dst.Data());
    return env.Undefined();
  }
#endif
  ToFloat16Portable(src.Data(), type, values, dst.Data());
  return env.Undefined();
}

}  // namespace

void RegisterWeightCodecs(Napi::Env env, Napi::Object exports) {
  exports.Set("quantizeInt4", Napi::Function::New(env, QuantizeInt4));
  exports.Set("toFloat16", Napi::Function::New(env, ToFloat16));
  exports.Set("codecPaths", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return quire::SimdPaths(info.Env()); }));
}
