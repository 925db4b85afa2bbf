import Foundation
import Inference
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `bita-chat info` run as a process: reports, bad input (exit 1, message on stderr, no crash),
/// adapters, and model path resolution.
@Suite struct InfoCommandTests {
    static var stories: String { CLI.storiesModel }
    static var smolLM2: String { CLI.repoRoot + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }

    static func temporaryDirectory() -> String {
        let d = NSTemporaryDirectory() + "bita-info-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Runs `executable` with exactly `environment` overrides applied and `removing` unset.
    static func run(_ args: [String], executable: String = CLI.binary, prefix: [String] = [], cwd: String? = nil,
                    environment: [String: String] = [:], removing: [String] = ["BITA_MODEL"]) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prefix.first ?? executable)
        p.arguments = prefix.isEmpty ? args : Array(prefix.dropFirst()) + [executable] + args
        var env = ProcessInfo.processInfo.environment
        for key in removing { env[key] = nil }
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        p.waitUntilExit()
        // A crash shows as an uncaught signal: report it as a distinct status.
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return CLI.Result(status: status, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The value printed after `label` in the text report (labels are padded to a common width).
    static func field(_ report: String, _ label: String) -> String? {
        for line in report.split(separator: "\n") where line.hasPrefix(label + " ") {
            return line.dropFirst(label.count).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "not JSON: \(r.stdout)")
    }

    // MARK: Reports

    @Test func storiesReport() throws {
        let r = try Self.run(["info", "--model", Self.stories])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let fingerprint = ModelFingerprint(file: try GGUFFile(path: Self.stories)).description
        let expected = [
            ("architecture", "llama"), ("parameters", "260,032"),
            ("dimensions", "embedding 64, feed-forward 172, vocab 512, context 512"),
            ("layers", "5, 8 heads, 4 kv heads, head dim 8, kv dim 32"), ("rope", "base 10000, 8 rotary dims; rms norm eps 1e-05"),
            ("output head", "tied to token_embd.weight"), ("tensor types", "F32 47"),
            ("tokenizer", "llama, 512 tokens, bos 1, eos 2"), ("chat template", "no"), ("runnable", "yes"),
            ("fingerprint", fingerprint), ("file", "1,054,304 bytes (1.0 MiB), GGUF v3, 21 metadata keys, 47 tensors"),
        ]
        for (label, value) in expected {
            #expect(Self.field(r.stdout, label) == value, "\(label) in\n\(r.stdout)")
        }
    }

    @Test func storiesJSON() throws {
        let r = try Self.run(["info", "--model", Self.stories, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let model = try #require(try Self.json(r)["model"] as? [String: Any])
        let config = try #require(model["config"] as? [String: Any])
        #expect(config["dim"] as? Int == 64 && config["layers"] as? Int == 5 && config["kvHeads"] as? Int == 4)
        #expect(config["vocabSize"] as? Int == 512 && config["tiedEmbeddings"] as? Bool == true)
        #expect(model["fileBytes"] as? Int == 1_054_304)
        #expect(model["parameters"] as? Int == 260_032)
        #expect((model["tensorTypes"] as? [String: Int]) == ["F32": 47])
        #expect(model["fingerprint"] as? String == ModelFingerprint(file: try GGUFFile(path: Self.stories)).description)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: InfoCommandTests.smolLM2), "run `make model` first"))
    func smolLM2JSON() throws {
        let r = try Self.run(["info", "--model", Self.smolLM2, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let model = try #require(try Self.json(r)["model"] as? [String: Any])
        let config = try #require(model["config"] as? [String: Any])
        #expect(config["dim"] as? Int == 576 && config["layers"] as? Int == 30 && config["heads"] as? Int == 9)
        #expect(config["kvHeads"] as? Int == 3 && config["feedForwardDim"] as? Int == 1536 && config["vocabSize"] as? Int == 49152)
        #expect(config["ropeFreqBase"] as? Double == 100000 && config["contextLength"] as? Int == 8192)
        #expect((model["tensorTypes"] as? [String: Int]) == ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        let tokenizer = try #require(model["tokenizer"] as? [String: Any])
        #expect(tokenizer["pre"] as? String == "smollm" && tokenizer["mergeCount"] as? Int == 48900)
        #expect((tokenizer["chatTemplateBytes"] as? Int ?? 0) > 0)
    }

    @Test func unsupportedArchitecture() throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string("qwen2"))
        w.set("tokenizer.ggml.tokens", .array([.string("a")]))
        w.addTensor("token_embd.weight", dimensions: [8, 1], floats: [Float](repeating: 0, count: 8))
        let path = Self.temporaryDirectory() + "/qwen.gguf"
        try w.write(to: path)
        let r = try Self.run(["info", "--model", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("architecture qwen2 is not supported (supported: llama)"), "\(r.stderr)")
        #expect(Self.field(r.stdout, "architecture") == "qwen2", "the report is still printed")
    }

    // MARK: Bad input

    /// What each error kind's message says (so a user can tell the cases apart).
    static let messageFragments: [GGUFError.Kind: String] = [
        .cannotOpen: "cannot open", .notARegularFile: "not a model file", .empty: "is empty", .badMagic: "is not a GGUF file",
        .unsupportedVersion: "version", .truncated: "is truncated", .implausible: "looks corrupt",
        .unknownValueType: "unknown value type", .invalidUTF8: "not valid UTF-8", .duplicateKey: "appears twice",
        .duplicateTensor: "appears twice", .unknownTensorType: "which bita-chat does not support",
        .badShape: "invalid shape", .misaligned: "is not a multiple of the alignment",
        .tensorOutOfBounds: "extends past end of file", .tensorsOverlap: "overlap", .changedOnDisk: "changed on disk",
    ]

    static func expectRefused(_ path: String, kinds: Set<GGUFError.Kind>, label: String, prefix: [String] = []) throws {
        let r = try run(["info", "--model", path], prefix: prefix)
        #expect(r.status == 1, "\(label): status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.contains(path), "\(label): stderr does not name the file: \(r.stderr)")
        let fragments = kinds.compactMap { messageFragments[$0] }
        #expect(fragments.contains { r.stderr.contains($0) }, "\(label): unexpected message \(r.stderr) (expected \(kinds))")
        #expect(r.stderr.split(separator: "\n").count <= 3, "\(label): message too long: \(r.stderr)")
    }

    @Test func damagedFilesExitWithStatusOne() throws {
        let dir = Self.temporaryDirectory()
        let stories = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.stories)))
        let sets = [("sample", try GGUFDamage.catalogue(from: GGUFDamage.sampleFile())),
                    ("stories", try GGUFDamage.catalogue(from: stories))]
        var count = 0
        for (source, damages) in sets {
            for d in damages {
                let path = dir + "/\(source)-\(d.name).gguf"
                try Data(d.bytes).write(to: URL(fileURLWithPath: path))
                try Self.expectRefused(path, kinds: d.expected, label: "\(source)/\(d.name) (\(d.summary))")
                count += 1
            }
        }
        #expect(count >= 100)
    }

    @Test func filesThatAreNotModels() throws {
        let dir = Self.temporaryDirectory()
        try Self.expectRefused(dir, kinds: [.notARegularFile], label: "directory")
        let fifo = dir + "/pipe.gguf"
        #expect(mkfifo(fifo, 0o600) == 0)
        try Self.expectRefused(fifo, kinds: [.notARegularFile], label: "FIFO")
        let empty = dir + "/empty.gguf"
        try Data().write(to: URL(fileURLWithPath: empty))
        try Self.expectRefused(empty, kinds: [.empty], label: "empty")
        try Self.expectRefused(dir + "/absent.gguf", kinds: [.cannotOpen], label: "missing")
        try Self.expectRefused("/dev/zero", kinds: [.notARegularFile], label: "device")
    }

    /// An unreadable model. Root reads any file whatever its mode, so as root the command runs
    /// as user nobody through setpriv (or, without setpriv, on a write-only sysctl).
    @Test func unreadableFile() throws {
        let dir = Self.temporaryDirectory()
        let locked = dir + "/locked.gguf"
        try Data(GGUFDamage.sampleFile()).write(to: URL(fileURLWithPath: locked))
        #expect(chmod(locked, 0) == 0)
        if geteuid() != 0 {
            try Self.expectRefused(locked, kinds: [.cannotOpen], label: "mode 000")
        } else if FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            let r = try Self.run(["info", "--model", locked],
                                 prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains("cannot open \(locked): Permission denied"), "\(r.stderr)")
        } else {
            try Self.expectRefused("/proc/sys/vm/drop_caches", kinds: [.cannotOpen], label: "write-only sysctl")
        }
    }

    // MARK: Adapters

    static func storiesAdapter(in dir: String) throws -> (path: String, fingerprint: ModelFingerprint) {
        let file = try GGUFFile(path: stories)
        let fp = ModelFingerprint(file: file)
        let path = dir + "/stories" + BiTAAdapter.fileExtension
        var a = BiTAAdapter.random(for: try LlamaConfig(file: file), fingerprint: fp, seed: 77)
        a.trainingInfo["bita.train.steps"] = .uint32(0)
        try a.write(to: path)
        return (path, fp)
    }

    @Test func adapterMatchingItsModel() throws {
        let (adapter, fp) = try Self.storiesAdapter(in: Self.temporaryDirectory())
        let r = try Self.run(["info", "--model", Self.stories, "--adapter", adapter])
        #expect(r.status == 0, "\(r.stderr)")
        let adapterPart = String(r.stdout[try #require(r.stdout.range(of: "\nadapter ")).lowerBound...])
        let expected = [
            ("prompt tokens", "P = 16 per layer"), ("mask tokens", "k = 3"), ("draft ranking", "none"), ("parameters", "5,312"),
            ("base model", "stories260K (llama, 5 layers, dim 64, kv dim 32)"), ("base fingerprint", fp.description),
            ("matches model", "yes"), ("bita.train.steps", "0"), ("bita.train.seed", "77"),
        ]
        for (label, value) in expected {
            #expect(Self.field(adapterPart, label) == value, "\(label) in\n\(adapterPart)")
        }
        let j = try Self.json(try Self.run(["info", "--adapter", adapter, "--json"], environment: ["BITA_MODEL": Self.stories]))
        let a = try #require(j["adapter"] as? [String: Any])
        #expect(a["matchesModel"] as? Bool == true && a["parameters"] as? Int == 5312 && a["promptCount"] as? Int == 16)
        #expect((a["base"] as? [String: Any])?["fingerprint"] as? String == fp.description)
    }

    @Test func adapterForAnotherModel() throws {
        let dir = Self.temporaryDirectory()
        let (adapter, fp) = try Self.storiesAdapter(in: dir)
        // The same model with one vocabulary entry changed is another model.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.stories)))
        let tokens = try #require(try GGUFFieldMap(bytes: bytes).entry("tokenizer.ggml.tokens")?.firstElementOffset)
        bytes[tokens + 8] ^= 1
        let other = dir + "/other.gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: other))
        let otherFP = ModelFingerprint(file: try GGUFFile(path: other))

        let r = try Self.run(["info", "--model", other, "--adapter", adapter])
        #expect(r.status == 1)
        #expect(r.stderr.contains("adapter \(adapter) was trained for model stories260K (fingerprint \(fp)), "
            + "but the loaded model is stories260K (fingerprint \(otherFP))"), "\(r.stderr)")
        #expect(Self.field(r.stdout, "matches model")?.hasPrefix("no: adapter") == true, "\(r.stdout)")
    }

    @Test func damagedAdapters() throws {
        let dir = Self.temporaryDirectory()
        let (adapter, _) = try Self.storiesAdapter(in: dir)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: adapter)))
        for n in [0, 10, bytes.count / 2, bytes.count - 1] {
            let path = dir + "/cut\(n).bita.gguf"
            try Data(bytes[0..<n]).write(to: URL(fileURLWithPath: path))
            let r = try Self.run(["info", "--model", Self.stories, "--adapter", path])
            #expect(r.status == 1, "cut \(n): \(r.stderr)")
            #expect(r.stderr.contains("cannot load adapter: \(path)"), "cut \(n): \(r.stderr)")
        }
        let r = try Self.run(["info", "--model", Self.stories, "--adapter", Self.stories])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not a BiTA adapter"), "\(r.stderr)")
    }

    /// Decoding commands refuse bad BiTA input with a message and exit code 1: tree shapes that
    /// cannot be read or do not fit the adapter, an adapter for another model, a bad random seed.
    @Test func generateRefusesBadTreesAndAdapters() throws {
        let dir = Self.temporaryDirectory()
        let (adapter, _) = try Self.storiesAdapter(in: dir)
        let base = ["generate", "--model", Self.stories, "--prompt", "Once", "--max-tokens", "4"]
        let trees: [(String, String)] = [
            ("banana", "cannot read tree shape"), ("1,,1", "is not a number of candidates"),
            ("0", "1 to 16 candidates"), ("1,1,1,1", "exceeds the adapter's 3 mask tokens"), ("1,1,1/g2", "mask tokens per group"), ("2/g9", "exceeds the adapter's 3 mask tokens"),
            ("1/x3", "the group size is written /gN")]
        for (tree, message) in trees {
            let r = try Self.run(base + ["--adapter", adapter, "--tree", tree])
            #expect(r.status == 1, "--tree \(tree): \(r.stderr)")
            #expect(r.stderr.contains(message), "--tree \(tree): \(r.stderr)")
        }
        let noAdapter = try Self.run(base + ["--no-adapter", "--tree", "1,1"])
        #expect(noAdapter.status == 1)
        #expect(noAdapter.stderr.contains("needs a BiTA adapter"), "\(noAdapter.stderr)")
        let badSeed = try Self.run(base + ["--adapter", "random:-3"])
        #expect(badSeed.status == 1)
        #expect(badSeed.stderr.contains("non-negative integer"), "\(badSeed.stderr)")
        // An adapter made for the chat model, given to stories260K.
        let smolAdapter = CLI.repoRoot + "/prompts/SmolLM2-135M-Instruct.Q4_1.bita.gguf"
        let wrong = try Self.run(base + ["--adapter", smolAdapter])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("was trained for model"), "\(wrong.stderr)")
        // And the good cases still work: a tree that fits, and the random adapter.
        #expect(try Self.run(base + ["--adapter", adapter, "--tree", "2,1/g2"]).status == 0)
        #expect(try Self.run(base + ["--adapter", "random:5", "--mode", "bita"]).status == 0)
    }

    // MARK: Model resolution

    @Test func environmentVariableAndOptionOrder() throws {
        let viaEnv = try Self.json(try Self.run(["info", "--json"], environment: ["BITA_MODEL": Self.stories]))
        #expect((viaEnv["model"] as? [String: Any])?["path"] as? String == Self.stories)
        let bogus = Self.temporaryDirectory() + "/absent.gguf"
        let r = try Self.run(["info", "--model", Self.stories], environment: ["BITA_MODEL": bogus])
        #expect(r.status == 0, "--model must win over BITA_MODEL: \(r.stderr)")
        let missing = try Self.run(["info"], environment: ["BITA_MODEL": bogus])
        #expect(missing.status == 1 && missing.stderr.contains("cannot open \(bogus)"), "\(missing.stderr)")
    }

    /// The default model next to an installed copy of the binary, then in the current directory.
    @Test func defaultLocations() throws {
        let root = Self.temporaryDirectory()
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/inst/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/work", withIntermediateDirectories: true)
        let binary = root + "/inst/bin/bita-chat"
        try fm.copyItem(atPath: CLI.binary, toPath: binary)
        let relative = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

        let none = try Self.run(["info"], executable: binary, cwd: root + "/work")
        #expect(none.status == 1)
        #expect(none.stderr.contains("no model file found") && none.stderr.contains(root + "/inst/" + relative)
            && none.stderr.contains(root + "/work/" + relative), "\(none.stderr)")

        let adapterOnly = try Self.run(["info", "--adapter", try Self.storiesAdapter(in: root).path],
                                       executable: binary, cwd: root + "/work")
        #expect(adapterOnly.status == 0, "\(adapterOnly.stderr)")
        #expect(Self.field(adapterOnly.stdout, "matches model") == "unknown (no model given)", "\(adapterOnly.stdout)")

        try fm.createDirectory(atPath: root + "/work/models", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root + "/work/" + relative, withDestinationPath: Self.stories)
        let fromCwd = try Self.json(try Self.run(["info", "--json"], executable: binary, cwd: root + "/work"))
        #expect((fromCwd["model"] as? [String: Any])?["path"] as? String == root + "/work/" + relative)

        try fm.createDirectory(atPath: root + "/inst/models", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root + "/inst/" + relative, withDestinationPath: Self.stories)
        let fromInstall = try Self.json(try Self.run(["info", "--json"], executable: binary, cwd: root + "/work"))
        #expect((fromInstall["model"] as? [String: Any])?["path"] as? String == root + "/inst/" + relative)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: InfoCommandTests.smolLM2), "run `make model` first"))
    func checkoutDefaultModel() throws {
        let r = try Self.run(["info", "--json"], cwd: Self.temporaryDirectory())
        #expect(r.status == 0, "\(r.stderr)")
        let path = (try Self.json(r)["model"] as? [String: Any])?["path"] as? String
        #expect(path?.hasSuffix("/models/SmolLM2-135M-Instruct.Q4_1.gguf") == true, "\(String(describing: path))")
    }

    @Test func helpDocumentsModelResolution() throws {
        let r = try Self.run(["info", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("$BITA_MODEL") && r.stdout.contains("models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    }
}
