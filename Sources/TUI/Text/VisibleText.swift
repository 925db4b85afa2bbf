// Terminal safety: every string that reaches the screen passes through here. Control
// characters (C0, DEL, C1) and bidirectional overrides from model output, user input or loaded
// transcripts become visible escapes such as `^[`, `\x9b` or `<U+202E>`, so text can never move
// the cursor, clear the screen, retitle the window or write the clipboard (`ESC ] 52`).

/// One terminal cell's worth of text: a grapheme cluster (or a single scalar) 1 or 2 columns wide.
public struct DisplayCell: Hashable, Sendable {
    public var text: String
    public var width: Int
    public var style: TextStyle

    public init(text: String, width: Int, style: TextStyle) {
        self.text = text; self.width = width; self.style = style
    }

    static func space(_ style: TextStyle) -> DisplayCell { DisplayCell(text: " ", width: 1, style: style) }
    var isSpace: Bool { text == " " }
}

public enum VisibleText {
    /// Columns a tab stands for; tabs become spaces because cell positions are ours to decide.
    static let tabWidth = 4

    /// The visible escape for a scalar that must not reach the terminal raw, or nil if it is safe.
    /// Newline and tab are not handled here (they are layout, not content).
    public static func escape(for scalar: Unicode.Scalar) -> String? {
        let v = scalar.value
        switch v {
        case 0x00...0x1F:
            // Caret notation: ESC -> ^[, NUL -> ^@, BEL -> ^G.
            return "^" + String(Unicode.Scalar(UInt8(v + 0x40)))
        case 0x7F:
            return "^?"
        case 0x80...0x9F:
            return "\\x" + hex(v, digits: 2)
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029:
            // Bidi marks/overrides and Unicode line separators: harmless to the terminal's state
            // but able to make text read differently from what it is.
            return "<U+" + hex(v, digits: 4) + ">"
        default:
            return nil
        }
    }

    /// `text` with every unsafe scalar replaced by its escape. `keepNewlines` keeps `\n` (and
    /// turns `\r\n` into `\n`) for multi-line output; tabs are kept (they cannot change state).
    public static func escaped(_ text: String, keepNewlines: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if previousWasCR {
                previousWasCR = false
                if scalar == "\n", keepNewlines { out.unicodeScalars.append("\n"); continue }
                out += "^M"
            }
            if scalar == "\r" { previousWasCR = true; continue }
            if scalar == "\n", keepNewlines { out.unicodeScalars.append(scalar); continue }
            if scalar == "\t" { out.unicodeScalars.append(scalar); continue }
            if let esc = escape(for: scalar) { out += esc } else { out.unicodeScalars.append(scalar) }
        }
        if previousWasCR { out += "^M" }
        return out
    }

    /// True when `text` would be changed by `escaped(_:)`.
    public static func needsEscaping(_ text: String) -> Bool {
        for scalar in text.unicodeScalars where scalar != "\n" && scalar != "\t" {
            if escape(for: scalar) != nil { return true }
        }
        return false
    }

    /// Splits styled runs into paragraphs (at newlines) of display cells.
    static func paragraphs(_ runs: [(text: String, style: TextStyle)], escapeStyle: TextStyle = .escape) -> [[DisplayCell]] {
        var paragraphs: [[DisplayCell]] = [[]]
        for run in runs {
            appendCells(of: run.text, style: run.style, escapeStyle: escapeStyle, to: &paragraphs)
        }
        return paragraphs
    }

    /// Cells of single-line text (newlines shown as `^J`), for status bars and labels.
    static func lineCells(_ text: String, style: TextStyle, escapeStyle: TextStyle = .escape) -> [DisplayCell] {
        var paragraphs: [[DisplayCell]] = [[]]
        appendCells(of: text, style: style, escapeStyle: escapeStyle, to: &paragraphs, newlineIsBreak: false)
        return paragraphs[0]
    }

    static func appendCells(of text: String, style: TextStyle, escapeStyle: TextStyle,
                            to paragraphs: inout [[DisplayCell]], newlineIsBreak: Bool = true) {
        for character in text {
            if let ascii = character.asciiValue, ascii >= 0x20, ascii < 0x7F {
                paragraphs[paragraphs.count - 1].append(DisplayCell(text: String(character), width: 1, style: style))
                continue
            }
            if character == "\n" || character == "\r\n" {
                if newlineIsBreak { paragraphs.append([]) } else { appendEscape("^J", escapeStyle, &paragraphs) }
                continue
            }
            if character == "\t" {
                for _ in 0..<tabWidth { paragraphs[paragraphs.count - 1].append(.space(style)) }
                continue
            }
            let scalars = character.unicodeScalars
            let hasUnsafe = scalars.contains { escape(for: $0) != nil || $0 == "\n" || $0 == "\t" }
            let width = hasUnsafe ? 0 : DisplayWidth.of(character)
            if !hasUnsafe, width == 1 || width == 2 {
                paragraphs[paragraphs.count - 1].append(DisplayCell(text: String(character), width: width, style: style))
                continue
            }
            // Clusters with control scalars, of width 0 or wider than 2: scalar by scalar.
            for scalar in scalars {
                if scalar == "\n" {
                    if newlineIsBreak { paragraphs.append([]) } else { appendEscape("^J", escapeStyle, &paragraphs) }
                } else if scalar == "\t" {
                    for _ in 0..<tabWidth { paragraphs[paragraphs.count - 1].append(.space(style)) }
                } else if let esc = escape(for: scalar) {
                    appendEscape(esc, escapeStyle, &paragraphs)
                } else {
                    let w = DisplayWidth.of(scalar)
                    if w > 0 {
                        paragraphs[paragraphs.count - 1].append(DisplayCell(text: String(scalar), width: w, style: style))
                    } else if scalar.properties.generalCategory == .nonspacingMark
                                || scalar.properties.generalCategory == .enclosingMark
                                || scalar.properties.generalCategory == .spacingMark {
                        // A mark with nothing to combine with: give it a no-break space as its base.
                        attachOrStandalone(scalar, style, &paragraphs)
                    }
                    // Other zero-width scalars (ZWJ, ZWSP, BOM) on their own are invisible: dropped.
                }
            }
        }
    }

    private static func attachOrStandalone(_ scalar: Unicode.Scalar, _ style: TextStyle, _ paragraphs: inout [[DisplayCell]]) {
        var text = "\u{00A0}"
        text.unicodeScalars.append(scalar)
        paragraphs[paragraphs.count - 1].append(DisplayCell(text: text, width: 1, style: style))
    }

    private static func appendEscape(_ esc: String, _ style: TextStyle, _ paragraphs: inout [[DisplayCell]]) {
        for ch in esc { paragraphs[paragraphs.count - 1].append(DisplayCell(text: String(ch), width: 1, style: style)) }
    }

    private static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: v > 0xFF)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
