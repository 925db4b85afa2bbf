import CNCursesW
import Foundation

/// The terminal through ncursesw. Every call happens on the main actor (ncurses is not thread
/// safe). Frames are drawn row by row, only rows that changed since the previous frame, each
/// cell at its computed column so our width table and the terminal's cannot drift apart.
@MainActor
final class CursesScreen: Screen {
    private let window: UnsafeMutablePointer<WINDOW>
    private let screen: OpaquePointer
    let theme: Theme
    private var previous: Frame?
    private var pairs: [PairKey: Int16] = [:]
    private var maxPairs: Int
    private var ended = false

    private struct PairKey: Hashable { var fg: Int16; var bg: Int16 }

    /// Key codes we ask ncurses to report for bracketed-paste markers.
    private static let pasteBeginCode = Int32(KEY_MAX) + 1
    private static let pasteEndCode = Int32(KEY_MAX) + 2

    init(themeName: ThemeName, colorEnabled: Bool) throws(TerminalError) {
        TerminalState.ensureUTF8Locale()
        TerminalState.saveTerminalModes()
        guard let out = fdopen(STDOUT_FILENO, "w"), let inp = fdopen(STDIN_FILENO, "r") else {
            throw .cannotInitialize("cannot open the terminal streams")
        }
        guard let scr = newterm(nil, out, inp) else {
            let term = ProcessInfo.processInfo.environment["TERM"] ?? "(unset)"
            throw .cannotInitialize("unknown terminal type \"\(VisibleText.escaped(term))\"; set TERM (e.g. TERM=xterm-256color) or pipe input to use plain mode")
        }
        screen = scr
        guard let win = bita_stdscr() else { throw .cannotInitialize("ncurses gave no screen") }
        window = win
        TerminalState.cursesActive = true

        raw()            // Ctrl-C, Ctrl-Z, Ctrl-\ arrive as keys, not signals
        noecho()
        nonl()           // Enter arrives as CR, Ctrl-J as LF
        keypad(win, true)
        wtimeout(win, 0)
        set_escdelay(25)
        intrflush(win, false)
        for (seq, code) in [("\u{1b}[200~", CursesScreen.pasteBeginCode), ("\u{1b}[201~", CursesScreen.pasteEndCode),
                            ("\u{1b}[1~", KEY_HOME), ("\u{1b}[H", KEY_HOME), ("\u{1b}OH", KEY_HOME),
                            ("\u{1b}[4~", KEY_END), ("\u{1b}[F", KEY_END), ("\u{1b}OF", KEY_END)] {
            _ = define_key(seq, Int32(code))
        }

        var mode = ColorMode.monochrome
        if colorEnabled, has_colors() {
            start_color()
            use_default_colors()
            let colors = bita_colors()
            mode = colors >= 256 ? .extended : (colors >= 8 ? .eight : .monochrome)
        }
        maxPairs = Int(bita_color_pairs())
        theme = Theme(name: themeName, mode: mode)
        TerminalState.writeRaw(TerminalState.enableBracketedPaste)
    }

    var size: ScreenSize {
        ScreenSize(width: Int(getmaxx(window)), height: Int(getmaxy(window)))
    }

    /// Forget what is on screen: the next frame repaints everything (resize, Ctrl-L).
    func invalidate(clearTerminal: Bool = false) {
        previous = nil
        if clearTerminal { clearok(window, true) }
    }

    func present(_ frame: Frame, cursor: CursorPosition?) {
        guard !ended else { return }
        let rows = frame.changedRows(since: previous)
        if previous == nil { werase(window) }
        var current: CellAttributes?
        var scratch: [wchar_t] = []
        for y in rows {
            var x = 0
            while x < frame.width {
                let cell = frame[y, x]
                if cell.width == 0 { x += 1; continue }
                let attributes = theme.attributes(for: cell.style)
                if attributes != current { apply(attributes); current = attributes }
                scratch.removeAll(keepingCapacity: true)
                for scalar in cell.text.unicodeScalars {
                    // Last line of defence: nothing below 0x20 or in C1 reaches the terminal.
                    let v = scalar.value
                    scratch.append(v < 0x20 || (v >= 0x7F && v < 0xA0) ? wchar_t(0x3F) : wchar_t(bitPattern: v))
                }
                _ = mvwaddnwstr(window, Int32(y), Int32(x), scratch, Int32(scratch.count))
                x += max(1, Int(cell.width))
            }
        }
        if let cursor, cursor.row < frame.height, cursor.column < frame.width {
            curs_set(1)
            wmove(window, Int32(cursor.row), Int32(cursor.column))
        } else {
            curs_set(0)
        }
        wrefresh(window)
        previous = frame
    }

