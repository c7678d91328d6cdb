import ArgumentParser

@main
struct CoxswainBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coxswain-bench",
        abstract: "Benchmarks for Coxswain's decoding, validation and translation.",
        subcommands: [DecodeBenchmark.self, WatchBenchmark.self]
    )
}
