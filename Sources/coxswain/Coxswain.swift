import ArgumentParser

@main
struct Coxswain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coxswain",
        abstract: "Istio traffic management (VirtualService, DestinationRule, Gateway) served to Envoy over xDS.",
        subcommands: [
            AnalyzeCommand.self,
            DevCommand.self,
            DevAPIServerCommand.self,
            RenderCommand.self,
            RunCommand.self,
            ProxyStatusCommand.self,
            ProxyConfigCommand.self,
        ]
    )
}
