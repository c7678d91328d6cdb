import ArgumentParser
import Foundation
import KubernetesTestServer

/// `coxswain dev-apiserver`: the in-memory Kubernetes API server for local
/// development and tests, with a kubeconfig that kubectl and Coxswain can use.
struct DevAPIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-apiserver",
        abstract: "Serve an in-memory Kubernetes API (HTTPS with a generated CA and token) on 127.0.0.1."
    )

    @Option(name: .long, help: "HTTPS port (0 picks a free one).")
    var port: Int = 6443

    @Option(name: .customLong("kubeconfig-out"), help: "Where to write a kubeconfig for this server.")
    var kubeconfigOut: String

    @Option(name: .customLong("http-port"), help: "Also serve plain HTTP (no authentication) on this port.")
    var httpPort: Int?

    @Option(name: .customLong("event-history"), help: "Watch events kept per resource type.")
    var eventHistory: Int = 1000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let httpPort, !(0...65535).contains(httpPort) { throw ValidationError("--http-port must be between 0 and 65535") }
        guard eventHistory > 0 else { throw ValidationError("--event-history must be positive") }
    }

    func run() async throws {
        var configuration = TestAPIServerConfiguration()
        configuration.httpsPort = port
        configuration.httpPort = httpPort
        configuration.eventHistoryLimit = eventHistory
        let server = try await TestAPIServer.start(configuration)
        try server.writeKubeconfig(to: kubeconfigOut)
        var message = "dev-apiserver serving \(server.httpsURL)"
        if let httpURL = server.httpURL { message += " and \(httpURL)" }
        FileHandle.standardOutput.write(Data("\(message); kubeconfig written to \(kubeconfigOut)\n".utf8))
        // Serves until the process is interrupted (SIGINT/SIGTERM end it; all state is in memory).
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
        try await server.shutdown()
    }
}
