/// Why a tokenizer could not be built from a model's metadata.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case missingKey(String)
    case unsupportedModel(String)
    case unsupportedPreTokenizer(String)
    case inconsistentArrays(key: String, count: Int, expected: Int)
    case emptyVocabulary
    case specialTokenOutOfRange(key: String, id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .missingKey(let key):
            return "the model file has no '\(key)' metadata; it was not converted with a tokenizer (re-convert it with llama.cpp's convert script)"
        case .unsupportedModel(let model):
            return "tokenizer type '\(model)' is not supported (supported: 'gpt2' byte-level BPE, 'llama' SentencePiece)"
        case .unsupportedPreTokenizer(let pre):
            return "pre-tokenizer '\(pre)' is not supported (supported: \(PreTokenizerKind.supportedNames.joined(separator: ", ")))"
        case .inconsistentArrays(let key, let count, let expected):
            return "metadata '\(key)' has \(count) entries but the vocabulary has \(expected) tokens; the model file is damaged"
        case .emptyVocabulary:
            return "the model's vocabulary (tokenizer.ggml.tokens) is empty"
        case .specialTokenOutOfRange(let key, let id, let size):
            return "metadata '\(key)' = \(id) is outside the vocabulary (size \(size)); the model file is damaged"
        }
    }
}
