import ArgumentParser
import Foundation
import Inference

struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a model over a text file, like llama.cpp's perplexity tool.",
        discussion: """
            The whole file is tokenized once (no BOS, special-token text left as text) and cut \
            into non-overlapping windows of --ctx tokens; when the model adds BOS, each window is \
            BOS plus the next ctx-1 text tokens. A trailing partial window is dropped. Each window \
            runs from an empty cache and every position after the first is scored: PPL = \
            exp(mean NLL of the true next token).

            With --reference (a JSON file from scripts/peer/perplexity.py for the same model and \
            text), also reports llama.cpp's perplexity for the same windows and the teacher-forced \
            top-1 agreement: how often both engines rank the same next token first.

            \(ModelLocator.helpText)

            Examples:
              bita-chat perplexity --file /tmp/bita-eval-text.txt --ctx 512
              bita-chat perplexity --model ../shared/models/stories260K.gguf --file text.txt --ctx 256 \\
                  --reference Tests/Data/reference/stories260k-perplexity.json --json
            """
    )

    @Option(name: .long, help: "Model file (GGUF). See 'Model resolution' below.")
    var model: String?

    @Option(name: .long, help: "Text file to score (UTF-8).")
    var file: String

    @Option(name: .long, help: "Window size in tokens.")
    var ctx: Int = 512

    @Option(name: .long, help: "Score only the first N windows (default: all).")
    var maxWindows: Int?

    @Option(name: .long, help: "Rows per forward pass within a window.")
    var batch: Int = 64

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "llama.cpp reference JSON (scripts/peer/perplexity.py) for the same model and text.")
    var reference: String?

    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        guard ctx >= 2 else { throw ValidationError("--ctx must be at least 2") }
        if let maxWindows, maxWindows < 1 { throw ValidationError("--max-windows must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() async throws {
        let modelPath: String
        do { modelPath = try ModelLocator().locate(explicit: model).path } catch { throw UserFacingError("\(error)") }
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw UserFacingError("cannot read \(file)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw UserFacingError("\(file) is not valid UTF-8 text")
        }
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let engine: Engine
        do { engine = try Engine(modelPath: modelPath, adapterPath: nil, threads: threadCount) } catch {
            throw UserFacingError("\(error)")
        }
        let tokenizer = engine.tokenizer
        let tokens = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        let begin: Int32? = tokenizer.addsBOS ? tokenizer.bosID : nil
        let windows: PerplexityWindows
        do { windows = try PerplexityWindows(context: ctx, beginToken: begin, textTokenCount: tokens.count) } catch {
            throw UserFacingError("\(error)")
        }

        var refData: PerplexityReference? = nil
        var refEval: PerplexityReference.Evaluation? = nil
        if let reference {
            let r: PerplexityReference
            do { r = try PerplexityReference(path: reference) } catch { throw UserFacingError("\(error)") }
            try Self.checkMatches(r, tokens: tokens, addBOS: tokenizer.addsBOS, fileBytes: bytes.count, reference: reference)
            guard let e = r.evaluation(context: ctx) else {
                throw UserFacingError("\(reference) has no evaluation for --ctx \(ctx) (it has: \(r.evaluations.map { String($0.context) }.joined(separator: ", ")))")
            }
            refData = r
            refEval = e
        }

        let bar = ProgressBar(label: "perplexity")
        let result: PerplexityResult
        do {
            result = try PerplexityRun.evaluate(model: engine.model, pool: engine.pool, text: tokens, windows: windows,
                                                maxWindows: maxWindows, chunkRows: batch, reference: refEval) { done, total, ppl in
                bar.update(done: done, total: total, note: String(format: "ppl %.4f", ppl))
            }
        } catch {
            throw UserFacingError("\(error)")
        }
        bar.finish()

        let referencePPL = refEval.map { $0.perplexity(windows: result.windows) }
        let report = PerplexityJSON(
            model: (modelPath as NSString).lastPathComponent, file: file, bytes: bytes.count, tokens: tokens.count,
            context: ctx, bosPerWindow: begin != nil, windows: result.windows, windowsInFile: windows.count,
            scored: result.scored, meanNLL: result.meanNLL, perplexity: result.perplexity,
            perplexityStandardError: result.perplexity * result.meanNLLStandardError,
            seconds: result.seconds, tokensPerSecond: result.tokensPerSecond, threads: threadCount, batch: batch,
            reference: refEval.map { _ in
                let a = result.agreement!
                return .init(file: reference!, llamaCppPython: refData!.llamaCppPythonVersion, perplexity: referencePPL!,
                             relativeDifference: result.perplexity / referencePPL! - 1,
                             top1Agreement: a.rate, agreed: a.agreed, compared: a.compared,
                             nearTies: a.nearTies(below: Self.nearTie),
                             largestReferenceMargin: a.largestReferenceMargin.map(Double.init))
            })
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            FileHandle.standardOutput.write(try enc.encode(report) + Data("\n".utf8))
        } else {
            print(report.text)
        }
    }

    /// Disagreements where either engine's top-2 gap is below this many logits count as near ties.
    static let nearTie: Float = 0.1

    /// The reference must describe this text as this tokenizer sees it, or the comparison is void.
    static func checkMatches(_ r: PerplexityReference, tokens: [Int32], addBOS: Bool, fileBytes: Int, reference: String) throws {
        guard r.addBOS == addBOS else {
            throw UserFacingError("\(reference) was made with add_bos=\(r.addBOS), this model's tokenizer says \(addBOS): is it for another model (\(r.modelFile))?")
        }
        if let i = firstDifference(tokens, r.tokens, limit: max(tokens.count, r.tokens.count)) {
            let ours = i < tokens.count ? String(tokens[i]) : "end"
            let theirs = i < r.tokens.count ? String(r.tokens[i]) : "end"
            throw UserFacingError("""
                the text's tokens differ from the reference's at token \(i) (ours \(ours), reference \(theirs); \
                \(tokens.count) vs \(r.tokens.count) tokens, file \(fileBytes) bytes vs \(r.textBytes)): \
                is --file the text the reference was made from (scripts/reference/eval_text.sh), and \
                \(r.modelFile) the model?
                """)
        }
    }
}

