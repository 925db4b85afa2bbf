import Foundation
import Testing
import FuzzTargets

/// Replays, through the fuzzers' own harnesses, every input a fuzzer found (crashes and broken
/// properties, committed under Tests/Data/fuzz/<target>/) and the seed corpus (Fuzz/corpus/).
/// A regression crashes this test or records the broken property.
@Suite struct FuzzRegressionTests {
    static var repoRoot: String { TestModels.repoRoot }

    static func inputs(of target: String) throws -> [String] {
        var files: [String] = []
        for dir in [repoRoot + "/Tests/Data/fuzz/" + target, repoRoot + "/Fuzz/corpus/" + target] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            files += names.filter { !$0.hasPrefix(".") }.sorted().map { dir + "/" + $0 }
        }
        return files
    }

    @Test(arguments: FuzzTargets.names)
    func replay(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let files = try Self.inputs(of: name)
        #expect(!files.isEmpty, "no inputs for \(name)")
        for path in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            do { try target.run(bytes) } catch {
                Issue.record("\((path as NSString).lastPathComponent): \(error)")
            }
        }
    }

    /// The harnesses must be able to fail: a broken property is reported, not swallowed.
    @Test func harnessReportsABrokenRoundTrip() {
        #expect(throws: FuzzPropertyViolation.self) {
            try TranscriptFuzzTarget.checkExport(html: "<p>ok</p><script>alert(1)</script>", markdown: "fine")
        }
        #expect(throws: FuzzPropertyViolation.self) {
            try TranscriptFuzzTarget.checkExport(html: "<p>ok</p>", markdown: "raw \u{1b}[2J escape")
        }
        #expect(throws: Never.self) {
            try TranscriptFuzzTarget.checkExport(html: "<p class=\"x\">&lt;script&gt;</p>", markdown: "^[[2J")
        }
    }
}
