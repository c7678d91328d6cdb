// swift-tools-version:6.1
//
// Coxswain: Istio's traffic management (VirtualService, DestinationRule, Gateway)
// reconciled into Envoy v3 configuration and served over xDS.
//
// The modules follow the data's way through the product:
//   KubernetesClient  → KubernetesRuntime → MeshAPI → Translator → XDSServer → Operator → coxswain
// with EnvoyAPI (generated protobuf) beside the translator and KubernetesTestServer
// (an in-memory, kubectl-compatible API server) for tests and `coxswain dev`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "coxswain",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coxswain", targets: ["coxswain"]),
        .executable(name: "coxswain-bench", targets: ["CoxswainBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // API machinery shared by client, test server and mesh types: ObjectMeta, Condition, Status, JSONValue.
        .target(name: "KubernetesAPI", swiftSettings: swiftSettings),
        // Kubernetes API access: kubeconfig, authenticated HTTP transport, generic resource client.
        .target(
            name: "KubernetesClient",
            dependencies: [
                "KubernetesAPI",
                "Timekeeping",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Clocks that components take, so that tests move time instead of waiting for it.
        .target(name: "Timekeeping", swiftSettings: swiftSettings),
        // What tests of several modules share: a manual clock.
        .target(name: "CoxswainTestSupport", dependencies: ["Timekeeping", .product(name: "MetricsTestKit", package: "swift-metrics"),
                                                           .product(name: "CoreMetrics", package: "swift-metrics")], swiftSettings: swiftSettings),
        // Controller machinery: reflector, store, work queue, controller, leader election.
        .target(
            name: "KubernetesRuntime",
            dependencies: [
                "KubernetesClient",
                "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // An in-memory Kubernetes API server that kubectl and KubernetesClient talk to over real HTTP(S).
        .target(
            name: "KubernetesTestServer",
            dependencies: [
                "KubernetesAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Istio networking types and the Kubernetes objects they point at; decoding, validation, analysis.
        .target(
            name: "MeshAPI",
            dependencies: [
                "KubernetesAPI",
                .product(name: "Yams", package: "Yams"),
                // TLS Secrets are checked where they enter: PEM that parses, a key matching its certificate.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Envoy v3 API: generated from the .proto files in Sources/EnvoyAPI/protos by hack/generate-protos.sh.
        .target(
            name: "EnvoyAPI",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            exclude: ["protos"],
            swiftSettings: swiftSettings
        ),
        // Pure translation: mesh snapshot + proxy identity → Envoy resources. No I/O, no clocks.
        .target(
            name: "Translator",
            dependencies: [
                "KubernetesAPI",
                "MeshAPI",
                "EnvoyAPI",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // ADS over gRPC, per-proxy snapshots, ACK/NACK tracking, admin/debug HTTP.
        .target(
            name: "XDSServer",
            dependencies: [
                "EnvoyAPI",
                "Timekeeping",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The product: controllers and status on Kubernetes, or file mode, feeding the xDS server.
        .target(
            name: "Operator",
            dependencies: [
                "EnvoyAPI",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                "KubernetesClient",
                "KubernetesRuntime",
                "MeshAPI",
                "Timekeeping",
                "Translator",
                "XDSServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "coxswain",
            dependencies: [
                "MeshAPI",
                "Translator",
                "EnvoyAPI",
                "XDSServer",
                "Operator",
                "KubernetesClient",
                "KubernetesTestServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CoxswainBenchmarks",
            dependencies: [
                "KubernetesAPI",
                "MeshAPI",
                "Translator",
                "EnvoyAPI",
                "XDSServer",
                "Operator",
                "KubernetesClient",
                "KubernetesRuntime",
                "KubernetesTestServer",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "KubernetesAPITests",
            dependencies: ["KubernetesAPI", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MeshAPITests",
            dependencies: ["MeshAPI", "KubernetesAPI", "CoxswainTestSupport", .product(name: "Yams", package: "Yams"),
                           .product(name: "X509", package: "swift-certificates"), .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EnvoyAPITests",
            dependencies: [
                "EnvoyAPI",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            // Python checks against Envoy's real descriptors and the FileDescriptorSet they read.
            exclude: ["Support"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TranslatorTests",
            dependencies: ["Translator", "MeshAPI", "EnvoyAPI", "CoxswainTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubernetesClientTests",
            dependencies: ["KubernetesClient", "KubernetesRuntime", "KubernetesTestServer", "CoxswainTestSupport", "Timekeeping"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubernetesTestServerTests",
            dependencies: [
                "KubernetesTestServer",
                "KubernetesAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XDSServerTests",
            dependencies: [
                "XDSServer",
                "CoxswainTestSupport",
                "Timekeeping",
                "EnvoyAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "MeshAPI", "Translator", "CoxswainTestSupport", "Timekeeping", "KubernetesAPI", "KubernetesClient", "KubernetesTestServer", "XDSServer", "EnvoyAPI",
                                                        .product(name: "Yams", package: "Yams"),
                                                        .product(name: "GRPCCore", package: "grpc-swift-2"),
                                                        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CoxswainCLITests", dependencies: ["coxswain", "CoxswainTestSupport"], exclude: ["Support"], swiftSettings: swiftSettings),
    ]
)
