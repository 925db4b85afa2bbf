import Foundation
import Testing
@testable import Inference

/// Reference data from scripts/reference/gen_tokenizer_corpus.py: llama.cpp's ids for a seeded
/// corpus of 2,400 strings (SmolLM2, stories260K) and 700 strings per re-labelled pre-tokenizer.
enum TokenizerReference {
    static var repoRoot: String { TestModels.repoRoot }
    static var dataDirectory: String { repoRoot + "/Tests/Data/tokenizer" }
    static var smolLMPath: String {
        ProcessInfo.processInfo.environment["BITA_MODEL"] ?? repoRoot + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }
    static var storiesPath: String { TestModels.stories260K }
    static var haveSmolLM: Bool { FileManager.default.fileExists(atPath: smolLMPath) }
    static var haveStories: Bool { FileManager.default.fileExists(atPath: storiesPath) }

    struct Corpus: Decodable { var seed: Int; var strings: [String] }
    struct Ids: Decodable {
        var count: Int
        var add_bos: Bool
        var pre_override: String?
        var ids: [[Int32]]
        var decoded_hex_if_different: [String: String]
    }

    struct SpecialIds: Decodable { var indices: [Int]; var ids: [[Int32]]; var add_bos: Bool }

    static func specialIds(_ name: String) throws -> SpecialIds {
        let data = try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/\(name).special.json"))
        return try JSONDecoder().decode(SpecialIds.self, from: data)
    }

    static func corpus() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/corpus.json"))
        return try JSONDecoder().decode(Corpus.self, from: data).strings
    }

    static func ids(_ name: String) throws -> Ids {
        let data = try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/\(name).ids.json"))
        return try JSONDecoder().decode(Ids.self, from: data)
    }

    static func vocabulary(_ path: String) throws -> TokenizerVocabulary {
        try TokenizerVocabulary(metadata: GGUFFile(path: path).metadata)
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.utf8.makeIterator()
        while let h = it.next(), let l = it.next() {
            out.append(UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)!)
        }
        return out
    }

    /// Compares ids and decoding against the reference; returns a description of each mismatch.
    static func check(_ tokenizer: Tokenizer, _ ref: Ids, _ strings: [String]) -> (idMismatches: [String], decodeMismatches: [String], lossless: Int) {
        var idMismatches: [String] = [], decodeMismatches: [String] = []
        var lossless = 0
        for i in 0..<ref.count {
            let s = strings[i]
            let ours = tokenizer.encode(s, addSpecial: ref.add_bos, parseSpecial: false)
            if ours != ref.ids[i] {
                idMismatches.append("#\(i) \(String(reflecting: String(s.prefix(60)))): ours \(ours.prefix(24)) llama.cpp \(ref.ids[i].prefix(24))")
            }
            let expected = ref.decoded_hex_if_different[String(i)].map(bytes(hex:)) ?? Array(s.utf8)
            if tokenizer.decodeBytes(ref.ids[i]) != expected {
                decodeMismatches.append("#\(i) \(String(reflecting: String(s.prefix(60))))")
            }
            if ref.decoded_hex_if_different[String(i)] == nil {
                lossless += 1
                if tokenizer.decode(ours) != s { decodeMismatches.append("round trip #\(i)") }
            }
        }
        return (idMismatches, decodeMismatches, lossless)
    }
}

