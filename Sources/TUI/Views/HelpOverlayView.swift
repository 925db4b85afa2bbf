/// The F1 / `?` overlay: keys, commands and the highlight legend in a centred box.
struct HelpOverlayView {
    static let keys: [(String, String)] = [
        ("Enter", "send the message"),
        ("Ctrl-J, Alt-Enter", "new line in the message"),
        ("←→ Home End ^A ^E", "move in the line"),
        ("^K ^U ^W ^Y", "kill to end / to start / word; yank"),
        ("↑ ↓", "history (or move between lines)"),
        ("PgUp PgDn", "scroll the conversation"),
        ("Ctrl-C, Esc", "stop the answer (the partial answer stays)"),
        ("Ctrl-D, /quit", "leave (Ctrl-D on an empty line)"),
        ("F1, ?", "this help"),
        ("F2, /highlight", "draft highlighting on/off"),
        ("F3, /inspector", "draft inspector panel"),
        ("Ctrl-L", "redraw the screen"),
    ]

    func lines() -> [[DisplayCell]] {
        var out: [[DisplayCell]] = []
        func add(_ parts: [(String, TextStyle)]) {
            var cells: [DisplayCell] = []
            for (t, s) in parts { cells += VisibleText.lineCells(t, style: s) }
            out.append(cells)
        }
        add([("bita-chat help", .overlayTitle), ("  (any key closes)", .overlay)])
        let keyWidth = HelpOverlayView.keys.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (k, v) in HelpOverlayView.keys {
            add([(k + String(repeating: " ", count: keyWidth - DisplayWidth.of(k) + 2), .overlayKey), (v, .overlay)])
        }
        add([])
        let usageWidth = SlashCommand.summary.map { DisplayWidth.of($0.usage) }.max() ?? 0
        for (u, m) in SlashCommand.summary {
            add([(u + String(repeating: " ", count: usageWidth - DisplayWidth.of(u) + 2), .overlayKey), (m, .overlay)])
        }
        add([("Colours: ", .overlay), ("d1", .draft(depth: 1)), (" ", .overlay), ("d2", .draft(depth: 2)),
             (" ", .overlay), ("d3", .draft(depth: 3)), (" ", .overlay), ("d4+", .draft(depth: 4)),
             (" drafts accepted at that depth; plain: AR or bonus token", .overlay)])
        return out
    }

    func draw(into frame: inout Frame) {
        let content = lines()
        let innerWidth = min(frame.width - 4, 76, max(20, content.map { $0.reduce(0) { $0 + $1.width } }.max() ?? 20))
        guard innerWidth > 4, frame.height >= 3 else { return }
        var wrapped: [[DisplayCell]] = []
        for l in content { wrapped += TextWrapper.wrap(l, width: innerWidth) }
        let innerHeight = min(frame.height - 2, wrapped.count)
        let boxWidth = innerWidth + 4, boxHeight = innerHeight + 2
        let left = max(0, (frame.width - boxWidth) / 2), top = max(0, (frame.height - boxHeight) / 2)
        for y in top..<top + boxHeight { frame.fill(row: y, column: left, count: boxWidth, style: .overlay) }
        frame.write("┌" + String(repeating: "─", count: boxWidth - 2) + "┐", style: .overlayTitle, row: top, column: left)
        frame.write("└" + String(repeating: "─", count: boxWidth - 2) + "┘", style: .overlayTitle, row: top + boxHeight - 1, column: left)
        for i in 0..<innerHeight {
            frame.write("│", style: .overlayTitle, row: top + 1 + i, column: left)
            frame.write("│", style: .overlayTitle, row: top + 1 + i, column: left + boxWidth - 1)
            frame.write(wrapped[i], row: top + 1 + i, column: left + 2, maxWidth: innerWidth)
        }
        if wrapped.count > innerHeight {
            frame.write(" more: enlarge the terminal ", style: .overlayTitle, row: top + boxHeight - 1, column: left + 2, maxWidth: boxWidth - 4)
        }
    }
}
