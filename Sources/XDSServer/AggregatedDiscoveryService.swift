import EnvoyAPI
import GRPCCore
import Logging

/// `envoy.service.discovery.v3.AggregatedDiscoveryService`: state-of-the-world and
/// incremental ADS over one gRPC service. Each stream is one loop over its proxy's
/// requests and the cache's change notifications; a slow proxy only delays itself,
/// and after a burst of changes it is sent the newest state, never a queue of old ones.
public struct AggregatedDiscoveryService: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.SimpleServiceProtocol {
    public let cache: SnapshotCache
    public let registry: ProxyRegistry
    let generator: any ResourceGenerator
    let logger: Logger

    public init(generator: any ResourceGenerator, cache: SnapshotCache, registry: ProxyRegistry, logger: Logger = Logger(label: "coxswain.xds")) {
        self.generator = generator
        self.cache = cache
        self.registry = registry
        self.logger = logger
    }

    public func streamAggregatedResources(
        request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DiscoveryRequest, any Error>,
        response: RPCWriter<Envoy_Service_Discovery_V3_DiscoveryResponse>,
        context: ServerContext
    ) async throws {
        var session = StateOfTheWorldSession(cache: cache, registry: registry, generator: generator, logger: logger)
        do {
            try await withStreamEvents(requests: request, cache: cache) { events in
                loop: for await event in events {
                    switch event {
                    case .request(let message): try await session.handle(message, writer: response)
                    case .changed: try await session.push(writer: response)
                    case .ended(let error):
                        if let error { throw error }
                        break loop
                    }
                }
            }
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    public func deltaAggregatedResources(
        request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest, any Error>,
        response: RPCWriter<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>,
        context: ServerContext
    ) async throws {
        var session = DeltaSession(cache: cache, registry: registry, generator: generator, logger: logger)
        do {
            try await withStreamEvents(requests: request, cache: cache) { events in
                loop: for await event in events {
                    switch event {
                    case .request(let message): try await session.handle(message, writer: response)
                    case .changed: try await session.push(writer: response)
                    case .ended(let error):
                        if let error { throw error }
                        break loop
                    }
                }
            }
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }
}
