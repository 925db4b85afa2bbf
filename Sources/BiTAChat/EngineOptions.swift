import ArgumentParser
import Foundation
import Inference

/// Options every model-running command shares: which model and adapter, how to decode, threads.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "Model file (GGUF). See 'Model resolution' below.")
    var model: String?

    @Option(name: .long, help: "BiTA adapter (.bita.gguf). Default: prompts/<model name>.bita.gguf next to the model's install, if present. 'random' (or 'random:SEED') makes a random adapter whose drafts are almost never accepted: BiTA's worst case, for measuring its overhead (a file named random is ./random).")
    var adapter: String?

    @Flag(name: .long, help: "Do not load an adapter (plain decoding only).")
    var noAdapter = false

    @Option(name: .long, help: "Decoding mode: bita (draft and verify) or ar (one token per step). Default: bita when an adapter is found.")
    var mode: DecodingMode?

    @Option(name: .long, help: "BiTA tree shape: 'auto' (chosen from measured costs), 'ar', or candidates per depth like '1,1,1' or '3,2,1/g3'; '/lean' (e.g. '1/g1/lean') puts the mask group only on the deepest draft.")
    var tree: String = "auto"

    @Flag(name: .long, help: "Draft from the mask tokens only. By default, with '--tree auto', a step whose last few tokens already occurred earlier in the conversation may instead verify the tokens that followed them there (chosen when it is expected to confirm more tokens per millisecond); the output is the same either way.")
    var noContextDrafts = false

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "KV cache size in tokens (default: the model's context length).")
    var context: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        if let context, context < 16 { throw ValidationError("--context must be at least 16 tokens") }
        if noAdapter && adapter != nil { throw ValidationError("--adapter and --no-adapter contradict each other") }
    }

    struct Loaded {
        var engine: Engine
        var mode: DecodingMode
        var tree: TreeShape?
        var notice: String?
    }

    /// Loads model and adapter and settles the mode, with user-facing errors.
    func load() throws -> Loaded {
        try Self.load(model: model, adapter: adapter, noAdapter: noAdapter, mode: mode, tree: tree,
                      threads: threads, context: context, contextDrafts: !noContextDrafts)
    }

    static func load(model: String?, adapter: String?, noAdapter: Bool, mode: DecodingMode?, tree: String,
                     threads: Int?, context: Int?, contextDrafts: Bool = true) throws -> Loaded {
        let located: ModelLocator.Located
        do { located = try ModelLocator().locate(explicit: model) } catch { throw UserFacingError("\(error)") }
        var adapterPath = adapter
        var notice: String? = nil
        if adapterPath == nil && !noAdapter && mode != .ar {
            var roots: [String] = []
            if let root = ModelLocator().installRoot { roots.append(root) }
            roots.append(FileManager.default.currentDirectoryPath)
            roots.append(((located.path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
            adapterPath = Engine.defaultAdapterPath(forModel: located.path, searching: roots)
        }
        let choice: Engine.AdapterChoice
        if let a = adapterPath, a == "random" || a.hasPrefix("random:") {
            let seedText = a == "random" ? "17" : String(a.dropFirst("random:".count))
            guard let seed = UInt64(seedText) else {
                throw UserFacingError("--adapter \(a): the seed after 'random:' must be a non-negative integer, e.g. random:17")
            }
            choice = .random(seed: seed)
        } else {
            choice = adapterPath.map { .file($0) } ?? .none
        }
        let engine: Engine
        do {
            engine = try Engine(modelPath: located.path, adapter: choice,
                                threads: threads ?? ThreadPool.activeProcessorCount, contextLength: context,
                                contextDrafts: contextDrafts)
        } catch {
            throw UserFacingError("\(error)")
        }
        var chosen = mode ?? (engine.bita != nil ? .bita : .ar)
        if chosen == .bita && engine.bita == nil {
            if mode == .bita { throw UserFacingError("--mode bita needs an adapter: none was found for \(located.path); give --adapter PATH or train one with 'bita-chat tune'") }
            chosen = .ar
        }
        if mode == nil && engine.bita == nil && !noAdapter {
            notice = "no BiTA adapter found for \((located.path as NSString).lastPathComponent); decoding autoregressively"
        }
        var shape: TreeShape? = nil
        if tree != "auto" {
            if engine.bita == nil && tree.lowercased() != "ar" {
                throw UserFacingError("--tree \(tree) needs a BiTA adapter, and none is loaded (give --adapter PATH)")
            }
            do { shape = try TreeShape(parsing: tree, maskCount: engine.bita?.maskCount ?? 0) } catch {
                throw UserFacingError("\(error)")
            }
        }
        return Loaded(engine: engine, mode: chosen, tree: shape, notice: notice)
    }
}

extension DecodingMode: ExpressibleByArgument {}

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
