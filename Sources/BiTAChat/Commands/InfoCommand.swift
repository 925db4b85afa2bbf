import ArgumentParser
import Foundation
import Inference

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a model file and/or a BiTA adapter, and check that they belong together.",
        discussion: """
            For a model: architecture, parameter count, file size, dimensions, layers, heads, \
            context length, tensor types, tokenizer, chat template presence and the fingerprint \
            that adapters are bound to. For an adapter: its metadata, prompt tokens P, mask \
            tokens k, parameter count, the base model it was made for, and whether that is the \
            given model. Exits with status 1 and a message on stderr when a file is unreadable \
            or damaged, the model is not runnable, or the adapter belongs to another model.

            \(ModelLocator.helpText) With only --adapter, the default model is used for the \
            match check when it exists.
            """
    )

    @Option(name: .long, help: "Model file (GGUF).")
    var model: String?

    @Option(name: .long, help: "BiTA adapter file (*.bita.gguf).")
    var adapter: String?

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let locator = ModelLocator()
        var modelPath: String?
        do {
            modelPath = try locator.locate(explicit: model).path
        } catch {
            // Only an adapter was asked about: describe it without the match check.
            guard adapter != nil else { throw UserFacingError(error.description) }
        }

        var report = InfoReport()
        var failures: [String] = []
        var loadedConfig: LlamaConfig?
        var loadedFingerprint: ModelFingerprint?

        if let modelPath {
            let file: GGUFFile
            do { file = try GGUFFile(path: modelPath) } catch { throw UserFacingError(error.description) }
            var m = ModelReport(file: file)
            do {
                let config = try LlamaConfig(file: file)
                m.config = ConfigReport(config)
                loadedConfig = config
            } catch {
                m.problem = error.description
                failures.append(error.description)
            }
            loadedFingerprint = ModelFingerprint(file: file)
            report.model = m
        }

        if let adapterPath = adapter {
            let a: BiTAAdapter
            do { a = try BiTAAdapter(contentsOf: adapterPath) } catch { throw UserFacingError(error.description) }
            var r = AdapterReport(adapter: a, path: adapterPath)
            if let fingerprint = loadedFingerprint {
                r.matchesModel = a.matches(fingerprint)
                if let config = loadedConfig {
                    do {
                        try a.checkCompatible(with: config, fingerprint: fingerprint, path: adapterPath)
                    } catch {
                        r.matchesModel = false
                        r.problem = error.description
                        failures.append(error.description)
                    }
                } else if !a.matches(fingerprint) {
                    let message = AdapterError.modelMismatch(
                        path: adapterPath, adapterModel: a.base.name, adapterFingerprint: a.base.fingerprint.description,
                        loadedModel: report.model?.name ?? modelPath ?? "?", loadedFingerprint: fingerprint.description
                    ).description
                    r.problem = message
                    failures.append(message)
                }
            }
            report.adapter = r
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(report)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print(report.text, terminator: "")
        }
        if !failures.isEmpty { throw UserFacingError(failures.joined(separator: "\n")) }
    }
}

// MARK: - Report

struct InfoReport: Codable {
    var model: ModelReport?
    var adapter: AdapterReport?

    var text: String {
        var lines: [(String, String)] = []
        if let m = model { lines += m.lines }
        if model != nil, adapter != nil { lines.append(("", "")) }
        if let a = adapter { lines += a.lines }
        let width = (lines.map(\.0.count).max() ?? 0) + 2
        return lines.map { label, value in
            label.isEmpty && value.isEmpty ? "\n" : label.padding(toLength: width, withPad: " ", startingAt: 0) + value + "\n"
        }.joined()
    }
}

struct ModelReport: Codable {
    var path: String
    var fileBytes: Int
    var ggufVersion: Int
    var name: String?
    var architecture: String?
    var metadataCount: Int
    var tensorCount: Int
    /// Sum of the element counts of all tensors.
    var parameters: Int
    /// Tensor type name -> number of tensors of that type.
    var tensorTypes: [String: Int]
    var config: ConfigReport?
    var tokenizer: TokenizerReport
    var fingerprint: String
    /// Why the model cannot be run (nil when it can).
    var problem: String?

    init(file: GGUFFile) {
        path = file.path
        fileBytes = file.fileSize
        ggufVersion = Int(file.version)
        name = file.string("general.name")
        architecture = file.string("general.architecture")
        metadataCount = file.metadata.count
        tensorCount = file.tensors.count
        parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
        tensorTypes = Dictionary(file.tensors.map { ($0.type.description, 1) }, uniquingKeysWith: +)
        tokenizer = TokenizerReport(file: file)
        fingerprint = ModelFingerprint(file: file).description
    }

