import Testing
@testable import Inference

@Suite struct TokenizerByteLevelTests {
    let tokenizer = try! Tokenizer(vocabulary: TestVocabularies.byteLevel(
        merges: ["h e", "l l", "he ll", "hell o", "Ġ w", "Ġw o", "r l", "Ġwo rl", "Ġworl d"]))

    func id(_ text: String) -> Int32 { tokenizer.id(ofToken: text)! }

    @Test func byteMappingIsABijection() {
        let cps = Set(ByteLevelMapping.codepointOfByte)
        #expect(cps.count == 256)
        for b in 0..<256 {
            let spelled = String(Unicode.Scalar(ByteLevelMapping.codepointOfByte[b])!)
            #expect(ByteLevelMapping.decode(spelled) == [UInt8(b)])
        }
        #expect(ByteLevelMapping.codepointOfByte[0x20] == 0x120)  // "Ġ"
        #expect(ByteLevelMapping.codepointOfByte[0x0A] == 0x10A)  // "Ċ"
    }

    @Test func mergesFollowRank() {
        #expect(tokenizer.encode("hello world") == [id("hello"), id("Ġworld")])
        // "ell": "l l" (rank 1) beats nothing else; "h e" needs an 'h'.
        #expect(tokenizer.encode("ell") == [id("e"), id("ll")])
        let elFirst = try! Tokenizer(vocabulary: TestVocabularies.byteLevel(merges: ["e l", "l l"]))
        #expect(elFirst.encode("ell") == [elFirst.id(ofToken: "el")!, elFirst.id(ofToken: "l")!])
        let llFirst = try! Tokenizer(vocabulary: TestVocabularies.byteLevel(merges: ["l l", "e l"]))
        #expect(llFirst.encode("ell") == [llFirst.id(ofToken: "e")!, llFirst.id(ofToken: "ll")!])
    }

    @Test func everyByteSurvivesARoundTrip() {
        for s in ["", "héllo wörld", "日本語 👍🏽 e\u{301}", "\0\u{1}\t\r\n", String(repeating: "ab ", count: 300)] {
            let ids = tokenizer.encode(s)
            #expect(tokenizer.decode(ids) == s)
        }
        #expect(tokenizer.encode("é") == [id("Ã"), id("©")])  // U+00E9 is bytes C3 A9
    }

    @Test func specialTextIsPlainUnlessParsed() {
        let end = id("<|im_end|>")
        let plain = tokenizer.encode("hi<|im_end|>there", parseSpecial: false)
        #expect(!plain.contains(end))
        #expect(tokenizer.decode(plain) == "hi<|im_end|>there")
        let parsed = tokenizer.encode("hi<|im_end|>there", parseSpecial: true)
        #expect(parsed.filter { $0 == end }.count == 1)
        #expect(parsed == tokenizer.encode("hi") + [end] + tokenizer.encode("there"))
        // Control tokens decode to nothing unless asked for.
        #expect(tokenizer.decode(parsed) == "hithere")
        #expect(tokenizer.decode(parsed, renderSpecial: true) == "hi<|im_end|>there")
    }

    @Test func userDefinedTokensAlwaysMatch() throws {
        let t = try Tokenizer(vocabulary: TestVocabularies.byteLevel(merges: [], userDefined: ["<tool>"]))
        let tool = t.id(ofToken: "<tool>")!
        #expect(t.encode("a<tool>b", parseSpecial: false) == [t.id(ofToken: "a")!, tool, t.id(ofToken: "b")!])
        #expect(t.decode(t.encode("a<tool>b")) == "a<tool>b")
    }

    @Test func longerSpecialTextWins() throws {
        let t = try Tokenizer(vocabulary: TestVocabularies.byteLevel(merges: [], specials: ["<|a|>", "<|a|>b"]))
        #expect(t.encode("<|a|>b", parseSpecial: true) == [t.id(ofToken: "<|a|>b")!])
        #expect(t.encode("<|a|>c", parseSpecial: true) == [t.id(ofToken: "<|a|>")!, t.id(ofToken: "c")!])
    }

