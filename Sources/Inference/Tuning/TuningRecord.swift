import Foundation

/// One self-generated training example: a chat-template-rendered prompt and the base model's own
/// greedy answer to it, as token ids. Stored one JSON object per line:
/// {"id": "...", "prompt_tokens": [...], "response_tokens": [...]}.
public struct TuningRecord: Codable, Sendable, Equatable {
    public var id: String
    public var promptTokens: [Int32]
    public var responseTokens: [Int32]

    public init(id: String, promptTokens: [Int32], responseTokens: [Int32]) {
        self.id = id
        self.promptTokens = promptTokens
        self.responseTokens = responseTokens
    }

    enum CodingKeys: String, CodingKey {
        case id
        case promptTokens = "prompt_tokens"
        case responseTokens = "response_tokens"
    }

    /// [prompt][response]: the sequence the masks are trained on.
    public var sequence: [Int32] { promptTokens + responseTokens }
}

/// Reading and appending the JSONL cache of tuning records.
public enum TuningDataFile {
    /// Reads every complete record. A final line without a newline (an interrupted append) is
    /// ignored; any other malformed line is an error naming its line number.
    public static func read(path: String) throws(TuningError) -> [TuningRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: "no such file or not readable")
        }
        var records: [TuningRecord] = []
        let decoder = JSONDecoder()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        for (i, line) in lines.enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            let isTruncatedTail = i == lines.count - 1 && !endsWithNewline
            do {
                records.append(try decoder.decode(TuningRecord.self, from: Data(line)))
            } catch {
                if isTruncatedTail { break }
                throw .badRecord(path: path, line: i + 1, reason: "\(error)")
            }
        }
        return records
    }

    /// Appends records as lines (creating the file), flushed to disk before returning, so a
    /// crash loses at most the line being written.
    public static func append(_ records: [TuningRecord], to path: String) throws(TuningError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = Data()
        for r in records {
            do { bytes.append(try encoder.encode(r)) } catch { throw .cannotWrite(path: path, reason: "\(error)") }
            bytes.append(UInt8(ascii: "\n"))
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw .cannotWrite(path: path, reason: "cannot create the file")
            }
        }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw .cannotWrite(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        do {
            // A previous run may have died mid-line: start on a fresh line.
            let end = try handle.seekToEnd()
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                if try handle.read(upToCount: 1)?.first != UInt8(ascii: "\n") { bytes.insert(UInt8(ascii: "\n"), at: 0) }
                try handle.seekToEnd()
            }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            throw .cannotWrite(path: path, reason: "\(error)")
        }
    }
}

/// Records split into training and validation sets. The split depends only on each record's id
/// (a hash), so it is stable when the cache grows and independent of the training seed.
public struct TuningDataset: Sendable {
    public var training: [TuningRecord]
    public var validation: [TuningRecord]

    /// `validationFraction` of the records (by id hash) go to validation; records too short to
    /// hold one mask group are dropped. Both sets are sorted by id, so the order of the cache
    /// file (e.g. completion order of batched generation) does not matter.
    public init(records: [TuningRecord], validationFraction: Double) {
        training = []
        validation = []
        for r in records.sorted(by: { $0.id < $1.id }) where r.responseTokens.count >= 2 {
            if Self.unitHash(r.id) < validationFraction { validation.append(r) } else { training.append(r) }
        }
    }

    public init(training: [TuningRecord], validation: [TuningRecord]) {
        self.training = training
        self.validation = validation
    }

    /// FNV-1a of the id mapped to [0, 1).
    static func unitHash(_ id: String) -> Double {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var mix = SplitMix64(state: h)
        return Double(mix.next() >> 11) * 0x1.0p-53
    }

    /// A short digest of the training ids and lengths, recorded in checkpoints so a resume on
    /// different data is refused.
    public var digest: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func eat(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01b3 }
        for r in training + validation {
            for b in r.id.utf8 { eat(UInt64(b)) }
            eat(UInt64(r.promptTokens.count)); eat(UInt64(r.responseTokens.count))
            for t in r.sequence { eat(UInt64(UInt32(bitPattern: t))) }
        }
        return String(h, radix: 16)
    }
}
