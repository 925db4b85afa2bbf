import Foundation
import Inference

/// A line starting with `/` typed into the chat. `//text` sends `/text` as a message.
enum SlashCommand: Hashable {
    case save(path: String?)
    case load(path: String)
    case clear
    case system(String?)
    case set(SettingChange)
    case mode(DecodingMode)
    case stats
    case highlight(Bool?)
    case inspector
    case help
    case quit

    enum SettingChange: Hashable {
        case temperature(Double)
        case topP(Double)
        case topK(Int)
        case seed(UInt64)
        case maxTokens(Int)
    }

    struct ParseError: Error, Hashable, CustomStringConvertible {
        var description: String
    }

    static let summary: [(usage: String, meaning: String)] = [
        ("/save [path]", "save the session now (JSON + Markdown)"),
        ("/load path", "resume a saved session (.json)"),
        ("/clear", "start a new conversation"),
        ("/system text", "set the system prompt (empty: none)"),
        ("/set name value", "temperature, top_p, top_k, seed, max_tokens"),
        ("/mode ar|bita", "plain decoding or BiTA"),
        ("/stats", "per-turn table: tokens, steps, tau, tok/s"),
        ("/highlight [on|off]", "toggle draft highlighting (F2)"),
        ("/inspector", "toggle the draft inspector (F3)"),
        ("/help", "keys and commands (F1)"),
        ("/quit", "leave (Ctrl-D on an empty line)"),
    ]

    /// nil when `line` is a message, not a command.
    static func parse(_ line: String) -> Result<SlashCommand, ParseError>? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/"), !trimmed.hasPrefix("//") else { return nil }
        let body = trimmed.dropFirst()
        let name = body.prefix { !$0.isWhitespace }.lowercased()
        let rest = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        func err(_ s: String) -> Result<SlashCommand, ParseError> { .failure(ParseError(description: s)) }

        switch name {
        case "save": return .success(.save(path: rest.isEmpty ? nil : rest))
        case "load":
            return rest.isEmpty ? err("usage: /load path/to/session.json") : .success(.load(path: rest))
        case "clear", "new": return .success(.clear)
        case "system": return .success(.system(rest.isEmpty ? nil : rest))
        case "mode":
            guard let m = DecodingMode(rawValue: rest.lowercased()) else { return err("usage: /mode ar|bita") }
            return .success(.mode(m))
        case "stats": return .success(.stats)
        case "highlight", "hl":
            switch rest.lowercased() {
            case "": return .success(.highlight(nil))
            case "on": return .success(.highlight(true))
            case "off": return .success(.highlight(false))
            default: return err("usage: /highlight [on|off]")
            }
        case "inspector": return .success(.inspector)
        case "help", "?": return .success(.help)
        case "quit", "exit", "q": return .success(.quit)
        case "set": return parseSet(rest)
        default: return err("unknown command /\(name); /help lists them (start with // to send a message beginning with /)")
        }
    }

    private static func parseSet(_ rest: String) -> Result<SlashCommand, ParseError> {
        let parts = rest.split(separator: " ", omittingEmptySubsequences: true)
        let usage = "usage: /set temperature|top_p|top_k|seed|max_tokens value"
        guard parts.count == 2 else { return .failure(ParseError(description: usage)) }
        let key = parts[0].lowercased().replacingOccurrences(of: "-", with: "_")
        let value = String(parts[1])
        func bad(_ what: String) -> Result<SlashCommand, ParseError> {
            .failure(ParseError(description: "\(key) must be \(what)"))
        }
        switch key {
        case "temperature", "temp":
            guard let v = Double(value), v.isFinite, v >= 0, v <= 5 else { return bad("a number from 0 (greedy) to 5") }
            return .success(.set(.temperature(v)))
        case "top_p", "topp":
            guard let v = Double(value), v.isFinite, v > 0, v <= 1 else { return bad("a number in (0, 1]") }
            return .success(.set(.topP(v)))
        case "top_k", "topk":
            guard let v = Int(value), v >= 0 else { return bad("a whole number >= 0 (0 disables it)") }
            return .success(.set(.topK(v)))
        case "seed":
            guard let v = UInt64(value) else { return bad("a whole number >= 0") }
            return .success(.set(.seed(v)))
        case "max_tokens", "maxtokens":
            guard let v = Int(value), v >= 1, v <= 1_000_000 else { return bad("a whole number >= 1") }
            return .success(.set(.maxTokens(v)))
        default:
            return .failure(ParseError(description: "unknown setting \(key); " + usage))
        }
    }
}
