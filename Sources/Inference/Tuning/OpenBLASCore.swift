import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which kernel set OpenBLAS uses. OpenBLAS picks one when the library loads, from the CPU
/// model; on CPUs it does not know (e.g. a virtual "Intel Xeon Processor" with AVX-512) it falls
/// back to "Prescott" (SSE3), about 9x slower for sgemm than "Cooperlake" on this project's
/// machine (measured: 15 vs 138 GFLOP/s, 192x1536x576, one thread). The choice can only be made
/// through the OPENBLAS_CORETYPE environment variable, read at load time, so a command that
/// wants the fast kernels sets it and re-executes itself.
public enum OpenBLASCore {
    public static let environmentKey = "OPENBLAS_CORETYPE"

    /// The kernel set in use (openblas_get_corename), nil if unknown.
    public static var current: String? {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_get_corename") else { return nil }
        let f = unsafeBitCast(sym, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
        return f().map { String(cString: $0) }
    }

    /// The fastest kernel set this CPU can run, from /proc/cpuinfo flags: Cooperlake (AVX-512
    /// with BF16), SkylakeX (AVX-512), Haswell (AVX2 + FMA), or nil.
    public static var preferred: String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return preferred(flags: Set(line.split(separator: " ").map(String.init)))
    }

    static func preferred(flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The kernel set to ask for when OpenBLAS runs a slower one than the CPU supports and the
    /// user has not chosen one (no OPENBLAS_CORETYPE in the environment); nil otherwise.
    public static var recommendedOverride: String? {
        guard ProcessInfo.processInfo.environment[environmentKey] == nil,
              let want = preferred, let have = current, have.lowercased() != want.lowercased() else { return nil }
        // Only override the generic fallbacks, never a model-specific choice OpenBLAS made.
        let generic = ["prescott", "core2", "nehalem", "sandybridge", "katmai", "northwood", "banias"]
        return generic.contains(have.lowercased()) ? want : nil
    }
}
