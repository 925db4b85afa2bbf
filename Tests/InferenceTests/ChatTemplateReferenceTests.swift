import Foundation
import Testing
@testable import Inference

/// 300 conversations from scripts/reference/gen_tokenizer_corpus.py: rendered as SmolLM2's
/// template does, with llama.cpp's ids for the rendered text (special tokens parsed).
@Suite struct ChatTemplateReferenceTests {
    struct Conversation: Decodable {
        struct Message: Decodable { var role: String; var content: String }
        var system: String
        var messages: [Message]
        var rendered: String
        var ids: [Int32]
    }
    struct File: Decodable { var conversations: [Conversation] }

    @Test(.enabled(if: TokenizerReference.haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func smolLM2ConversationsMatchLlamaCpp() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TokenizerReference.dataDirectory + "/smollm2.chat.json"))
        let convos = try JSONDecoder().decode(File.self, from: data).conversations
        #expect(convos.count >= 200)
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: TokenizerReference.smolLMPath))
        var renderMismatches = 0, idMismatches: [Int] = []
        for (n, c) in convos.enumerated() {
            var template = tokenizer.chatTemplate
            if c.system == "none" { template.systemPrompt = nil }
            let messages = c.messages.map { ChatMessage(role: ChatRole(rawValue: $0.role)!, content: $0.content) }
            if template.render(messages) != c.rendered { renderMismatches += 1 }
            if tokenizer.encode(conversation: messages, template: template) != c.ids { idMismatches.append(n) }
        }
        #expect(renderMismatches == 0)
        #expect(idMismatches.isEmpty, "conversations whose ids differ: \(idMismatches.prefix(20))")
    }
}
