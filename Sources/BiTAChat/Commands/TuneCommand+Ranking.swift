import Foundation
import Inference

/// `bita-chat tune --fit-ranking`: decode logs with an adapter, then a `DraftRanking` fitted to
/// them, written into the adapter.
extension TuneCommand {
    /// Share of the logged prompts (by id hash) held out to measure the fit.
    static let rankingHeldOutFraction = 0.1

    func fitDraftRanking(_ llama: LlamaModel, stem: String) throws {
        let adapterPath = adapter ?? "prompts/\(stem).bita.gguf"
        let outPath = out ?? adapterPath
        let logPath = rankingLog ?? "tune-work/\(stem).ranking-log.jsonl"
        guard DraftRanking.rankRange.contains(rankingRank) else {
            throw UserFacingError("--ranking-rank must be in \(DraftRanking.rankRange.lowerBound)...\(DraftRanking.rankRange.upperBound)")
        }
        guard rankingEpochs >= 1, rankingLr > 0, maxAnswerTokens >= 1 else {
            throw UserFacingError("--ranking-epochs and --max-answer-tokens must be at least 1, --ranking-lr positive")
        }
        var base: BiTAAdapter
        do {
            base = try BiTAAdapter.load(path: adapterPath, for: llama.config, fingerprint: ModelFingerprint(file: llama.file))
        } catch { throw UserFacingError("\(error)") }
        if base.ranking != nil { printError("\(adapterPath) already has a draft ranking; it is replaced (the log is made without it)") }
        base.ranking = nil

        // 1. The log: first turns, rendered as the chat and the bench render them.
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(gguf: llama.file) } catch { throw UserFacingError("\(error)") }
        var template = tokenizer.chatTemplate
        template.systemPrompt = nil
        var items = try TunePrompt.read(prompts)
        if rankingPrompts > 0 { items = Array(items.prefix(rankingPrompts)) }
        try Self.ensureDirectory(for: logPath)
        var logged: [DraftRankingLog.Entry] = []
        if FileManager.default.fileExists(atPath: logPath) {
            do { logged = try DraftRankingLog.read(path: logPath) } catch { throw UserFacingError("\(error)") }
        }
        let done = Set(logged.map(\.id))
        let todo = items.filter { !done.contains($0.id) }
        printError("\(items.count - todo.count) of \(items.count) prompts already logged in \(logPath)")
        if !todo.isEmpty {
            let shape = try TreeShape(parsing: "1/g1", maskCount: base.maskCount)
            let decoder = SpeculativeDecoder(model: llama, bita: BiTAParameters(adapter: base),
                                             cache: llama.makeCache(capacity: min(4096, llama.config.contextLength)),
                                             pool: ThreadPool(threads: threads), policy: .fixed(shape),
                                             sampling: SamplingParameters(), seed: 0)
            guard let handle = FileHandle(forWritingAtPath: logPath) ?? {
                _ = FileManager.default.createFile(atPath: logPath, contents: nil)
                return FileHandle(forWritingAtPath: logPath)
            }() else { throw UserFacingError("cannot write \(logPath)") }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            var progress = ProgressLine(total: todo.count, unit: "prompts")
            var examples = 0, tokens = 0
            let started = Date()
            for p in todo {
                let conversation = [ChatMessage(role: .system, content: p.system ?? ChatDefaults.systemPrompt),
                                    ChatMessage(role: .user, content: p.turns[0])]
                let prompt = tokenizer.encode(conversation: conversation, template: template)
                let run: (examples: [DraftRankingExample], answer: [Int32])
                do {
                    run = try DraftRankingLog.collect(decoder: decoder, prompt: prompt, maxTokens: maxAnswerTokens,
                                                      stopTokens: tokenizer.endOfGenerationIDs)
                } catch { throw UserFacingError("\(p.id): \(error)") }
                do { try handle.write(contentsOf: Data(DraftRankingLog.line(id: p.id, examples: run.examples).utf8)) } catch {
                    throw UserFacingError("cannot write \(logPath): \(error.localizedDescription)")
                }
                logged.append(DraftRankingLog.Entry(id: p.id, examples: run.examples))
                examples += run.examples.count
                tokens += run.answer.count
                let rate = Double(tokens) / max(Date().timeIntervalSince(started), 1e-9)
                progress.advance(detail: String(format: "%d examples, %.0f tok/s", examples, rate))
            }
            progress.finish(detail: "\(examples) examples logged to \(logPath)")
        }
        let wanted = Set(items.map(\.id))
        let entries = logged.filter { wanted.contains($0.id) }

        // 2. The fit, measured on held-out prompts.
        let (trainingEntries, heldOutEntries) = DraftRankingLog.split(entries, heldOutFraction: Self.rankingHeldOutFraction)
        let training = trainingEntries.flatMap(\.examples), heldOut = heldOutEntries.flatMap(\.examples)
        guard !training.isEmpty else { throw UserFacingError("the log has no examples to fit; answer more prompts (--ranking-prompts)") }
        printError("fitting a rank-\(rankingRank) draft ranking on \(training.count) examples of \(trainingEntries.count) prompts; "
            + "\(heldOut.count) examples of \(heldOutEntries.count) prompts held out")
        let fitter = DraftRankingFit(model: llama)
        var settings = DraftRankingFit.Settings()
        settings.rank = rankingRank
        settings.epochs = rankingEpochs
        settings.learningRate = rankingLr
        settings.seed = seed
        var progress = ProgressLine(total: rankingEpochs, unit: "epochs")
        let started = Date()
        let ranking = fitter.fit(training, settings: settings) { _, batch, batches, loss in
            if batch == batches { progress.advance(detail: String(format: "loss %.4f", loss)) }
        }
        progress.finish(detail: String(format: "fitted in %.0f s", Date().timeIntervalSince(started)))
        let before = fitter.accuracy(of: nil, on: heldOut), after = fitter.accuracy(of: ranking, on: heldOut)
        let fitted = fitter.accuracy(of: ranking, on: training)
        printError(String(format: "held-out first-mask drafts: top-1 %.3f -> %.3f, top-2 %.3f -> %.3f (training top-1 %.3f)",
                          before.top1Rate, after.top1Rate, before.top2Rate, after.top2Rate, fitted.top1Rate))

        var result = base
        result.ranking = ranking
        result.trainingInfo["bita.train.rank_method"] = .string(
            "score = mask logit + e_c . (V U^T e_root), fitted by Adam on greedy 1/g1 decode logs of \(prompts)")
        result.trainingInfo["bita.train.rank_prompts"] = .uint32(UInt32(entries.count))
        result.trainingInfo["bita.train.rank_examples"] = .uint32(UInt32(training.count))
        result.trainingInfo["bita.train.rank_epochs"] = .uint32(UInt32(rankingEpochs))
        result.trainingInfo["bita.train.rank_lr"] = .float64(rankingLr)
        result.trainingInfo["bita.train.rank_seed"] = .uint64(seed)
        result.trainingInfo["bita.train.rank_heldout_top1_before"] = .float64(before.top1Rate)
        result.trainingInfo["bita.train.rank_heldout_top1"] = .float64(after.top1Rate)
        result.trainingInfo["bita.train.rank_heldout_top2"] = .float64(after.top2Rate)
        try Self.ensureDirectory(for: outPath)
        try writeAdapter(result, to: outPath)
        printError("adapter with draft ranking written to \(outPath)")
    }
}
