import Foundation
import KubernetesAPI

/// An API failure, carried to the client as a `metav1.Status` body with the
/// same code, reason and wording kube-apiserver uses, so clients' typed-error
/// decoding (IsNotFound, IsConflict, ...) behaves as it would against a real cluster.
struct APIError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: StatusDetails?
    var retryAfterSeconds: Int?

    var status: Status {
        Status(status: "Failure", message: message, reason: reason, details: details, code: code)
    }

    /// The `Status` as a `JSONValue`, e.g. for a watch ERROR event.
    var statusJSON: JSONValue {
        let encoder = JSONEncoder()
        if let data = try? encoder.encode(status), let value = try? JSONCoding.parse(data) {
            return value
        }
        return ["kind": "Status", "apiVersion": "v1", "status": "Failure", "code": .integer(Int64(code)), "message": .string(message)]
    }

    static func notFound(_ resource: ResourceType, name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(resource.qualifiedName) \"\(name)\" not found",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.plural))
    }

    static func namespaceNotFound(_ namespace: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                 details: StatusDetails(name: namespace, group: "", kind: "namespaces"))
    }

    static func notFoundPath(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                 details: StatusDetails(causes: [StatusCause(reason: "UnexpectedServerResponse", message: "404 page not found: \(path)")]))
    }

    static func alreadyExists(_ resource: ResourceType, name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedName) \"\(name)\" already exists",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.plural))
    }

    static func conflict(_ resource: ResourceType, name: String, message: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(resource.qualifiedName) \"\(name)\": \(message)",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.plural))
    }

    static func staleResourceVersion(_ resource: ResourceType, name: String) -> APIError {
        conflict(resource, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
    }

    static func invalid(_ resource: ResourceType, name: String, causes: [StatusCause]) -> APIError {
        let summary = causes.map { cause in
            [cause.field, cause.message].compactMap { $0 }.joined(separator: ": ")
        }.joined(separator: ", ")
        let list = causes.count == 1 ? summary : "[\(summary)]"
        let kindName = resource.group.isEmpty ? resource.kind : "\(resource.kind).\(resource.group)"
        return APIError(code: 422, reason: "Invalid", message: "\(kindName) \"\(name)\" is invalid: \(list)",
                        details: StatusDetails(name: name, group: resource.group, kind: resource.kind, causes: causes))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func methodNotAllowed(_ message: String = "the server does not allow this method on the requested resource") -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func tooLarge(limit: Int) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: limit is \(limit)")
    }

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    static func tooManyRequests(retryAfter: Int) -> APIError {
        APIError(code: 429, reason: "TooManyRequests", message: "the server has received too many requests and has asked us to try again later",
                 details: StatusDetails(retryAfterSeconds: retryAfter), retryAfterSeconds: retryAfter)
    }

    static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message)
    }
}

extension ResourceType {
    /// `virtualservices.networking.istio.io` or `pods` for the core group: how error messages name a resource.
    var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }
}
