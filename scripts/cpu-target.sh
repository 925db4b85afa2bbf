#!/usr/bin/env bash
# Prints the LLVM -target-cpu for release builds, chosen from this machine's /proc/cpuinfo.
# The tiers are ones swiftc accepts and that Intel (Ice Lake and later) and AMD (Zen 4) both run:
#   AVX-512 with VNNI + BW + VL -> icelake-server (vpdpbusd available to C kernels, zmm in Swift)
#   AVX2 + FMA                  -> haswell
#   anything else               -> x86-64 (safe fallback)
# Override with BITA_TARGET_CPU=... (e.g. to build for another machine).
set -eu
if [ -n "${BITA_TARGET_CPU:-}" ]; then echo "$BITA_TARGET_CPU"; exit 0; fi
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { case " $flags " in *" $1 "*) return 0;; *) return 1;; esac; }
if [ "$(uname -m)" != "x86_64" ]; then echo "generic"; exit 0; fi
if has avx512_vnni && has avx512bw && has avx512vl && has avx512f; then echo icelake-server
elif has avx2 && has fma && has f16c; then echo haswell
else echo x86-64
fi
