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
        let matches = PrinterColumnPath.evaluate(column.jsonPath, in: object)
        let value: JSONValue? = matches.count > 1 ? .array(matches) : matches.first
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

/// The JSONPath subset CRD printer columns use (as kube-apiserver evaluates them): `.a.b`, `[N]`,
/// `[*]` and filters `[?(@.field=="value")]`; several matches are shown comma-separated.
enum PrinterColumnPath {
    static func evaluate(_ path: String, in object: JSONValue) -> [JSONValue] {
        var current: [JSONValue] = [object]
        var rest = Substring(path)
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                let key = String(rest[..<end])
                rest = rest[end...]
                guard !key.isEmpty else { continue }
                current = current.compactMap { $0[key] }
            } else if rest.hasPrefix("[") {
                guard let close = closingBracket(rest) else { return [] }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                current = current.flatMap { apply(String(inside), to: $0) }
            } else {
                return []
            }
        }
        return current
    }

    private static func closingBracket(_ text: Substring) -> Substring.Index? {
        var depth = 0
        var quoted = false
        for index in text.indices {
            switch text[index] {
            case "\"": quoted.toggle()
            case "[" where !quoted: depth += 1
            case "]" where !quoted:
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    private static func apply(_ selector: String, to value: JSONValue) -> [JSONValue] {
        guard case .array(let items) = value else { return [] }
        if selector == "*" { return items }
        if let index = Int(selector) { return items.indices.contains(index) ? [items[index]] : [] }
        // ?(@.path=="value") or ?(@.path)
        guard selector.hasPrefix("?("), selector.hasSuffix(")") else { return [] }
        let body = selector.dropFirst(2).dropLast()
        guard body.hasPrefix("@") else { return [] }
        if let range = body.range(of: "==") ?? body.range(of: "!=") {
            let negate = body[range] == "!="
            let field = String(body[body.index(after: body.startIndex)..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
            var literal = body[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if literal.count >= 2, let first = literal.first, first == "\"" || first == "'", literal.last == first {
                literal = String(literal.dropFirst().dropLast())
            }
            return items.filter { item in
                let found = evaluate(field, in: item).first
                let text: String? = switch found {
                case .string(let string)?: string
                case .integer(let number)?: String(number)
                case .bool(let flag)?: String(flag)
                default: nil
                }
                return (text == literal) != negate
            }
        }
        let field = String(body.dropFirst())
        return items.filter { !evaluate(field, in: $0).isEmpty }
    }
}
