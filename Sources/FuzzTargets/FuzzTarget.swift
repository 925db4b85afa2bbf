/// One input format under fuzzing. `run` feeds the bytes to the real reader and checks what
/// must hold for every input: hostile bytes may be refused with a typed error, never crash,
/// hang, read out of bounds or break a stated property (round trips, escaping).
///
/// The libFuzzer executables (Fuzz/<Name>/, built by scripts/fuzz.sh) call `run` once per
/// input; Tests/InferenceTests/FuzzRegressionTests.swift replays the committed inputs in
/// Tests/Data/fuzz/<name>/ through the same `run` on every `make test`.
public protocol FuzzTarget {
    /// Directory name of the target's corpus and regression inputs.
    static var name: String { get }
    /// Checks one input. A broken property throws; a refused input returns normally.
    static func run(_ input: [UInt8]) throws(FuzzPropertyViolation)
    /// Loads what `run` needs once (model vocabularies), before the fuzzer starts its clock:
    /// a slow first input would otherwise count as a hang.
    static func prepare()
}

extension FuzzTarget {
    public static func prepare() {}
}

/// A property that must hold for every input did not.
public struct FuzzPropertyViolation: Error, CustomStringConvertible {
    public var target: String
    public var message: String
    public var description: String { "\(target): \(message)" }

    public init(_ target: String, _ message: String) { self.target = target; self.message = message }
}

public enum FuzzTargets {
    public static var all: [any FuzzTarget.Type] { [
        GGUFReaderFuzzTarget.self, AdapterReaderFuzzTarget.self, TokenizerFuzzTarget.self,
        TranscriptFuzzTarget.self, ChatTemplateFuzzTarget.self]
    }

    public static var names: [String] { all.map { $0.name } }

    public static func named(_ name: String) -> (any FuzzTarget.Type)? { all.first { $0.name == name } }

    /// The libFuzzer entry: a violated property aborts so the fuzzer saves the input.
    public static func libFuzzerEntry(_ target: any FuzzTarget.Type, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do {
            try target.run(input)
        } catch {
            fatalError("\(error)")
        }
        return 0
    }
}
