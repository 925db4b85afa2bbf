import ArgumentParser
import Foundation
import Inference

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark plain (AR) against BiTA decoding on a prompt set, side by side.",
        discussion: """
            For every prompt (first turn, rendered with the chat template and its system prompt), \
            decodes greedily in ar mode and in bita mode with the same settings and reports decode \
            tokens/s, tau (tokens per step), the speedup, and whether both produced identical \
            token ids. Prints a per-category summary. `make bench` runs this together with \
            llama.cpp in the same run.

            \(ModelLocator.helpText)

            Examples:
              bita-chat bench
              bita-chat bench --limit 6 --max-tokens 64
              bita-chat bench --threads 1 --json > bench.json
            """
    )

    @OptionGroup var engineOptions: EngineOptions

    @Option(name: .long, help: "Prompt set (JSONL: {id, category, turns:[...], system?}).")
    var prompts: String = "prompts/bench.jsonl"

    @Option(name: .long, help: "New tokens per answer.")
    var maxTokens: Int = 256

    @Option(name: .long, help: "Only the first N prompts.")
    var limit: Int?

    @Option(name: .long, help: "Only prompts of this category.")
    var category: String?

    @Flag(name: .long, help: "Run every turn of multi-turn prompts (default: first turn only, as the llama.cpp script does).")
    var allTurns = false

    @Flag(name: .long, help: "Print the full results as JSON instead of the table.")
    var json = false

    @Flag(name: .long, help: "Skip the AR run (BiTA only; no speedup or identity column).")
    var bitaOnly = false

    struct Prompt: Decodable { var id: String; var category: String; var turns: [String]; var system: String? }

    func run() async throws {
        let loaded = try engineOptions.load()
        let engine = loaded.engine
        guard engine.bita != nil else {
            throw UserFacingError("bench compares ar with bita and needs an adapter; none was found (give --adapter PATH)")
        }
        let allPrompts = try Self.readPrompts(prompts)
        var set = allPrompts
        if let category { set = set.filter { $0.category == category } }
        if let limit { set = Array(set.prefix(limit)) }
        guard !set.isEmpty else { throw UserFacingError("no prompts selected from \(prompts)") }

        // One decoder per mode for the whole set, as a chat reuses one for all its answers (and
        // llama.cpp's side keeps one context): its KV cache pages stay resident, so an answer
        // does not pay for faulting in and zeroing fresh ones (12 prompts: 34.9k -> 25.4k page
        // faults in the whole run; tokens/s unchanged within the noise).
        let arDecoder = bitaOnly ? nil : engine.makeDecoder(mode: .ar, tree: nil, sampling: SamplingParameters(), seed: 0)
        let bitaDecoder = engine.makeDecoder(mode: .bita, tree: loaded.tree, sampling: SamplingParameters(), seed: 0)
        var rows: [BenchRow] = []
        for (i, p) in set.enumerated() {
            if !json { printError("[\(i + 1)/\(set.count)] \(p.id)") }
            let ar = try arDecoder.map { try run(p, engine: engine, decoder: $0, mode: .ar, tree: nil) }
            let bita = try run(p, engine: engine, decoder: bitaDecoder, mode: .bita, tree: loaded.tree)
            rows.append(BenchRow(id: p.id, category: p.category, ar: ar, bita: bita,
                                 identical: ar.map { $0.tokens == bita.tokens }))
        }
        if !json { printError("prefill: 512-token prompt, best of 7") }
        let prefill = try Self.measurePrefill(engine: engine, prompts: allPrompts)
        if !json { printError("cost curve: n = 1...64 rows after 256 tokens of context, best of 7") }
        let costs = try Self.measureCostCurve(engine: engine, prompts: allPrompts)
        let report = BenchReport(model: (engine.modelPath as NSString).lastPathComponent,
                                 adapter: engine.adapterPath.map { ($0 as NSString).lastPathComponent } ?? "",
                                 threads: engine.pool.threads, maxTokens: maxTokens, tree: loaded.tree?.description ?? "auto",
                                 rows: rows, costCurve: costs.best.map { $0 / costs.best[0] },
                                 costCurveMilliseconds: costs.best, costCurveMedianMilliseconds: costs.median, prefill: prefill)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try enc.encode(report) + Data("\n".utf8))
        } else {
            print(report.table())
        }
        if rows.contains(where: { $0.identical == false }) {
            throw UserFacingError("BiTA output differed from AR output on: " + rows.filter { $0.identical == false }.map(\.id).joined(separator: ", "))
        }
    }

    /// Decodes prompt `p` (greedy) with `decoder`, which the caller reuses across prompts: its
    /// policy is renewed here (a new shape chooser, which starts from the engine's shared
    /// statistics, as each answer of a chat does) and prefill keeps only the shared prefix.
    private func run(_ p: Prompt, engine: Engine, decoder: SpeculativeDecoder, mode: DecodingMode, tree: TreeShape?) throws -> BenchRun {
        decoder.policy = engine.policy(mode: mode, tree: tree)
        decoder.reseed(0)
        var messages: [ChatMessage] = [ChatMessage(role: .system, content: p.system ?? ChatDefaults.systemPrompt)]
        var result = BenchRun()
        let turns = allTurns ? p.turns : Array(p.turns.prefix(1))
        for turn in turns {
            messages.append(ChatMessage(role: .user, content: turn))
            try decoder.prefill(engine.promptTokens(for: messages))
            var answer: [Int32] = []
            let t0 = DispatchTime.now().uptimeNanoseconds
            decoding: while answer.count < maxTokens {
                let step = try decoder.step()
                result.steps += 1
                result.stepsByRows[String(step.rows), default: 0] += 1
                let drafts = step.tokens.filter { $0.origin.draftDepth != nil }.count
                result.draftsAccepted += drafts
                if step.contextDraftsOffered > 0 { result.contextSteps += 1 }
                result.contextDraftsAccepted += step.contextDraftsAccepted
                for t in step.tokens {
                    if engine.tokenizer.isEndOfTurn(t.id) { break decoding }
                    answer.append(t.id)
                    if answer.count >= maxTokens { break }
                }
            }
            result.milliseconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            result.tokens += answer
            messages.append(ChatMessage(role: .assistant, content: engine.tokenizer.decode(answer)))
        }
        return result
    }

    /// One forward pass over a 512-token prompt from an empty cache, logits of the last row
    /// only, best and median of 7: the same token stream as scripts/peer/bench_llamacpp.py (the
    /// first 512 tokens of all first turns of the prompt set joined by blank lines, no template,
    /// no BOS).
    static func measurePrefill(engine: Engine, prompts: [Prompt], length: Int = 512, repeats: Int = 7) throws -> PrefillResult {
        let tokens = Array(tokenStream(engine: engine, prompts: prompts).prefix(length))
        guard tokens.count == length else { throw UserFacingError("prefill: the prompt set gives only \(tokens.count) tokens, need \(length)") }
        let model = engine.model
        let state = RunState(pool: engine.pool)
        let cache = model.makeCache(capacity: length)
        var logits = [Float](repeating: 0, count: model.config.vocabSize)
        var times: [Double] = []
        for _ in 0..<repeats {
            cache.reset()
            let t0 = DispatchTime.now().uptimeNanoseconds
            logits.withUnsafeMutableBufferPointer {
                model.forward(.causal(tokens: tokens, startPosition: 0), cache: cache, state: state,
                              logitRows: [length - 1], logits: $0.baseAddress!)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        return PrefillResult(tokens: length, bestMilliseconds: times[0], medianMilliseconds: times[times.count / 2],
                             tokensPerSecond: Double(length) / times[0] * 1000)
    }

    /// cost(n) after a 256-token context, n = 1...nMax, measured as the llama.cpp side
    /// (scripts/peer/bench_llamacpp.py) measures its own: `StepCostCalibration.passTimes` with
    /// `repeats` passes per n, on the token stream the prefill test uses.
    static func measureCostCurve(engine: Engine, prompts: [Prompt], context: Int = 256, nMax: Int = 64,
                                 repeats: Int = 7) throws -> (best: [Double], median: [Double]) {
        let stream = tokenStream(engine: engine, prompts: prompts)
        guard stream.count >= context + nMax else {
            throw UserFacingError("cost curve: the prompt set gives only \(stream.count) tokens, need \(context + nMax)")
        }
        let times = StepCostCalibration.passTimes(model: engine.model, pool: engine.pool, context: Array(stream[0..<context]),
                                                  newTokens: Array(stream[context..<(context + nMax)]),
                                                  sizes: Array(1...nMax), repeats: repeats)
        return (times.map(\.best), times.map(\.median))
    }

    /// The first turns of the prompt set joined by blank lines, tokenized without specials: the
    /// text of the prefill and cost-curve tests (the llama.cpp side builds the same stream).
    static func tokenStream(engine: Engine, prompts: [Prompt]) -> [Int32] {
        engine.tokenizer.encode(prompts.map { $0.turns[0] }.joined(separator: "\n\n"), addSpecial: false, parseSpecial: false)
    }

    static func readPrompts(_ path: String) throws -> [Prompt] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw UserFacingError("cannot read prompt set \(path)")
        }
        var out: [Prompt] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do { out.append(try JSONDecoder().decode(Prompt.self, from: Data(line.utf8))) } catch {
                throw UserFacingError("\(path):\(n + 1): not a prompt record ({id, category, turns:[...]}): \(error)")
            }
        }
        return out
    }
}

