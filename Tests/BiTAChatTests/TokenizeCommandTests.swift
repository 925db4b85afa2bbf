import Foundation
import Testing

@Suite struct TokenizeCommandTests {
    static var smolLM: String { CLI.repoRoot + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }
    static var haveSmolLM: Bool { FileManager.default.fileExists(atPath: smolLM) }

    struct Report: Decodable {
        struct Token: Decodable { var id: Int32; var text: String; var token: String }
        var count: Int
        var tokenizer: String
        var pre_tokenizer: String?
        var tokens: [Token]
    }

    @Test(.enabled(if: haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func jsonListsIdsAndTexts() throws {
        let r = try CLI.run(["tokenize", "--model", Self.smolLM, "--text", "Hello world<|im_end|>", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        #expect(report.tokenizer == "gpt2" && report.pre_tokenizer == "smollm")
        #expect(report.count == report.tokens.count)
        #expect(report.tokens.map(\.text).joined() == "Hello world<|im_end|>")
        #expect(!report.tokens.contains { $0.id == 2 })  // typed marker stays text
        let special = try CLI.run(["tokenize", "--model", Self.smolLM, "--text", "Hello<|im_end|>", "--json", "--parse-special"])
        let parsed = try JSONDecoder().decode(Report.self, from: Data(special.stdout.utf8))
        #expect(parsed.tokens.last?.id == 2)
    }

    @Test(.enabled(if: haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func modelFromEnvironmentAndChatMode() throws {
        let r = try CLI.run(["tokenize", "--text", "Hi", "--chat", "--system", "Be brief."],
                            environment: ["BITA_MODEL": Self.smolLM])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"<|im_start|>\"  (special)"))
        #expect(r.stdout.contains("\" brief\""))
    }

    @Test func badInputExitsWithOne() throws {
        let missing = try CLI.run(["tokenize", "--model", "/nonexistent/model.gguf", "--text", "x"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/model.gguf"))
        let noText = try CLI.run(["tokenize", "--model", "/nonexistent/model.gguf"])
        #expect(noText.status == 1)
        #expect(noText.stderr.contains("--text"))
    }

    @Test func helpTeachesModelResolution() throws {
        let r = try CLI.run(["tokenize", "--help"])
        #expect(r.status == 0)
        for needle in ["--model", "BITA_MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf", "--parse-special", "--json"] {
            #expect(r.stdout.contains(needle), "help lacks \(needle)")
        }
    }
}