    private func apply(_ a: CellAttributes) {
        var attrs = bita_a_normal()
        if a.bold { attrs |= bita_a_bold() }
        if a.dim { attrs |= bita_a_dim() }
        if a.underline { attrs |= bita_a_underline() }
        if a.reverse { attrs |= bita_a_reverse() }
        let pair = a.foreground < 0 && a.background < 0 ? 0 : pairNumber(fg: a.foreground, bg: a.background)
        _ = wattr_set(window, attrs, pair, nil)
    }

    private func pairNumber(fg: Int16, bg: Int16) -> Int16 {
        let key = PairKey(fg: fg, bg: bg)
        if let p = pairs[key] { return p }
        let next = pairs.count + 1
        guard next < min(maxPairs, Int(Int16.max)) else { return 0 }
        init_pair(Int16(next), fg, bg)
        pairs[key] = Int16(next)
        return Int16(next)
    }

    /// True once the terminal is gone (window closed, ssh dropped): reads would fail forever.
    /// Checked by the loop because a hangup does not always come with a SIGHUP for us (the
    /// kernel signals the session leader, which may be a shell that exits without passing it on).
    var terminalHungUp: Bool {
        var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, 0) >= 0 else { return false }
        return fds.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// Every key waiting in the input buffer, up to `limit`.
    func readKeys(limit: Int) -> [Key] {
        var keys: [Key] = []
        while keys.count < limit, let key = nextKey() { keys.append(key) }
        return keys
    }

    private func nextKey() -> Key? {
        var ch: wint_t = 0
        let r = wget_wch(window, &ch)
        if r == ERR { return nil }
        if r == KEY_CODE_YES { return functionKey(Int32(ch)) ?? nextKey() }
        if ch == 0x1B {
            // ESC followed at once by a character is Alt+character; on its own it is Escape.
            var next: wint_t = 0
            let r2 = wget_wch(window, &next)
            if r2 == ERR { return .escape }
            if r2 == KEY_CODE_YES { _ = ungetch(Int32(next)); return .escape }
            if next == 0x0D { return .newline }
            if next == 0x7F || next == 0x08 { return .meta("\u{7f}") }
            if let s = Unicode.Scalar(UInt32(next)), next >= 0x20 { return .meta(Character(s)) }
            return .escape
        }
        return characterKey(UInt32(ch))
    }

    private func characterKey(_ v: UInt32) -> Key? {
        switch v {
        case 0x0D: return .enter
        case 0x0A: return .newline
        case 0x09: return .tab
        case 0x7F, 0x08: return .backspace
        case 0x01...0x1A: return .control(Character(Unicode.Scalar(v + 0x60)!))
        case 0x00, 0x1C...0x1F: return nil
        default:
            guard let s = Unicode.Scalar(v) else { return nil }
            return .character(Character(s))
        }
    }

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_ENTER: return .enter
        case KEY_RESIZE: return .resize
        case KEY_BTAB: return .tab
        case CursesScreen.pasteBeginCode: return .pasteBegin
        case CursesScreen.pasteEndCode: return .pasteEnd
        default:
            for n in 1...12 where code == bita_key_f(Int32(n)) { return .function(n) }
            return nil
        }
    }

    /// Leaves curses mode and restores the terminal. Safe to call twice.
    func end() {
        guard !ended else { return }
        ended = true
        TerminalState.writeRaw(TerminalState.disableBracketedPaste)
        TerminalState.endCurses()
        delscreen(screen)
    }
}

public enum TerminalError: Error, CustomStringConvertible {
    case cannotInitialize(String)
    public var description: String {
        switch self {
        case .cannotInitialize(let why): return "cannot start the terminal UI: \(why)"
        }
    }
}
