import ArgumentParser

struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "(not implemented yet)"
    )

    func run() async throws {
        try notImplementedYet("tokenize")
    }
}
