import ArgumentParser
import Foundation
import KubernetesClient
import KubernetesTestServer
import Operator

/// `coxswain dev`: Coxswain without a cluster. The in-memory Kubernetes API server and one operator
/// replica in one process; kubectl works against the kubeconfig it writes.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run an in-memory Kubernetes API server with the Istio CRDs and the operator against it, for kubectl.",
        discussion: "Prints the kubeconfig to use: export KUBECONFIG=… then kubectl apply -f config/samples/… and watch the status."
    )

    @Option(name: .customLong("apiserver-port"), help: "HTTPS port of the API server (0 picks a free one).")
    var apiserverPort = 6443

    @Option(name: .customLong("kubeconfig-out"), help: "Where to write the kubeconfig (default: a file in the temporary folder).")
    var kubeconfigOut: String?

    @Option(name: .long, help: "A folder of CustomResourceDefinitions to install first.")
    var crds = "crds"

    @OptionGroup var serving: ServingOptions

    func validate() throws {
        guard (0...65535).contains(apiserverPort) else { throw ValidationError("--apiserver-port must be between 0 and 65535") }
    }

    func run() async throws {
        let metrics = bootstrapObservability(level: serving.logLevel, format: serving.logFormat)
        var configuration = TestAPIServerConfiguration()
        configuration.httpsPort = apiserverPort
        let server = try await TestAPIServer.start(configuration)
        try await server.seed(yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: coxswain-system}\n")
        let folder = URL(fileURLWithPath: crds)
        let installed = try await server.seed(directory: folder)
        let path = kubeconfigOut ?? FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-dev.kubeconfig").path
        try server.writeKubeconfig(to: path)
        let crdNote = installed > 0 ? "\(installed) CRD files from \(folder.path) installed" : "no CRDs found in \(folder.path): kubectl apply -f crds/"
        let banner = """
        coxswain dev: Kubernetes API at \(server.httpsURL) (\(crdNote)); xDS on :\(serving.xdsPort), admin on :\(serving.adminPort)
        export KUBECONFIG=\(path)

        """
        FileHandle.standardOutput.write(Data(banner.utf8))

        let plane = ControlPlane(debounceQuiet: 100, debounceMax: 1000)
        var clientConfiguration = try ClientConfiguration.fromKubeconfig(path: path)
        clientConfiguration.qps = 100
        clientConfiguration.burst = 200
        let client = try KubernetesClient(configuration: clientConfiguration)
        var election = LeaderElectionOptions()
        election.leaseNamespace = "coxswain-system"
        let cluster = plane.cluster(client: client, namespaces: [], leaderElection: election)
        do {
            try await plane.serve(with: cluster.sources, stopFirst: cluster.stopFirst, serving: serving, xdsAddress: "127.0.0.1", adminAddress: "127.0.0.1", metrics: metrics)
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
        await close(client, logger: plane.logger)
        try? await server.shutdown()
    }
}