@Suite struct TokenizerCorpusTests {
    @Test(.enabled(if: TokenizerReference.haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func smolLM2MatchesLlamaCpp() throws {
        let strings = try TokenizerReference.corpus()
        let ref = try TokenizerReference.ids("smollm2")
        #expect(strings.count >= 2000 && ref.count == strings.count)
        let tokenizer = try Tokenizer(vocabulary: TokenizerReference.vocabulary(TokenizerReference.smolLMPath))
        let r = TokenizerReference.check(tokenizer, ref, strings)
        let idMismatches = r.idMismatches.count, decodeMismatches = r.decodeMismatches.count
        #expect(idMismatches == 0, "\(idMismatches) of \(ref.count) differ:\n\(r.idMismatches.prefix(10).joined(separator: "\n"))")
        #expect(decodeMismatches == 0, "\(r.decodeMismatches.prefix(10).joined(separator: "\n"))")
        #expect(r.lossless > 2000)
    }

    @Test(.enabled(if: TokenizerReference.haveStories, "stories260K.gguf absent from ../shared/models"))
    func stories260KMatchesLlamaCpp() throws {
        let strings = try TokenizerReference.corpus()
        let ref = try TokenizerReference.ids("stories260k")
        #expect(ref.count == strings.count && ref.add_bos)
        let tokenizer = try Tokenizer(vocabulary: TokenizerReference.vocabulary(TokenizerReference.storiesPath))
        let r = TokenizerReference.check(tokenizer, ref, strings)
        let idMismatches = r.idMismatches.count, decodeMismatches = r.decodeMismatches.count
        #expect(idMismatches == 0, "\(idMismatches) of \(ref.count) differ:\n\(r.idMismatches.prefix(10).joined(separator: "\n"))")
        #expect(decodeMismatches == 0, "\(r.decodeMismatches.prefix(10).joined(separator: "\n"))")
        #expect(r.lossless > 2000)
    }

    /// The SmolLM2 vocabulary re-labelled with other pre-tokenizers, so each splitting rule is
    /// checked against llama.cpp on the same strings.
    @Test(.enabled(if: TokenizerReference.haveSmolLM, "SmolLM2 model file absent (run `make model`)"),
          arguments: ["gpt-2", "llama-bpe", "qwen2", "default"])
    func preTokenizerVariantsMatchLlamaCpp(pre: String) throws {
        let strings = try TokenizerReference.corpus()
        let ref = try TokenizerReference.ids("smollm2-pre-\(pre)")
        #expect(ref.pre_override == pre && ref.count >= 500)
        var vocab = try TokenizerReference.vocabulary(TokenizerReference.smolLMPath)
        vocab.preTokenizer = pre
        let tokenizer = try Tokenizer(vocabulary: vocab)
        let r = TokenizerReference.check(tokenizer, ref, strings)
        let idMismatches = r.idMismatches.count, decodeMismatches = r.decodeMismatches.count
        #expect(idMismatches == 0, "\(pre): \(idMismatches) of \(ref.count) differ:\n\(r.idMismatches.prefix(10).joined(separator: "\n"))")
        #expect(decodeMismatches == 0, "\(pre): \(r.decodeMismatches.prefix(10).joined(separator: "\n"))")
    }

    /// Special-token parsing (chat-template text) on the corpus strings that hold '<' or '['.
    @Test(arguments: ["smollm2", "stories260k"])
    func specialParsingMatchesLlamaCpp(model: String) throws {
        let path = model == "smollm2" ? TokenizerReference.smolLMPath : TokenizerReference.storiesPath
        guard FileManager.default.fileExists(atPath: path) else {
            print("skipped: \(path) absent")
            return
        }
        let strings = try TokenizerReference.corpus()
        let ref = try TokenizerReference.specialIds(model)
        #expect(ref.indices.count >= 300)
        let tokenizer = try Tokenizer(vocabulary: TokenizerReference.vocabulary(path))
        var mismatches: [String] = []
        var specialSeen = 0
        for (k, i) in ref.indices.enumerated() {
            let ours = tokenizer.encode(strings[i], addSpecial: ref.add_bos, parseSpecial: true)
            specialSeen += ours.filter { tokenizer.isControl($0) && $0 != tokenizer.bosID }.count
            if ours != ref.ids[k] { mismatches.append("#\(i) \(String(reflecting: String(strings[i].prefix(60))))") }
        }
        let count = mismatches.count
        #expect(count == 0, "\(model): \(count) of \(ref.indices.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
        #expect(specialSeen > 20, "the strings should contain parsed special tokens")
    }
}
