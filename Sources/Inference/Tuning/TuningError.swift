/// Why tuning cannot start or continue, phrased so the user knows what to do.
public enum TuningError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case badRecord(path: String, line: Int, reason: String)
    case noTrainingData(reason: String)
    case tokenOutOfRange(id: String, token: Int32, vocabSize: Int)
    case sequenceTooLong(id: String, length: Int, contextLength: Int)
    case badCheckpoint(path: String, reason: String)
    case checkpointMismatch(path: String, differences: [String])
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        case let .badRecord(path, line, reason):
            return "\(path) line \(line) is not a tuning record ({\"id\", \"prompt_tokens\", \"response_tokens\"}): \(reason)"
        case let .noTrainingData(reason): return "no training data: \(reason)"
        case let .tokenOutOfRange(id, token, vocab):
            return "record \(id) has token id \(token), outside the model's vocabulary of \(vocab); was the data made with another model?"
        case let .sequenceTooLong(id, length, context):
            return "record \(id) has \(length) tokens, more than the model's context of \(context)"
        case let .badCheckpoint(path, reason):
            return "\(path) is not a usable tuning checkpoint: \(reason); delete it to start over"
        case let .checkpointMismatch(path, differences):
            return "cannot resume from \(path): it was made with different settings (\(differences.joined(separator: "; "))); "
                + "rerun with the checkpoint's settings, or without --resume to start over"
        case let .invalidSetting(m): return m
        }
    }
}
