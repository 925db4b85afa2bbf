extension Tokenizer {
    /// The model's chat template (`tokenizer.chat_template`), recognised by family, with this
    /// vocabulary's BOS/EOS texts.
    public var chatTemplate: ChatTemplate {
        ChatTemplate(source: vocabulary.chatTemplate,
                     beginOfSequenceText: bosID.map(tokenText) ?? "<s>",
                     endOfSequenceText: eosID.map(tokenText) ?? "</s>")
    }

    /// Ids of a rendered conversation: special-token text is parsed in template markup only, so
    /// message content containing e.g. `<|im_end|>` stays plain text. Apart from that, the ids
    /// are those of `encode(segments joined, parseSpecial: true)`.
    public func encode(chat segments: [ChatTemplate.Segment], addSpecial: Bool = true) -> [Int32] {
        var bytes: [UInt8] = []
        var parts: [(range: Range<Int>, parseSpecial: Bool)] = []
        for s in segments {
            let start = bytes.count
            bytes.append(contentsOf: s.text.utf8)
            parts.append((start..<bytes.count, s.isMarkup))
        }
        return encode(bytes: bytes, parts: parts, addSpecial: addSpecial)
    }

    /// Renders and encodes a conversation with `template` (default: the model's own).
    public func encode(conversation: [ChatMessage], template: ChatTemplate? = nil,
                       addGenerationPrompt: Bool = true) -> [Int32] {
        let t = template ?? chatTemplate
        return encode(chat: t.segments(conversation, addGenerationPrompt: addGenerationPrompt))
    }
}
