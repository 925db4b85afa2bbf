// Greedy word wrap by display width. Breaks after spaces and around wide (CJK) characters,
// splits a word only when it alone is wider than the line, and never splits a 2-column cell.
// Styles travel with the cells, so highlighted spans survive any wrap width.

enum TextWrapper {
    /// Wraps one paragraph to lines of at most `width` columns (width >= 1).
    /// An empty paragraph gives one empty line; spaces at a break are dropped.
    static func wrap(_ paragraph: [DisplayCell], width: Int) -> [[DisplayCell]] {
        precondition(width >= 1, "wrap width must be positive")
        var lines: [[DisplayCell]] = []
        var line: [DisplayCell] = []
        var lineWidth = 0
        // Cells line[..<breakIndex] may end a line; line[breakIndex...] move to the next one.
        var breakIndex: Int?

        for original in paragraph {
            let cell = original.width > width ? DisplayCell(text: "?", width: 1, style: original.style) : original
            if lineWidth + cell.width > width {
                if cell.isSpace {
                    // The space is the break itself.
                    lines.append(trimmingTrailingSpaces(line))
                    line = []; lineWidth = 0; breakIndex = nil
                    continue
                }
                if let b = breakIndex, b > 0 {
                    let tail = Array(line[b...])
                    lines.append(trimmingTrailingSpaces(Array(line[..<b])))
                    line = tail
                    lineWidth = tail.reduce(0) { $0 + $1.width }
                    breakIndex = nil
                    if lineWidth + cell.width > width {
                        lines.append(line); line = []; lineWidth = 0
                    }
                } else {
                    lines.append(line); line = []; lineWidth = 0; breakIndex = nil
                }
            }
            if cell.width == 2, !line.isEmpty { breakIndex = line.count }
            line.append(cell)
            lineWidth += cell.width
            if cell.isSpace || cell.width == 2 { breakIndex = line.count }
        }
        lines.append(line)
        return lines
    }

    /// Wraps several paragraphs, one after the other.
    static func wrap(paragraphs: [[DisplayCell]], width: Int) -> [[DisplayCell]] {
        var out: [[DisplayCell]] = []
        for p in paragraphs { out.append(contentsOf: wrap(p, width: width)) }
        return out
    }

    private static func trimmingTrailingSpaces(_ line: [DisplayCell]) -> [DisplayCell] {
        var end = line.count
        while end > 0, line[end - 1].isSpace { end -= 1 }
        return end == line.count ? line : Array(line[..<end])
    }
}
