import Inference

/// Something shown in the conversation pane besides the system prompt.
enum PaneItem: Hashable {
    case turn(Int)
    case notice(Notice)
}

public struct Notice: Hashable, Sendable {
    public var id: Int
    public var text: String
    public var isError: Bool
}

/// Wrapped lines of the pane, cached per item: only the answer being streamed (and items whose
/// content changed) are wrapped again on each frame.
@MainActor
final class ConversationLayoutCache {
    private struct Key: Hashable { var item: PaneItem; var width: Int }
    private struct Entry { var signature: Int; var lines: [[DisplayCell]] }
    private var entries: [Key: Entry] = [:]

    func lines(for item: PaneItem, width: Int, signature: Int, build: () -> [[DisplayCell]]) -> [[DisplayCell]] {
        let key = Key(item: item, width: width)
        if let e = entries[key], e.signature == signature { return e.lines }
        let lines = build()
        entries[key] = Entry(signature: signature, lines: lines)
        return lines
    }

    func removeAll() { entries.removeAll() }
}

/// The scrolling conversation: a label gutter ("you", "bot") and word-wrapped text, answers
/// styled by token origin so accepted drafts stand out (per depth) when highlighting is on.
@MainActor
struct ConversationView {
    static let gutter = 5
    /// Narrower than this, labels go on their own line instead of a gutter.
    static let gutterMinimumWidth = 24

    var conversation: Conversation
    var items: [PaneItem]
    var streamingTurn: Int?
    var highlight: Bool
    var cache: ConversationLayoutCache

    /// All lines of the pane for `width` columns.
    func lines(width: Int) -> [[DisplayCell]] {
        var out: [[DisplayCell]] = []
        if let system = conversation.systemPrompt, !system.isEmpty {
            out += labelled(label: "sys", labelStyle: .roleLabel(.system), runs: [(system, .systemText)], width: width)
            out.append([])
        }
        for item in items {
            let itemLines: [[DisplayCell]]
            switch item {
            case .turn(let i):
                guard i < conversation.turns.count else { continue }
                let turn = conversation.turns[i]
                let streaming = streamingTurn == i
                var h = Hasher()
                h.combine(turn.text.utf8.count); h.combine(turn.tokens.count); h.combine(turn.interrupted)
                h.combine(turn.failure); h.combine(streaming); h.combine(turn.finishReason)
                h.combine(i < conversation.firstTurnInContext)
                itemLines = cache.lines(for: item, width: width, signature: h.finalize()) {
                    turnLines(turn, streaming: streaming, width: width)
                }
            case .notice(let n):
                itemLines = cache.lines(for: item, width: width, signature: n.text.hashValue) {
                    labelled(label: " ·", labelStyle: n.isError ? .error : .notice,
                             runs: [(n.text, n.isError ? .error : .notice)], width: width)
                }
            }
            out += itemLines
            out.append([])
        }
        if out.last?.isEmpty == true { out.removeLast() }
        return out
    }

    private func turnLines(_ turn: ChatTurn, streaming: Bool, width: Int) -> [[DisplayCell]] {
        switch turn.role {
        case .user:
            return labelled(label: "you", labelStyle: .roleLabel(.user), runs: [(turn.text, .userText)], width: width)
        case .assistant, .system:
            var runs: [(text: String, style: TextStyle)] = turn.originRuns.map { ($0.text, TextStyle.answer($0.origin)) }
            if streaming { runs.append((turn.text.isEmpty ? "…" : "▌", .dim)) }
            if turn.interrupted { runs.append((turn.text.isEmpty ? "[interrupted]" : " [interrupted]", .interrupted)) }
            if let f = turn.failure { runs.append(("\n[failed: \(f)]", .error)) }
            if !streaming, !turn.interrupted, turn.failure == nil, turn.text.isEmpty { runs.append(("[no answer]", .dim)) }
            return labelled(label: "bot", labelStyle: .roleLabel(.assistant), runs: runs, width: width)
        }
    }

    /// Text with a hanging indent behind a gutter label, or the label on its own line when narrow.
    private func labelled(label: String, labelStyle: TextStyle, runs: [(text: String, style: TextStyle)], width: Int) -> [[DisplayCell]] {
        let paragraphs = VisibleText.paragraphs(runs)
        let labelCells = VisibleText.lineCells(label, style: labelStyle)
        if width < ConversationView.gutterMinimumWidth {
            return [labelCells] + TextWrapper.wrap(paragraphs: paragraphs, width: max(1, width))
        }
        let textWidth = width - ConversationView.gutter
        let wrapped = TextWrapper.wrap(paragraphs: paragraphs, width: textWidth)
        let pad = ConversationView.gutter - labelCells.count
        let head = labelCells + Array(repeating: DisplayCell.space(.plain), count: max(0, pad))
        let indent = Array(repeating: DisplayCell.space(.plain), count: ConversationView.gutter)
        return wrapped.enumerated().map { i, line in (i == 0 ? head : indent) + line }
    }

    /// Draws the window of lines that `scrollTop` selects (nil = the bottom, following new text).
    /// Returns the total line count so the caller can clamp scrolling.
    @discardableResult
    func draw(into frame: inout Frame, rect: Rect, scrollTop: Int?) -> Int {
        guard !rect.isEmpty else { return 0 }
        let all = lines(width: rect.width)
        let maxTop = max(0, all.count - rect.height)
        let top = min(scrollTop ?? maxTop, maxTop)
        for (i, line) in all[top..<min(all.count, top + rect.height)].enumerated() {
            let shown = highlight ? line : line.map(ConversationView.unhighlighted)
            frame.write(shown, row: rect.row + i, column: rect.column, maxWidth: rect.width)
        }
        if top < maxTop {
            let below = all.count - (top + rect.height)
            let text = " ↓ \(below) more line\(below == 1 ? "" : "s") · PgDn "
            frame.fill(row: rect.bottom - 1, column: rect.column, count: rect.width, style: .scrollIndicator)
            let w = DisplayWidth.of(text)
            frame.write(text, style: .scrollIndicator, row: rect.bottom - 1,
                        column: rect.column + max(0, rect.width - w), maxWidth: rect.width)
        }
        return all.count
    }

    static func unhighlighted(_ cell: DisplayCell) -> DisplayCell {
        if case .draft = cell.style { return DisplayCell(text: cell.text, width: cell.width, style: .assistantText) }
        return cell
    }
}
