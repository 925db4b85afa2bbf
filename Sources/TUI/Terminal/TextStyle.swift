import Inference

/// What a piece of text on screen is, not how it looks: a `Theme` turns it into colours and
/// attributes for the terminal at hand, and tests assert on these roles directly.
public enum TextStyle: Hashable, Sendable {
    case plain
    case userText
    case assistantText
    /// A token drafted by BiTA and accepted by verification; depth 1 is the first drafted position.
    case draft(depth: Int)
    case roleLabel(ChatRole)
    case systemText
    case notice
    case error
    /// The visible stand-in for a control character (`^[`, `\x9b`, `<U+202E>`).
    case escape
    case interrupted
    case dim
    case statusBar
    case statusAccent
    case statusKey
    case inputPrompt
    case input
    case inspectorTitle
    case inspectorAccepted(depth: Int)
    case inspectorRejected
    case inspectorBonus
    case acceptanceBar(depth: Int)
    case sparkline
    case overlay
    case overlayTitle
    case overlayKey
    case scrollIndicator

    /// The style a token of this origin gets in the conversation pane.
    static func answer(_ origin: TokenOrigin) -> TextStyle {
        if let depth = origin.draftDepth { return .draft(depth: depth) }
        return .assistantText
    }
}
