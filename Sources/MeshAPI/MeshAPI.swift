// Module MeshAPI. See Package.swift for where it sits in the pipeline.
//
// What it offers, in the order data flows:
//
// - Types: `VirtualService`, `DestinationRule`, `Gateway` (networking.istio.io v1, v1beta1,
//   v1alpha3; Istio's full field set, Istio's JSON names, enums with Istio's spellings,
//   `IstioDuration` keeping the written text) with `IstioStatus`; and the Kubernetes
//   objects the mesh points at: `Service`, `EndpointSlice`, `Pod`, `Secret`, `Namespace`,
//   `KubernetesNode`. `MeshObject` wraps any of them.
// - Decoding: `MeshDocumentDecoder().decode(yaml:source:)`, `decode(file:)`,
//   `decode(paths:)` read multi-document YAML/JSON, directories and `kind: List`; Istio
//   kinds are strict (unknown fields, wrong types and unknown enum spellings are
//   `MeshDecodingError`s with file, document, line and field path), Kubernetes kinds
//   ignore fields Coxswain does not read; unknown kinds become notices.
// - Encoding: `MeshEncoding.yaml(_:)` / `json(_:)` write Istio's field names, omitting nil.
// - Validation: `MeshValidator.validate(_:)` returns `ValidationFinding`s (error, warning,
//   info; field path; object identity) following Istio's admission webhook.
// - Snapshot: `MeshSnapshot` holds every decoded object with lookups by namespace/name,
//   by service host (short names resolved as Istio does) and EndpointSlices by Service.
public enum MeshAPIModule {
    public static let name = "MeshAPI"
}
