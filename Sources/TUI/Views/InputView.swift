/// The input box: a "› " prompt, the message wrapped at the box width (character wrap, so the
/// cursor maps exactly), scrolled to keep the cursor visible, or a hint when empty.
struct InputView {
    static let promptWidth = 2

    var editor: InputEditor
    var placeholder: String

    struct Layout {
        var lines: [[DisplayCell]]
        var cursorLine: Int
        var cursorColumn: Int
    }

    func layout(width: Int) -> Layout {
        let textWidth = max(1, width - InputView.promptWidth)
        var lines: [[DisplayCell]] = [[]]
        var lineWidth = 0
        var cursorLine = 0, cursorColumn = 0
        let buffer = editor.buffer
        func place(_ cell: DisplayCell) {
            if lineWidth + cell.width > textWidth { lines.append([]); lineWidth = 0 }
            lines[lines.count - 1].append(cell)
            lineWidth += cell.width
        }
        for i in 0..<buffer.count {
            if i == editor.cursor {
                // At a full line's end the cursor shows on the last column (the next character wraps).
                cursorLine = lines.count - 1; cursorColumn = min(lineWidth, textWidth - 1)
            }
            let ch = buffer[i]
            if let a = ch.asciiValue, a >= 0x20, a < 0x7F {
                place(DisplayCell(text: String(ch), width: 1, style: .input))
            } else if ch == "\n" || ch == "\r\n" {
                lines.append([]); lineWidth = 0
            } else {
                for cell in VisibleText.lineCells(String(ch), style: .input) { place(cell) }
            }
        }
        if editor.cursor >= buffer.count {
            if lineWidth >= textWidth { lines.append([]); lineWidth = 0 }
            cursorLine = lines.count - 1; cursorColumn = lineWidth
        }
        return Layout(lines: lines, cursorLine: cursorLine, cursorColumn: cursorColumn)
    }

    func desiredLines(width: Int) -> Int {
        editor.isEmpty ? 1 : layout(width: width).lines.count
    }

    /// Draws the box; returns where the terminal cursor goes.
    func draw(into frame: inout Frame, rect: Rect) -> CursorPosition? {
        guard !rect.isEmpty else { return nil }
        frame.write("› ", style: .inputPrompt, row: rect.row, column: rect.column, maxWidth: rect.width)
        let textColumn = rect.column + InputView.promptWidth
        let textWidth = rect.width - InputView.promptWidth
        guard textWidth > 0 else { return nil }
        if editor.pasting {
            frame.write("pasting… \(editor.pastedSoFar) characters so far", style: .dim, row: rect.row, column: textColumn, maxWidth: textWidth)
            return CursorPosition(row: rect.row, column: textColumn)
        }
        if editor.isEmpty {
            frame.write(placeholder, style: .dim, row: rect.row, column: textColumn, maxWidth: textWidth)
            return CursorPosition(row: rect.row, column: textColumn)
        }
        let l = layout(width: rect.width)
        let top = max(0, l.cursorLine - rect.height + 1)
        for (i, line) in l.lines[top..<min(l.lines.count, top + rect.height)].enumerated() {
            frame.write(line, row: rect.row + i, column: textColumn, maxWidth: textWidth)
        }
        if top > 0 { frame.write("…", style: .dim, row: rect.row, column: rect.column, maxWidth: 1) }
        return CursorPosition(row: rect.row + l.cursorLine - top, column: min(textColumn + l.cursorColumn, rect.right - 1))
    }
}
