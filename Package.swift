// swift-tools-version: 6.1
import PackageDescription

// Release builds get `-target-cpu` from the Makefile (chosen from /proc/cpuinfo), not from here,
// so a plain `swift build` still produces a binary that runs on any x86-64 machine.
let package = Package(
    name: "bita-chat",
    products: [
        .executable(name: "bita-chat", targets: ["BiTAChat"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "TUI", targets: ["TUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System-library shims: a module map and a header each, nothing else.
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        // Int8 matmul kernels that need instructions Swift does not emit (AMX, AVX-512 VNNI,
        // AVX-VNNI, AVX2); each function carries its own target attribute and is chosen at run time.
        .target(name: "CKernels", path: "Sources/CKernels"),

        .target(
            name: "Inference",
            dependencies: ["COpenBLAS", "CKernels"]
        ),
        .target(
            name: "TUI",
            dependencies: ["CNCursesW", "Inference"]
        ),
        .executableTarget(
            name: "BiTAChat",
            dependencies: [
                "Inference", "TUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Fuzz harnesses (one per input format), shared by the libFuzzer executables and the
        // regression tests that replay committed inputs.
        .target(name: "FuzzTargets", dependencies: ["Inference", "TUI"]),

        .testTarget(name: "InferenceTests", dependencies: ["Inference", "FuzzTargets"]),
        .testTarget(name: "TUITests", dependencies: ["TUI", "Inference"]),
        .testTarget(name: "BiTAChatTests", dependencies: ["Inference"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer executables exist only in fuzz builds (scripts/fuzz.sh sets BITA_FUZZ=1 and builds them
// with -sanitize=fuzzer,address into .build-fuzz): they call libFuzzer's driver, which ordinary
// builds do not link.
if Context.environment["BITA_FUZZ"] == "1" {
    for name in ["FuzzGGUFReader", "FuzzAdapterReader", "FuzzTokenizer", "FuzzTranscript", "FuzzChatTemplate"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzTargets"], path: "Fuzz/\(name)"))
    }
}
