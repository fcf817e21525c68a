// BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs), default hash mode with a 32-byte digest: the per-tensor
// hash of a checkpoint's bytes behind a converted model's source checksum (models/safetensors.ts), which sha256
// made the converter's largest CPU cost. Inputs that span many chunks are hashed 16 chunks at a time (AVX-512)
// or 8 (AVX2), whole subtrees at once with their parent nodes hashed the same way; the portable path is the
// spec's compression function one block at a time. models/blake3.ts is the same hash in TypeScript, for where
// the addon is absent; test/unit/models/blake3.test.ts holds every path to the published test vectors.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "simd_paths.h"

namespace {

using quire::SimdPath;

constexpr uint32_t kIV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
constexpr uint32_t kChunkStart = 1, kChunkEnd = 2, kParent = 4, kRoot = 8;
constexpr size_t kBlockLen = 64, kChunkLen = 1024, kCvLen = 32;
// Chunks hashed as one subtree when that much input lies ahead: enough that its last few parent levels, too
// narrow for the wide paths, cost little beside the chunks.
constexpr size_t kMaxSubtreeChunks = 256;

// Message word order of each of the 7 rounds: the spec's permutation applied once per round.
struct Schedule {
  uint8_t order[7][16];
  constexpr Schedule() : order() {
    constexpr uint8_t kPermutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
    for (int i = 0; i < 16; i++) order[0][i] = static_cast<uint8_t>(i);
    for (int r = 1; r < 7; r++) {
      for (int i = 0; i < 16; i++) order[r][i] = order[r - 1][kPermutation[i]];
    }
  }
};
constexpr Schedule kSchedule;

inline uint32_t LoadLE(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline void StoreLE(uint8_t* p, uint32_t w) {
  p[0] = static_cast<uint8_t>(w);
  p[1] = static_cast<uint8_t>(w >> 8);
  p[2] = static_cast<uint8_t>(w >> 16);
  p[3] = static_cast<uint8_t>(w >> 24);
}

inline uint32_t Add(uint32_t a, uint32_t b) { return a + b; }
inline uint32_t Xor(uint32_t a, uint32_t b) { return a ^ b; }
inline uint32_t Ror16(uint32_t x) { return x >> 16 | x << 16; }
inline uint32_t Ror12(uint32_t x) { return x >> 12 | x << 20; }
inline uint32_t Ror8(uint32_t x) { return x >> 8 | x << 24; }
inline uint32_t Ror7(uint32_t x) { return x >> 7 | x << 25; }

// The 7 rounds over state `v` and message `m` (arrays of 16 words, or of vectors holding a word of each lane),
// with whichever Add/Xor/Ror* overloads fit their type: a macro, so that each path's code is compiled for the
// instructions its function is built with.
#define QUIRE_BLAKE3_G(a, b, c, d, x, y)  \
  v[a] = Add(Add(v[a], v[b]), m[x]);      \
  v[d] = Ror16(Xor(v[d], v[a]));          \
  v[c] = Add(v[c], v[d]);                 \
  v[b] = Ror12(Xor(v[b], v[c]));          \
  v[a] = Add(Add(v[a], v[b]), m[y]);      \
  v[d] = Ror8(Xor(v[d], v[a]));           \
  v[c] = Add(v[c], v[d]);                 \
  v[b] = Ror7(Xor(v[b], v[c]));
#define QUIRE_BLAKE3_ROUND(r)                                                 \
  QUIRE_BLAKE3_G(0, 4, 8, 12, kSchedule.order[r][0], kSchedule.order[r][1])   \
  QUIRE_BLAKE3_G(1, 5, 9, 13, kSchedule.order[r][2], kSchedule.order[r][3])   \
  QUIRE_BLAKE3_G(2, 6, 10, 14, kSchedule.order[r][4], kSchedule.order[r][5])  \
  QUIRE_BLAKE3_G(3, 7, 11, 15, kSchedule.order[r][6], kSchedule.order[r][7])  \
  QUIRE_BLAKE3_G(0, 5, 10, 15, kSchedule.order[r][8], kSchedule.order[r][9])  \
  QUIRE_BLAKE3_G(1, 6, 11, 12, kSchedule.order[r][10], kSchedule.order[r][11]) \
  QUIRE_BLAKE3_G(2, 7, 8, 13, kSchedule.order[r][12], kSchedule.order[r][13])  \
  QUIRE_BLAKE3_G(3, 4, 9, 14, kSchedule.order[r][14], kSchedule.order[r][15])
// Spelled out, so that every message index is a constant and the message stays in registers.
#define QUIRE_BLAKE3_ROUNDS() \
  QUIRE_BLAKE3_ROUND(0) QUIRE_BLAKE3_ROUND(1) QUIRE_BLAKE3_ROUND(2) QUIRE_BLAKE3_ROUND(3) QUIRE_BLAKE3_ROUND(4) QUIRE_BLAKE3_ROUND(5) QUIRE_BLAKE3_ROUND(6)

// The compression function, truncated to the 8 words a chaining value or a 32-byte digest needs.
void Compress(uint32_t cv[8], const uint8_t block[kBlockLen], uint32_t blockLen, uint64_t counter, uint32_t flags) {
  uint32_t m[16], v[16];
  for (int i = 0; i < 16; i++) m[i] = LoadLE(block + 4 * i);
  for (int i = 0; i < 8; i++) v[i] = cv[i];
  for (int i = 0; i < 4; i++) v[8 + i] = kIV[i];
  v[12] = static_cast<uint32_t>(counter);
  v[13] = static_cast<uint32_t>(counter >> 32);
  v[14] = blockLen;
  v[15] = flags;
  QUIRE_BLAKE3_ROUNDS()
  for (int i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

// One input of `blocks` full blocks to its chaining value.
void HashOne(const uint8_t* in, size_t blocks, uint64_t counter, uint32_t flags, uint32_t flagsStart, uint32_t flagsEnd, uint8_t out[kCvLen]) {
  uint32_t cv[8];
  std::memcpy(cv, kIV, sizeof cv);
  for (size_t b = 0; b < blocks; b++) {
    Compress(cv, in + b * kBlockLen, kBlockLen, counter, flags | (b == 0 ? flagsStart : 0) | (b + 1 == blocks ? flagsEnd : 0));
  }
  for (int i = 0; i < 8; i++) StoreLE(out + 4 * i, cv[i]);
}

#if QUIRE_SIMD_X86

// Eight inputs at a time, one per 32-bit lane of a ymm register.
__attribute__((target("avx2"))) inline __m256i Add(__m256i a, __m256i b) { return _mm256_add_epi32(a, b); }
__attribute__((target("avx2"))) inline __m256i Xor(__m256i a, __m256i b) { return _mm256_xor_si256(a, b); }
__attribute__((target("avx2"))) inline __m256i Ror16(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
__attribute__((target("avx2"))) inline __m256i Ror12(__m256i x) { return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20)); }
__attribute__((target("avx2"))) inline __m256i Ror8(__m256i x) {
  return _mm256_shuffle_epi8(x, _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
__attribute__((target("avx2"))) inline __m256i Ror7(__m256i x) { return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25)); }

// Rows r[k] (8 words of input k) to columns: r[j] then holds word j of every input.
__attribute__((target("avx2"), always_inline)) inline void Transpose8(__m256i r[8]) {
  __m256i t[8], u[8];
  for (int k = 0; k < 4; k++) {
    t[2 * k] = _mm256_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm256_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
  }
  for (int g = 0; g < 2; g++) {
    u[4 * g] = _mm256_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm256_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm256_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm256_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  // u[j] holds words j (low half) and j + 4 (high half) of inputs 0-3; u[4 + j] the same of inputs 4-7.
  for (int j = 0; j < 4; j++) {
    r[j] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x20);
    r[j + 4] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x31);
  }
}

__attribute__((target("avx2"))) void Hash8(const uint8_t* in, size_t stride, size_t blocks, uint64_t counter, bool increment,
                                           uint32_t flags, uint32_t flagsStart, uint32_t flagsEnd, uint8_t* out) {
  // Input i's counter is counter + i (chunks) or counter (parents), its high word carrying.
  const __m256i lanes = increment ? _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7) : _mm256_setzero_si256();
  const __m256i counterLow = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(counter)), lanes);
  // Unsigned low < lanes: the addition wrapped.
  const __m256i sign = _mm256_set1_epi32(INT32_MIN);
  const __m256i carry = _mm256_cmpgt_epi32(_mm256_xor_si256(lanes, sign), _mm256_xor_si256(counterLow, sign));
  const __m256i counterHigh = _mm256_sub_epi32(_mm256_set1_epi32(static_cast<int32_t>(counter >> 32)), carry);
  __m256i h[8];
  for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32(static_cast<int32_t>(kIV[i]));
  for (size_t b = 0; b < blocks; b++) {
    __m256i m[16], v[16];
    for (int half = 0; half < 2; half++) {
      for (int k = 0; k < 8; k++) {
        _mm_prefetch(reinterpret_cast<const char*>(in + k * stride + (b + 4) * kBlockLen + 32 * half), _MM_HINT_T0);
        m[8 * half + k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + k * stride + b * kBlockLen + 32 * half));
      }
      Transpose8(m + 8 * half);
    }
    for (int i = 0; i < 8; i++) v[i] = h[i];
    for (int i = 0; i < 4; i++) v[8 + i] = _mm256_set1_epi32(static_cast<int32_t>(kIV[i]));
    v[12] = counterLow;
    v[13] = counterHigh;
    v[14] = _mm256_set1_epi32(kBlockLen);
    v[15] = _mm256_set1_epi32(static_cast<int32_t>(flags | (b == 0 ? flagsStart : 0) | (b + 1 == blocks ? flagsEnd : 0)));
    QUIRE_BLAKE3_ROUNDS()
    for (int i = 0; i < 8; i++) h[i] = _mm256_xor_si256(v[i], v[i + 8]);
  }
  // Columns back to rows: h[k] becomes input k's chaining value.
  Transpose8(h);
  for (int k = 0; k < 8; k++) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k * kCvLen), h[k]);
}

