import Foundation
import Inference

/// What the status bar reports, gathered by the controller.
struct StatusBarContent: Hashable {
    enum Phase: Hashable { case ready, prefilling, answering }

    var modelName: String
    var mode: DecodingMode
    var phase: Phase
    var tokensPerSecond: Double?
    var tau: Double?
    /// BiTA/AR speed ratio measured this session (see SpeedupEstimator), else nil.
    var measuredSpeedup: Double?
    var contextUsed: Int
    var contextLength: Int
    var highlight: Bool
}

/// One row: model, mode and state, tok/s, tau, speedup, context use, then the key legend.
/// Segments are dropped from the least important when the terminal is narrow.
struct StatusBarView {
    var content: StatusBarContent

    struct Segment {
        var parts: [(text: String, style: TextStyle)]
        var priority: Int
        init(text: String, style: TextStyle, priority: Int) { parts = [(text, style)]; self.priority = priority }
        init(parts: [(text: String, style: TextStyle)], priority: Int) { self.parts = parts; self.priority = priority }
        var text: String { parts.map(\.text).joined() }
    }

    /// Segments in display order; lower priority numbers are kept first.
    var segments: [Segment] {
        let c = content
        var s: [Segment] = []
        let state: String
        switch c.phase {
        case .ready: state = "ready"
        case .prefilling: state = "reading…"
        case .answering: state = "answering…"
        }
        s.append(Segment(text: c.mode == .bita ? "BiTA" : "AR", style: .statusAccent, priority: 0))
        s.append(Segment(text: state, style: .statusBar, priority: 1))
        s.append(Segment(text: c.modelName, style: .statusBar, priority: 5))
        if let tps = c.tokensPerSecond, tps > 0 {
            s.append(Segment(text: String(format: "%.1f tok/s", tps), style: .statusBar, priority: 2))
        }
        if c.mode == .bita, let tau = c.tau, tau > 0 {
            s.append(Segment(text: String(format: "τ %.2f", tau), style: .statusBar, priority: 3))
        }
        if c.mode == .bita, let speedup = speedupText {
            s.append(Segment(text: speedup, style: .statusBar, priority: 4))
        }
        s.append(Segment(text: "ctx \(c.contextUsed)/\(c.contextLength)", style: .statusBar, priority: 3))
        s.append(Segment(text: "F1 help", style: .statusKey, priority: 6))
        s.append(Segment(text: "F2 hl \(c.highlight ? "on" : "off")", style: .statusKey, priority: 8))
        s.append(Segment(text: "F3 drafts", style: .statusKey, priority: 9))
        s.append(Segment(text: c.phase == .ready ? "^D quit" : "^C stop", style: .statusKey, priority: 7))
        if c.highlight {
            s.append(Segment(parts: [("drafts ", .statusBar), ("d1", .draft(depth: 1)), (" ", .statusBar), ("d2", .draft(depth: 2)),
                                     (" ", .statusBar), ("d3", .draft(depth: 3)), (" ", .statusBar), ("d4+", .draft(depth: 4))],
                             priority: 10))
        }
        return s
    }

    /// "1.21x vs AR" once measured; nothing before (τ is not a speedup: BiTA steps cost more
    /// than plain ones).
    var speedupText: String? {
        if let m = content.measuredSpeedup, m > 0 { return String(format: "%.2fx vs AR", m) }
        return nil
    }

    func draw(into frame: inout Frame, rect: Rect) {
        frame.fill(row: rect.row, column: rect.column, count: rect.width, style: .statusBar)
        let all = segments
        // Keep the most important segments that fit, then draw them in display order.
        let separator = 3  // " │ "
        var kept = Set<Int>()
        var used = 1
        for (i, seg) in all.enumerated().sorted(by: { $0.element.priority < $1.element.priority }) {
            let w = DisplayWidth.of(seg.text) + (kept.isEmpty ? 0 : separator)
            if used + w <= rect.width { kept.insert(i); used += w }
        }
        var x = rect.column + 1
        var first = true
        for (i, seg) in all.enumerated() where kept.contains(i) {
            if !first { x += frame.write(" │ ", style: .statusBar, row: rect.row, column: x, maxWidth: rect.right - x) }
            first = false
            for part in seg.parts {
                x += frame.write(part.text, style: part.style, row: rect.row, column: x, maxWidth: rect.right - x)
            }
        }
        if kept.isEmpty {
            frame.write(String(all[0].text.prefix(rect.width)), style: all[0].parts[0].style, row: rect.row, column: rect.column, maxWidth: rect.width)
        }
    }
}
