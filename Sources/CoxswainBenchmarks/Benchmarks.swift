import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

@main
struct CoxswainBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coxswain-bench",
        abstract: "Benchmarks for Coxswain's decoding, validation, translation, Kubernetes watches and xDS serving.",
        subcommands: [
            DecodeBenchmark.self,
            ValidateBenchmark.self,
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

/// Bytes the allocator has handed out and not had back, over every arena (glibc's `mallinfo2`),
/// or nil where it cannot be read. Unlike RSS, it leaves out heap pages that are free but not
/// returned to the system.
func heapInUseBytes() -> Int? {
    #if canImport(Glibc) && arch(x86_64)
    // Swift's Glibc module does not declare mallinfo2, and a C function returning a struct cannot
    // be typed in Swift; on x86-64 such a struct is returned through a pointer passed first.
    typealias MallInfo2 = @convention(c) (UnsafeMutablePointer<Int>) -> UnsafeMutableRawPointer?
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
    // arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost
    var fields = [Int](repeating: 0, count: 10)
    _ = fields.withUnsafeMutableBufferPointer { unsafeBitCast(symbol, to: MallInfo2.self)($0.baseAddress!) }
    return fields[7] + fields[4]
    #else
    return nil
    #endif
}
