/// How many colours the terminal offers (or the user allows).
public enum ColorMode: String, Sendable, Hashable {
    /// `--no-color`, `NO_COLOR`, or a terminal without colours: attributes only.
    case monochrome
    /// The eight ANSI colours.
    case eight
    /// xterm's 256-colour palette.
    case extended
}

public enum ThemeName: String, Sendable, Hashable, CaseIterable {
    case dark, light, mono
}

/// Terminal rendition of one cell: colour numbers (-1 = terminal default) and attributes.
public struct CellAttributes: Hashable, Sendable {
    public var foreground: Int16 = -1
    public var background: Int16 = -1
    public var bold = false
    public var dim = false
    public var underline = false
    public var reverse = false

    public init(foreground: Int16 = -1, background: Int16 = -1, bold: Bool = false, dim: Bool = false,
                underline: Bool = false, reverse: Bool = false) {
        self.foreground = foreground; self.background = background
        self.bold = bold; self.dim = dim; self.underline = underline; self.reverse = reverse
    }
}

/// Maps text roles to colours for one colour mode. Draft depths get distinct hues; in
/// monochrome they fall back to underline (depth 1), bold (2) and both (3 and deeper).
public struct Theme: Sendable, Hashable {
    public var name: ThemeName
    public var mode: ColorMode

    public init(name: ThemeName, mode: ColorMode) {
        self.name = name
        self.mode = name == .mono ? .monochrome : mode
    }

    /// Colours of draft depths 1, 2, 3, 4, 5+ in 256-colour mode.
    public var extendedDraftColors: [Int16] {
        name == .light ? [28, 25, 91, 130, 161] : [114, 81, 141, 215, 204]
    }

    /// Colours of draft depths 1, 2, 3, 4, 5+ in 8-colour mode: green, cyan, magenta, yellow, blue.
    public static let eightDraftColors: [Int16] = [2, 6, 5, 3, 4]

    /// The colour a draft depth gets in this theme, nil in monochrome.
    public func draftColor(depth: Int) -> Int16? {
        let i = min(max(depth, 1), 5) - 1
        switch mode {
        case .monochrome: return nil
        case .eight: return Theme.eightDraftColors[i]
        case .extended: return extendedDraftColors[i]
        }
    }

    public func attributes(for style: TextStyle) -> CellAttributes {
        switch mode {
        case .monochrome: return monochrome(style)
        case .eight, .extended: return colored(style)
        }
    }

    private func monochrome(_ style: TextStyle) -> CellAttributes {
        switch style {
        case .plain, .assistantText, .input, .userText, .overlay: return CellAttributes()
        case .draft(let d), .inspectorAccepted(let d):
            if d <= 1 { return CellAttributes(underline: true) }
            if d == 2 { return CellAttributes(bold: true) }
            return CellAttributes(bold: true, underline: true)
        case .roleLabel, .inputPrompt, .inspectorTitle, .overlayTitle, .overlayKey: return CellAttributes(bold: true)
        case .systemText, .notice, .dim, .interrupted, .inspectorRejected, .scrollIndicator: return CellAttributes(dim: true)
        case .error: return CellAttributes(bold: true, reverse: true)
        case .escape: return CellAttributes(reverse: true)
        case .statusBar, .statusAccent: return CellAttributes(reverse: true)
        case .statusKey: return CellAttributes(bold: true, reverse: true)
        case .inspectorBonus: return CellAttributes(bold: true)
        case .acceptanceBar, .sparkline: return CellAttributes()
        }
    }

    private func colored(_ style: TextStyle) -> CellAttributes {
        let extended = mode == .extended
        let light = name == .light
        func c(_ eight: Int16, _ ext: Int16) -> Int16 { extended ? ext : eight }
        switch style {
        case .plain, .assistantText, .input, .overlay: return CellAttributes()
        case .userText: return CellAttributes(foreground: c(-1, light ? 238 : 253), bold: !extended)
        case .draft(let d): return CellAttributes(foreground: draftColor(depth: d) ?? -1)
        case .inspectorAccepted(let d): return CellAttributes(foreground: draftColor(depth: d) ?? -1, bold: true)
        case .acceptanceBar(let d): return CellAttributes(foreground: draftColor(depth: d) ?? -1)
        case .roleLabel(let role):
            switch role {
            case .user: return CellAttributes(foreground: c(3, light ? 130 : 179), bold: true)
            case .assistant: return CellAttributes(foreground: c(4, light ? 24 : 111), bold: true)
            case .system: return CellAttributes(foreground: c(5, light ? 90 : 176), bold: true)
            }
        case .systemText: return CellAttributes(foreground: c(5, light ? 90 : 176))
        case .notice, .scrollIndicator: return CellAttributes(foreground: c(6, light ? 242 : 244), dim: !extended)
        case .dim, .interrupted, .inspectorRejected: return CellAttributes(foreground: c(-1, light ? 246 : 242), dim: !extended)
        case .error: return CellAttributes(foreground: c(1, 203), bold: true)
        case .escape: return CellAttributes(foreground: c(1, 203), reverse: true)
        case .statusBar: return extended ? CellAttributes(foreground: light ? 235 : 252, background: light ? 252 : 236)
                                         : CellAttributes(reverse: true)
        case .statusAccent: return extended ? CellAttributes(foreground: light ? 25 : 117, background: light ? 252 : 236, bold: true)
                                            : CellAttributes(bold: true, reverse: true)
        case .statusKey: return extended ? CellAttributes(foreground: light ? 130 : 221, background: light ? 252 : 236, bold: true)
                                         : CellAttributes(foreground: 3, bold: true, reverse: true)
        case .inputPrompt: return CellAttributes(foreground: c(3, light ? 130 : 179), bold: true)
        case .inspectorTitle, .overlayTitle: return CellAttributes(foreground: c(6, light ? 25 : 117), bold: true)
        case .inspectorBonus: return CellAttributes(bold: true)
        case .overlayKey: return CellAttributes(foreground: c(3, light ? 130 : 221), bold: true)
        case .sparkline: return CellAttributes(foreground: c(2, light ? 28 : 114))
        }
    }
}
