import Inference

/// Model files: the mapped GGUF reader, the byte-offset field map, and what is read from a
/// model's metadata (LlamaConfig, tokenizer, fingerprint).
public enum GGUFReaderFuzzTarget: FuzzTarget {
    public static let name = "gguf"

    public static func run(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        func fail(_ message: String) -> FuzzPropertyViolation { FuzzPropertyViolation(name, message) }

        let fieldMap = try? GGUFFieldMap(bytes: input)
        try FuzzInputFile.with(input) { path throws(FuzzPropertyViolation) in
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch {
                // Refusals must say something (the CLI prints them as they are).
                if "\(error)".isEmpty { throw fail("empty message for a refused file") }
                return
            }
            try check(file, fieldMap: fieldMap, inputCount: input.count, fail: fail)
        }
    }

    static func check(_ file: GGUFFile, fieldMap: GGUFFieldMap?, inputCount: Int,
                      fail: (String) -> FuzzPropertyViolation) throws(FuzzPropertyViolation) {
        guard file.fileSize == inputCount else { throw fail("fileSize \(file.fileSize) != input \(inputCount)") }
        guard file.metadataKeys.count == file.metadata.count,
              Set(file.metadataKeys) == Set(file.metadata.keys) else {
            throw fail("metadataKeys disagree with metadata")
        }
        // Every typed accessor on every key: none may trap on any value shape.
        var touched = 0
        for key in file.metadataKeys {
            touched &+= file.string(key)?.utf8.count ?? 0
            touched &+= file.int(key) ?? 0
            touched &+= file.float(key).map { $0.isFinite ? 1 : 2 } ?? 0
            touched &+= file.bool(key) == true ? 1 : 0
            touched &+= file.stringArray(key)?.count ?? 0
            touched &+= file.floatArray(key)?.count ?? 0
            touched &+= file.intArray(key)?.count ?? 0
            if let v = file.metadata[key] { touched &+= v.summary.utf8.count &+ v.typeName.utf8.count }
        }
        // Every tensor's bytes lie in the file; reading all of them proves it under ASan.
        for t in file.tensors {
            guard file.tensor(named: t.name)?.offset == t.offset else { throw fail("tensor(named: \(t.name)) disagrees") }
            guard t.offset >= 0, t.byteCount >= 0, file.dataOffset + t.offset + t.byteCount <= file.fileSize else {
                throw fail("tensor \(t.name) at \(t.offset)+\(t.byteCount) outside the file")
            }
            guard t.dimensions.reduce(1, *) == t.elementCount else { throw fail("tensor \(t.name) element count") }
            let data = file.data(for: t)
            guard data.count == t.byteCount else { throw fail("data(for: \(t.name)) has \(data.count) bytes") }
            var sum: UInt8 = 0
            for b in data { sum &+= b }
            touched &+= Int(sum)
        }
        if let map = fieldMap {
            // Two readers of one format: where both accept a file they agree on its tables.
            guard map.tensors.map(\.name) == file.tensors.map(\.name), map.metadata.map(\.key) == file.metadataKeys else {
                throw fail("GGUFFieldMap and GGUFFile disagree on the tables")
            }
        }
        _ = ModelFingerprint(file: file).description
        if let config = try? LlamaConfig(file: file) {
            touched &+= config.dim &+ config.vocabSize
        }
        if let tokenizer = try? Tokenizer(gguf: file) {
            // A tokenizer built from hostile metadata still encodes and decodes without trapping.
            let ids = tokenizer.encode("Hello, world! <|im_end|> ünïcödé 123", addSpecial: true, parseSpecial: true)
            touched &+= tokenizer.decode(ids, renderSpecial: true).utf8.count
            touched &+= tokenizer.encode(conversation: [ChatMessage(role: .user, content: "hi")]).count
            for id in ids.prefix(8) { touched &+= tokenizer.displayText(id).utf8.count }
        }
        if touched == Int.min { print(touched) }  // keeps the reads from being optimised away
    }
}
