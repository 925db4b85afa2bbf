import Foundation
@testable import Inference

/// Locations of the real model files the suite runs on.
enum TestModels {
    static var repoRoot: String {
        if let r = ProcessInfo.processInfo.environment["BITA_REPO"] { return r }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }
    /// The 260K-parameter TinyStories model (F32, SentencePiece vocabulary).
    static var stories260K: String {
        if let p = ProcessInfo.processInfo.environment["BITA_STORIES_MODEL"] { return p }
        return repoRoot + "/../shared/models/stories260K.gguf"
    }
    /// The default chat model, fetched by `make model`.
    static var smolLM2: String { repoRoot + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() -> String {
        let d = NSTemporaryDirectory() + "bita-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}
