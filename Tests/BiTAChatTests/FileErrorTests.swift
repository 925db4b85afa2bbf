import Foundation
import Testing
import Inference

/// Model and adapter paths that are not usable files: each gives exit status 1 and one clear
/// line naming the file and the problem, for `generate --model X` and `generate --adapter X`,
/// and never blocks (a FIFO without a writer) or crashes. A model file changed on disk during a
/// chat ends that answer with a message instead of reading a stale or truncated mapping.
@Suite struct FileErrorTests {
    static var stories: String { CLI.storiesModel }
    static var haveStories: Bool { FileManager.default.fileExists(atPath: stories) }

    static func temporaryDirectory() -> String {
        let d = NSTemporaryDirectory() + "bita-file-errors-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The kinds of unusable path, made in `dir`; each with the words the message must contain.
    static func badPaths(in dir: String) throws -> [(label: String, path: String, message: String)] {
        let directory = dir + "/a-directory.gguf"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fifo = dir + "/pipe.gguf"
        #expect(mkfifo(fifo, 0o600) == 0)
        let empty = dir + "/empty.gguf"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let text = dir + "/notes.gguf"
        try Data("not a model\n".utf8).write(to: URL(fileURLWithPath: text))
        return [
            ("directory", directory, "\(directory) is a directory"),
            ("FIFO", fifo, "\(fifo) is a FIFO (named pipe)"),
            ("empty", empty, "\(empty) is empty (0 bytes)"),
            ("missing", dir + "/absent.gguf", "cannot open \(dir)/absent.gguf: No such file or directory"),
            ("text", text, "\(text) is not a GGUF file"),
            ("device", "/dev/null", "/dev/null is a device"),
        ]
    }

    static func expectOneLineError(_ r: CLI.Result, contains message: String, _ label: String) {
        #expect(r.status == 1, "\(label): exit \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.contains(message), "\(label): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("note:") }
        #expect(lines.count == 1, "\(label): \(lines.count) lines: \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(label): printed \(r.stdout)")
    }

    @Test func generateWithUnusableModel() throws {
        for bad in try Self.badPaths(in: Self.temporaryDirectory()) {
            let r = try CLI.run(["generate", "--model", bad.path, "--prompt", "hi", "--max-tokens", "4"])
            Self.expectOneLineError(r, contains: bad.message, "model \(bad.label)")
        }
    }

    @Test(.enabled(if: haveStories, "stories260K.gguf absent from ../shared/models"))
    func generateWithUnusableAdapter() throws {
        for bad in try Self.badPaths(in: Self.temporaryDirectory()) {
            let r = try CLI.run(["generate", "--model", Self.stories, "--adapter", bad.path, "--prompt", "hi", "--max-tokens", "4"])
            Self.expectOneLineError(r, contains: "cannot load adapter: " + bad.message, "adapter \(bad.label)")
        }
        // A model passed as the adapter, and an adapter passed as the model.
        let r = try CLI.run(["generate", "--model", Self.stories, "--adapter", Self.stories, "--prompt", "hi"])
        Self.expectOneLineError(r, contains: "not a BiTA adapter", "model as adapter")
    }

    /// Root reads files whatever their mode, so as root the command runs as user nobody.
    @Test(.enabled(if: haveStories, "stories260K.gguf absent from ../shared/models"))
    func unreadableModelAndAdapter() throws {
        let dir = Self.temporaryDirectory()
        #expect(chmod(dir, 0o755) == 0)
        let model = dir + "/locked.gguf"
        try FileManager.default.copyItem(atPath: Self.stories, toPath: model)
        #expect(chmod(model, 0) == 0)
        var prefix: [String] = []
        if geteuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
            prefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        func run(_ args: [String]) throws -> CLI.Result {
            guard !prefix.isEmpty else { return try CLI.run(args) }
            // CLI.run executes the binary directly; go through setpriv instead.
            let p = Process()
            p.executableURL = URL(fileURLWithPath: prefix[0])
            p.arguments = Array(prefix.dropFirst()) + [CLI.binary] + args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out; p.standardError = err; p.standardInput = FileHandle.nullDevice
            try p.run()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return CLI.Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }
        let r = try run(["generate", "--model", model, "--prompt", "hi"])
        Self.expectOneLineError(r, contains: "cannot open \(model): Permission denied", "unreadable model")
        let readable = dir + "/stories.gguf"
        try FileManager.default.copyItem(atPath: Self.stories, toPath: readable)
        #expect(chmod(readable, 0o644) == 0)
        let a = try run(["generate", "--model", readable, "--adapter", model, "--prompt", "hi"])
        Self.expectOneLineError(a, contains: "cannot load adapter: cannot open \(model): Permission denied", "unreadable adapter")
    }

    /// Plain-mode chat: the model file is rewritten after the first answer; the next answer
    /// fails with a message naming the file, and the chat neither crashes nor hangs.
    @Test(.enabled(if: haveStories, "stories260K.gguf absent from ../shared/models"))
    func modelChangedOnDiskDuringChat() throws {
        let dir = Self.temporaryDirectory()
        let model = dir + "/model.gguf"
        try FileManager.default.copyItem(atPath: Self.stories, toPath: model)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["chat", "--model", model, "--max-tokens", "8", "--transcript-dir", dir + "/sessions"]
        let inp = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = inp; p.standardOutput = out; p.standardError = err
        try p.run()
        inp.fileHandleForWriting.write(Data("Once upon a time\n".utf8))
        // Wait for the first answer line.
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        #expect(first.contains(UInt8(ascii: "\n")), "no first answer")
        // Grow the file in place (same inode): the mapping's pages stay valid, the identity changes.
        let h = try #require(FileHandle(forWritingAtPath: model))
        try h.seekToEnd()
        h.write(Data(repeating: 0, count: 64))
        try h.close()
        inp.fileHandleForWriting.write(Data("Tom had a ball\n".utf8))
        try inp.fileHandleForWriting.close()
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit, "killed by signal \(p.terminationStatus)")
        #expect(errors.contains("\(model) changed on disk after it was opened"), "\(errors)")
        _ = rest
    }
}
