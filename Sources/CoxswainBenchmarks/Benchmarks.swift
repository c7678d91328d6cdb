import ArgumentParser
import Foundation

@main
struct CoxswainBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coxswain-bench",
        abstract: "Benchmarks for Coxswain's decoding, validation, translation, Kubernetes watches and xDS serving.",
        subcommands: [
            DecodeBenchmark.self,
            TranslateBenchmark.self,
            WatchBenchmark.self,
            OperatorBenchmark.self,
            XDSBenchmark.self,
            XDSLoadClient.self,
        ]
    )
}

/// Resident set size of this process in bytes (Linux /proc; 0 elsewhere).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
