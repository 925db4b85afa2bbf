/// Where each part of the chat goes for a terminal size:
///
///     conversation pane   [ | draft inspector ]   (inspector on the right when wide,
///     [ draft inspector ]                           below the pane when tall and narrow)
///     status bar (1 row)
///     input box (1..8 rows, grows with the message)
struct ChatLayout: Hashable {
    /// Below this the chat is replaced by a "terminal too small" notice.
    static let minimumWidth = 20
    static let minimumHeight = 5
    /// The inspector sits beside the pane from this width on.
    static let sideInspectorMinimumWidth = 72
    /// ...and below it from this pane height on.
    static let bottomInspectorMinimumPaneHeight = 14

    var conversation: Rect
    var inspector: Rect?
    /// The inspector was asked for but does not fit.
    var inspectorOmitted = false
    var status: Rect
    var input: Rect

    /// nil when the terminal is too small for the chat.
    init?(size: ScreenSize, inputLines: Int, showInspector: Bool) {
        let w = size.width, h = size.height
        guard w >= ChatLayout.minimumWidth, h >= ChatLayout.minimumHeight else { return nil }
        let maxInput = max(1, min(8, (h - 3) / 3))
        let inputHeight = min(max(1, inputLines), maxInput)
        input = Rect(row: h - inputHeight, column: 0, width: w, height: inputHeight)
        status = Rect(row: h - inputHeight - 1, column: 0, width: w, height: 1)
        let paneHeight = h - inputHeight - 1
        conversation = Rect(row: 0, column: 0, width: w, height: paneHeight)
        guard showInspector else { return }
        if w >= ChatLayout.sideInspectorMinimumWidth {
            let panel = min(44, max(30, w / 3))
            // A blank column and the separator between pane and panel.
            conversation.width = w - panel - 2
            inspector = Rect(row: 0, column: w - panel, width: panel, height: paneHeight)
        } else if paneHeight >= ChatLayout.bottomInspectorMinimumPaneHeight {
            let panel = min(14, paneHeight / 2)
            conversation.height = paneHeight - panel
            inspector = Rect(row: paneHeight - panel, column: 0, width: w, height: panel)
        } else {
            inspectorOmitted = true
        }
    }
}

/// Drawn instead of the chat when the terminal is smaller than `ChatLayout.minimum*`.
enum TooSmallView {
    static func draw(into frame: inout Frame) {
        let message = "Terminal too small: need \(ChatLayout.minimumWidth)x\(ChatLayout.minimumHeight), have \(frame.width)x\(frame.height). Enlarge the window or press Ctrl-D to quit."
        guard frame.width > 0, frame.height > 0 else { return }
        let paragraphs = VisibleText.paragraphs([(message, .error)])
        let lines = TextWrapper.wrap(paragraphs: paragraphs, width: max(1, frame.width))
        let top = max(0, (frame.height - lines.count) / 2)
        for (i, line) in lines.prefix(frame.height).enumerated() {
            let w = line.reduce(0) { $0 + $1.width }
            frame.write(line, row: top + i, column: max(0, (frame.width - w) / 2))
        }
    }
}
