/// A key press, decoded from the terminal (or made up by a test).
public enum Key: Hashable, Sendable {
    /// A printable character (typed, or part of a paste).
    case character(Character)
    /// Ctrl plus a letter, lower-case (`.control("c")` is Ctrl-C). Enter, Tab, Backspace and
    /// Ctrl-J have their own cases.
    case control(Character)
    /// Alt (Meta) plus a character: ESC immediately followed by it.
    case meta(Character)
    case enter
    /// Ctrl-J or Alt-Enter: a line break inside the message.
    case newline
    case tab
    case backspace
    case delete
    case escape
    case up, down, left, right
    case home, end
    case pageUp, pageDown
    case function(Int)
    case resize
    /// Bracketed paste markers (`ESC [ 200 ~` / `ESC [ 201 ~`): keys in between are pasted text.
    case pasteBegin, pasteEnd
}
