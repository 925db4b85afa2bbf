import Foundation
import Testing
@testable import Inference

// Temporary probe (not committed): teacher-forced agreement with llama.cpp on /tmp/kx/ref.json.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BITA_PROBE"] == "1"))
struct ZZNumericsProbe {
    @Test func agreement() throws {
        let model = try LlamaModel(path: TestModels.smolLM2)
        let tokenizer = try Tokenizer(gguf: model.file)
        let text = try String(contentsOfFile: "/tmp/kx/eval-small.txt", encoding: .utf8)
        let tokens = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "/tmp/kx/ref.json"))) as! [String: Any]
        let tok = ref["tokenization"] as! [String: Any]
        print("tokens ours \(tokens.count) ref \(tok["n_tokens"]!)")
        let ev = (ref["evaluations"] as! [[String: Any]])[0]
        let argmaxData = Data(base64Encoded: ev["argmax"] as! String)!
        let refArgmax = argmaxData.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        let ctx = 512, vocab = model.config.vocabSize
        let windows = tokens.count / ctx
        let pool = ThreadPool(threads: 2)
        let state = RunState(pool: pool)
        var logits = [Float](repeating: 0, count: ctx * vocab)
        var nll = 0.0, scored = 0, agree = 0
        var ours: [Int32] = []
        var ourMargin: [Float] = []
        for w in 0..<windows {
            let window = Array(tokens[w * ctx..<(w + 1) * ctx])
            let cache = model.makeCache(capacity: ctx)
            logits.withUnsafeMutableBufferPointer {
                model.forward(ForwardBatch.causal(tokens: window, startPosition: 0), cache: cache, state: state,
                              logitRows: Array(0..<ctx), logits: $0.baseAddress!)
            }
            for j in 0..<(ctx - 1) {
                let row = logits[(j * vocab)..<((j + 1) * vocab)]
                var best = row.startIndex
                var maxv = -Float.infinity
                for i in row.indices where row[i] > maxv { maxv = row[i]; best = i }
                var sum = 0.0
                for i in row.indices { sum += exp(Double(row[i] - maxv)) }
                nll += -(Double(row[row.startIndex + Int(window[j + 1])] - maxv) - log(sum))
                if best - row.startIndex == Int(refArgmax[w * (ctx - 1) + j]) { agree += 1 }
                ours.append(Int32(best - row.startIndex))
                var second = -Float.infinity
                for i in row.indices where i != best && row[i] > second { second = row[i] }
                ourMargin.append(maxv - second)
                scored += 1
            }
        }
        try! (ours.map { String($0) }.joined(separator: ",") + "\n" + ourMargin.map { String($0) }.joined(separator: ","))
            .write(toFile: "/tmp/kx/ours.txt", atomically: true, encoding: .utf8)
        print(String(format: "ours: %d windows ppl %.4f (ref %.4f), top-1 agreement %.4f",
                     windows, exp(nll / Double(scored)), ev["perplexity"] as! Double, Double(agree) / Double(scored)))
    }
}
