import ArgumentParser
import Foundation
import Inference

struct TuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Train a BiTA adapter (prompt K/V and mask embeddings) for a model, base weights frozen.",
        discussion: """
            Two stages. 1) --generate-data: the model answers prompts with greedy decoding and \
            the pairs are appended to the data cache (JSONL: {"id", "prompt_tokens", \
            "response_tokens"}); records already in the cache are skipped, so an interrupted \
            run continues where it stopped. 2) Without --generate-data: train on the cache. \
            A held-out split (by record id) reports loss, mask top-1 accuracy per depth and the \
            expected tokens per step; checkpoints are written every --checkpoint-every steps \
            and --resume continues a run bit-identically (same settings and thread count).

            Defaults: data tune-work/<model>.data.jsonl, checkpoint \
            tune-work/<model>.checkpoint.gguf, adapter prompts/<model>.bita.gguf, where \
            <model> is the model file name without .gguf. \(ModelLocator.helpText)

            Examples:
              bita-chat tune --generate-data --prompts prompts/tune.jsonl
              bita-chat tune --steps 2000 --batch 8 --threads 2
              bita-chat tune --resume

            --fit-ranking adds a draft ranking to a trained adapter: the decoder (shape 1/g1) \
            answers the first turns of --prompts with the adapter, logging what the first mask \
            token proposed and which token came (tune-work/<model>.ranking-log.jsonl, \
            resumable), then fits the ranking that re-orders those proposals by the token they \
            follow, and writes the adapter with it (to --out, default: the adapter itself). \
            Drafts change, answers never do.
              bita-chat tune --fit-ranking --threads 2 --max-answer-tokens 256
            """
    )

    @Option(name: .long, help: "Model file (GGUF).")
    var model: String?

    @Flag(name: .long, help: "Generate the data cache instead of training.")
    var generateData = false

    @Flag(name: .long, help: "Fit a draft ranking for an existing adapter (see below) instead of training.")
    var fitRanking = false

    @Option(name: .long, help: "With --fit-ranking: the adapter to add a ranking to (default prompts/<model>.bita.gguf).")
    var adapter: String?

    @Option(name: .long, help: "With --fit-ranking: the decode log (JSONL; resumable).")
    var rankingLog: String?

    @Option(name: .long, help: "With --fit-ranking: prompts of --prompts to answer, from the top (0: all).")
    var rankingPrompts = 0

    @Option(name: .long, help: "With --fit-ranking: rank of the ranking's projections.")
    var rankingRank = 32

    @Option(name: .long, help: "With --fit-ranking: passes over the log.")
    var rankingEpochs = 4

    @Option(name: .long, help: "With --fit-ranking: Adam learning rate.")
    var rankingLr = 3e-3

    @Option(name: .long, help: "Data cache (JSONL of token ids).")
    var data: String?

    @Option(name: .long, help: "Instruction prompts to answer with --generate-data (JSONL with \"id\" and \"turns\").")
    var prompts: String = "prompts/tune.jsonl"

    @Option(name: .long, help: "With --generate-data: instead of --prompts, let the model sample this many short token-level prompts itself (models without a chat template).")
    var syntheticPrompts: Int?

    @Option(name: .long, help: "With --generate-data: longest answer, in tokens.")
    var maxAnswerTokens = 512

    @Option(name: .long, help: "With --generate-data: answers decoded together (batched; the answers do not depend on it).")
    var generateWidth = 32

    @Option(name: .long, help: "Adapter file to write.")
    var out: String?

    @Option(name: .long, help: "Checkpoint file.")
    var checkpoint: String?

    @Option(name: .long, help: "Optimizer updates.")
    var steps = 1000

    @Option(name: .long, help: "Sequences per update.")
    var batch = 8

    @Option(name: .long, help: "Mask groups per sequence (random start points).")
    var groups = 32

    @Option(name: .long, help: "Peak learning rate (AdamW, warm-up then cosine).")
    var lr = 1e-2

    @Option(name: .long, help: "Warm-up updates.")
    var warmup = 50

    @Option(name: .long, help: "Weight decay (decoupled).")
    var weightDecay = 0.0

    @Option(name: .long, help: "Dropout on prompt K/V during training.")
    var promptDropout = 0.1

    @Option(name: .long, help: "Seed of every random choice of the run.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Threads (products, attention, decoding).")
    var threads = 1

    @Option(name: .long, help: "Prompt tokens per layer (P).")
    var promptTokens = 16

    @Option(name: .long, help: "Mask tokens per group (k).")
    var maskTokens = 3

    @Option(name: .long, help: "Where real tokens' K/V come from: kernels (engine int8 products, trainer attention), trainer (F32 sgemm) or engine (its forward pass).")
    var context: String = "kernels"

    @Option(name: .long, help: "Start from this adapter instead of a random one (a new run: new schedule and optimizer state).")
    var initFrom: String?

    @Flag(name: .long, help: "Continue from the checkpoint.")
    var resume = false

    @Option(name: .long, help: "Validate every N updates (0: only at the end).")
    var validateEvery = 100

    @Option(name: .long, help: "Checkpoint (and write the adapter) every N updates.")
    var checkpointEvery = 50

    @Option(name: .long, help: "Fraction of records held out for validation (by id).")
    var validationFraction = 0.05

    @Option(name: .long, help: "Validation records used by periodic validation (0: all).")
    var validationRecords = 0

    @Option(name: .long, help: "Validation records decoded with the real decoder at the end (tokens per step).")
    var decodeRecords = 16

    func run() async throws {
        Self.reexecWithFastBLASIfNeeded()
        let located = try ModelLocator().locate(explicit: model)
        let llama: LlamaModel
        do { llama = try LlamaModel(path: located.path) } catch { throw UserFacingError("\(error)") }
        let stem = Self.stem(of: located.path)
        let dataPath = data ?? "tune-work/\(stem).data.jsonl"
        if fitRanking {
            try fitDraftRanking(llama, stem: stem)
        } else if generateData {
            try generate(llama, dataPath: dataPath)
        } else {
            try train(llama, stem: stem, dataPath: dataPath)
        }
    }

    /// Training speed rests on sgemm; see OpenBLASCore for why this re-executes the process.
    static func reexecWithFastBLASIfNeeded() {
        guard let core = OpenBLASCore.recommendedOverride else { return }
        setenv(OpenBLASCore.environmentKey, core, 1)
        let args = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", args)
        // execv returned: keep going with the slow kernels.
    }

    static func stem(of path: String) -> String {
        var name = (path as NSString).lastPathComponent
        if name.hasSuffix(".gguf") { name.removeLast(5) }
        return name
    }

    static func ensureDirectory(for path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        guard !dir.isEmpty else { return }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw UserFacingError("cannot create directory \(dir): \(error.localizedDescription)")
        }
    }

    // MARK: - Data generation

    func generate(_ llama: LlamaModel, dataPath: String) throws {
        try Self.ensureDirectory(for: dataPath)
        let existing = FileManager.default.fileExists(atPath: dataPath) ? try TuningDataFile.read(path: dataPath) : []
        let done = Set(existing.map(\.id))
        let generator = TuningDataGenerator(model: llama, threads: threads)
        if let n = syntheticPrompts {
            let bos = llama.file.int("tokenizer.ggml.bos_token_id").map { [Int32($0)] } ?? []
            let sampled: [[Int32]]
            do {
                sampled = try generator.sampledPrompts(count: n, prefix: bos, maxSampled: 8, temperature: 1.0, seed: seed)
            } catch { throw UserFacingError("\(error)") }
            let work = sampled.enumerated().map { (id: "synthetic-\(seed)-\($0.offset)", prompt: $0.element) }
            let todo = work.filter { !done.contains($0.id) }
            printError("\(work.count - todo.count) of \(work.count) prompts already answered in \(dataPath)")
            var progress = ProgressLine(total: todo.count, unit: "answers")
            var tokens = 0
            try BatchedGreedyGenerator(model: llama, threads: threads).run(
                todo.map { ($0.id, $0.prompt) }, maxTokens: maxAnswerTokens, stopTokens: Self.stopTokens(llama.file),
                width: generateWidth) { record in
                try TuningDataFile.append([record], to: dataPath)
                tokens += record.responseTokens.count
                progress.advance(detail: "\(tokens) tokens")
            }
            progress.finish(detail: "\(tokens) tokens written to \(dataPath)")
            return
        }

        // Chat prompts: every turn of every prompt becomes a record; later turns carry the
        // model's own earlier answers, rendered like the chat and the bench render them. Turn t
        // of all prompts is answered (batched) before turn t + 1.
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(gguf: llama.file) } catch { throw UserFacingError("\(error)") }
        var template = tokenizer.chatTemplate
        template.systemPrompt = nil
        let items = try TunePrompt.read(prompts)
        let stops = tokenizer.endOfGenerationIDs
        let byID = Dictionary(existing.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let total = items.reduce(0) { $0 + $1.turns.count }
        let remaining = items.reduce(0) { n, p in n + p.turns.indices.filter { !done.contains(p.recordID(turn: $0)) }.count }
        printError("\(total - remaining) of \(total) turns already answered in \(dataPath)")
        var progress = ProgressLine(total: remaining, unit: "answers")
        var tokens = 0
        var conversations = items.map { [ChatMessage(role: .system, content: $0.system ?? ChatDefaults.systemPrompt)] }
        let batched = BatchedGreedyGenerator(model: llama, threads: threads)
        func assistant(_ response: [Int32]) -> ChatMessage {
            ChatMessage(role: .assistant, content: tokenizer.decode(response.filter { !stops.contains($0) }))
        }
        for t in 0..<(items.map(\.turns.count).max() ?? 0) {
            var work: [(id: String, tokens: [Int32])] = []
            var owner: [String: Int] = [:]
            for (i, p) in items.enumerated() where p.turns.count > t {
                conversations[i].append(ChatMessage(role: .user, content: p.turns[t]))
                let id = p.recordID(turn: t)
                if let old = byID[id] {
                    conversations[i].append(assistant(old.responseTokens))
                } else {
                    work.append((id, tokenizer.encode(conversation: conversations[i], template: template)))
                    owner[id] = i
                }
            }
            try batched.run(work, maxTokens: maxAnswerTokens, stopTokens: stops, width: generateWidth) { record in
                try TuningDataFile.append([record], to: dataPath)
                conversations[owner[record.id]!].append(assistant(record.responseTokens))
                tokens += record.responseTokens.count
                progress.advance(detail: "\(tokens) tokens")
            }
        }
        progress.finish(detail: "\(tokens) tokens written to \(dataPath)")
    }

    func printError(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    static func stopTokens(_ file: GGUFFile) -> Set<Int32> {
        var s: Set<Int32> = []
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"] {
            if let v = file.int(key) { s.insert(Int32(v)) }
        }
        return s
    }

    // MARK: - Training

    func train(_ llama: LlamaModel, stem: String, dataPath: String) throws {
        var config = TuningConfiguration()
        config.promptCount = promptTokens
        config.maskCount = maskTokens
        config.steps = steps
        config.batchSize = batch
        config.groupsPerSequence = groups
        config.learningRate = lr
        config.warmupSteps = warmup
        config.weightDecay = weightDecay
        config.promptDropout = promptDropout
        config.seed = seed
        config.threads = threads
        guard let source = TuningConfiguration.ContextSource(rawValue: context) else {
            throw UserFacingError("--context must be kernels, trainer or engine, not \(context)")
        }
        config.contextSource = source
        let outPath = out ?? "prompts/\(stem).bita.gguf"
        let checkpointPath = checkpoint ?? "tune-work/\(stem).checkpoint.gguf"
        let logPath = (checkpointPath as NSString).deletingPathExtension + ".log.jsonl"

        guard FileManager.default.fileExists(atPath: dataPath) else {
            throw UserFacingError("no data cache at \(dataPath); make it first with `bita-chat tune --generate-data`")
        }
        let records = try TuningDataFile.read(path: dataPath)
        let dataset = TuningDataset(records: records, validationFraction: validationFraction)
        var initial: BiTAAdapter?
        if let initFrom {
            do { initial = try BiTAAdapter(contentsOf: initFrom) } catch { throw UserFacingError("\(error)") }
        }
        let trainer = try AdapterTrainer(model: llama, fingerprint: ModelFingerprint(file: llama.file),
                                         dataset: dataset, configuration: config, initial: initial)
        try Self.ensureDirectory(for: outPath)
        try Self.ensureDirectory(for: checkpointPath)
        if resume {
            if FileManager.default.fileExists(atPath: checkpointPath) {
                try trainer.loadCheckpoint(from: checkpointPath)
                printError("resuming \(checkpointPath) at step \(trainer.step)")
            } else {
                printError("no checkpoint at \(checkpointPath); starting from step 0")
            }
        }
        let responseTokens = dataset.training.reduce(0) { $0 + $1.responseTokens.count }
        FileHandle.standardError.write(Data("""
            \(llama.config.name): \(dataset.training.count) training records (\(responseTokens) answer tokens), \
            \(dataset.validation.count) held out; P=\(promptTokens) k=\(maskTokens), \
            \(promptTokens * 2 * llama.config.kvDim * llama.config.layerCount + maskTokens * llama.config.dim) parameters

            """.utf8))

        let validationLimit = validationRecords > 0 ? validationRecords : nil
        func validate() -> TuningValidationReport {
            let v = trainer.validate(limit: validationLimit)
            let acc = v.accuracyByDepth.map { String(format: "%.3f", $0) }.joined(separator: " ")
            FileHandle.standardError.write(Data(String(
                format: "\nvalidation @%d (%d mask tokens trained): loss %.4f, top-1 by depth [%@], expected chain tau %.3f\n",
                trainer.step, trainer.maskTokensTrained, v.loss, acc, v.expectedTau).utf8))
            let line = """
                {"step":\(trainer.step),"mask_tokens":\(trainer.maskTokensTrained),"seconds":\(trainer.trainingSeconds),\
                "loss":\(v.loss),"accuracy":[\(v.accuracyByDepth.map { "\($0)" }.joined(separator: ","))],\
                "expected_tau":\(v.expectedTau)}

                """
            if let h = FileHandle(forWritingAtPath: logPath) ?? {
                _ = FileManager.default.createFile(atPath: logPath, contents: nil)
                return FileHandle(forWritingAtPath: logPath)
            }() {
                _ = try? h.seekToEnd()
                try? h.write(contentsOf: Data(line.utf8))
                try? h.close()
            }
            return v
        }
        if trainer.step == 0, validateEvery > 0, !dataset.validation.isEmpty { _ = validate() }

        var progress = ProgressLine(total: steps, unit: "steps", done: trainer.step)
        var smoothed: Double?
        var recentSeconds: [Double] = []
        var recentTokens: [Int] = []
        while trainer.step < steps {
            let r = trainer.trainStep()
            smoothed = smoothed.map { 0.9 * $0 + 0.1 * r.loss } ?? r.loss
            recentSeconds.append(r.seconds); recentTokens.append(r.maskTokens)
            if recentSeconds.count > 20 { recentSeconds.removeFirst(); recentTokens.removeFirst() }
            let rate = Double(recentTokens.reduce(0, +)) / max(recentSeconds.reduce(0, +), 1e-9)
            progress.advance(detail: String(format: "loss %.3f lr %.2e | %.0f mask tok/s", smoothed!, r.learningRate, rate))
            let atEnd = trainer.step == steps
            if checkpointEvery > 0 && trainer.step % checkpointEvery == 0 || atEnd {
                try trainer.saveCheckpoint(to: checkpointPath)
                try writeAdapter(trainer.adapter(), to: outPath)
            }
            if validateEvery > 0, trainer.step % validateEvery == 0, !atEnd, !dataset.validation.isEmpty { _ = validate() }
        }
        progress.finish(detail: String(format: "%d mask tokens in %.0f s", trainer.maskTokensTrained, trainer.trainingSeconds))

        var info: [String: GGUFValue] = [:]
        if !dataset.validation.isEmpty {
            let v = validate()
            info["bita.train.validation_loss"] = .float64(v.loss)
            info["bita.train.validation_accuracy"] = .array(v.accuracyByDepth.map { .float64($0) })
            info["bita.train.validation_expected_tau"] = .float64(v.expectedTau)
            // Read by the decoder as its prior on acceptance per depth.
            for (d, a) in v.accuracyByDepth.enumerated() { info["bita.train.val_top1_depth\(d + 1)"] = .float32(Float(a)) }
            if decodeRecords > 0 {
                let shape = try TreeShape(parsing: Array(repeating: "1", count: maskTokens).joined(separator: ","),
                                          maskCount: maskTokens)
                let subset = Array(dataset.validation.prefix(decodeRecords))
                do {
                    let d = try AdapterEvaluation.decoderAcceptance(model: llama, bita: trainer.decoderParameters(),
                                                                    policy: .fixed(shape), records: subset,
                                                                    maxTokens: 256, threads: threads)
                    FileHandle.standardError.write(Data(String(
                        format: "decoder (greedy chain %@) on %d held-out prompts: %.3f tokens per step%@\n",
                        shape.description, d.records, d.tokensPerStep,
                        d.mismatches > 0 ? " (\(d.mismatches) answers differ from the cache: data from other numerics?)" : "").utf8))
                    info["bita.train.validation_decoder_tokens_per_step"] = .float64(d.tokensPerStep)
                } catch {
                    FileHandle.standardError.write(Data("decoder evaluation failed: \(error)\n".utf8))
                }
            }
        }
        try writeAdapter(trainer.adapter(extraInfo: info), to: outPath)
        FileHandle.standardError.write(Data("adapter written to \(outPath)\n".utf8))
    }

    func writeAdapter(_ a: BiTAAdapter, to path: String) throws {
        do { try a.write(to: path) } catch { throw UserFacingError("\(error)") }
    }
}