    @Test func endOfTurnTokens() {
        #expect(tokenizer.isEndOfTurn(id("<|im_end|>")))
        #expect(tokenizer.eotID == id("<|im_end|>"))
        #expect(!tokenizer.isEndOfTurn(id("<|im_start|>")))
        #expect(!tokenizer.isEndOfTurn(id("hello")))
        #expect(tokenizer.isControl(id("<|im_start|>")) && !tokenizer.isControl(id("h")))
    }

    @Test func displayTextShowsPieces() {
        #expect(tokenizer.displayText(id("Ġworld")) == " world")
        #expect(tokenizer.tokenText(id("Ġworld")) == "Ġworld")
        #expect(tokenizer.displayText(id("<|im_end|>")) == "<|im_end|>")
        #expect(tokenizer.displayText(id("Ã")) == "<0xC3>")
    }

    @Test func specialIdsMustBeInTheVocabulary() {
        var v = TestVocabularies.byteLevel(merges: [])
        v.bosID = Int32(v.tokens.count)
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: v) }
        v.bosID = -1
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: v) }
        v.bosID = 0
        #expect(throws: Never.self) { try Tokenizer(vocabulary: v) }
    }

    @Test func unknownPreTokenizerIsAnError() {
        var v = TestVocabularies.byteLevel(merges: [])
        v.preTokenizer = "no-such-pre"
        #expect(throws: TokenizerError.unsupportedPreTokenizer("no-such-pre")) { try Tokenizer(vocabulary: v) }
        #expect(TokenizerError.unsupportedPreTokenizer("x").description.contains("smollm"))
    }
}

@Suite struct TokenizerPreTokenizerTests {
    func words(_ text: String, _ kind: PreTokenizerKind) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let cps = scalars.map(\.value)
        let flags = cps.map(CodepointFlags.of)
        let lengths = cps.withUnsafeBufferPointer { c in
            flags.withUnsafeBufferPointer { f in PreTokenizer(kind: kind).split(c, flags: f) }
        }
        var out: [String] = [], start = 0
        for n in lengths {
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars[start..<(start + n)])
            out.append(s)
            start += n
        }
        #expect(start == scalars.count)
        return out
    }

    @Test func gpt2() {
        #expect(words("Hello  world", .gpt2) == ["Hello", " ", " world"])
        #expect(words("don't DON'T", .gpt2) == ["don", "'t", " DON", "'", "T"])
        #expect(words(" 123abc", .gpt2) == [" 123", "abc"])
        #expect(words("x  \n y", .gpt2) == ["x", "  \n", " y"])
        #expect(words("end   ", .gpt2) == ["end", "   "])
        #expect(words("e\u{301}t\u{e9}", .gpt2) == ["e", "\u{301}", "t\u{e9}"])
        #expect(words("a,.b", .gpt2) == ["a", ",.", "b"])
    }

    @Test func smollmIsolatesEveryNumber() {
        #expect(words(" 123abc", .smollm) == [" ", "1", "2", "3", "abc"])
        #expect(words("x٣²y", .smollm) == ["x", "٣", "²", "y"])
    }

    @Test func llama3() {
        #expect(words("12345", .llama3) == ["123", "45"])
        #expect(words("DON'T", .llama3) == ["DON", "'T"])
        #expect(words("hello\n\n world", .llama3) == ["hello", "\n\n", " world"])
        #expect(words("x!!\n\ny", .llama3) == ["x", "!!\n\n", "y"])
        #expect(words("(abc", .llama3) == ["(abc"])
    }

    @Test func qwen2SplitsSingleDigits() {
        #expect(words("12345", .qwen2) == ["1", "2", "3", "4", "5"])
        #expect(words("a12", .qwen2) == ["a", "1", "2"])
    }

    @Test func defaultPasses() {
        #expect(words("a+b=c", .default) == ["a", "+", "b", "=", "c"])
        #expect(words("1234567", .default) == ["123", "456", "7"])
        #expect(words("x`y", .default) == ["x", "`", "y"])
    }

    @Test func categoriesStopAtUnicode15_1() {
        #expect(CodepointFlags.of(0x61).isLetter)
        #expect(CodepointFlags.of(0x663).isNumber)  // ARABIC-INDIC DIGIT THREE
        #expect(CodepointFlags.of(0x3000).isWhitespace)
        #expect(CodepointFlags.of(0x85) == [.control, .whitespace])
        #expect(CodepointFlags.of(0x2FFC) == .symbol)  // assigned in Unicode 15.1
        #expect(CodepointFlags.of(0x897) == .undefined)  // assigned in Unicode 16.0
        #expect(CodepointFlags.of(0x1CCF0) == .undefined)  // Unicode 16.0 digit
        #expect(CodepointFlags.of(0x20000).isLetter)
        #expect(CodepointFlags.of(0x301) == .mark)
    }
}

