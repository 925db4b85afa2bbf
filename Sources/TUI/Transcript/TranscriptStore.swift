import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where sessions are saved and how: `<dir>/<yyyyMMdd-HHmmss>-<hex>.json` plus a `.md` twin,
/// both 0600 in a 0700 directory, each written atomically.
public struct TranscriptStore: Sendable {
    public let directory: String
    var writer = AtomicFileWriter()

    /// `directory` nil means `$XDG_DATA_HOME/bita-chat/sessions`, else `~/.local/share/bita-chat/sessions`.
    public init(directory: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let directory, !directory.isEmpty {
            self.directory = TranscriptStore.expandTilde(directory, environment: environment)
        } else {
            self.directory = TranscriptStore.defaultDirectory(environment: environment)
        }
    }

    public static func defaultDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return xdg + "/bita-chat/sessions"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/bita-chat/sessions"
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    /// Creates the directory (and missing parents) with mode 0700. An existing directory keeps
    /// its mode: it may be one the user chose and shares on purpose.
    public func prepareDirectory() throws(TranscriptError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .cannotCreateDirectory(path: directory, reason: "a file with that name exists")
            }
            return
        }
        var missing: [String] = []
        var url = URL(fileURLWithPath: directory)
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" {
            missing.append(url.path)
            url.deleteLastPathComponent()
        }
        for path in missing.reversed() {
            if mkdir(path, 0o700) != 0, errno != EEXIST {
                throw .cannotCreateDirectory(path: path, reason: String(cString: strerror(errno)))
            }
            _ = chmod(path, 0o700)
        }
    }

    /// Paths for a new session started at `date`.
    public func newSession(at date: Date = Date()) -> TranscriptPaths {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        let stem = f.string(from: date) + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        return TranscriptPaths(json: directory + "/" + stem + ".json", markdown: directory + "/" + stem + ".md")
    }

    /// Writes any file the way transcripts are written: atomically, mode 0600 (exports hold the
    /// same private text).
    public static func writeAtomically(_ data: Data, to path: String) throws(TranscriptError) {
        try AtomicFileWriter().write(data, to: path)
    }

    /// Writes the JSON, then the Markdown. The JSON is the one `/load` reads, so it goes first.
    public func save(_ transcript: Transcript, to paths: TranscriptPaths) throws(TranscriptError) {
        let json: Data
        do { json = try transcript.encoded() } catch {
            throw .writeFailed(path: paths.json, reason: "cannot encode the transcript: \(error)")
        }
        try writer.write(json, to: paths.json)
        if let markdown = paths.markdown {
            try writer.write(Data(MarkdownTranscriptRenderer.render(transcript).utf8), to: markdown)
        }
    }
}

public struct TranscriptPaths: Hashable, Sendable {
    public var json: String
    public var markdown: String?

    public init(json: String, markdown: String?) { self.json = json; self.markdown = markdown }

    /// For a user-chosen path: `x.json` (or `x`) gives `x.json` + `x.md`.
    public static func forUserPath(_ path: String) -> TranscriptPaths {
        let stem = path.hasSuffix(".json") ? String(path.dropLast(5)) : path
        return TranscriptPaths(json: stem + ".json", markdown: stem + ".md")
    }
}
