import Inference

/// Chat templates: recognising a model's template source, rendering hostile messages, and
/// encoding the rendering so that message text can never turn into turn markers.
///
/// Input layout: parts separated by 0x00. Part 0 is the template source (empty: the model has
/// none); each later part is a message whose first byte picks the role (value % 3: system, user,
/// assistant) and whose rest is its text. The control bits of part 0's length pick the generation
/// prompt; an input starting with 0x01 uses SmolLM2's own template source.
public enum ChatTemplateFuzzTarget: FuzzTarget {
    public static let name = "chat-template"

    public static func prepare() {
        _ = FuzzModels.smolLM2
        _ = FuzzModels.stories
    }

    public static func run(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        func fail(_ message: String) -> FuzzPropertyViolation { FuzzPropertyViolation(name, message) }
        let parts = input.split(separator: 0, omittingEmptySubsequences: false)
        guard let head = parts.first else { return }
        var source: String? = head.isEmpty ? nil : String(decoding: head, as: UTF8.self)
        if head.first == 1, let smol = FuzzModels.smolLM2 { source = smol.vocabulary.chatTemplate }
        let addGenerationPrompt = head.count % 2 == 0
        let roles: [ChatRole] = [.system, .user, .assistant]
        let messages = parts.dropFirst().map { part -> ChatMessage in
            let role = roles[Int(part.first ?? 1) % 3]
            return ChatMessage(role: role, content: String(decoding: part.dropFirst(), as: UTF8.self))
        }

        let template = ChatTemplate(source: source)
        if ChatTemplateFamily.recognise(source ?? "") == nil, template.warning == nil {
            throw fail("an unrecognised template came without a warning")
        }
        let segments = template.segments(messages, addGenerationPrompt: addGenerationPrompt)
        let rendered = template.render(messages, addGenerationPrompt: addGenerationPrompt)
        guard segments.map(\.text).joined() == rendered else { throw fail("render differs from its segments") }
        // Every content segment is text a message (or the system prompt) supplied.
        let supplied = Set(messages.map(\.content) + messages.map { $0.content.trimmedForFuzz }
                           + [template.systemPrompt ?? "", template.systemPrompt?.trimmedForFuzz ?? ""])
        for s in segments where !s.isMarkup && !supplied.contains(s.text) {
            throw fail("content segment \(s.text.debugDescription) is not any message's text")
        }

        // Message text never yields a special token: the control tokens of the encoded chat are
        // exactly those of the markup segments on their own.
        guard let tokenizer = FuzzModels.smolLM2 else { return }
        let ids = tokenizer.encode(chat: segments, addSpecial: true)
        let controlInChat = ids.filter { tokenizer.isControl($0) }
        var controlInMarkup: [Int32] = []
        if tokenizer.addsBOS, let bos = tokenizer.bosID { controlInMarkup.append(bos) }
        for s in segments where s.isMarkup {
            controlInMarkup += tokenizer.encode(s.text, addSpecial: false, parseSpecial: true).filter { tokenizer.isControl($0) }
        }
        if tokenizer.addsEOS, let eos = tokenizer.eosID { controlInMarkup.append(eos) }
        guard controlInChat == controlInMarkup else {
            throw fail("control tokens \(controlInChat) in the chat, \(controlInMarkup) in its markup")
        }
    }
}

extension String {
    /// Leading and trailing whitespace removed (the Llama 3 family trims message text).
    var trimmedForFuzz: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
