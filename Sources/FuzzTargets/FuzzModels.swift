import Foundation
import Inference

/// The real vocabularies the text targets run on, loaded once per process. Paths: $BITA_REPO
/// (default: this checkout) for models/SmolLM2-135M-Instruct.Q4_1.gguf, $BITA_STORIES_MODEL
/// (default: ../shared/models/stories260K.gguf beside the checkout) for stories260K.
enum FuzzModels {
    static var repoRoot: String {
        if let r = ProcessInfo.processInfo.environment["BITA_REPO"] { return r }
        // Sources/FuzzTargets/FuzzModels.swift -> repository root
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }
    static var smolLM2Path: String { repoRoot + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }
    static var storiesPath: String {
        ProcessInfo.processInfo.environment["BITA_STORIES_MODEL"] ?? repoRoot + "/../shared/models/stories260K.gguf"
    }

    /// Byte-level BPE with a ChatML template (nil when the model file is absent).
    static let smolLM2: Tokenizer? = load(smolLM2Path)
    /// SentencePiece with byte fallback (nil when the model file is absent).
    static let stories: Tokenizer? = load(storiesPath)

    static func load(_ path: String) -> Tokenizer? {
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("fuzz: \(path) is absent; inputs that need it are skipped\n".utf8))
            return nil
        }
        do { return try Tokenizer(gguf: try GGUFFile(path: path)) } catch {
            fatalError("fuzz: cannot load the tokenizer of \(path): \(error)")
        }
    }
}
