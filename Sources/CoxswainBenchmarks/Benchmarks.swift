import ArgumentParser

@main
struct CoxswainBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coxswain-bench",
        abstract: "Benchmarks for Coxswain's decoding, validation, translation and Kubernetes watches.",
        subcommands: [
            DecodeBenchmark.self,
            TranslateBenchmark.self,
            WatchBenchmark.self,
            OperatorBenchmark.self,
        ]
    )
}