struct BenchRun: Codable {
    var tokens: [Int32] = []
    var steps = 0
    /// Steps by their forward pass's row count (keys are row counts as text, for JSON): how
    /// often the shape chooser decoded plainly (1 row) and which drafted shapes it ran.
    var stepsByRows: [String: Int] = [:]
    var milliseconds = 0.0
    /// Accepted drafts (before the answer was cut at the token limit), and of those the ones
    /// read from the context (`ContextLookup`) rather than drafted by the mask tokens; steps
    /// that ran a context chain.
    var draftsAccepted = 0
    var contextDraftsAccepted = 0
    var contextSteps = 0
    var tokensPerSecond: Double { milliseconds > 0 ? Double(tokens.count) / milliseconds * 1000 : 0 }
    var tau: Double { steps > 0 ? Double(tokens.count) / Double(steps) : 0 }
    enum CodingKeys: String, CodingKey { case tokens, steps, stepsByRows, milliseconds, draftsAccepted, contextDraftsAccepted, contextSteps }
}

struct BenchRow: Codable {
    var id: String
    var category: String
    var ar: BenchRun?
    var bita: BenchRun
    var identical: Bool?
}

struct BenchReport: Codable {
    var model: String
    var adapter: String
    var threads: Int
    var maxTokens: Int
    var tree: String
    var rows: [BenchRow]
    /// cost(n)/cost(1) for n = 1...64 from best times, measured as the llama.cpp side measures
    /// its own (`measureCostCurve`).
    var costCurve: [Double]
    /// The best and median times behind it, in milliseconds.
    var costCurveMilliseconds: [Double]
    var costCurveMedianMilliseconds: [Double]
    var prefill: PrefillResult

