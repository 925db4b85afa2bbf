import FuzzTargets

// libFuzzer entry point (built with -sanitize=fuzzer,address by scripts/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.libFuzzerEntry(TranscriptFuzzTarget.self, data, size)
}
