import Testing
@testable import Inference

@Suite struct ChatTemplateTests {
    static let smolLMSource = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    static let llama3Source = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
    static let llama2Source = "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}{% endif %}{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + message['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}"
    static let zephyrSource = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"

    let question = [ChatMessage(role: .user, content: "What is the capital of France?")]

    @Test func chatMLWithTemplateDefaultSystemPrompt() {
        let t = ChatTemplate(source: Self.smolLMSource)
        #expect(t.family == .chatML && t.warning == nil)
        #expect(t.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(t.render(question) == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            What is the capital of France?<|im_end|>
            <|im_start|>assistant

            """)
    }

    @Test func systemPromptIsSettable() {
        var t = ChatTemplate(source: Self.smolLMSource)
        t.systemPrompt = "You are a helpful assistant."
        #expect(t.render(question).hasPrefix("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"))
        t.systemPrompt = nil
        #expect(t.render(question) == "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
        // A conversation's own system message wins over the default.
        let own = [ChatMessage(role: .system, content: "Be brief.")] + question
        #expect(ChatTemplate(source: Self.smolLMSource).render(own, addGenerationPrompt: false)
                == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n")
    }

    @Test func llama3() {
        var t = ChatTemplate(source: Self.llama3Source)
        #expect(t.family == .llama3 && t.defaultSystemPrompt == nil)
        t.systemPrompt = "Be brief."
        let convo = question + [ChatMessage(role: .assistant, content: " Paris. "), ChatMessage(role: .user, content: "Why?")]
        #expect(t.render(convo) == "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    @Test func llama2() {
        let t = ChatTemplate(source: Self.llama2Source)
        #expect(t.family == .llama2 && t.defaultSystemPrompt == nil)
        let convo = [ChatMessage(role: .system, content: "Be brief.")] + question
            + [ChatMessage(role: .assistant, content: "Paris."), ChatMessage(role: .user, content: "Why?")]
        #expect(t.render(convo) == "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhat is the capital of France? [/INST] Paris. </s><s>[INST] Why? [/INST]")
    }

    @Test func zephyr() {
        let t = ChatTemplate(source: Self.zephyrSource)
        #expect(t.family == .zephyr)
        #expect(t.render([ChatMessage(role: .system, content: "Be brief.")] + question)
                == "<|system|>\nBe brief.</s>\n<|user|>\nWhat is the capital of France?</s>\n<|assistant|>\n")
    }

    @Test func literalSystemPromptsOfOtherFamilies() {
        #expect(ChatTemplate(source: "{{ '<|start_header_id|>system<|end_header_id|>\\n\\nYou are Bob.<|eot_id|>' }}").defaultSystemPrompt == "You are Bob.")
        #expect(ChatTemplate(source: "{{ '<|system|>\\nHelpful.</s>' }}{{ '<|user|>' }}{{ '<|assistant|>' }}").defaultSystemPrompt == "Helpful.")
        #expect(ChatTemplate(source: "[INST] <<SYS>>\\nBe nice.\\n<</SYS>>").defaultSystemPrompt == "Be nice.")
        // Built from variables: no literal default.
        #expect(ChatTemplate(source: "{{'<|im_start|>system\n' + message['content'] + '<|im_end|>'}}").defaultSystemPrompt == nil)
    }

    @Test func unknownTemplatesFallBackToChatMLWithAWarning() {
        let unknown = ChatTemplate(source: "{% for m in messages %}### {{ m.role }}: {{ m.content }}{% endfor %}")
        #expect(unknown.family == .chatML)
        #expect(unknown.warning?.contains("ChatML") == true)
        let missing = ChatTemplate(source: nil)
        #expect(missing.family == .chatML && missing.warning != nil)
        #expect(ChatTemplate(source: Self.smolLMSource).warning == nil)
    }

    @Test func segmentsMarkOnlyTemplateText() {
        var t = ChatTemplate(source: Self.smolLMSource)
        t.systemPrompt = nil
        let segs = t.segments([ChatMessage(role: .user, content: "hi <|im_end|>")])
        #expect(segs.map(\.isMarkup) == [true, false, true, true])
        #expect(segs[1].text == "hi <|im_end|>")
    }

    @Test func typedMarkersStayText() throws {
        let tok = try Tokenizer(vocabulary: TestVocabularies.byteLevel(merges: []))
        let end = tok.id(ofToken: "<|im_end|>")!, start = tok.id(ofToken: "<|im_start|>")!
        var t = ChatTemplate(family: .chatML)
        t.systemPrompt = nil
        let ids = tok.encode(chat: t.segments([ChatMessage(role: .user, content: "a<|im_end|>b")]))
        // Only the template's markers are special tokens: one end of turn, two starts.
        #expect(ids.filter { $0 == end }.count == 1)
        #expect(ids.filter { $0 == start }.count == 2)
        #expect(tok.decode(ids) == "user\na<|im_end|>b\nassistant\n")
        // Without markers in the content, the same ids as parsing the rendered string.
        let plain = [ChatMessage(role: .user, content: "hello there")]
        #expect(tok.encode(chat: t.segments(plain)) == tok.encode(t.render(plain), parseSpecial: true))
    }

    @Test(.enabled(if: TokenizerReference.haveSmolLM, "SmolLM2 model file absent (run `make model`)"))
    func smolLM2Conversation() throws {
        let tok = try Tokenizer(gguf: GGUFFile(path: TokenizerReference.smolLMPath))
        let template = tok.chatTemplate
        #expect(template.family == .chatML)
        #expect(template.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let ids = tok.encode(conversation: question)
        #expect(ids == tok.encode(template.render(question), parseSpecial: true))
        #expect(ids.first == 1 && ids.last == 198)  // <|im_start|> ... "\n"
        #expect(ids.filter { tok.isEndOfTurn($0) }.count == 2)  // system and user turns end
        let typed = tok.encode(conversation: [ChatMessage(role: .user, content: "stop<|im_end|>now")])
        #expect(typed.filter { tok.isEndOfTurn($0) }.count == 2)
    }
}
