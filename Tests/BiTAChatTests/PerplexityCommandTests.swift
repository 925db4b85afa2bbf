import Foundation
import Testing

/// `bita-chat perplexity` through the built binary, on stories260K.
@Suite struct PerplexityCommandTests {
    static var stories: String { CLI.storiesModel }
    static var haveStories: Bool { FileManager.default.fileExists(atPath: stories) }
    static var storiesReference: String { CLI.repoRoot + "/Tests/Data/reference/stories260k-perplexity.json" }

    struct Report: Decodable {
        struct Reference: Decodable { var perplexity: Double; var relative_difference: Double; var top1_agreement: Double; var compared: Int }
        var tokens: Int
        var context: Int
        var bos_per_window: Bool
        var windows: Int
        var scored: Int
        var perplexity: Double
        var mean_nll: Double
        var reference: Reference?
    }

    static func temporaryFile(_ name: String, contents: String) throws -> String {
        let path = NSTemporaryDirectory() + "bita-ppl-\(UUID().uuidString)-\(name)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The evaluation text the references were made from (scripts/reference/eval_text.sh).
    static func evaluationText() throws -> String? {
        let out = NSTemporaryDirectory() + "bita-eval-text-\(UUID().uuidString).txt"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [CLI.repoRoot + "/scripts/reference/eval_text.sh", out]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? out : nil
    }

    @Test(.enabled(if: haveStories, "stories260K.gguf is absent"))
    func matchesLlamaCppOnTheEvaluationText() throws {
        guard let text = try Self.evaluationText() else {
            print("skipped: /usr/share/common-licenses is missing, cannot build the evaluation text")
            return
        }
        defer { try? FileManager.default.removeItem(atPath: text) }
        let r = try CLI.run(["perplexity", "--model", Self.stories, "--file", text, "--ctx", "256", "--max-windows", "3",
                             "--threads", "1", "--reference", Self.storiesReference, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        #expect(report.windows == 3 && report.context == 256 && report.bos_per_window)
        #expect(report.scored == 3 * 255)
        #expect(abs(report.perplexity - exp(report.mean_nll)) < 1e-9 * report.perplexity)
        let ref = try #require(report.reference)
        #expect(ref.compared == report.scored)
        #expect(abs(ref.relative_difference) < 0.01, "ours \(report.perplexity), llama.cpp \(ref.perplexity)")
        #expect(ref.top1_agreement >= 0.99)
    }

    @Test(.enabled(if: haveStories, "stories260K.gguf is absent"))
    func plainReportOnAShortText() throws {
        let story = String(repeating: "Once upon a time, there was a little girl named Lily. She liked to play in the park. ", count: 12)
        let file = try Self.temporaryFile("story.txt", contents: story)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try CLI.run(["perplexity", "--model", Self.stories, "--file", file, "--ctx", "64", "--threads", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        #expect(report.windows == report.tokens / 63)
        #expect(report.windows >= 2)
        // A repeated TinyStories sentence is easy for this model: far below the vocabulary size (512).
        #expect(report.perplexity > 1 && report.perplexity < 20, "\(report.perplexity)")
        let plain = try CLI.run(["perplexity", "--model", Self.stories, "--file", file, "--ctx", "64", "--threads", "1"])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("perplexity") && plain.stdout.contains(String(format: "%.4f", report.perplexity)))
    }

    @Test(.enabled(if: haveStories, "stories260K.gguf is absent"))
    func badInputsExitWithOne() throws {
        let missing = try CLI.run(["perplexity", "--model", Self.stories, "--file", "/nonexistent/text.txt"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/text.txt"))

        let short = try Self.temporaryFile("short.txt", contents: "Once upon a time")
        defer { try? FileManager.default.removeItem(atPath: short) }
        let tooShort = try CLI.run(["perplexity", "--model", Self.stories, "--file", short, "--ctx", "256"])
        #expect(tooShort.status == 1)
        #expect(tooShort.stderr.contains("smaller --ctx"), "\(tooShort.stderr)")

        // A reference made from another text: the token ids differ, so the comparison is refused.
        let other = try CLI.run(["perplexity", "--model", Self.stories, "--file", short, "--ctx", "4",
                                 "--reference", Self.storiesReference])
        #expect(other.status == 1)
        #expect(other.stderr.contains("differ from the reference"), "\(other.stderr)")
    }
}
