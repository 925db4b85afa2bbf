import Foundation
import Testing
@testable import Inference

@Suite struct ModelFingerprintTests {
    @Test func fnv1aReferenceVectors() {
        func hash(_ s: String) -> UInt64 {
            var h = FNV1a64()
            h.add(bytes: Array(s.utf8))
            return h.state
        }
        #expect(hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(hash("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func hexRoundTrip() {
        let f = ModelFingerprint(value: 0x00ab_cdef_0123_4567)
        #expect(f.description == "00abcdef01234567")
        #expect(ModelFingerprint(hex: f.description) == f)
        #expect(ModelFingerprint(hex: "ABCDEF0123456789")?.value == 0xabcd_ef01_2345_6789)
        #expect(ModelFingerprint(hex: "abc") == nil)
        #expect(ModelFingerprint(hex: "zzzzzzzzzzzzzzzz") == nil)
    }

    /// Same content gives the same fingerprint wherever the file lives; what identifies the
    /// model (tensor table, vocabulary) changes it; weight bytes do not (they are not read).
    @Test func dependsOnTableAndTokenizerOnly() throws {
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestModels.stories260K)))
        let map = try GGUFFieldMap(bytes: valid)
        let original = ModelFingerprint(file: try GGUFFile(path: TestModels.stories260K))

        func fingerprint(_ bytes: [UInt8]) throws -> ModelFingerprint {
            let path = TestModels.temporaryDirectory() + "/m.gguf"
            try GGUFWriter.writeRaw(bytes, to: path)
            return ModelFingerprint(file: try GGUFFile(path: path))
        }
        #expect(try fingerprint(valid) == original)

        var weights = valid
        weights[map.dataSectionOffset + 100] ^= 0xFF
        #expect(try fingerprint(weights) == original)

        let tokens = try #require(map.entry("tokenizer.ggml.tokens")?.firstElementOffset)
        var vocab = valid
        vocab[tokens + 8] ^= 0x01  // first byte of the first token's text
        #expect(try fingerprint(vocab) != original)

        let norm = try #require(map.tensor("blk.0.attn_norm.weight"))
        var renamed = valid
        renamed[norm.nameOffset + 8 + 4] = UInt8(ascii: "9")  // blk.0 -> blk.9
        #expect(try fingerprint(renamed) != original)

        var retyped = valid
        retyped.patch(GGMLType.f16.rawValue, at: norm.typeOffset)  // smaller, still fits
        #expect(try fingerprint(retyped) != original)
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func smolLM2IsFastAndDiffersFromStories() throws {
        let file = try GGUFFile(path: TestModels.smolLM2)
        let clock = ContinuousClock()
        var f = ModelFingerprint(value: 0)
        let elapsed = clock.measure { f = ModelFingerprint(file: file) }
        #expect(elapsed < .seconds(1), "fingerprint took \(elapsed)")
        #expect(f != ModelFingerprint(file: try GGUFFile(path: TestModels.stories260K)))
        #expect(f == ModelFingerprint(file: try GGUFFile(path: TestModels.smolLM2)))
    }
}
