import Foundation
import Inference

/// A transcript as readable Markdown. Runs of accepted draft tokens are wrapped in ⟦ ⟧ so the
/// BiTA acceleration stays visible in plain text. Control characters are escaped (`^[`), so the
/// file is safe to `cat` in a terminal.
public enum MarkdownTranscriptRenderer {
    public static let draftOpen = "⟦"
    public static let draftClose = "⟧"

    public static func render(_ t: Transcript) -> String {
        var out = "# bita-chat session\n\n"
        out += "- Model: \(safe(t.backend.modelName)) (fingerprint `\(safe(t.backend.modelFingerprint))`)\n"
        if let adapter = t.backend.adapterName {
            out += "- Adapter: \(safe(adapter))"
            if let fp = t.backend.adapterFingerprint { out += " (fingerprint `\(safe(fp))`)" }
            out += "\n"
        }
        out += "- Settings: \(SettingsText.summary(t.settings))\n"
        out += "- Started: \(safe(t.created)) · saved: \(safe(t.updated))\n\n"
        out += "Text between \(draftOpen) and \(draftClose) was drafted by BiTA and accepted by verification.\n\n"
        if let system = t.systemPrompt, !system.isEmpty {
            out += "## System\n\n\(safe(system))\n\n"
        }
        for (i, m) in t.messages.enumerated() {
            if i == t.contextStart, i > 0 {
                out += "*(the messages above had left the model's context window)*\n\n"
            }
            switch m.role {
            case .user:
                out += "## You\n\n\(safe(m.content))\n\n"
            case .assistant, .system:
                out += "## Assistant\n\n"
                // Adjacent drafts of different depths form one marked span.
                var inDraft = false
                for run in m.turn.originRuns {
                    let isDraft = run.origin.draftDepth != nil
                    if isDraft != inDraft { out += isDraft ? draftOpen : draftClose; inDraft = isDraft }
                    out += safe(run.text)
                }
                if inDraft { out += draftClose }
                out += "\n\n"
                if m.interrupted == true { out += "*(interrupted)*\n\n" }
                if let failure = m.failure { out += "*(failed: \(safe(failure)))*\n\n" }
                if let s = m.stats, s.newTokens > 0 {
                    out += "*\(StatsText.line(s, mode: m.mode))*\n\n"
                }
            }
        }
        return out
    }

    private static func safe(_ s: String) -> String { VisibleText.escaped(s) }
}

/// Short human-readable renderings shared by the status bar, /stats and the exports.
enum SettingsText {
    static func summary(_ s: GenerationSettings) -> String {
        let mode = s.mode == .bita ? "BiTA" : "AR"
        return "mode \(mode) · temperature \(format(s.temperature)) · top-p \(format(s.topP)) · top-k \(s.topK) · seed \(s.seed) · max tokens \(s.maxTokens)"
    }

    static func format(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
        return String(format: "%g", x)
    }
}

enum StatsText {
    static func line(_ s: DecodeStats, mode: DecodingMode?) -> String {
        var parts = ["\(s.newTokens) tokens", "\(s.steps) steps"]
        if mode != .ar { parts.append(String(format: "tau %.2f", s.tau)) }
        if s.tokensPerSecond > 0 { parts.append(String(format: "%.1f tok/s", s.tokensPerSecond)) }
        var rates: [String] = []
        for d in 1...max(1, s.proposedPerDepth.count) {
            if let r = s.acceptRate(depth: d) { rates.append("d\(d) \(Int((r * 100).rounded()))%") }
        }
        if !rates.isEmpty { parts.append("accepted " + rates.joined(separator: " ")) }
        return parts.joined(separator: " · ")
    }
}
