import Foundation

/// One logged draft: after `root`, the first mask token proposed `candidates` (best first, with
/// their logits), and the model's next token turned out to be `target`.
public struct DraftRankingExample: Sendable, Equatable {
    public var root: Int32
    public var target: Int32
    public var candidates: [Int32]
    public var logits: [Float]

    public init(root: Int32, target: Int32, candidates: [Int32], logits: [Float]) {
        precondition(candidates.count == logits.count, "one logit per candidate")
        self.root = root
        self.target = target
        self.candidates = candidates
        self.logits = logits
    }

    /// Index of the target among the candidates, nil when the mask did not propose it at all.
    public var targetIndex: Int? { candidates.firstIndex(of: target) }
}

/// Decode logs for fitting a `DraftRanking`, and their file: JSON Lines, one answered prompt a line,
///
///     {"id": "chat-0001", "examples": [[root, target, [candidate ids], [logits]], ...]}
///
/// appended as prompts finish, so an interrupted collection resumes at the next prompt.
public enum DraftRankingLog {
    /// Decodes `prompt` greedily with `decoder` until a stop token or `maxTokens`, and logs every
    /// step's first-mask proposal with the token that then followed its root. The decoder must
    /// leave a mask group on the node each step ends on (e.g. the fixed shape `1/g1`); its output
    /// is the model's greedy answer whatever the drafts are.
    public static func collect(decoder: SpeculativeDecoder, prompt: [Int32], maxTokens: Int,
                               stopTokens: Set<Int32>) throws(DecoderError) -> (examples: [DraftRankingExample], answer: [Int32]) {
        var pending: DraftObservation?
        var examples: [DraftRankingExample] = []
        var answer: [Int32] = []
        decoder.draftObserver = { pending = $0 }
        defer { decoder.draftObserver = nil }
        try decoder.prefill(prompt)
        decoding: while answer.count < maxTokens {
            let proposal = pending
            pending = nil
            let r: StepResult
            do { r = try decoder.step() } catch .contextFull { break } catch { throw error }
            if let p = proposal, let first = r.tokens.first {
                examples.append(DraftRankingExample(root: p.root, target: first.id, candidates: p.candidates.map(\.id),
                                                    logits: p.candidates.map(\.logit)))
            }
            for t in r.tokens {
                answer.append(t.id)
                if stopTokens.contains(t.id) || answer.count >= maxTokens { break decoding }
            }
        }
        return (examples, answer)
    }

    /// One file line (ending in a newline).
    public static func line(id: String, examples: [DraftRankingExample]) -> String {
        var s = "{\"id\":" + jsonString(id) + ",\"examples\":["
        for (i, e) in examples.enumerated() {
            if i > 0 { s += "," }
            s += "[\(e.root),\(e.target),[" + e.candidates.map(String.init).joined(separator: ",") + "],["
                + e.logits.map { String(format: "%.4f", $0) }.joined(separator: ",") + "]]"
        }
        return s + "]}\n"
    }

    public struct Entry: Sendable, Equatable {
        public var id: String
        public var examples: [DraftRankingExample]
        public init(id: String, examples: [DraftRankingExample]) {
            self.id = id
            self.examples = examples
        }
    }

    /// Reads a log; a cut-off last line (an interrupted append) is dropped, any other bad line is
    /// an error naming the line.
    public static func read(path: String) throws(DraftRankingLogError) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var out: [Entry] = []
        for (n, raw) in lines.enumerated() where !raw.isEmpty {
            do {
                out.append(try parse(Data(raw)))
            } catch {
                if n == lines.count - 1 { break }  // the last line, without its newline: cut off
                throw .badLine(path: path, line: n + 1, reason: error.description)
            }
        }
        return out
    }

    static func parse(_ line: Data) throws(DraftRankingLogError) -> Entry {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let id = object["id"] as? String, let rows = object["examples"] as? [[Any]] else {
            throw .badRecord("not a {\"id\", \"examples\"} record")
        }
        var examples: [DraftRankingExample] = []
        examples.reserveCapacity(rows.count)
        for row in rows {
            guard row.count == 4, let root = (row[0] as? NSNumber)?.int32Value, let target = (row[1] as? NSNumber)?.int32Value,
                  let ids = row[2] as? [NSNumber], let logits = row[3] as? [NSNumber], ids.count == logits.count,
                  !ids.isEmpty else {
                throw .badRecord("an example is not [root, target, [ids], [logits]] with one logit per id")
            }
            examples.append(DraftRankingExample(root: root, target: target, candidates: ids.map(\.int32Value),
                                                logits: logits.map(\.floatValue)))
        }
        return Entry(id: id, examples: examples)
    }

    /// Splits entries by a hash of their id: about `heldOutFraction` of the prompts are held out,
    /// the same ones whatever order the log is in.
    public static func split(_ entries: [Entry], heldOutFraction: Double) -> (training: [Entry], heldOut: [Entry]) {
        var training: [Entry] = [], heldOut: [Entry] = []
        for e in entries.sorted(by: { $0.id < $1.id }) {
            if TuningDataset.unitHash("ranking:" + e.id) < heldOutFraction { heldOut.append(e) } else { training.append(e) }
        }
        return (training, heldOut)
    }

    static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

public enum DraftRankingLogError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case badLine(path: String, line: Int, reason: String)
    case badRecord(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read the draft log \(path)"
        case let .badLine(path, line, reason):
            return "\(path):\(line): \(reason); delete the file to collect the log again"
        case .badRecord(let reason): return reason
        }
    }
}
