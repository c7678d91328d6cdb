import Foundation
import KubernetesAPI

/// Server-side printing: `meta.k8s.io/v1` Table responses that `kubectl get` asks for
/// (Name, the kind's printer columns, Age; row objects as PartialObjectMetadata).
enum TableRenderer {
    static func wantsTable(accept: String) -> Bool {
        accept.contains("as=Table")
    }

    private static func columns(for resource: ResourceType, version: String) -> [PrinterColumn] {
        if let custom = resource.printerColumns[version], !custom.isEmpty {
            var result = [PrinterColumn(name: "Name", type: "string", jsonPath: ".metadata.name", description: "Name must be unique within a namespace.", priority: 0)]
            result += custom
            if !custom.contains(where: { $0.jsonPath == ".metadata.creationTimestamp" }) {
                result.append(PrinterColumn(name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "CreationTimestamp", priority: 0))
            }
            return result
        }
        var result = [PrinterColumn(name: "Name", type: "string", jsonPath: ".metadata.name", description: "Name must be unique within a namespace.", priority: 0)]
        switch (resource.group, resource.plural) {
        case ("", "namespaces"): result.append(PrinterColumn(name: "Status", type: "string", jsonPath: ".status.phase", description: "The status of the namespace", priority: 0))
        case ("", "pods"):
            result.append(PrinterColumn(name: "Status", type: "string", jsonPath: ".status.phase", description: "The aggregate status of the containers in this pod.", priority: 0))
            result.append(PrinterColumn(name: "Node", type: "string", jsonPath: ".spec.nodeName", description: "Node name", priority: 1))
        case ("", "services"):
            result.append(PrinterColumn(name: "Type", type: "string", jsonPath: ".spec.type", description: "The type of the service.", priority: 0))
            result.append(PrinterColumn(name: "Cluster-IP", type: "string", jsonPath: ".spec.clusterIP", description: "The cluster IP of the service.", priority: 0))
        case ("", "secrets"): result.append(PrinterColumn(name: "Type", type: "string", jsonPath: ".type", description: "The type of the secret", priority: 0))
        case ("coordination.k8s.io", "leases"): result.append(PrinterColumn(name: "Holder", type: "string", jsonPath: ".spec.holderIdentity", description: "The holder of the lease", priority: 0))
        case ("discovery.k8s.io", "endpointslices"): result.append(PrinterColumn(name: "AddressType", type: "string", jsonPath: ".addressType", description: "The IP protocol for this slice", priority: 0))
        default: break
        }
        result.append(PrinterColumn(name: resource.plural == "customresourcedefinitions" ? "Created At" : "Age", type: "date",
                                    jsonPath: ".metadata.creationTimestamp", description: "CreationTimestamp", priority: 0))
        return result
    }

    static func cell(_ column: PrinterColumn, object: JSONValue, now: Date) -> JSONValue {
        let path = column.jsonPath.split(separator: ".").map(String.init)
        let value = object[path: path]
        if column.type == "date" {
            return .string(value?.stringValue.map { Timestamp.age(of: $0, now: now) } ?? "<unknown>")
        }
        switch value {
        case nil, .null?: return column.type == "string" ? .string("") : .null
        case .string(let text)?: return .string(text)
        case .integer(let number)?: return column.type == "string" ? .string(String(number)) : .integer(number)
        case .double(let number)?: return .double(number)
        case .bool(let flag)?: return column.type == "string" ? .string(String(flag)) : .bool(flag)
        case .array(let items)?: return .string(items.map { $0.stringValue ?? JSONCoding.encodeString($0) }.joined(separator: ","))
        case let other?: return .string(JSONCoding.encodeString(other))
        }
    }

    static func columnDefinitions(for resource: ResourceType, version: String) -> JSONValue {
        .array(columns(for: resource, version: version).map { column in
            [
                "name": .string(column.name),
                "type": .string(column.type == "date" ? "string" : column.type),
                "format": .string(column.name == "Name" ? "name" : ""),
                "description": .string(column.description),
                "priority": .integer(Int64(column.priority)),
            ]
        })
    }

    static func row(for object: JSONValue, resource: ResourceType, version: String, now: Date) -> JSONValue {
        let cells = columns(for: resource, version: version).map { cell($0, object: object, now: now) }
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata["managedFields"] = nil
        return [
            "cells": .array(cells),
            "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata)],
        ]
    }

    static func table(rows objects: [JSONValue], resource: ResourceType, version: String, listMetadata: JSONValue) -> JSONValue {
        let now = Date()
        return [
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": listMetadata,
            "columnDefinitions": columnDefinitions(for: resource, version: version),
            "rows": .array(objects.map { row(for: $0, resource: resource, version: version, now: now) }),
        ]
    }
}
