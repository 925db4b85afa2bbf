import Foundation
import Inference

/// A transcript as a standalone HTML page. Every piece of text is entity-escaped and control
/// characters are shown as visible escapes; the page carries a Content-Security-Policy that
/// forbids scripts, so a hostile transcript cannot run code in the reader's browser.
/// Accepted draft runs become `<span class="dN">` with one colour per depth.
public enum HTMLTranscriptRenderer {
    public static func render(_ t: Transcript) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>bita-chat session \(escape(t.created))</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
            .meta { color: #555; font-size: 0.9rem; }
            .msg { margin: 1.2rem 0; }
            .msg h2 { font-size: 0.95rem; margin: 0 0 0.3rem; text-transform: uppercase; letter-spacing: 0.05em; }
            .user h2 { color: #8a5a00; } .assistant h2 { color: #1f4e9e; } .system h2 { color: #7a2a7a; }
            .text { white-space: pre-wrap; line-height: 1.5; }
            .d1 { color: #1e7b34; } .d2 { color: #0b6e8c; } .d3 { color: #6f3fb5; } .d4 { color: #b35c00; } .d5 { color: #b3205a; }
            .hl-legend span { padding: 0 0.3rem; }
            .ctl { background: #fde2e2; color: #a00; font-family: monospace; }
            .note { color: #666; font-style: italic; }
            </style>
            </head>
            <body>
            <h1>bita-chat session</h1>

            """
        out += "<p class=\"meta\">Model: \(escape(t.backend.modelName)) (fingerprint <code>\(escape(t.backend.modelFingerprint))</code>)"
        if let adapter = t.backend.adapterName {
            out += "<br>Adapter: \(escape(adapter))"
            if let fp = t.backend.adapterFingerprint { out += " (fingerprint <code>\(escape(fp))</code>)" }
        }
        out += "<br>Settings: \(escape(SettingsText.summary(t.settings)))"
        out += "<br>Started \(escape(t.created)), saved \(escape(t.updated))</p>\n"
        out += "<p class=\"meta hl-legend\">Accepted drafts by depth: "
        for d in 1...5 { out += "<span class=\"d\(d)\">depth \(d)\(d == 5 ? "+" : "")</span>" }
        out += " · plain text was decoded autoregressively (or is the bonus token).</p>\n"
        if let system = t.systemPrompt, !system.isEmpty {
            out += "<section class=\"msg system\"><h2>System</h2><div class=\"text\">\(escape(system))</div></section>\n"
        }
        for (i, m) in t.messages.enumerated() {
            if i == t.contextStart, i > 0 {
                out += "<p class=\"note\">The messages above had left the model's context window.</p>\n"
            }
            switch m.role {
            case .user:
                out += "<section class=\"msg user\"><h2>You</h2><div class=\"text\">\(escape(m.content))</div></section>\n"
            case .assistant, .system:
                out += "<section class=\"msg assistant\"><h2>Assistant</h2><div class=\"text\">"
                for run in m.turn.originRuns {
                    if let d = run.origin.draftDepth {
                        out += "<span class=\"d\(min(max(d, 1), 5))\">\(escape(run.text))</span>"
                    } else {
                        out += escape(run.text)
                    }
                }
                out += "</div>"
                if m.interrupted == true { out += "<p class=\"note\">(interrupted)</p>" }
                if let failure = m.failure { out += "<p class=\"note\">(failed: \(escape(failure)))</p>" }
                if let s = m.stats, s.newTokens > 0 { out += "<p class=\"meta\">\(escape(StatsText.line(s, mode: m.mode)))</p>" }
                out += "</section>\n"
            }
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// Entity-escapes `&<>"'` and shows control characters as `<span class="ctl">^[</span>`.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if previousWasCR {
                previousWasCR = false
                if scalar == "\n" { out += "\n"; continue }
                out += "<span class=\"ctl\">^M</span>"
            }
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            case "\r": previousWasCR = true
            default:
                if let esc = VisibleText.escape(for: scalar) {
                    out += "<span class=\"ctl\">" + esc.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;") + "</span>"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        if previousWasCR { out += "<span class=\"ctl\">^M</span>" }
        return out
    }
}
