/// One terminal cell of a frame. A 2-column character occupies its cell (width 2) and the next
/// one, which is a continuation (width 0, empty text).
public struct Cell: Hashable, Sendable {
    public var text: String
    public var width: UInt8
    public var style: TextStyle

    public static let blank = Cell(text: " ", width: 1, style: .plain)
    static let continuation = Cell(text: "", width: 0, style: .plain)
}

public struct ScreenSize: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
}

public struct CursorPosition: Hashable, Sendable {
    public var row: Int
    public var column: Int
}

/// A whole screen's worth of cells, drawn by the views and handed to a `Screen`.
/// Writes outside the frame are clipped; text always enters through `VisibleText`.
public struct Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var size: ScreenSize { ScreenSize(width: width, height: height) }

    public subscript(row: Int, column: Int) -> Cell {
        cells[row * width + column]
    }

    /// Places one cell; returns the columns it took (0 when clipped). A wide cell that does not fit
    /// before the right edge becomes a space so nothing spills onto the next row.
    @discardableResult
    mutating func put(_ cell: DisplayCell, row: Int, column: Int) -> Int {
        guard row >= 0, row < height, column >= 0, column < width else { return 0 }
        let base = row * width
        if cell.width == 2, column + 1 >= width {
            clearOverlaps(base: base, column: column, span: 1)
            cells[base + column] = Cell(text: " ", width: 1, style: cell.style)
            return 1
        }
        let span = cell.width == 2 ? 2 : 1
        clearOverlaps(base: base, column: column, span: span)
        cells[base + column] = Cell(text: cell.text, width: UInt8(span), style: cell.style)
        if span == 2 { cells[base + column + 1] = Cell(text: "", width: 0, style: cell.style) }
        return span
    }

    /// Writing over half of a wide character blanks its other half.
    private mutating func clearOverlaps(base: Int, column: Int, span: Int) {
        if cells[base + column].width == 0, column > 0 {
            cells[base + column - 1] = Cell(text: " ", width: 1, style: cells[base + column - 1].style)
        }
        let last = column + span - 1
        if cells[base + last].width == 2, last + 1 < width {
            cells[base + last + 1] = Cell(text: " ", width: 1, style: cells[base + last + 1].style)
        }
    }

    /// Writes cells left to right from `column`, stopping before `column + maxWidth`. Returns columns used.
    @discardableResult
    mutating func write(_ line: some Sequence<DisplayCell>, row: Int, column: Int, maxWidth: Int? = nil) -> Int {
        let limit = min(width, column + (maxWidth ?? width))
        var x = column
        for cell in line {
            if x + cell.width > limit { break }
            x += put(cell, row: row, column: x)
        }
        return x - column
    }

    /// Writes single-line text (control characters escaped, newlines shown as `^J`).
    @discardableResult
    mutating func write(_ text: String, style: TextStyle, row: Int, column: Int, maxWidth: Int? = nil) -> Int {
        write(VisibleText.lineCells(text, style: style), row: row, column: column, maxWidth: maxWidth)
    }

    /// Fills `count` columns with spaces of `style` (backgrounds of bars and panels).
    mutating func fill(row: Int, column: Int, count: Int, style: TextStyle) {
        guard count > 0 else { return }
        for x in max(0, column)..<min(width, column + count) {
            put(.space(style), row: row, column: x)
        }
    }

    /// The text of one row (continuation cells skipped), for tests and screen samples.
    public func text(row: Int) -> String {
        var s = ""
        for x in 0..<width { s += self[row, x].text }
        return s
    }

    /// All rows joined by newlines, trailing spaces kept so columns line up.
    public var text: String { (0..<height).map { text(row: $0) }.joined(separator: "\n") }

    /// Indices of the rows whose cells differ from `other` (all rows when the sizes differ).
    func changedRows(since other: Frame?) -> [Int] {
        guard let other, other.width == width, other.height == height else { return Array(0..<height) }
        var rows: [Int] = []
        for y in 0..<height {
            let start = y * width
            if cells[start..<start + width] != other.cells[start..<start + width] { rows.append(y) }
        }
        return rows
    }
}
