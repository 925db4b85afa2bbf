import Inference

/// BiTA adapter files (`*.bita.gguf`): the GGUF reader, then the adapter decoder and validator.
public enum AdapterReaderFuzzTarget: FuzzTarget {
    public static let name = "adapter"

    public static func run(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        func fail(_ message: String) -> FuzzPropertyViolation { FuzzPropertyViolation(name, message) }
        try FuzzInputFile.with(input) { path throws(FuzzPropertyViolation) in
            guard let file = try? GGUFFile(path: path) else { return }
            let adapter: BiTAAdapter
            do { adapter = try BiTAAdapter(file: file) } catch {
                if "\(error)".isEmpty { throw fail("empty message for a refused adapter") }
                return
            }
            // What the reader accepts is internally consistent and survives a write/read cycle.
            do { try adapter.validate(path: path) } catch { throw fail("accepted adapter fails validation: \(error)") }
            guard adapter.promptKeys.count == adapter.base.layerCount,
                  adapter.promptKeys.allSatisfy({ $0.count == adapter.promptCount * adapter.base.kvDim }),
                  adapter.maskEmbeddings.count == adapter.maskCount * adapter.base.dim else {
                throw fail("accepted adapter has arrays that disagree with its counts")
            }
            let image = adapter.gguf().serialized()
            try FuzzInputFile.with(image) { again throws(FuzzPropertyViolation) in
                let reread: BiTAAdapter
                do { reread = try BiTAAdapter(file: try GGUFFile(path: again)) } catch {
                    throw fail("re-serialised adapter is refused: \(error)")
                }
                // Training facts may hold NaN (never equal to itself): compare them by key.
                var a = adapter, b = reread
                guard Set(a.trainingInfo.keys) == Set(b.trainingInfo.keys) else { throw fail("training facts changed in a round trip") }
                a.trainingInfo = [:]; b.trainingInfo = [:]
                guard a == b else { throw fail("adapter changed in a write/read round trip") }
            }
        }
    }
}