// Sixteen inputs at a time, one per 32-bit lane of a zmm register.
__attribute__((target("avx512f"))) inline __m512i Add(__m512i a, __m512i b) { return _mm512_add_epi32(a, b); }
__attribute__((target("avx512f"))) inline __m512i Xor(__m512i a, __m512i b) { return _mm512_xor_si512(a, b); }
__attribute__((target("avx512f"))) inline __m512i Ror16(__m512i x) { return _mm512_ror_epi32(x, 16); }
__attribute__((target("avx512f"))) inline __m512i Ror12(__m512i x) { return _mm512_ror_epi32(x, 12); }
__attribute__((target("avx512f"))) inline __m512i Ror8(__m512i x) { return _mm512_ror_epi32(x, 8); }
__attribute__((target("avx512f"))) inline __m512i Ror7(__m512i x) { return _mm512_ror_epi32(x, 7); }

// Rows r[k] (16 words of input k) to columns: r[j] then holds word j of every input.
__attribute__((target("avx512f"), always_inline)) inline void Transpose16(__m512i r[16]) {
  __m512i t[16], u[16];
  for (int k = 0; k < 8; k++) {
    t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
  }
  for (int g = 0; g < 4; g++) {
    u[4 * g] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  // u[4g + j]'s 128-bit lane q holds word 4q + j of inputs 4g..4g+3: a 4x4 transpose of 128-bit lanes is left.
  for (int j = 0; j < 4; j++) {
    const __m512i ab01 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44), ab23 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
    const __m512i cd01 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44), cd23 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
    r[j] = _mm512_shuffle_i32x4(ab01, cd01, 0x88);
    r[4 + j] = _mm512_shuffle_i32x4(ab01, cd01, 0xDD);
    r[8 + j] = _mm512_shuffle_i32x4(ab23, cd23, 0x88);
    r[12 + j] = _mm512_shuffle_i32x4(ab23, cd23, 0xDD);
  }
}

