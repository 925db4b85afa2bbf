@testable import Inference

/// Small hand-made vocabularies, so tokenizer rules are tested without model files.
enum TestVocabularies {
    /// Byte-level BPE: the 256 byte characters (ids 0...255, in byte order), then one token per
    /// merge result (in merge order), then `specials` as control tokens and `userDefined` ones.
    static func byteLevel(merges: [String], pre: String = "gpt-2", specials: [String] = ["<|im_start|>", "<|im_end|>"],
                          userDefined: [String] = []) -> TokenizerVocabulary {
        var tokens = (0..<256).map { String(Unicode.Scalar(ByteLevelMapping.codepointOfByte[$0])!) }
        for m in merges { tokens.append(m.replacingAll(" ", with: "")) }
        var kinds = Array(repeating: TokenKind.normal, count: tokens.count)
        for s in specials { tokens.append(s); kinds.append(.control) }
        for u in userDefined { tokens.append(u); kinds.append(.userDefined) }
        let eos = specials.contains("<|im_end|>") ? Int32(tokens.firstIndex(of: "<|im_end|>")!) : nil
        return TokenizerVocabulary(model: .bytePairEncoding, tokens: tokens, kinds: kinds, merges: merges,
                                   preTokenizer: pre, eosID: eos, addBOS: false)
    }

    /// SentencePiece: <unk>, <s>, </s>, the 256 byte pieces, then `pieces` with descending scores
    /// (earlier pieces merge first).
    static func sentencePiece(pieces: [String]) -> TokenizerVocabulary {
        var tokens = ["<unk>", "<s>", "</s>"]
        var kinds: [TokenKind] = [.unknown, .control, .control]
        for b in 0..<256 {
            let hex = String(b, radix: 16, uppercase: true)
            tokens.append("<0x" + (hex.count == 1 ? "0" + hex : hex) + ">")
            kinds.append(.byte)
        }
        var scores = Array(repeating: Float(0), count: tokens.count)
        for (i, p) in pieces.enumerated() {
            tokens.append(p); kinds.append(.normal); scores.append(-Float(i))
        }
        return TokenizerVocabulary(model: .sentencePiece, tokens: tokens, kinds: kinds, scores: scores,
                                   bosID: 1, eosID: 2, unknownID: 0)
    }
}
