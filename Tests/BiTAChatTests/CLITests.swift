import Foundation
import Testing

/// Runs the built `bita-chat` binary (path from $BITA_CHAT_BIN, set by `make test`).
enum CLI {
    static var binary: String {
        if let p = ProcessInfo.processInfo.environment["BITA_CHAT_BIN"] { return p }
        let release = repoRoot + "/.build/release/bita-chat"
        let debug = repoRoot + "/.build/debug/bita-chat"
        return FileManager.default.fileExists(atPath: release) ? release : debug
    }
    static var repoRoot: String {
        if let r = ProcessInfo.processInfo.environment["BITA_REPO"] { return r }
        // Tests/BiTAChatTests/CLITests.swift -> repo root
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }
    /// The 260K-parameter TinyStories model the CLI tests run on ($BITA_STORIES_MODEL, else the
    /// shared models directory next to the checkout).
    static var storiesModel: String {
        ProcessInfo.processInfo.environment["BITA_STORIES_MODEL"] ?? repoRoot + "/../shared/models/stories260K.gguf"
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes fully before waiting so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite struct CLIBasicsTests {
    @Test func versionPrints() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func helpListsSubcommands() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for sub in ["chat", "info", "generate", "bench", "tune"] {
            #expect(r.stdout.contains(sub), "help lacks \(sub)")
        }
    }

    @Test func unknownOptionFails() throws {
        let r = try CLI.run(["--no-such-option"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no-such-option"))
    }
}
