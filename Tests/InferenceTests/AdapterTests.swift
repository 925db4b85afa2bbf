import Foundation
import Testing
@testable import Inference

@Suite struct AdapterTests {
    static func stories() throws -> (config: LlamaConfig, fingerprint: ModelFingerprint) {
        let file = try GGUFFile(path: TestModels.stories260K)
        return (try LlamaConfig(file: file), ModelFingerprint(file: file))
    }

    @Test func randomAdapterShapesAndStatistics() throws {
        let (config, fp) = try Self.stories()
        let a = BiTAAdapter.random(for: config, fingerprint: fp, seed: 1)
        #expect(a.promptCount == 16 && a.maskCount == 3)
        #expect(a.promptKeys.count == 5 && a.promptValues.count == 5)
        #expect(a.promptKeys.allSatisfy { $0.count == 16 * 32 } && a.promptValues.allSatisfy { $0.count == 16 * 32 })
        #expect(a.maskEmbeddings.count == 3 * 64)
        #expect(a.parameterCount == 16 * 2 * 32 * 5 + 3 * 64)
        #expect(a.base == BiTAAdapter.BaseModel(architecture: "llama", layerCount: 5, dim: 64, kvDim: 32,
                                               fingerprint: fp, name: "stories260K"))
        let all = a.promptKeys.flatMap { $0 } + a.promptValues.flatMap { $0 } + a.maskEmbeddings
        let mean = all.reduce(0, +) / Float(all.count)
        let std = (all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(all.count)).squareRoot()
        #expect(abs(mean) < 0.002 && abs(std - 0.02) < 0.001, "mean \(mean) std \(std)")
        try a.validate()

        #expect(BiTAAdapter.random(for: config, fingerprint: fp, seed: 1) == a)
        #expect(BiTAAdapter.random(for: config, fingerprint: fp, seed: 2) != a)
        let small = BiTAAdapter.random(for: config, fingerprint: fp, promptCount: 4, maskCount: 2, seed: 1)
        #expect(small.promptKeys[0].count == 4 * 32 && small.maskEmbeddings.count == 2 * 64)
    }

    /// The design document's count for SmolLM2-135M: 16*2*192*30 + 3*576.
    @Test func smolLM2ParameterCount() {
        let c = LlamaConfig(name: "smol", dim: 576, layerCount: 30, feedForwardDim: 1536, headCount: 9, kvHeadCount: 3,
                            vocabSize: 49152, contextLength: 8192, tiedEmbeddings: true)
        #expect(BiTAAdapter.random(for: c, fingerprint: ModelFingerprint(value: 1), seed: 0).parameterCount == 186_048)
    }

    @Test func writeReadRoundTrip() throws {
        let (config, fp) = try Self.stories()
        var a = BiTAAdapter.random(for: config, fingerprint: fp, seed: 9)
        a.trainingInfo["bita.train.steps"] = .uint32(1200)
        a.trainingInfo["bita.train.data"] = .string("self-distilled answers")
        let path = TestModels.temporaryDirectory() + "/s" + BiTAAdapter.fileExtension
        try a.write(to: path)
        let b = try BiTAAdapter(contentsOf: path)
        #expect(b == a)

        // Plain GGUF underneath, laid out as documented.
        let f = try GGUFFile(path: path)
        #expect(f.string("general.architecture") == "bita-adapter")
        #expect(f.int("bita.prompt_count") == 16 && f.int("bita.mask_count") == 3)
        #expect(f.int("bita.base.kv_dim") == 32 && f.string("bita.base.fingerprint") == fp.description)
        #expect(f.tensor(named: "blk.4.prompt_v")?.dimensions == [32, 16])
        #expect(f.tensor(named: "mask_embd")?.dimensions == [64, 3])
        let row1 = f.data(for: f.tensor(named: "blk.2.prompt_k")!).withMemoryRebound(to: Float.self) { Array($0[32..<64]) }
        #expect(row1 == Array(a.promptKeys[2][32..<64]), "row-major [P, kvDim]")

        let loaded = try BiTAAdapter.load(path: path, for: config, fingerprint: fp)
        #expect(loaded == a)
    }

    @Test func refusesAdapterForAnotherModel() throws {
        let (config, fp) = try Self.stories()
        let path = TestModels.temporaryDirectory() + "/s.bita.gguf"
        try BiTAAdapter.random(for: config, fingerprint: fp, seed: 3).write(to: path)

        // Same shapes, different model: a tiny llama with stories' dimensions.
        let otherPath = TestModels.temporaryDirectory() + "/other.gguf"
        try TinyLlama.write(TinyLlama.Shape(dim: 64, layers: 5, heads: 8, kvHeads: 4, ff: 172, vocab: 512, context: 512),
                            name: "other-model", to: otherPath)
        let other = try GGUFFile(path: otherPath)
        let otherConfig = try LlamaConfig(file: other)
        let otherFP = ModelFingerprint(file: other)
        #expect(otherFP != fp)
        do {
            _ = try BiTAAdapter.load(path: path, for: otherConfig, fingerprint: otherFP)
            Issue.record("adapter for stories260K accepted for another model")
        } catch {
            #expect(error == .modelMismatch(path: path, adapterModel: "stories260K", adapterFingerprint: fp.description,
                                            loadedModel: "other-model", loadedFingerprint: otherFP.description))
            #expect(error.description.contains(
                "adapter \(path) was trained for model stories260K (fingerprint \(fp)), but the loaded model is other-model (fingerprint \(otherFP))"))
        }

        // A hand-edited fingerprint does not get a wrong-sized adapter through.
        let tiny = try TinyLlama.config()
        #expect(throws: AdapterError.dimensionMismatch(path: path, what: "block count", adapter: 5, model: 2)) {
            try BiTAAdapter(contentsOf: path).checkCompatible(with: tiny, fingerprint: fp, path: path)
        }
    }

    /// Writes an adapter GGUF with arbitrary edits, bypassing the adapter writer's validation.
    static func writeEdited(_ a: BiTAAdapter, to path: String,
                            edit: (inout [String: GGUFValue], inout [(String, [Int], GGMLType, [Float])]) -> Void) throws {
        var meta: [String: GGUFValue] = [
            "general.architecture": .string("bita-adapter"), "bita.prompt_count": .uint32(UInt32(a.promptCount)),
            "bita.mask_count": .uint32(UInt32(a.maskCount)), "bita.base.architecture": .string(a.base.architecture),
            "bita.base.block_count": .uint32(UInt32(a.base.layerCount)), "bita.base.embedding_length": .uint32(UInt32(a.base.dim)),
            "bita.base.kv_dim": .uint32(UInt32(a.base.kvDim)), "bita.base.fingerprint": .string(a.base.fingerprint.description),
            "bita.base.name": .string(a.base.name),
        ]
        var tensors: [(String, [Int], GGMLType, [Float])] = []
        for l in 0..<a.base.layerCount {
            tensors.append(("blk.\(l).prompt_k", [a.base.kvDim, a.promptCount], .f32, a.promptKeys[l]))
            tensors.append(("blk.\(l).prompt_v", [a.base.kvDim, a.promptCount], .f32, a.promptValues[l]))
        }
        tensors.append(("mask_embd", [a.base.dim, a.maskCount], .f32, a.maskEmbeddings))
        edit(&meta, &tensors)
        var w = GGUFWriter()
        for key in meta.keys.sorted() { w.set(key, meta[key]!) }
        for (name, dims, type, floats) in tensors {
            if type == .f32 {
                w.addTensor(name, dimensions: dims, floats: floats)
            } else {
                w.addTensor(name, dimensions: dims, type: type, data: [UInt8](repeating: 0, count: type.byteCount(elements: dims.reduce(1, *))!))
            }
        }
        try w.write(to: path)
    }

    @Test func refusesMalformedAdapters() throws {
        let (config, fp) = try Self.stories()
        let a = BiTAAdapter.random(for: config, fingerprint: fp, promptCount: 4, maskCount: 2, seed: 5)
        let dir = TestModels.temporaryDirectory()
        var n = 0
        func loadError(_ edit: (inout [String: GGUFValue], inout [(String, [Int], GGMLType, [Float])]) -> Void) throws -> AdapterError? {
            n += 1
            let path = dir + "/bad\(n).bita.gguf"
            try Self.writeEdited(a, to: path, edit: edit)
            do {
                _ = try BiTAAdapter(contentsOf: path)
                return nil
            } catch {
                #expect(error.description.contains(path), "message must name the file: \(error)")
                return error
            }
        }
        func index(_ tensors: [(String, [Int], GGMLType, [Float])], _ name: String) -> Int {
            tensors.firstIndex { $0.0 == name }!
        }

        #expect(try loadError { _, _ in } == nil, "the unedited file must load")

        let wrongShape = try loadError { _, t in
            let i = index(t, "blk.1.prompt_k")
            t[i].1 = [32, 5]
            t[i].3 = [Float](repeating: 0, count: 32 * 5)
        }
        #expect(wrongShape?.description.contains("blk.1.prompt_k has shape [32, 5], but its metadata implies [32, 4]") == true,
                "\(String(describing: wrongShape))")

        let wrongKVDim = try loadError { m, _ in m["bita.base.kv_dim"] = .uint32(16) }
        guard case .tensorShape? = wrongKVDim else { Issue.record("\(String(describing: wrongKVDim))"); return }

        let wrongMask = try loadError { m, _ in m["bita.mask_count"] = .uint32(3) }
        guard case .tensorShape(_, "mask_embd", [64, 3], [64, 2])? = wrongMask else {
            Issue.record("\(String(describing: wrongMask))"); return
        }

        let missing = try loadError { _, t in t.remove(at: index(t, "blk.4.prompt_v")) }
        guard case .missingTensor(_, "blk.4.prompt_v", _)? = missing else { Issue.record("\(String(describing: missing))"); return }

        let extra = try loadError { _, t in t.append(("blk.5.prompt_k", [32, 4], .f32, [Float](repeating: 0, count: 128))) }
        guard case .unexpectedTensor(_, "blk.5.prompt_k")? = extra else { Issue.record("\(String(describing: extra))"); return }

        let f16 = try loadError { _, t in t[index(t, "mask_embd")].2 = .f16 }
        guard case .tensorType(_, "mask_embd", .f16)? = f16 else { Issue.record("\(String(describing: f16))"); return }

        let nan = try loadError { _, t in t[index(t, "blk.0.prompt_v")].3[7] = .nan }
        guard case .nonFinite(_, "blk.0.prompt_v")? = nan else { Issue.record("\(String(describing: nan))"); return }

        let noKey = try loadError { m, _ in m["bita.base.fingerprint"] = nil }
        guard case .missingKey(_, "bita.base.fingerprint")? = noKey else { Issue.record("\(String(describing: noKey))"); return }

        let badFP = try loadError { m, _ in m["bita.base.fingerprint"] = .string("not-a-fingerprint") }
        #expect(badFP?.description.contains("16 hexadecimal digits") == true)

        let badCount = try loadError { m, _ in m["bita.prompt_count"] = .uint32(0) }
        guard case .badValue(_, "bita.prompt_count", _, _)? = badCount else { Issue.record("\(String(describing: badCount))"); return }

        let stringCount = try loadError { m, _ in m["bita.mask_count"] = .string("3") }
        #expect(stringCount?.description.contains("must be an integer") == true)

        let future = try loadError { m, _ in m["bita.version"] = .uint32(2) }
        #expect(future == .unsupportedVersion(path: dir + "/bad\(n).bita.gguf", version: 2))

        let model = try loadError { m, _ in m["general.architecture"] = .string("llama") }
        #expect(model?.description.contains("architecture llama, not a BiTA adapter") == true)
    }

    @Test func refusesTruncatedAdapters() throws {
        let (config, fp) = try Self.stories()
        let bytes = BiTAAdapter.random(for: config, fingerprint: fp, seed: 11).gguf().serialized()
        let dir = TestModels.temporaryDirectory()
        for n in [0, 3, 30, 200, bytes.count / 4, bytes.count / 2, bytes.count - 64] {
            let path = dir + "/cut\(n).bita.gguf"
            try GGUFWriter.writeRaw(Array(bytes[0..<n]), to: path)
            do {
                _ = try BiTAAdapter(contentsOf: path)
                Issue.record("adapter cut to \(n) of \(bytes.count) bytes was accepted")
            } catch {
                guard case .file(let e) = error else { Issue.record("cut \(n): \(error)"); continue }
                #expect([.empty, .truncated, .tensorOutOfBounds, .implausible].contains(e.kind), "cut \(n): \(e)")
                #expect(error.description.hasPrefix("cannot load adapter: \(path)"), "\(error)")
            }
        }
        for d in try GGUFDamage.catalogue(from: bytes) {
            let path = dir + "/\(d.name).bita.gguf"
            try GGUFWriter.writeRaw(d.bytes, to: path)
            #expect(throws: AdapterError.self, "\(d.name) accepted") { try BiTAAdapter(contentsOf: path) }
        }
    }

    @Test func writerRefusesInconsistentAdapterAndKeepsOldFile() throws {
        let (config, fp) = try Self.stories()
        let good = BiTAAdapter.random(for: config, fingerprint: fp, seed: 4)
        let path = TestModels.temporaryDirectory() + "/a.bita.gguf"
        try good.write(to: path)
        var bad = good
        bad.promptValues[3].removeLast()
        #expect(throws: AdapterError.invalid(path: path, reason: "blk.3.prompt_v holds 511 floats, expected P * kv_dim = 512")) {
            try bad.write(to: path)
        }
        var badKey = good
        badKey.trainingInfo["steps"] = .uint32(1)
        #expect(throws: AdapterError.self) { try badKey.write(to: path) }
        #expect(try BiTAAdapter(contentsOf: path) == good, "a refused write must leave the old file intact")
    }
}
