import ArgumentParser
import Foundation
import Inference

struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the token ids a model's tokenizer gives a text (the same ids as llama.cpp).",
        discussion: """
            Prints one line per token: its id and the text it stands for (quoted, with \\n, \\t \
            and control characters escaped; a lone byte of a multi-byte character shows as \
            <0xNN>). BOS is added when the model asks for it (SmolLM2 does not; stories260K \
            does). Special-token text such as <|im_end|> in --text is plain text unless \
            --parse-special is given, exactly as in the chat, where typed markers never end a turn.

            \(ModelLocator.helpText)

            Examples:
              bita-chat tokenize --text "Hello world" --json
              bita-chat tokenize --model stories260K.gguf --text "Once upon a time"
              bita-chat tokenize --chat --system "Be brief." --text "Hi"
              echo "from stdin" | bita-chat tokenize --text -
            """
    )

    @Option(name: .long, help: "Model file (GGUF) whose tokenizer to use.")
    var model: String?

    @Option(name: .long, help: "Text to tokenize; '-' reads standard input.")
    var text: String?

    @Flag(name: .long, help: "Print {model, tokenizer, pre_tokenizer, count, tokens:[{id, text, token}]} as JSON.")
    var json = false

    @Flag(name: .long, help: "Turn special-token text (e.g. <|im_start|>) into special tokens.")
    var parseSpecial = false

    @Flag(name: .long, help: "Do not add BOS/EOS even when the model asks for them.")
    var noBos = false

    @Flag(name: .long, help: "Tokenize the text as a user message rendered with the model's chat template (plus the assistant prompt).")
    var chat = false

    @Option(name: .long, help: "With --chat: the system prompt (default: the template's own; \"\" for none).")
    var system: String?

    func run() async throws {
        guard let text else {
            throw UserFacingError("give the text with --text TEXT (or --text - to read standard input)")
        }
        if system != nil && !chat { throw UserFacingError("--system only applies with --chat") }
        let input: String
        if text == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let s = String(data: data, encoding: .utf8) else {
                throw UserFacingError("standard input is not valid UTF-8 text")
            }
            input = s
        } else {
            input = text
        }
        let path: String
        do { path = try ModelLocator().locate(explicit: model).path } catch { throw UserFacingError(error.description) }
        let tokenizer: Tokenizer
        do {
            let file = try GGUFFile(path: path)
            tokenizer = try Tokenizer(gguf: file)
        } catch let error as GGUFError {
            throw UserFacingError(error.description)
        } catch let error as TokenizerError {
            throw UserFacingError("\(path): \(error.description)")
        }

        let ids: [Int32]
        var warning: String? = nil
        if chat {
            var template = tokenizer.chatTemplate
            warning = template.warning
            if let system { template.systemPrompt = system.isEmpty ? nil : system }
            ids = tokenizer.encode(chat: template.segments([ChatMessage(role: .user, content: input)]), addSpecial: !noBos)
        } else {
            ids = tokenizer.encode(input, addSpecial: !noBos, parseSpecial: parseSpecial)
        }
        if let warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }

        let vocab = tokenizer.vocabulary
        if json {
            let report = TokenizeReport(
                model: path, tokenizer: vocab.model.rawValue,
                pre_tokenizer: vocab.model == .bytePairEncoding ? (vocab.preTokenizer ?? "default") : nil,
                count: ids.count,
                tokens: ids.map { .init(id: $0, text: tokenizer.displayText($0), token: tokenizer.tokenText($0)) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            let kind = vocab.model == .bytePairEncoding
                ? "byte-level BPE, pre-tokenizer \(vocab.preTokenizer ?? "default")" : "SentencePiece"
            print("\(ids.count) token\(ids.count == 1 ? "" : "s")  (\((path as NSString).lastPathComponent): \(kind), vocabulary \(tokenizer.vocabularySize))")
            let width = max(2, String(tokenizer.vocabularySize).count)
            for id in ids {
                let idText = String(id)
                let mark = tokenizer.isControl(id) ? "  (special)" : ""
                print(String(repeating: " ", count: max(0, width - idText.count)) + idText + "  " + Self.quoted(tokenizer.displayText(id)) + mark)
            }
        }
    }

    /// Double-quoted with newlines, tabs, quotes, backslashes and other controls escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value) {
                    out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

struct TokenizeReport: Encodable {
    struct Token: Encodable {
        var id: Int32
        /// What the token stands for (decoded; special tokens by their text).
        var text: String
        /// Its spelling in the vocabulary.
        var token: String
    }
    var model: String
    var tokenizer: String
    var pre_tokenizer: String?
    var count: Int
    var tokens: [Token]
}