    struct Summary { var arTPS: Double?; var bitaTPS: Double; var tau: Double; var identical: String }

    func summary(_ rs: [BenchRow]) -> Summary {
        func total(_ runs: [BenchRun]) -> (tokens: Int, ms: Double, steps: Int) {
            runs.reduce((0, 0.0, 0)) { ($0.0 + $1.tokens.count, $0.1 + $1.milliseconds, $0.2 + $1.steps) }
        }
        let b = total(rs.map(\.bita))
        let ars = rs.compactMap(\.ar)
        let a = total(ars)
        let same = rs.compactMap(\.identical)
        return Summary(arTPS: ars.isEmpty ? nil : Double(a.tokens) / a.ms * 1000,
                       bitaTPS: Double(b.tokens) / b.ms * 1000, tau: Double(b.tokens) / Double(max(1, b.steps)),
                       identical: same.isEmpty ? "-" : "\(same.filter { $0 }.count)/\(same.count)")
    }

    func table() -> String {
        var lines = ["model \(model), adapter \(adapter), \(threads) thread(s), \(maxTokens) new tokens, tree \(tree)", ""]
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        lines.append(pad("category", 16) + pad("prompts", 9) + pad("AR tok/s", 10) + pad("BiTA tok/s", 12) + pad("tau", 7) + pad("speedup", 9) + "identical")
        var cats: [String] = []
        for r in rows where !cats.contains(r.category) { cats.append(r.category) }
        for c in cats + ["overall"] {
            let rs = c == "overall" ? rows : rows.filter { $0.category == c }
            let s = summary(rs)
            lines.append(pad(c, 16) + pad("\(rs.count)", 9) + pad(s.arTPS.map { String(format: "%.1f", $0) } ?? "-", 10)
                         + pad(String(format: "%.1f", s.bitaTPS), 12) + pad(String(format: "%.2f", s.tau), 7)
                         + pad(s.arTPS.map { String(format: "%.2fx", s.bitaTPS / $0) } ?? "-", 9) + s.identical)
        }
        lines.append("")
        lines.append("BiTA steps by rows per pass: " + Self.stepMix(rows.map(\.bita)))
        lines.append(Self.draftSources(rows.map(\.bita)))
        lines.append(String(format: "prefill: %d tokens in %.1f ms (best of 7; median %.1f ms), %.0f tokens/s",
                            prefill.tokens, prefill.bestMilliseconds, prefill.medianMilliseconds, prefill.tokensPerSecond))
        lines.append("cost(n)/cost(1): " + [1, 2, 4, 8, 16, 32, 64].map { "n=\($0) \(String(format: "%.2f", costCurve[$0 - 1]))" }.joined(separator: "  "))
        return lines.joined(separator: "\n")
    }
}

extension BenchReport {
    /// "1 row 40%, 2 rows 25%, 3 rows 35%": the share of steps per forward-pass row count.
    static func stepMix(_ runs: [BenchRun]) -> String {
        var counts: [Int: Int] = [:]
        for run in runs { for (rows, n) in run.stepsByRows { if let r = Int(rows) { counts[r, default: 0] += n } } }
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return "-" }
        return counts.keys.sorted().map { r in
            "\(r) \(r == 1 ? "row" : "rows") " + String(format: "%.0f%%", 100 * Double(counts[r]!) / Double(total))
        }.joined(separator: ", ")
    }
}

extension BenchReport {
    /// "accepted drafts: 1234 from mask tokens, 567 from the context (312 context steps of 2000)".
    static func draftSources(_ runs: [BenchRun]) -> String {
        let all = runs.reduce(0) { $0 + $1.draftsAccepted }
        let context = runs.reduce(0) { $0 + $1.contextDraftsAccepted }
        let steps = runs.reduce(0) { $0 + $1.steps }
        let contextSteps = runs.reduce(0) { $0 + $1.contextSteps }
        return "accepted drafts: \(all - context) from mask tokens, \(context) from the context (\(contextSteps) of \(steps) steps ran a context chain)"
    }
}

struct PrefillResult: Codable {
    var tokens: Int
    var bestMilliseconds: Double
    var medianMilliseconds: Double
    var tokensPerSecond: Double
}
