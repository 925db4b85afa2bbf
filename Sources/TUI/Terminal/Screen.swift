/// Where frames go. `CursesScreen` draws them on the terminal (only rows that changed);
/// `MemoryScreen` keeps them for tests. Views never talk to a terminal directly.
@MainActor
public protocol Screen: AnyObject {
    /// The current size in cells; may change between frames (resize).
    var size: ScreenSize { get }
    /// Shows `frame`; `cursor` is where the text cursor should blink (nil hides it).
    func present(_ frame: Frame, cursor: CursorPosition?)
}

/// A screen in memory: records the last frame presented. Resize it to simulate a terminal resize.
@MainActor
public final class MemoryScreen: Screen {
    public private(set) var size: ScreenSize
    public private(set) var frame: Frame
    public private(set) var cursor: CursorPosition?
    public private(set) var presentCount = 0

    public init(width: Int, height: Int) {
        size = ScreenSize(width: width, height: height)
        frame = Frame(width: width, height: height)
    }

    public func resize(width: Int, height: Int) {
        size = ScreenSize(width: width, height: height)
    }

    public func present(_ frame: Frame, cursor: CursorPosition?) {
        self.frame = frame
        self.cursor = cursor
        presentCount += 1
    }

    /// Row texts of the last frame.
    public var lines: [String] { (0..<frame.height).map { frame.text(row: $0) } }

    /// The whole last frame as text.
    public var text: String { frame.text }

    /// First (row, column) where `needle` starts, searching row by row.
    public func find(_ needle: String) -> CursorPosition? {
        for (y, line) in lines.enumerated() {
            guard let r = line.range(of: needle) else { continue }
            // Convert the character offset into a column by walking cells.
            let prefix = line[line.startIndex..<r.lowerBound]
            var column = 0, consumed = 0
            let target = prefix.count
            while column < frame.width, consumed < target {
                let c = frame[y, column]
                if c.width > 0 { consumed += c.text.count }
                column += 1
            }
            while column < frame.width, frame[y, column].width == 0 { column += 1 }
            return CursorPosition(row: y, column: column)
        }
        return nil
    }

    /// Styles of the cells covering `needle`'s first occurrence.
    public func styles(of needle: String) -> [TextStyle]? {
        guard let p = find(needle) else { return nil }
        var out: [TextStyle] = []
        var x = p.column
        var remaining = needle.count
        while remaining > 0, x < frame.width {
            let c = frame[p.row, x]
            if c.width > 0 { out.append(c.style); remaining -= c.text.count }
            x += 1
        }
        return out
    }
}
