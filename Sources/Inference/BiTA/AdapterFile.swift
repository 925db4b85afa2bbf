/// The `*.bita.gguf` file format: a GGUF file (so any GGUF tool can inspect it) holding
///
///   metadata  general.architecture = "bita-adapter", general.name,
///             bita.version (u32, optional, 1), bita.prompt_count P (u32), bita.mask_count k (u32),
///             bita.base.architecture (string), bita.base.block_count, bita.base.embedding_length,
///             bita.base.kv_dim (u32), bita.base.fingerprint (16 hex digits), bita.base.name (string),
///             bita.train.* (free form)
///   tensors   blk.N.prompt_k, blk.N.prompt_v  F32 [kv_dim, P] (GGUF order: P rows of kv_dim)
///             mask_embd                       F32 [dim, k]    (k rows of dim)
///             rank_root, rank_next            F32 [dim, r]    optional, both or neither: the
///                                             draft ranking's U and V, r rows of dim (DraftRanking)
extension BiTAAdapter {
    public static let architectureName = "bita-adapter"
    public static let fileExtension = ".bita.gguf"
    public static let formatVersion = 1

    /// The adapter as a GGUF file image.
    public func gguf() -> GGUFWriter {
        var w = GGUFWriter()
        w.set("general.architecture", .string(Self.architectureName))
        w.set("general.name", .string("BiTA adapter for \(base.name)"))
        w.set("bita.version", .uint32(UInt32(Self.formatVersion)))
        w.set("bita.prompt_count", .uint32(UInt32(promptCount)))
        w.set("bita.mask_count", .uint32(UInt32(maskCount)))
        w.set("bita.base.architecture", .string(base.architecture))
        w.set("bita.base.block_count", .uint32(UInt32(base.layerCount)))
        w.set("bita.base.embedding_length", .uint32(UInt32(base.dim)))
        w.set("bita.base.kv_dim", .uint32(UInt32(base.kvDim)))
        w.set("bita.base.fingerprint", .string(base.fingerprint.description))
        w.set("bita.base.name", .string(base.name))
        for key in trainingInfo.keys.sorted() { w.set(key, trainingInfo[key]!) }
        for l in 0..<base.layerCount {
            w.addTensor("blk.\(l).prompt_k", dimensions: [base.kvDim, promptCount], floats: promptKeys[l])
            w.addTensor("blk.\(l).prompt_v", dimensions: [base.kvDim, promptCount], floats: promptValues[l])
        }
        w.addTensor("mask_embd", dimensions: [base.dim, maskCount], floats: maskEmbeddings)
        if let r = ranking {
            w.addTensor("rank_root", dimensions: [base.dim, r.rank], floats: r.rootProjection)
            w.addTensor("rank_next", dimensions: [base.dim, r.rank], floats: r.nextProjection)
        }
        return w
    }

    /// Validates, then writes atomically (temporary file, fsync, rename): a crash or full disk
    /// leaves any previous adapter at `path` intact.
    public func write(to path: String) throws(AdapterError) {
        try validate(path: path)
        do {
            try gguf().write(to: path)
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
    }

    /// Reads and validates an adapter file (format, counts, shapes, types, finite values).
    /// Whether it fits a model is a separate check: `checkCompatible(with:fingerprint:path:)`,
    /// or use `load(path:for:fingerprint:)` for both.
    public init(contentsOf path: String) throws(AdapterError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .file(error) }
        try self.init(file: file)
    }

    /// Reads an adapter and refuses it unless it was made for the model described by
    /// `config` and `fingerprint`.
    public static func load(path: String, for config: LlamaConfig, fingerprint: ModelFingerprint) throws(AdapterError) -> BiTAAdapter {
        let adapter = try BiTAAdapter(contentsOf: path)
        try adapter.checkCompatible(with: config, fingerprint: fingerprint, path: path)
        return adapter
    }

