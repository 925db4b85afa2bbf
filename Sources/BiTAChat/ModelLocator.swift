import Foundation

/// Decides which model file a command uses, in this order:
///   1. the path given with `--model`;
///   2. `$BITA_MODEL` when set and not empty;
///   3. `models/SmolLM2-135M-Instruct.Q4_1.gguf` under the install root: the directory holding
///      the `.build` directory the executable runs from (a source checkout, e.g.
///      `<repo>/.build/release/bita-chat` gives `<repo>`), or else the parent of the executable's
///      directory (`<prefix>/bin/bita-chat` gives `<prefix>`);
///   4. the same relative path under the current directory.
/// An explicit path (1, 2) is used as given, even when missing, so the error names it.
struct ModelLocator {
    static let defaultModelRelativePath = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The rule above, for `--help` texts.
    static let helpText = """
        Model resolution: --model PATH, else $BITA_MODEL, else \(defaultModelRelativePath) \
        in the bita-chat checkout or install (the directory above .build/, or above bin/), \
        else \(defaultModelRelativePath) in the current directory.
        """

    enum Source: String, Sendable {
        case option = "--model"
        case environment = "$BITA_MODEL"
        case installDirectory = "install directory"
        case currentDirectory = "current directory"
    }

    struct Located: Sendable {
        var path: String
        var source: Source
    }

    var environment: [String: String]
    /// Absolute path of the running executable with symlinks resolved, when known.
    var executablePath: String?
    var currentDirectory: String

    init(environment: [String: String] = ProcessInfo.processInfo.environment,
         executablePath: String? = ModelLocator.runningExecutablePath(),
         currentDirectory: String = FileManager.default.currentDirectoryPath) {
        self.environment = environment
        self.executablePath = executablePath
        self.currentDirectory = currentDirectory
    }

    /// The checkout or install directory the executable belongs to (see rule 3).
    var installRoot: String? {
        guard let exe = executablePath, exe.hasPrefix("/") else { return nil }
        let dirs = Array(exe.split(separator: "/", omittingEmptySubsequences: true).dropLast())
        // `.build`, or a scratch directory of ours such as `.build-asan` (scripts/sanitize.sh).
        if let build = dirs.lastIndex(where: { $0 == ".build" || $0.hasPrefix(".build-") }) {
            return "/" + dirs[..<build].joined(separator: "/")
        }
        guard dirs.count >= 1 else { return nil }
        return "/" + dirs.dropLast().joined(separator: "/")
    }

    /// Default locations (rules 3 and 4) in the order they are tried.
    var defaultCandidates: [Located] {
        var out: [Located] = []
        if let root = installRoot {
            out.append(Located(path: join(root, Self.defaultModelRelativePath), source: .installDirectory))
        }
        let cwd = Located(path: join(currentDirectory, Self.defaultModelRelativePath), source: .currentDirectory)
        if !out.contains(where: { $0.path == cwd.path }) { out.append(cwd) }
        return out
    }

    /// The model to use, or an error listing every place that was tried.
    func locate(explicit: String?) throws(ModelLocatorError) -> Located {
        if let explicit { return Located(path: explicit, source: .option) }
        if let env = environment["BITA_MODEL"], !env.isEmpty { return Located(path: env, source: .environment) }
        let candidates = defaultCandidates
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw ModelLocatorError(tried: candidates.map(\.path))
    }

    private func join(_ dir: String, _ relative: String) -> String {
        dir.hasSuffix("/") ? dir + relative : dir + "/" + relative
    }

    /// `/proc/self/exe` resolved, else the first argument made absolute.
    static func runningExecutablePath() -> String? {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        guard let arg0 = CommandLine.arguments.first, arg0.contains("/") else { return nil }
        let absolute = arg0.hasPrefix("/") ? arg0 : FileManager.default.currentDirectoryPath + "/" + arg0
        return URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
    }
}

struct ModelLocatorError: Error, CustomStringConvertible {
    var tried: [String]
    var description: String {
        "no model file found (looked for \(tried.joined(separator: " and "))); "
            + "pass --model PATH, set BITA_MODEL, or run `make model` to fetch the default model"
    }
}