__attribute__((target("avx512f"))) void Hash16(const uint8_t* in, size_t stride, size_t blocks, uint64_t counter, bool increment,
                                               uint32_t flags, uint32_t flagsStart, uint32_t flagsEnd, uint8_t* out) {
  const __m512i lanes = increment ? _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) : _mm512_setzero_si512();
  const __m512i counterLow = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(counter)), lanes);
  const __mmask16 carry = _mm512_cmplt_epu32_mask(counterLow, lanes);
  const __m512i high = _mm512_set1_epi32(static_cast<int32_t>(counter >> 32));
  const __m512i counterHigh = _mm512_mask_add_epi32(high, carry, high, _mm512_set1_epi32(1));
  __m512i h[16];
  for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32(static_cast<int32_t>(kIV[i]));
  for (size_t b = 0; b < blocks; b++) {
    __m512i m[16], v[16];
    // Sixteen streams 1 KiB apart outrun the hardware prefetcher: each lane asks for its bytes 256 ahead (from
    // memory, 2.9 GB/s without, 3.4 with).
    for (int k = 0; k < 16; k++) {
      _mm_prefetch(reinterpret_cast<const char*>(in + k * stride + (b + 4) * kBlockLen), _MM_HINT_T0);
      m[k] = _mm512_loadu_si512(in + k * stride + b * kBlockLen);
    }
    Transpose16(m);
    for (int i = 0; i < 8; i++) v[i] = h[i];
    for (int i = 0; i < 4; i++) v[8 + i] = _mm512_set1_epi32(static_cast<int32_t>(kIV[i]));
    v[12] = counterLow;
    v[13] = counterHigh;
    v[14] = _mm512_set1_epi32(kBlockLen);
    v[15] = _mm512_set1_epi32(static_cast<int32_t>(flags | (b == 0 ? flagsStart : 0) | (b + 1 == blocks ? flagsEnd : 0)));
    QUIRE_BLAKE3_ROUNDS()
    for (int i = 0; i < 8; i++) h[i] = _mm512_xor_si512(v[i], v[i + 8]);
  }
  // Columns back to rows: after the transpose, input k's chaining value is the low half of h[k] (the upper
  // eight columns were zero).
  for (int i = 8; i < 16; i++) h[i] = _mm512_setzero_si512();
  Transpose16(h);
  for (int k = 0; k < 16; k++) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k * kCvLen), _mm512_castsi512_si256(h[k]));
}

