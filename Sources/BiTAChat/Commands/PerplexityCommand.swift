import ArgumentParser

struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "(not implemented yet)"
    )

    func run() async throws {
        try notImplementedYet("perplexity")
    }
}