/// The result of `perplexity`, as JSON and as the plain-text report.
struct PerplexityJSON: Encodable {
    struct Reference: Encodable {
        var file: String
        var llamaCppPython: String
        var perplexity: Double
        var relativeDifference: Double
        var top1Agreement: Double
        var agreed, compared, nearTies: Int
        var largestReferenceMargin: Double?
        enum CodingKeys: String, CodingKey {
            case file, perplexity, agreed, compared
            case largestReferenceMargin = "largest_reference_margin"
            case llamaCppPython = "llama_cpp_python", relativeDifference = "relative_difference"
            case top1Agreement = "top1_agreement", nearTies = "near_ties"
        }
    }
    var model: String
    var file: String
    var bytes: Int
    var tokens: Int
    var context: Int
    var bosPerWindow: Bool
    var windows: Int
    var windowsInFile: Int
    var scored: Int
    var meanNLL: Double
    var perplexity: Double
    var perplexityStandardError: Double
    var seconds: Double
    var tokensPerSecond: Double
    var threads: Int
    var batch: Int
    var reference: Reference?

    enum CodingKeys: String, CodingKey {
        case model, file, bytes, tokens, context, windows, scored, perplexity, seconds, threads, batch, reference
        case bosPerWindow = "bos_per_window", windowsInFile = "windows_in_file", meanNLL = "mean_nll"
        case perplexityStandardError = "perplexity_stderr", tokensPerSecond = "tokens_per_second"
    }

    var text: String {
        var lines = [
            "model       \(model)",
            "text        \(file) (\(bytes) bytes, \(tokens) tokens)",
            "windows     \(windows)\(windows < windowsInFile ? " of \(windowsInFile)" : "") x \(context) tokens (\(bosPerWindow ? "BOS + \(context - 1) text tokens each" : "no BOS")), \(scored) positions scored",
            String(format: "perplexity  %.4f +/- %.4f (mean NLL %.6f nats)", perplexity, perplexityStandardError, meanNLL),
            String(format: "speed       %.1f tokens/s (%.1f s, %d threads, batch %d)", tokensPerSecond, seconds, threads, batch),
        ]
        if let r = reference {
            lines.append(String(format: "llama.cpp   %.4f (ours %+.3f%%)", r.perplexity, 100 * r.relativeDifference))
            lines.append(String(format: "top-1       %.3f%% agreement (%d of %d); %d differ, %d of them near ties (top-2 gap < %.1f logit in either engine)",
                                100 * r.top1Agreement, r.agreed, r.compared, r.compared - r.agreed, r.nearTies,
                                Double(PerplexityCommand.nearTie)))
            if let m = r.largestReferenceMargin {
                lines.append(String(format: "            largest llama.cpp top-2 gap where we differ: %.2f logit", m))
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// A one-line progress bar on stderr; on a non-terminal, a line every tenth of the way.
final class ProgressBar {
    let label: String
    let terminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = 0
    private var drawn = false

    init(label: String) { self.label = label }

    func update(done: Int, total: Int, note: String) {
        if terminal {
            let width = 30
            let filled = total > 0 ? done * width / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) \(note)\u{1B}[K".utf8))
            drawn = true
        } else {
            let tenth = total > 0 ? done * 10 / total : 10
            if tenth > lastTenth {
                lastTenth = tenth
                printError("\(label): \(done)/\(total) windows, \(note)")
            }
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