#endif  // QUIRE_SIMD_X86

// `n` inputs of `blocks` full blocks each, `stride` bytes apart, to their chaining values (32 bytes each, in
// order, at `out`); input i's counter is counter + i where `increment` (chunks), else counter (parents).
// `out` may overlap inputs already passed (parents written over their children).
void HashMany(SimdPath path, const uint8_t* in, size_t n, size_t stride, size_t blocks, uint64_t counter, bool increment,
              uint32_t flags, uint32_t flagsStart, uint32_t flagsEnd, uint8_t* out) {
#if QUIRE_SIMD_X86
  for (; path == SimdPath::kAvx512 && n >= 16; n -= 16, in += 16 * stride, out += 16 * kCvLen, counter += increment ? 16 : 0) {
    Hash16(in, stride, blocks, counter, increment, flags, flagsStart, flagsEnd, out);
  }
  for (; path != SimdPath::kPortable && n >= 8; n -= 8, in += 8 * stride, out += 8 * kCvLen, counter += increment ? 8 : 0) {
    Hash8(in, stride, blocks, counter, increment, flags, flagsStart, flagsEnd, out);
  }
#endif
  for (; n > 0; n--, in += stride, out += kCvLen, counter += increment ? 1 : 0) {
    uint8_t cv[kCvLen];
    HashOne(in, blocks, counter, flags, flagsStart, flagsEnd, cv);
    std::memcpy(out, cv, kCvLen);
  }
}

// A compression not yet done: the last block of a chunk, or a parent node, which becomes a chaining value or,
// flagged ROOT, the digest.
struct Output {
  uint32_t cv[8];
  uint8_t block[kBlockLen];
  uint32_t blockLen;
  uint64_t counter;
  uint32_t flags;

  void Finish(uint32_t extraFlags, uint8_t out[kCvLen]) const {
    uint32_t words[8];
    std::memcpy(words, cv, sizeof words);
    Compress(words, block, blockLen, counter, flags | extraFlags);
    for (int i = 0; i < 8; i++) StoreLE(out + 4 * i, words[i]);
  }
};

Output ParentOutput(const uint8_t left[kCvLen], const uint8_t right[kCvLen]) {
  Output o;
  std::memcpy(o.cv, kIV, sizeof o.cv);
  std::memcpy(o.block, left, kCvLen);
  std::memcpy(o.block + kCvLen, right, kCvLen);
  o.blockLen = kBlockLen;
  o.counter = 0;
  o.flags = kParent;
  return o;
}

class Blake3 {
 public:
  explicit Blake3(SimdPath path) : path_(path) { ResetChunk(); }

  void Update(const uint8_t* in, size_t n) {
    while (n > 0) {
      // A full chunk with more input after it: not the root, so its chaining value joins the tree.
      if (chunkLen_ == kChunkLen) {
        uint8_t cv[kCvLen];
        ChunkOutput().Finish(0, cv);
        Push(cv, 1);
      }
      if (chunkLen_ == 0 && n > kChunkLen) {
        // A subtree as large as the input after it allows and the chunk count so far aligns to.
        size_t size = 1;
        while (size * 2 <= kMaxSubtreeChunks && size * 2 * kChunkLen < n && chunks_ % (size * 2) == 0) size *= 2;
        uint8_t cv[kCvLen];
        SubtreeCv(in, size, cv);
        Push(cv, size);
        in += size * kChunkLen;
        n -= size * kChunkLen;
        continue;
      }
      const size_t take = std::min(n, kChunkLen - chunkLen_);
      ChunkUpdate(in, take);
      in += take;
      n -= take;
    }
  }

  // The digest of everything passed to Update; the hasher is spent afterwards.
  void Digest(uint8_t out[kCvLen]) {
    MergeStack(chunks_);
    Output o = ChunkOutput();
    for (size_t i = stackLen_; i-- > 0;) {
      uint8_t cv[kCvLen];
      o.Finish(0, cv);
      o = ParentOutput(stack_[i], cv);
    }
    o.Finish(kRoot, out);
  }

