import CNCursesW
import Foundation

/// Minimal curses screen: proves the ncurses wiring and terminal restore. Press q to leave.
@MainActor
public enum WelcomeScreen {
    public static func run(version: String) async throws {
        setlocale(LC_ALL, "")
        guard let win = initscr() else { throw TerminalError.cannotInitialize }
        defer { endwin() }
        cbreak(); noecho(); keypad(win, true); curs_set(0)
        wtimeout(win, 0)
        let lines = ["bita-chat \(version)", "", "The chat is not wired yet.", "Press q to quit."]
        var done = false
        while !done {
            werase(win)
            for (i, line) in lines.enumerated() { mvwaddnstr(win, Int32(1 + i), 2, line, -1) }
            wrefresh(win)
            var ch: wint_t = 0
            while wget_wch(win, &ch) != ERR {
                if ch == wint_t(UInt8(ascii: "q")) { done = true }
            }
            try await Task.sleep(nanoseconds: 16_000_000)
        }
    }
}

public enum TerminalError: Error, CustomStringConvertible {
    case cannotInitialize
    public var description: String { "cannot initialise the terminal (is TERM set?)" }
}
