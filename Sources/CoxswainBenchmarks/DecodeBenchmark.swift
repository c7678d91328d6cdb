import ArgumentParser
import MeshAPI
import Yams
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of this process in seconds: unlike wall time, not inflated by other load on the machine.
func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

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
            let cpuStart = processCPUSeconds()
            let total = clock.measure {
                var result = MeshDecodeResult()
                decodeTime = clock.measure { result = MeshDocumentDecoder().decode(yaml: yaml, source: "generated.yaml") }
                decodedCount = result.objects.count
                errorCount = result.errors.count
                for object in result.objects {
                    findings += MeshValidator.validate(object.object).count
                }
            }
            let cpu = processCPUSeconds() - cpuStart
            // The share of the decode that is Yams building its node tree, which no
            // change to our decoder can reduce.
            var parsedDocuments = 0
            let parseOnly = clock.measure { parsedDocuments = Self.parseOnly(yaml) }
            print("run \(run): decode+validate \(total) wall, \(Double(Int(cpu * 1000)) / 1000) s CPU (decode \(decodeTime), of which Yams' parse alone \(parseOnly) for \(parsedDocuments) documents); \(decodedCount) objects, \(errorCount) decode errors, \(findings) findings")
            best = best.map { min($0, total) } ?? total
        }
        if let best { print("best: \(best)") }
    }

    private static func parseOnly(_ yaml: String) -> Int {
        var documents = 0
        guard let parser = try? Yams.Parser(yaml: yaml, resolver: .basic, constructor: .default, encoding: .utf8) else { return 0 }
        while let root = try? parser.nextRoot() {
            if case .mapping = root { documents += 1 }
        }
        return documents
    }
}
