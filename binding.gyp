{
  "targets": [
    {
      "target_name": "netlinkjs",
      "sources": [
        "native/addon.cc",
        "native/errno-error.cc",
        "native/netns-thread.cc",
        "native/netlink-socket.cc",
        "native/tap-device.cc",
        "native/frame-pump.cc",
        "native/netns-ops.cc",
        "native/ethtool-ioctl.cc",
        "native/bpf-obj.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldl"]
    },
    {
      "target_name": "netlinkjs-nsexec",
      "type": "executable",
      "sources": ["native/nsexec.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
