import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif

// Built only by scripts/fuzz.sh (BITA_FUZZ=1, -sanitize=fuzzer,address). SwiftPM gives the
// executable its own main, so libFuzzer's driver is started from here rather than from
// libFuzzer's main.
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzer(_ argc: UnsafeMutablePointer<Int32>,
                  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                  _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

TranscriptFuzzTarget.prepare()
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runLibFuzzer(&argc, &argv) { data, size in FuzzTargets.libFuzzerEntry(TranscriptFuzzTarget.self, data, size) })
