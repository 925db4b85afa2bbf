import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "(not implemented yet)"
    )

    func run() async throws {
        try notImplementedYet("bench")
    }
}