@Suite struct TokenizerSentencePieceTests {
    let tokenizer = try! Tokenizer(vocabulary: TestVocabularies.sentencePiece(
        pieces: ["▁", "a", "b", "▁a", "ab", "▁ab", "▁b"]))

    func id(_ text: String) -> Int32 { tokenizer.id(ofToken: text)! }

    @Test func leadingSpaceAndBOS() {
        #expect(tokenizer.addsBOS && tokenizer.addsSpacePrefix)
        #expect(tokenizer.encode("ab") == [1, id("▁ab")])
        #expect(tokenizer.encode("ab", addSpecial: false) == [id("▁ab")])
        #expect(tokenizer.encode("ab b") == [1, id("▁ab"), id("▁b")])
        #expect(tokenizer.encode("") == [1])
        #expect(tokenizer.decode(tokenizer.encode("ab b")) == "ab b")
        #expect(tokenizer.decode(tokenizer.encode(" ab")) == " ab")
    }

    @Test func higherScoreMergesFirst() throws {
        // "▁a" outranks "ab": "▁ab" text becomes "▁a" + "b" when "▁ab" is missing.
        let t = try Tokenizer(vocabulary: TestVocabularies.sentencePiece(pieces: ["▁", "a", "b", "▁a", "ab"]))
        #expect(t.encode("ab", addSpecial: false) == [t.id(ofToken: "▁a")!, t.id(ofToken: "b")!])
        let u = try Tokenizer(vocabulary: TestVocabularies.sentencePiece(pieces: ["▁", "a", "b", "ab", "▁a"]))
        #expect(u.encode("ab", addSpecial: false) == [u.id(ofToken: "▁")!, u.id(ofToken: "ab")!])
    }

    @Test func byteFallback() {
        let ids = tokenizer.encode("é", addSpecial: false)
        #expect(ids == [id("▁"), id("<0xC3>"), id("<0xA9>")])
        #expect(tokenizer.decode(ids) == "é")
    }

    @Test func specialTokenGetsSpaceAfterIt() {
        #expect(tokenizer.encode("a</s>b", parseSpecial: true) == [1, id("▁a"), 2, id("▁b")])
        #expect(!tokenizer.encode("a</s>b", parseSpecial: false).contains(2))
    }
}

@Suite struct TokenizerStreamingTests {
    @Test func holdsBackPartialCharacters() throws {
        let t = try Tokenizer(vocabulary: TestVocabularies.sentencePiece(pieces: ["▁", "a"]))
        let ids = t.encode("aé😀a", addSpecial: false)
        var d = StreamingDetokenizer(tokenizer: t, atTextStart: true)
        var pieces: [String] = []
        for id in ids { pieces.append(d.append(id)) }
        pieces.append(d.finish())
        #expect(pieces.joined() == "aé😀a")
        #expect(pieces.joined() == t.decode(ids))
        // Every emitted piece is whole characters; the 4-byte emoji arrives with its last byte.
        #expect(pieces.contains("😀"))
        #expect(pieces.filter { $0.isEmpty }.count >= 4)
    }

