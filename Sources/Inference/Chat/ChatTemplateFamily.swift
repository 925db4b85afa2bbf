/// The chat formats we can render. GGUF files carry their template as Jinja source
/// (`tokenizer.chat_template`); we recognise the family from its markers instead of running Jinja.
public enum ChatTemplateFamily: String, Sendable, Hashable, CaseIterable, Codable {
    /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen, many others).
    case chatML
    /// `[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s><s>[INST] ...` (Llama 2, Mistral).
    case llama2
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (Llama 3).
    case llama3
    /// `<|user|>\ncontent</s>\n<|assistant|>\n` (Zephyr).
    case zephyr

    /// The family a template's source belongs to, or nil when no known marker is present.
    public static func recognise(_ source: String) -> ChatTemplateFamily? {
        if source.containsScalars("<|im_start|>") { return .chatML }
        if source.containsScalars("<|start_header_id|>") { return .llama3 }
        if source.containsScalars("[INST]") { return .llama2 }
        if source.containsScalars("<|user|>") && source.containsScalars("<|assistant|>") { return .zephyr }
        return nil
    }

    /// Markers that open and close a literal system turn in template source.
    var systemTurnMarkers: (open: [String], close: String)? {
        switch self {
        case .chatML: return (["<|im_start|>system\n", "<|im_start|>system\\n"], "<|im_end|>")
        case .llama3: return (["<|start_header_id|>system<|end_header_id|>\n\n",
                               "<|start_header_id|>system<|end_header_id|>\\n\\n"], "<|eot_id|>")
        case .zephyr: return (["<|system|>\n", "<|system|>\\n"], "</s>")
        case .llama2: return (["<<SYS>>\n", "<<SYS>>\\n"], "<</SYS>>")
        }
    }

    /// A system prompt written literally in the template (used when a conversation has none),
    /// e.g. SmolLM2's "You are a helpful AI assistant named SmolLM, trained by Hugging Face".
    /// Templates that build the system turn from variables have none.
    func literalSystemPrompt(in source: String) -> String? {
        guard let (opens, close) = systemTurnMarkers else { return nil }
        for open in opens {
            var rest = source[...]
            while let o = rest.firstRange(ofScalars: open) {
                rest = rest[o.upperBound...]
                guard let c = rest.firstRange(ofScalars: close) else { break }
                var literal = String(rest[..<c.lowerBound])
                if self == .llama2 {
                    // "...\n<</SYS>>": the newline before the marker is part of the markup.
                    if literal.hasSuffix("\\n") { literal.removeLast(2) } else if literal.hasSuffix("\n") { literal.removeLast() }
                }
                let jinja = ["{{", "}}", "{%", "%}", "' +", "+ '", "\" +", "+ \"", "message"]
                if !literal.isEmpty && !jinja.contains(where: { literal.containsScalars($0) }) {
                    return literal.replacingAll("\\n", with: "\n")
                }
            }
        }
        return nil
    }
}

extension String {
    /// Every occurrence of `target` replaced (byte-exact, no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(ofScalars: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension String {
    func containsScalars(_ target: String) -> Bool { self[...].firstRange(ofScalars: target) != nil }
}

extension Substring {
    /// First range of `target` (plain scalar comparison, so markup never matches a canonically
    /// equivalent spelling).
    func firstRange(ofScalars target: String) -> Range<Substring.Index>? {
        let t = Array(target.unicodeScalars)
        guard let first = t.first else { return nil }
        let scalars = unicodeScalars
        var i = scalars.startIndex
        while i != scalars.endIndex {
            if scalars[i] == first {
                var j = i, k = 0
                while k < t.count && j != scalars.endIndex && scalars[j] == t[k] {
                    j = scalars.index(after: j); k += 1
                }
                if k == t.count { return i..<j }
            }
            i = scalars.index(after: i)
        }
        return nil
    }
}

