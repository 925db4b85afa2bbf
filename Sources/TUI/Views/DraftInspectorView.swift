import Foundation
import Inference

/// The draft inspector panel: the latest step's draft tree (candidates per depth, accepted ones
/// marked ✓ in their depth colour, rejected ones dimmed with ✗, then the bonus token), acceptance
/// rate per depth as bars, and a sparkline of accepted drafts per step over the answer.
struct DraftInspectorView {
    var state: DraftInspectorState
    var mode: DecodingMode

    static let sparkLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The panel's content lines (without the border), `width` columns wide at most.
    func lines(width: Int, height: Int) -> [[DisplayCell]] {
        var out: [[DisplayCell]] = []
        func line(_ parts: [(String, TextStyle)]) -> [DisplayCell] {
            var cells: [DisplayCell] = []
            for (t, s) in parts { cells += VisibleText.lineCells(t, style: s) }
            return cells
        }
        let stepText = state.lastStep.map { "step \($0.index + 1)" } ?? "no step yet"
        out.append(line([("Draft inspector · ", .inspectorTitle), (stepText, .inspectorTitle)]))
        if mode == .ar {
            out.append(line([("AR mode: one token per step, nothing drafted.", .dim)]))
        }
        if let step = state.lastStep, !step.candidatesByDepth.isEmpty {
            for (i, level) in step.candidatesByDepth.enumerated() {
                var parts: [(String, TextStyle)] = [("d\(i + 1) ", .acceptanceBar(depth: i + 1))]
                for c in level.sorted(by: { $0.rank < $1.rank }) {
                    let shown = DraftInspectorView.visibleToken(c.text)
                    if c.accepted {
                        parts.append((shown + "✓", .inspectorAccepted(depth: c.depth)))
                    } else {
                        parts.append((shown + "✗", .inspectorRejected))
                    }
                    parts.append((" ", .plain))
                }
                out.append(line(parts))
            }
            out.append(line([("bonus ", .dim), (DraftInspectorView.visibleToken(step.bonusText), .inspectorBonus),
                             (String(format: "  %d accepted, %.0f ms", step.acceptedDrafts, step.milliseconds), .dim)]))
        } else if state.lastStep != nil {
            out.append(line([("bonus ", .dim), (DraftInspectorView.visibleToken(state.lastStep!.bonusText), .inspectorBonus)]))
        }
        out.append([])
        out.append(line([("acceptance per depth", .inspectorTitle)]))
        let depths = state.stats.proposedPerDepth.count
        if depths == 0 {
            out.append(line([("(none yet)", .dim)]))
        }
        let barWidth = max(3, width - 14)
        for d in 0..<depths {
            let rate = state.stats.acceptRate(depth: d + 1) ?? 0
            let filled = Int((rate * Double(barWidth)).rounded())
            out.append(line([(String(format: "d%-2d", d + 1), .acceptanceBar(depth: d + 1)),
                             (String(repeating: "█", count: filled), .acceptanceBar(depth: d + 1)),
                             (String(repeating: "░", count: barWidth - filled), .dim),
                             (String(format: " %3.0f%%", rate * 100), .plain)]))
        }
        out.append([])
        out.append(line([("accepted drafts per step", .inspectorTitle)]))
        let values = state.acceptedPerStep.suffix(max(1, width))
        let peak = max(1, values.max() ?? 1)
        let spark = String(values.map { DraftInspectorView.sparkLevels[min(7, $0 * 7 / peak)] })
        out.append(line([(spark.isEmpty ? "(none yet)" : spark, spark.isEmpty ? .dim : .sparkline)]))
        if state.stats.steps > 0 {
            out.append(line([(String(format: "τ %.2f over %d steps, %d tokens", state.stats.tau, state.stats.steps, state.stats.newTokens), .dim)]))
        }
        return Array(out.prefix(height))
    }

    /// Tokens with their spaces made visible (a leading space matters in a draft).
    static func visibleToken(_ text: String) -> String {
        text.isEmpty ? "∅" : text.replacingOccurrences(of: " ", with: "␣").replacingOccurrences(of: "\n", with: "⏎")
    }

    func draw(lines: [[DisplayCell]], into frame: inout Frame, rect: Rect) {
        guard !rect.isEmpty else { return }
        var content = rect
        if rect.column > 0 {
            for y in rect.row..<rect.bottom { frame.write("│", style: .dim, row: y, column: rect.column - 1) }
        } else {
            frame.write(String(repeating: "─", count: rect.width), style: .dim, row: rect.row, column: rect.column)
            content.row += 1; content.height -= 1
        }
        for (i, l) in lines.prefix(max(0, content.height)).enumerated() {
            frame.write(l, row: content.row + i, column: content.column + 1, maxWidth: content.width - 1)
        }
    }
}