    /// Decodes an already opened GGUF file as an adapter.
    public init(file: GGUFFile) throws(AdapterError) {
        let path = file.path
        guard let arch = file.metadata["general.architecture"] else { throw .notAnAdapter(path: path, architecture: nil) }
        guard arch.stringValue == Self.architectureName else {
            throw .notAnAdapter(path: path, architecture: arch.stringValue ?? arch.summary)
        }

        func integer(_ key: String, _ range: ClosedRange<Int>) throws(AdapterError) -> Int {
            guard let value = file.metadata[key] else { throw .missingKey(path: path, key: key) }
            guard let v = value.intValue, value.boolValue == nil else {
                throw .badValue(path: path, key: key, value: "\(value.typeName) \(value.summary)", reason: "it must be an integer")
            }
            guard range.contains(v) else {
                throw .badValue(path: path, key: key, value: "\(v)", reason: "it must be in \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        func text(_ key: String) throws(AdapterError) -> String {
            guard let value = file.metadata[key] else { throw .missingKey(path: path, key: key) }
            guard let s = value.stringValue else {
                throw .badValue(path: path, key: key, value: "\(value.typeName) \(value.summary)", reason: "it must be a string")
            }
            return s
        }

        if file.metadata["bita.version"] != nil {
            let version = try integer("bita.version", 0...Int(UInt32.max))
            guard version == Self.formatVersion else { throw .unsupportedVersion(path: path, version: version) }
        }
        let p = try integer("bita.prompt_count", Self.promptCountRange)
        let k = try integer("bita.mask_count", Self.maskCountRange)
        let fingerprintText = try text("bita.base.fingerprint")
        guard let fingerprint = ModelFingerprint(hex: fingerprintText) else {
            throw .badValue(path: path, key: "bita.base.fingerprint", value: "\"\(fingerprintText)\"",
                            reason: "it must be 16 hexadecimal digits")
        }
        let base = BaseModel(architecture: try text("bita.base.architecture"),
                             layerCount: try integer("bita.base.block_count", 1...1024),
                             dim: try integer("bita.base.embedding_length", 1...65536),
                             kvDim: try integer("bita.base.kv_dim", 1...65536),
                             fingerprint: fingerprint, name: try text("bita.base.name"))

        func floats(_ name: String, _ dims: [Int]) throws(AdapterError) -> [Float] {
            guard let t = file.tensor(named: name) else { throw .missingTensor(path: path, name: name, expected: dims) }
            guard t.dimensions == dims else { throw .tensorShape(path: path, name: name, expected: dims, found: t.dimensions) }
            guard t.type == .f32 else { throw .tensorType(path: path, name: name, type: t.type) }
            let raw = file.data(for: t)
            let values = [Float](unsafeUninitializedCapacity: t.elementCount) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                count = t.elementCount
            }
            guard values.allSatisfy(\.isFinite) else { throw .nonFinite(path: path, tensor: name) }
            return values
        }
        var keys: [[Float]] = []
        var values: [[Float]] = []
        var expectedNames: Set<String> = ["mask_embd"]
        for l in 0..<base.layerCount {
            keys.append(try floats("blk.\(l).prompt_k", [base.kvDim, p]))
            values.append(try floats("blk.\(l).prompt_v", [base.kvDim, p]))
            expectedNames.insert("blk.\(l).prompt_k")
            expectedNames.insert("blk.\(l).prompt_v")
        }
        let masks = try floats("mask_embd", [base.dim, k])
        var ranking: DraftRanking?
        let rankTensors = ["rank_root", "rank_next"].map { file.tensor(named: $0) }
        if let present = rankTensors.compactMap({ $0 }).first {
            // Both or neither; the rank is read off the first one present, then both must have it.
            let r = present.dimensions.count == 2 ? present.dimensions[1] : 0
            guard DraftRanking.rankRange.contains(r) else {
                throw .tensorShape(path: path, name: present.name, expected: [base.dim, DraftRanking.rankRange.upperBound],
                                   found: present.dimensions)
            }
            let root = try floats("rank_root", [base.dim, r])
            let next = try floats("rank_next", [base.dim, r])
            ranking = DraftRanking(dim: base.dim, rank: r, rootProjection: root, nextProjection: next)
            expectedNames.formUnion(["rank_root", "rank_next"])
        }
        if let extra = file.tensors.first(where: { !expectedNames.contains($0.name) }) {
            throw .unexpectedTensor(path: path, name: extra.name)
        }
        var info: [String: GGUFValue] = [:]
        for key in file.metadataKeys where key.hasPrefix("bita.train.") { info[key] = file.metadata[key] }

        self.init(base: base, promptCount: p, maskCount: k, promptKeys: keys, promptValues: values,
                  maskEmbeddings: masks, trainingInfo: info, ranking: ranking)
        try validate(path: path)
    }
}