/// One instruction prompt of the tuning set: {"id", "category"?, "turns": [user messages], "system"?}.
struct TunePrompt: Decodable {
    var id: String
    var turns: [String]
    var system: String?

    /// Turn 0 keeps the prompt's id; later turns are "<id>#<turn number>".
    func recordID(turn: Int) -> String { turn == 0 ? id : "\(id)#\(turn + 1)" }

    static func read(_ path: String) throws -> [TunePrompt] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserFacingError("cannot read the tuning prompts \(path)")
        }
        var out: [TunePrompt] = []
        for (n, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            do { out.append(try JSONDecoder().decode(TunePrompt.self, from: Data(line))) } catch {
                throw UserFacingError("\(path):\(n + 1): not a prompt record ({id, turns:[...], system?}): \(error)")
            }
            if out.last!.turns.isEmpty { throw UserFacingError("\(path):\(n + 1): the prompt has no turns") }
        }
        return out
    }
}

/// A one-line progress bar on stderr: count, bar, detail, rate-based ETA. Redrawn in place on
/// a terminal; a plain line every 5% otherwise.
struct ProgressLine {
    let total: Int
    let unit: String
    var done: Int
    let startDone: Int
    let started = Date()
    let isTerminal = isatty(2) != 0
    var lastPrinted = -1

    init(total: Int, unit: String, done: Int = 0) {
        self.total = total
        self.unit = unit
        self.done = done
        startDone = done
    }

    mutating func advance(detail: String) {
        done += 1
        let elapsed = Date().timeIntervalSince(started)
        let perItem = elapsed / Double(max(done - startDone, 1))
        let eta = Self.duration(perItem * Double(total - done))
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let text = "\(done)/\(total) \(unit) [\(bar)] \(detail) | ETA \(eta)"
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        } else {
            let bucket = total > 0 ? 20 * done / total : done
            if bucket != lastPrinted || done == total {
                lastPrinted = bucket
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            }
        }
    }

    func finish(detail: String) {
        let elapsed = Self.duration(Date().timeIntervalSince(started))
        FileHandle.standardError.write(Data("\(isTerminal ? "\r\u{1B}[K" : "")done: \(detail) (\(elapsed))\n".utf8))
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", t / 60 % 60))m" : t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }
}
