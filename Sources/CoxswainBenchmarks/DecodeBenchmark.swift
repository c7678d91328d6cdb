import ArgumentParser
import MeshAPI

/// `coxswain-bench decode`: generates a varied mesh as YAML, then times decoding and
/// validating it (the work the operator does on a full resync).
struct DecodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Time decoding + validating a generated mesh of N objects."
    )

    @Option(name: .long, help: "Number of objects to generate.")
    var objects: Int = 10_000

    @Option(name: .long, help: "Number of timed runs; the best is reported.")
    var runs: Int = 3

    func run() throws {
        let yaml = MeshCorpusGenerator.yaml(objectCount: objects)
        print("generated \(objects) objects, \(yaml.utf8.count / 1024) KiB of YAML")
        var best: Duration?
        for run in 1...max(1, runs) {
            let clock = ContinuousClock()
            var decodeTime = Duration.zero
            var findings = 0
            var decodedCount = 0
            var errorCount = 0
            let total = clock.measure {
                var result = MeshDecodeResult()
                decodeTime = clock.measure { result = MeshDocumentDecoder().decode(yaml: yaml, source: "generated.yaml") }
                decodedCount = result.objects.count
                errorCount = result.errors.count
                for object in result.objects {
                    findings += MeshValidator.validate(object.object).count
                }
            }
            print("run \(run): decode+validate \(total) (decode \(decodeTime)); \(decodedCount) objects, \(errorCount) decode errors, \(findings) findings")
            best = best.map { min($0, total) } ?? total
        }
        if let best { print("best: \(best)") }
    }
}
