import Foundation
import Testing
@testable import Inference

/// llama.cpp's view of each vocabulary (scripts/reference/gen_tokenizer_corpus.py): special
/// ids, the end-of-generation set, control tokens, and hashes of every token's decoded piece.
@Suite struct TokenizerVocabularyFactsTests {
    struct Facts: Decodable {
        var vocab_size: Int
        var bos: Int32
        var eos: Int32
        var eot: Int32?
        var eog: [Int32]
        var control: [Int32]
        var piece_block: Int
        var piece_hashes_special: [String]
        var piece_hashes_plain: [String]
    }

    /// FNV-1a 64 over each piece as 4-byte little-endian length + bytes, per block of ids.
    static func pieceHashes(_ t: Tokenizer, block: Int, renderSpecial: Bool) -> [String] {
        var out: [String] = []
        for start in stride(from: 0, to: t.vocabularySize, by: block) {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            for id in start..<min(t.vocabularySize, start + block) {
                let p = t.piece(Int32(id), renderSpecial: renderSpecial)
                let n = UInt32(p.count)
                for k in 0..<4 { mix(UInt8(truncatingIfNeeded: n >> (8 * UInt32(k)))) }
                for b in p { mix(b) }
            }
            let hex = String(h, radix: 16)
            out.append(String(repeating: "0", count: 16 - hex.count) + hex)
        }
        return out
    }

    @Test(arguments: ["smollm2", "stories260k"])
    func matchesLlamaCpp(model: String) throws {
        let path = model == "smollm2" ? TokenizerReference.smolLMPath : TokenizerReference.storiesPath
        guard FileManager.default.fileExists(atPath: path) else {
            print("skipped: \(path) absent")
            return
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: TokenizerReference.dataDirectory + "/\(model).vocab-facts.json"))
        let facts = try JSONDecoder().decode(Facts.self, from: data)
        let t = try Tokenizer(gguf: GGUFFile(path: path))
        #expect(t.vocabularySize == facts.vocab_size)
        #expect(t.bosID == facts.bos && t.eosID == facts.eos)
        #expect(t.endOfGenerationIDs == Set(facts.eog))
        #expect((0..<Int32(t.vocabularySize)).filter { t.kind(of: $0) == .control } == facts.control)
        let special = Self.pieceHashes(t, block: facts.piece_block, renderSpecial: true)
        let plain = Self.pieceHashes(t, block: facts.piece_block, renderSpecial: false)
        let badSpecial = special.indices.filter { special[$0] != facts.piece_hashes_special[$0] }
        let badPlain = plain.indices.filter { plain[$0] != facts.piece_hashes_plain[$0] }
        #expect(special.count == facts.piece_hashes_special.count && badSpecial.isEmpty,
                "piece blocks (special rendered) that differ: \(badSpecial)")
        #expect(plain.count == facts.piece_hashes_plain.count && badPlain.isEmpty,
                "piece blocks (plain) that differ: \(badPlain)")
    }
}
