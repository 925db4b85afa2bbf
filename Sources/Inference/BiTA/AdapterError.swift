/// Why a BiTA adapter was refused. Messages name the file and say what to do.
public enum AdapterError: Error, CustomStringConvertible, Equatable {
    /// The file is not a readable GGUF file at all.
    case file(GGUFError)
    /// A GGUF file whose `general.architecture` is not "bita-adapter" (nil: key missing).
    case notAnAdapter(path: String, architecture: String?)
    case unsupportedVersion(path: String, version: Int)
    case missingKey(path: String, key: String)
    case badValue(path: String, key: String, value: String, reason: String)
    case missingTensor(path: String, name: String, expected: [Int])
    case unexpectedTensor(path: String, name: String)
    case tensorShape(path: String, name: String, expected: [Int], found: [Int])
    case tensorType(path: String, name: String, type: GGMLType)
    case nonFinite(path: String, tensor: String)
    /// Arrays of an in-memory adapter that disagree with its counts and base dimensions.
    case invalid(path: String, reason: String)
    case modelMismatch(path: String, adapterModel: String, adapterFingerprint: String, loadedModel: String,
                       loadedFingerprint: String)
    case dimensionMismatch(path: String, what: String, adapter: Int, model: Int)
    case writeFailed(path: String, reason: String)

    public var description: String {
        func shape(_ d: [Int]) -> String { "[" + d.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case let .file(error):
            return "cannot load adapter: \(error)"
        case let .notAnAdapter(path, architecture):
            if let architecture {
                return "\(path) is a GGUF file of architecture \(architecture), not a BiTA adapter "
                    + "(expected general.architecture = bita-adapter); pass it with --model instead?"
            }
            return "\(path) is not a BiTA adapter: it has no general.architecture key"
        case let .unsupportedVersion(path, version):
            return "adapter \(path) uses format version \(version); this bita-chat reads version \(BiTAAdapter.formatVersion). "
                + "Update bita-chat or train the adapter again"
        case let .missingKey(path, key):
            return "adapter \(path) lacks the metadata key \(key); the file is incomplete or was written by another tool"
        case let .badValue(path, key, value, reason):
            return "adapter \(path): \(key) = \(value) is invalid: \(reason)"
        case let .missingTensor(path, name, expected):
            return "adapter \(path) lacks tensor \(name) (expected shape \(shape(expected))); the file is incomplete"
        case let .unexpectedTensor(path, name):
            return "adapter \(path) has an unexpected tensor \(name); it was written by another tool or for another format version"
        case let .tensorShape(path, name, expected, found):
            return "adapter \(path): tensor \(name) has shape \(shape(found)), but its metadata implies \(shape(expected))"
        case let .tensorType(path, name, type):
            return "adapter \(path): tensor \(name) is \(type); adapter tensors must be F32"
        case let .nonFinite(path, tensor):
            return "adapter \(path): tensor \(tensor) contains NaN or infinite values; train it again"
        case let .invalid(path, reason):
            return "adapter \(path) is inconsistent: \(reason)"
        case let .modelMismatch(path, adapterModel, adapterFingerprint, loadedModel, loadedFingerprint):
            return "adapter \(path) was trained for model \(adapterModel) (fingerprint \(adapterFingerprint)), "
                + "but the loaded model is \(loadedModel) (fingerprint \(loadedFingerprint)); "
                + "use the adapter made for this model, or make one with `bita-chat tune`"
        case let .dimensionMismatch(path, what, adapter, model):
            return "adapter \(path) has \(what) \(adapter), but the loaded model has \(model)"
        case let .writeFailed(path, reason):
            return "cannot write adapter \(path): \(reason)"
        }
    }
}