    @Test func continuationKeepsLeadingSpace() throws {
        let t = try Tokenizer(vocabulary: TestVocabularies.sentencePiece(pieces: ["▁", "a", "▁a"]))
        var d = StreamingDetokenizer(tokenizer: t, atTextStart: false)
        #expect(d.append(t.id(ofToken: "▁a")!) == " a")
        var s = StreamingDetokenizer(tokenizer: t, atTextStart: true)
        #expect(s.append(t.id(ofToken: "▁a")!) == "a")
        #expect(s.append(t.id(ofToken: "▁a")!) == " a")
    }

    @Test func invalidBytesComeOutAtOnce() throws {
        let t = try Tokenizer(vocabulary: TestVocabularies.sentencePiece(pieces: []))
        var d = StreamingDetokenizer(tokenizer: t)
        #expect(d.append(t.id(ofToken: "<0xFF>")!) == "\u{FFFD}")
        #expect(d.append(t.id(ofToken: "<0xE2>")!) == "")
        #expect(d.pendingByteCount == 1)
        #expect(d.finish() == "\u{FFFD}")
        #expect(d.append(t.id(ofToken: "<0x41>")!) == "A")
    }

    @Test func incompleteSuffixRules() {
        #expect(StreamingDetokenizer.incompleteSuffixLength([0x41]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0x41, 0xC3]) == 1)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xF0, 0x9F, 0x98]) == 3)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xF0, 0x9F, 0x98, 0x80]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xE0, 0x80]) == 0)  // overlong: never valid
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xED, 0xA0]) == 0)  // surrogate
        #expect(StreamingDetokenizer.incompleteSuffixLength([0x80]) == 0)
    }

    @Test func byteLevelPiecesStream() throws {
        let t = try Tokenizer(vocabulary: TestVocabularies.byteLevel(merges: []))
        let text = "日本 👍🏽!"
        let ids = t.encode(text)
        var d = StreamingDetokenizer(tokenizer: t)
        var out = ""
        for id in ids {
            let piece = d.append(id)
            #expect(!piece.unicodeScalars.contains("\u{FFFD}"))
            out += piece
        }
        #expect(out + d.finish() == text)
    }
}

@Suite struct TokenizerModelFileTests {
    @Test(.enabled(if: TokenizerReference.haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func smolLM2Facts() throws {
        let t = try Tokenizer(gguf: GGUFFile(path: TokenizerReference.smolLMPath))
        #expect(t.vocabularySize == 49152)
        #expect(t.preTokenizerKind == .smollm)
        #expect(!t.addsBOS && !t.addsSpacePrefix)
        #expect(t.eosID == 2 && t.tokenText(2) == "<|im_end|>")
        #expect(t.isEndOfTurn(2) && t.isEndOfTurn(0))
        #expect(!t.isEndOfTurn(1))
        #expect(t.encode("<|im_end|>", parseSpecial: true) == [2])
        #expect(!t.encode("<|im_end|>", parseSpecial: false).contains(2))
    }

    @Test(.enabled(if: TokenizerReference.haveStories, "stories260K.gguf absent from ../shared/models"))
    func storiesFacts() throws {
        let t = try Tokenizer(gguf: GGUFFile(path: TokenizerReference.storiesPath))
        #expect(t.vocabularySize == 512)
        #expect(t.addsBOS && t.addsSpacePrefix && t.bosID == 1 && t.eosID == 2)
        let ids = t.encode("Once upon a time")
        #expect(ids.first == 1 && ids.count > 2)
        #expect(t.decode(ids) == "Once upon a time")
    }
}
