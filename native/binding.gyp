{
  "variables": {
    "ort_headers": "<!(node -p \"require('path').join(require.resolve('com.github.asus4.onnxruntime/package.json'), '..', 'Plugins', 'iOS~', 'onnxruntime.xcframework', 'ios-arm64_x86_64-simulator', 'onnxruntime.framework', 'Headers')\")"
  },
  "targets": [
    {
      "target_name": "quire_ort",
      "sources": ["src/quire_ort.cc", "src/gpu_probe.cc", "src/weight_codecs.cc", "src/blake3.cc", "src/checkpoint_io.cc", "src/q4_gemm.cc", "src/q4_matmul_op.cc", "src/gqa_attention.cc", "src/gqa_op.cc", "src/cpu_ops.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")", "<(ort_headers)"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "ORT_API_MANUAL_INIT"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldl"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
    }
  ],
  "conditions": [
    ["OS=='linux'", {
      "targets": [
        {
          "target_name": "quire_vk_layer",
          "sources": ["src/vk_subgroup_guard.cc"],
          "cflags_cc": ["-std=c++17", "-O2"]
        }
      ]
    }]
  ]
}
