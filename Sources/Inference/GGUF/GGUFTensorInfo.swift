/// Where one tensor lives in a GGUF file and what it holds.
public struct GGUFTensorInfo: Sendable, Hashable {
    public let name: String
    /// GGUF order: dimensions[0] (ne0) is the contiguous one, i.e. the row length of a matrix.
    /// A weight matrix [rows, cols] is stored as dimensions [cols, rows].
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the data section.
    public let offset: Int
    public let byteCount: Int
    public let elementCount: Int

    /// Row length (ne0) and number of rows (product of the other dimensions).
    public var rowLength: Int { dimensions.first ?? 1 }
    public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }
}