 private:
  void ResetChunk() {
    std::memcpy(chunkCv_, kIV, sizeof chunkCv_);
    chunkLen_ = 0;
  }

  void ChunkUpdate(const uint8_t* in, size_t n) {
    while (n > 0) {
      const size_t inBlock = chunkLen_ % kBlockLen;
      // A full buffered block with more after it is not the chunk's last.
      if (inBlock == 0 && chunkLen_ > 0) {
        Compress(chunkCv_, block_, kBlockLen, chunks_, chunkLen_ == kBlockLen ? kChunkStart : 0);
      }
      const size_t take = std::min(n, kBlockLen - inBlock);
      std::memcpy(block_ + inBlock, in, take);
      chunkLen_ += take;
      in += take;
      n -= take;
    }
  }

  Output ChunkOutput() const {
    Output o;
    std::memcpy(o.cv, chunkCv_, sizeof o.cv);
    const size_t last = chunkLen_ == 0 ? 0 : (chunkLen_ - 1) % kBlockLen + 1;
    std::memset(o.block, 0, kBlockLen);
    std::memcpy(o.block, block_, last);
    o.blockLen = static_cast<uint32_t>(last);
    o.counter = chunks_;
    o.flags = kChunkEnd | (chunkLen_ <= kBlockLen ? kChunkStart : 0);
    return o;
  }

  void SubtreeCv(const uint8_t* in, size_t size, uint8_t out[kCvLen]) {
    HashMany(path_, in, size, kChunkLen, kChunkLen / kBlockLen, chunks_, true, 0, kChunkStart, kChunkEnd, subtree_);
    for (size_t n = size; n > 1; n /= 2) HashMany(path_, subtree_, n / 2, kBlockLen, 1, 0, false, kParent, 0, 0, subtree_);
    std::memcpy(out, subtree_, kCvLen);
  }

  // Joins the subtree of `size` chunks after those so far; merges only what a later input proves not the root.
  void Push(const uint8_t cv[kCvLen], size_t size) {
    MergeStack(chunks_);
    std::memcpy(stack_[stackLen_++], cv, kCvLen);
    chunks_ += size;
    ResetChunk();
  }

  // The tree of `total` chunks holds one complete subtree per bit set in `total`.
  void MergeStack(uint64_t total) {
    const size_t keep = static_cast<size_t>(__builtin_popcountll(total));
    while (stackLen_ > keep) {
      ParentOutput(stack_[stackLen_ - 2], stack_[stackLen_ - 1]).Finish(0, stack_[stackLen_ - 2]);
      stackLen_--;
    }
  }

  const SimdPath path_;
  uint32_t chunkCv_[8];
  uint8_t block_[kBlockLen];
  size_t chunkLen_ = 0;
  uint64_t chunks_ = 0;
  // One chaining value per level of a tree of up to 2^64 chunks, plus the one pushed before merging.
  uint8_t stack_[65][kCvLen];
  size_t stackLen_ = 0;
  uint8_t subtree_[kMaxSubtreeChunks * kCvLen];
};

// blake3Create(path?: string): a hasher, as an external the other two take.
Napi::Value Create(const Napi::CallbackInfo& info) {
  const SimdPath path = quire::SimdPathArg(info, 0, "blake3");
  return Napi::External<Blake3>::New(info.Env(), new Blake3(path), [](Napi::Env, Blake3* hasher) { delete hasher; });
}

Blake3* HasherArg(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "blake3: not a hasher");
  return info[0].As<Napi::External<Blake3>>().Data();
}

// blake3Update(hasher, bytes: Uint8Array)
Napi::Value Update(const Napi::CallbackInfo& info) {
  auto bytes = info[1].As<Napi::Uint8Array>();
  HasherArg(info)->Update(bytes.Data(), bytes.ByteLength());
  return info.Env().Undefined();
}

// blake3Digest(hasher): the 32-byte digest.
Napi::Value Digest(const Napi::CallbackInfo& info) {
  auto out = Napi::Buffer<uint8_t>::New(info.Env(), kCvLen);
  HasherArg(info)->Digest(out.Data());
  return out;
}

}  // namespace

void RegisterBlake3(Napi::Env env, Napi::Object exports) {
  exports.Set("blake3Create", Napi::Function::New(env, Create));
  exports.Set("blake3Update", Napi::Function::New(env, Update));
  exports.Set("blake3Digest", Napi::Function::New(env, Digest));
}
