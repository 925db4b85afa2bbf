import Foundation
import Testing

/// The built `bita-chat` ($BITA_CHAT_BIN, set by `make test`; else .build/release, else .build/debug).
enum BitaChatBinary {
    static var repoRoot: String {
        if let r = ProcessInfo.processInfo.environment["BITA_REPO"], !r.isEmpty { return r }
        // Tests/TUITests/Support/ExternalProcess.swift -> repo root
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    /// nil (with a recorded issue) when no binary was built.
    static func path() -> String? {
        if let p = ProcessInfo.processInfo.environment["BITA_CHAT_BIN"], !p.isEmpty {
            if FileManager.default.isExecutableFile(atPath: p) { return p }
            Issue.record("BITA_CHAT_BIN=\(p) is not an executable")
            return nil
        }
        for config in ["release", "debug"] {
            let p = repoRoot + "/.build/\(config)/bita-chat"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        Issue.record("no bita-chat binary: build it (swift build) or set BITA_CHAT_BIN")
        return nil
    }
}

struct ProcessResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program to completion with `stdin` fed in, both outputs collected. Outputs go through
/// temporary files, not pipes: a daemon the program starts (the tmux server) may keep inherited
/// descriptors open forever, and a pipe would then never reach end-of-file.
func runProcess(_ executable: String, _ arguments: [String], stdin: Data = Data(),
                environment: [String: String] = [:]) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let base = NSTemporaryDirectory() + "bita-proc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let outPath = base + ".out", errPath = base + ".err"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let inp = Pipe()
    p.standardOutput = out; p.standardError = err; p.standardInput = inp
    try p.run()
    try out.close(); try err.close()
    inp.fileHandleForWriting.write(stdin)
    try inp.fileHandleForWriting.close()
    p.waitUntilExit()
    let outData = FileManager.default.contents(atPath: outPath) ?? Data()
    let errData = FileManager.default.contents(atPath: errPath) ?? Data()
    return ProcessResult(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a program with posix_spawn and waits for it with waitpid. Foundation's `Process` learns
/// of a child's exit through a descriptor the child inherits; the tmux server that `tmux
/// new-session` forks keeps that descriptor, so `Process` would wait forever for the client.
func spawnAndWait(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let base = NSTemporaryDirectory() + "bita-spawn-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let outPath = base + ".out", errPath = base + ".err"
    defer { unlink(outPath); unlink(errPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    let exited = status & 0x7f == 0
    return ProcessResult(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                         stdout: FileManager.default.contents(atPath: outPath) ?? Data(),
                         stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
}

/// A detached tmux server of our own (`-L`), one session, driven with send-keys/capture-pane.
final class TmuxSession {
    let socket: String
    let target = "e2e"
    private static let tmuxPath: String? = {
        for p in ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        // Not installed: try the system package manager once (works when running as root).
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") {
            _ = try? runProcess("/usr/bin/apt-get", ["install", "-y", "-q", "tmux"],
                                environment: ["DEBIAN_FRONTEND": "noninteractive"])
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") { return "/usr/bin/tmux" }
        }
        return nil
    }()

    static var isAvailable: Bool { tmuxPath != nil }

    /// Starts `shellCommand` (run by sh) in a width x height window.
    init(width: Int, height: Int, shellCommand: String) throws {
        socket = "bita-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let r = try tmux(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", target, shellCommand])
        if r.status != 0 { throw TmuxError(message: "tmux new-session failed: \(r.stderr)") }
    }

    /// kill-session closes the pane's terminal (kill-server alone left servers behind here).
    deinit {
        _ = try? tmux(["kill-session", "-t", target])
        _ = try? tmux(["kill-server"])
        let dir = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        unlink("\(dir)/tmux-\(getuid())/\(socket)")
    }

    struct TmuxError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    @discardableResult
    func tmux(_ args: [String]) throws -> ProcessResult {
        try spawnAndWait(TmuxSession.tmuxPath!, ["-f", "/dev/null", "-L", socket] + args)
    }

    /// Types text literally (no key-name interpretation).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", target, "-l", text]) }
    /// Presses named keys (Enter, C-c, F3, BSpace...).
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", target] + keys) }

    func capture(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-t", target, "-p"] + (escapes ? ["-e"] : [])).stdoutText
    }

    func display(_ format: String) throws -> String {
        try tmux(["display-message", "-t", target, "-p", format]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", target, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the pane until `condition` holds; returns the last capture, or nil on timeout.
    func wait(timeout: Double = 10, escapes: Bool = false, interval: Double = 0.02,
              _ condition: (String) -> Bool) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let screen = try capture(escapes: escapes)
            if condition(screen) { return screen }
            Thread.sleep(forTimeInterval: interval)
        }
        return nil
    }

    /// Pid of the first child of the pane's shell (the program the shell is running).
    func childPID() throws -> Int32? {
        guard let shell = Int32(try display("#{pane_pid}")) else { return nil }
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }
}

/// Shell-quotes one word for `sh -c`.
func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