    var lines: [(String, String)] {
        var out: [(String, String)] = [("model", path)]
        if let name { out.append(("name", name)) }
        out.append(("file", "\(grouped(fileBytes)) bytes (\(mebibytes(fileBytes))), GGUF v\(ggufVersion), "
            + "\(metadataCount) metadata keys, \(tensorCount) tensors"))
        out.append(("architecture", architecture ?? "(none)"))
        out.append(("parameters", grouped(parameters)))
        if let c = config {
            out.append(("dimensions", "embedding \(c.dim), feed-forward \(c.feedForwardDim), vocab \(c.vocabSize), context \(c.contextLength)"))
            out.append(("layers", "\(c.layers), \(c.heads) heads, \(c.kvHeads) kv heads, head dim \(c.headDim), kv dim \(c.kvDim)"))
            out.append(("rope", "base \(compact(c.ropeFreqBase)), \(c.ropeDimensionCount) rotary dims; rms norm eps \(c.rmsNormEpsilon)"))
            out.append(("output head", c.tiedEmbeddings ? "tied to token_embd.weight" : "output.weight"))
        }
        let types = tensorTypes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        out.append(("tensor types", types.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        out.append(("tokenizer", tokenizer.summary))
        out.append(("chat template", tokenizer.chatTemplateBytes.map { "yes (\(grouped($0)) bytes)" } ?? "no"))
        out.append(("fingerprint", fingerprint))
        if let problem { out.append(("runnable", "no: \(problem)")) } else if config != nil { out.append(("runnable", "yes")) }
        return out
    }
}

struct ConfigReport: Codable {
    var dim: Int
    var layers: Int
    var heads: Int
    var kvHeads: Int
    var headDim: Int
    var kvDim: Int
    var feedForwardDim: Int
    var vocabSize: Int
    var contextLength: Int
    var ropeFreqBase: Double
    var ropeDimensionCount: Int
    var rmsNormEpsilon: Double
    var tiedEmbeddings: Bool

    init(_ c: LlamaConfig) {
        dim = c.dim
        layers = c.layerCount
        heads = c.headCount
        kvHeads = c.kvHeadCount
        headDim = c.headDim
        kvDim = c.kvDim
        feedForwardDim = c.feedForwardDim
        vocabSize = c.vocabSize
        contextLength = c.contextLength
        // Through the shortest decimal form, so 1e-5 prints as 1e-05 and not 9.99999974737875e-06.
        ropeFreqBase = Double("\(c.ropeFreqBase)") ?? Double(c.ropeFreqBase)
        ropeDimensionCount = c.ropeDimensionCount
        rmsNormEpsilon = Double("\(c.rmsNormEpsilon)") ?? Double(c.rmsNormEpsilon)
        tiedEmbeddings = c.tiedEmbeddings
    }
}

struct TokenizerReport: Codable {
    var model: String?
    var pre: String?
    var vocabSize: Int?
    var mergeCount: Int?
    var bosTokenID: Int?
    var eosTokenID: Int?
    var chatTemplateBytes: Int?

    init(file: GGUFFile) {
        model = file.string("tokenizer.ggml.model")
        pre = file.string("tokenizer.ggml.pre")
        vocabSize = file.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count
        mergeCount = file.metadata["tokenizer.ggml.merges"]?.arrayValue?.count
        bosTokenID = file.int("tokenizer.ggml.bos_token_id")
        eosTokenID = file.int("tokenizer.ggml.eos_token_id")
        chatTemplateBytes = file.string("tokenizer.chat_template")?.utf8.count
    }

    var summary: String {
        var parts = [model ?? "(no tokenizer.ggml.model)"]
        if let pre { parts.append("pre \(pre)") }
        parts.append("\(vocabSize.map(String.init) ?? "no") tokens")
        if let mergeCount { parts.append("\(mergeCount) merges") }
        if let bosTokenID { parts.append("bos \(bosTokenID)") }
        if let eosTokenID { parts.append("eos \(eosTokenID)") }
        return parts.joined(separator: ", ")
    }
}

struct AdapterReport: Codable {
    struct Base: Codable {
        var name: String
        var architecture: String
        var layers: Int
        var dim: Int
        var kvDim: Int
        var fingerprint: String
    }
    var path: String
    var fileBytes: Int?
    var promptCount: Int
    var maskCount: Int
    /// Rank of the draft ranking (rank_root / rank_next), nil when the adapter has none.
    var draftRankingRank: Int?
    var parameters: Int
    var base: Base
    /// `bita.train.*` metadata, rendered as text.
    var training: [String: String]
    /// nil when no model was given to compare with.
    var matchesModel: Bool?
    var problem: String?

    init(adapter a: BiTAAdapter, path: String) {
        self.path = path
        fileBytes = FileIdentity.current(of: path)?.size
        promptCount = a.promptCount
        maskCount = a.maskCount
        draftRankingRank = a.ranking?.rank
        parameters = a.parameterCount
        base = Base(name: a.base.name, architecture: a.base.architecture, layers: a.base.layerCount, dim: a.base.dim,
                    kvDim: a.base.kvDim, fingerprint: a.base.fingerprint.description)
        training = a.trainingInfo.mapValues { $0.stringValue ?? $0.summary }
    }

    var lines: [(String, String)] {
        var out: [(String, String)] = [("adapter", path)]
        if let fileBytes { out.append(("file", "\(grouped(fileBytes)) bytes (\(mebibytes(fileBytes)))")) }
        out.append(("prompt tokens", "P = \(promptCount) per layer"))
        out.append(("mask tokens", "k = \(maskCount)"))
        out.append(("draft ranking", draftRankingRank.map { "rank \($0): first-mask drafts re-ordered by their root" } ?? "none"))
        out.append(("parameters", grouped(parameters)))
        out.append(("base model", "\(base.name) (\(base.architecture), \(base.layers) layers, dim \(base.dim), kv dim \(base.kvDim))"))
        out.append(("base fingerprint", base.fingerprint))
        switch matchesModel {
        case true?: out.append(("matches model", "yes"))
        case false?: out.append(("matches model", "no" + (problem.map { ": \($0)" } ?? "")))
        case nil: out.append(("matches model", "unknown (no model given)"))
        }
        for key in training.keys.sorted() { out.append((key, training[key]!)) }
        return out
    }
}

/// 1234567 -> "1,234,567".
private func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// 100000.0 -> "100000", 0.5 -> "0.5".
private func compact(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
}

private func mebibytes(_ bytes: Int) -> String {
    bytes < 1 << 20 ? String(format: "%.1f KiB", Double(bytes) / 1024) : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
}
