import CNCursesW

// Terminal columns taken by text. A grapheme cluster takes the sum of its scalars' widths, which
// is what ncurses and tmux compute too (they place scalar by scalar), so a ZWJ emoji sequence
// counts as its parts and never desynchronises our layout from the terminal's.

enum DisplayWidth {
    /// Columns of one scalar: 0, 1 or 2. Control characters are not expected here.
    static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x300 { return 1 }
        if contains(DisplayWidthTable.zeroWidth, v) { return 0 }
        if v >= 0x1100, contains(DisplayWidthTable.doubleWidth, v) { return 2 }
        return 1
    }

    /// Columns of one grapheme cluster (0 for a cluster made only of combining/format scalars).
    static func of(_ character: Character) -> Int {
        if let ascii = character.asciiValue, ascii >= 0x20, ascii < 0x7F { return 1 }
        var width = 0
        for scalar in character.unicodeScalars { width += of(scalar) }
        return width
    }

    /// Columns of a string laid out on one line.
    static func of(_ string: some StringProtocol) -> Int {
        var width = 0
        for character in string { width += of(character) }
        return width
    }

    /// The C library's own answer (depends on the locale; -1 for non-printable), to pin the table.
    static func system(_ scalar: Unicode.Scalar) -> Int {
        Int(wcwidth(wchar_t(bitPattern: scalar.value)))
    }

    private static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var low = 0, high = ranges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let range = ranges[mid]
            if value < range.lowerBound { high = mid - 1 } else if value > range.upperBound { low = mid + 1 } else { return true }
        }
        return false
    }
}
