import CNCursesW
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Getting the terminal back, whatever happens. Three layers:
/// - normal exit and errors: the chat loop calls `CursesScreen.end()`; `atexit` catches `exit()`;
/// - SIGTERM/SIGHUP/SIGINT/SIGQUIT: a dispatch source records the signal, the chat loop stops the
///   answer, saves, restores and exits; if the loop does not manage within 2 s, the terminal is
///   restored from the signal queue and the process exits;
/// - crashes (SIGSEGV, SIGILL, SIGABRT, ...): an async-signal-safe handler writes the reset
///   sequences and the saved termios, then lets the original handler run.
enum TerminalState {
    static let enableBracketedPaste = "\u{1b}[?2004h"
    static let disableBracketedPaste = "\u{1b}[?2004l"

    nonisolated(unsafe) static var cursesActive = false
    nonisolated(unsafe) private static var savedModes = termios()
    nonisolated(unsafe) private static var hasSavedModes = false
    /// Reset bytes for the crash path, allocated up front (no allocation inside a signal handler):
    /// bracketed paste off, keypad mode off, attributes off, cursor on, leave the alternate screen.
    nonisolated(unsafe) private static var resetBytes: UnsafeMutableBufferPointer<UInt8>?
    /// Indexed by signal number; filled before any handler can run.
    nonisolated(unsafe) private static var previousCrashActions: [sigaction?] = Array(repeating: nil, count: 65)
    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []
    private static let installed = Atomic<Bool>(false)

    /// The termination signal received, 0 if none.
    static let pendingSignal = Atomic<Int32>(0)
    /// Set once the chat has restored the terminal on its own.
    static let restoredCleanly = Atomic<Bool>(false)

    static let terminationSignals: [Int32] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT]
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// ncurses needs a UTF-8 locale to read and draw wide characters; when the environment
    /// names none, C.UTF-8 is used for character classification.
    static func ensureUTF8Locale() {
        setlocale(LC_ALL, "")
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) != "UTF-8" {
            setlocale(LC_CTYPE, "C.UTF-8")
        }
    }

    static func saveTerminalModes() {
        if tcgetattr(STDIN_FILENO, &savedModes) == 0 { hasSavedModes = true }
    }

    static func writeRaw(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    /// Leaves curses mode if it is active (endwin restores the modes ncurses changed).
    static func endCurses() {
        guard cursesActive else { return }
        cursesActive = false
        endwin()
        restoredCleanly.store(true, ordering: .sequentiallyConsistent)
    }

    static func installHandlers() {
        guard !installed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let reset = "\u{1b}[?2004l\u{1b}[?1l\u{1b}>\u{1b}[0m\u{1b}[?25h\u{1b}[?1049l\r\n"
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: reset.utf8.count)
        _ = buffer.initialize(from: reset.utf8)
        resetBytes = buffer

        atexit { TerminalState.endCurses() }

        for sig in crashSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in TerminalState.emergencyRestore(); TerminalState.chainCrash(sig) }
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND)) | Int32(SA_NODEFER)
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            if sigaction(sig, &action, &old) == 0 { previousCrashActions[Int(sig)] = old }
        }

        // A file-size limit must make write() fail (EFBIG, shown as a save error), not kill us.
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)

        for sig in terminationSignals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                pendingSignal.store(sig, ordering: .sequentiallyConsistent)
                DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                    guard cursesActive, !restoredCleanly.load(ordering: .sequentiallyConsistent) else { return }
                    emergencyRestore()
                    _exit(128 + sig)
                }
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Async-signal-safe: only write(2) and tcsetattr(3).
    static func emergencyRestore() {
        if let b = resetBytes { _ = write(STDOUT_FILENO, b.baseAddress, b.count) }
        if hasSavedModes { _ = tcsetattr(STDIN_FILENO, TCSANOW, &savedModes) }
    }

    /// Lets the handler that was there before ours (e.g. the runtime's crash reporter) run, then
    /// dies of the signal: a signal sent with kill(2) would otherwise return into a process whose
    /// terminal is no longer set up for it.
    private static func chainCrash(_ sig: Int32) {
        if var old = previousCrashActions[Int(sig)] {
            _ = sigaction(sig, &old, nil)
            let handler = unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self)
            if handler != unsafeBitCast(SIG_DFL, to: Int.self), handler != unsafeBitCast(SIG_IGN, to: Int.self) {
                raise(sig)
            }
        }
        signal(sig, SIG_DFL)
        raise(sig)
    }
}
