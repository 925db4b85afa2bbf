/// Renders a conversation the way a model was trained to see it.
///
/// Rendering produces segments: template markup (turn markers such as `<|im_start|>`, whose
/// special-token text must become special tokens) and message content (user text, which must
/// never: a user typing `<|im_end|>` gets plain text). `Tokenizer.encode(chat:)` honours that
/// split; `render(_:)` joins the segments for display and for comparison with other runtimes.
public struct ChatTemplate: Sendable, Hashable {
    public struct Segment: Sendable, Hashable {
        public var text: String
        /// Template markup: special-token text in it is parsed into special tokens.
        public var isMarkup: Bool
        public init(_ text: String, isMarkup: Bool) { self.text = text; self.isMarkup = isMarkup }
    }

    public let family: ChatTemplateFamily
    /// The system prompt written into the template source, if any.
    public let defaultSystemPrompt: String?
    /// Inserted as the first turn when a conversation does not start with a system message;
    /// nil inserts none. Starts as `defaultSystemPrompt`.
    public var systemPrompt: String?
    /// Why the template was not used as-is (unrecognised or missing), for the user to see.
    public let warning: String?
    /// Text of the begin/end-of-sequence tokens, for families that write them between turns.
    public let beginOfSequenceText: String
    public let endOfSequenceText: String

    public init(family: ChatTemplateFamily, defaultSystemPrompt: String? = nil,
                beginOfSequenceText: String = "<s>", endOfSequenceText: String = "</s>", warning: String? = nil) {
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
        self.systemPrompt = defaultSystemPrompt
        self.beginOfSequenceText = beginOfSequenceText
        self.endOfSequenceText = endOfSequenceText
        self.warning = warning
    }

    /// Recognises `source` (a model's `tokenizer.chat_template`); unknown or missing templates
    /// fall back to ChatML and say so in `warning`.
    public init(source: String?, beginOfSequenceText: String = "<s>", endOfSequenceText: String = "</s>") {
        guard let source, !source.isEmpty else {
            self.init(family: .chatML, beginOfSequenceText: beginOfSequenceText, endOfSequenceText: endOfSequenceText,
                      warning: "the model has no chat template; using ChatML (<|im_start|>role ... <|im_end|>)")
            return
        }
        guard let family = ChatTemplateFamily.recognise(source) else {
            self.init(family: .chatML, beginOfSequenceText: beginOfSequenceText, endOfSequenceText: endOfSequenceText,
                      warning: "unrecognised chat template (not ChatML, Llama 2, Llama 3 or Zephyr); using ChatML, answers may be poor")
            return
        }
        self.init(family: family, defaultSystemPrompt: family.literalSystemPrompt(in: source),
                  beginOfSequenceText: beginOfSequenceText, endOfSequenceText: endOfSequenceText)
    }

    /// The conversation as segments; with `addGenerationPrompt` it ends where the assistant's
    /// answer begins.
    public func segments(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> [Segment] {
        var out: [Segment] = []
        func markup(_ s: String) { if !s.isEmpty { out.append(Segment(s, isMarkup: true)) } }
        func content(_ s: String) { if !s.isEmpty { out.append(Segment(s, isMarkup: false)) } }
        var turns = messages
        if let first = turns.first, first.role != .system, let system = systemPrompt {
            turns.insert(ChatMessage(role: .system, content: system), at: 0)
        }
        switch family {
        case .chatML:
            for m in turns {
                markup("<|im_start|>\(m.role.rawValue)\n"); content(m.content); markup("<|im_end|>\n")
            }
            if addGenerationPrompt { markup("<|im_start|>assistant\n") }
        case .llama3:
            for m in turns {
                markup("<|start_header_id|>\(m.role.rawValue)<|end_header_id|>\n\n")
                content(m.content.trimmingWhitespace())
                markup("<|eot_id|>")
            }
            if addGenerationPrompt { markup("<|start_header_id|>assistant<|end_header_id|>\n\n") }
        case .zephyr:
            for m in turns {
                markup("<|\(m.role.rawValue)|>\n"); content(m.content); markup("\(endOfSequenceText)\n")
            }
            if addGenerationPrompt { markup("<|assistant|>\n") }
        case .llama2:
            // The system turn folds into the first user turn; BOS before the first [INST] comes
            // from the tokenizer (add_bos), later ones are written out.
            var pendingSystem: String? = nil
            var firstUser = true
            for m in turns {
                switch m.role {
                case .system:
                    pendingSystem = m.content
                case .user:
                    markup(firstUser ? "[INST] " : "\(beginOfSequenceText)[INST] ")
                    if let s = pendingSystem {
                        markup("<<SYS>>\n"); content(s); markup("\n<</SYS>>\n\n")
                        pendingSystem = nil
                    }
                    content(m.content)
                    markup(" [/INST]")
                    firstUser = false
                case .assistant:
                    markup(" "); content(m.content); markup(" \(endOfSequenceText)")
                }
            }
        }
        return out
    }

    /// The conversation as one string (what `llama.cpp` would be given as the prompt).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        segments(messages, addGenerationPrompt: addGenerationPrompt).map(\.text).joined()
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
