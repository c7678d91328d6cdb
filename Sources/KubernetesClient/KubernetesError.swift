import KubernetesAPI

/// Every failure the client reports: API errors decoded from the server's `Status`,
/// and the transport and configuration failures that happen before one exists.
public enum KubernetesError: Error, Sendable, CustomStringConvertible {
    case notFound(Status)
    case alreadyExists(Status)
    case conflict(Status)
    /// 410 Gone / reason Expired: a watch or list resumed from a resourceVersion the server no longer has.
    case gone(Status)
    case forbidden(Status)
    case unauthorized(Status)
    /// 422 with the field causes.
    case invalid(Status)
    case tooManyRequests(Status, retryAfterSeconds: Int?)
    case badRequest(Status)
    /// 5xx and anything else the server said that is not one of the above.
    case serverError(Status)
    /// The connection failed, timed out or was cut.
    case transport(String)
    /// The response was larger than the configured limit.
    case responseTooLarge(limit: Int)
    /// The server answered with something that is not what the API promises.
    case malformedResponse(String)
    /// A watch stream carried a line that is not a watch event.
    case malformedWatchEvent(line: String, reason: String)
    case configuration(String)

    /// Maps an HTTP status code and (possibly absent) Status body to an error.
    public static func from(code: Int, status: Status?, retryAfterSeconds: Int? = nil) -> KubernetesError {
        let status = status ?? Status(message: "HTTP \(code)", code: code)
        switch (code, status.reason) {
        case (404, _): return .notFound(status)
        case (409, "AlreadyExists"): return .alreadyExists(status)
        case (409, _): return .conflict(status)
        case (410, _), (_, "Expired"), (_, "Gone"): return .gone(status)
        case (403, _): return .forbidden(status)
        case (401, _): return .unauthorized(status)
        case (422, _): return .invalid(status)
        case (429, _): return .tooManyRequests(status, retryAfterSeconds: retryAfterSeconds ?? status.details?.retryAfterSeconds)
        case (400, _): return .badRequest(status)
        default: return .serverError(status)
        }
    }

    /// The API's Status, when the server sent one.
    public var status: Status? {
        switch self {
        case .notFound(let s), .alreadyExists(let s), .conflict(let s), .gone(let s), .forbidden(let s),
             .unauthorized(let s), .invalid(let s), .badRequest(let s), .serverError(let s), .tooManyRequests(let s, _):
            return s
        default: return nil
        }
    }

    public var isNotFound: Bool { if case .notFound = self { true } else { false } }
    public var isConflict: Bool { if case .conflict = self { true } else { false } }
    public var isAlreadyExists: Bool { if case .alreadyExists = self { true } else { false } }
    public var isGone: Bool { if case .gone = self { true } else { false } }

    public var description: String {
        switch self {
        case .transport(let message): return "transport error: \(message)"
        case .responseTooLarge(let limit): return "response larger than the limit of \(limit) bytes"
        case .malformedResponse(let message): return "malformed response: \(message)"
        case .malformedWatchEvent(let line, let reason): return "malformed watch event (\(reason)): \(line)"
        case .configuration(let message): return "configuration error: \(message)"
        default:
            let status = self.status!
            var text = "\(status.code ?? 0) \(status.reason ?? "Failure"): \(status.message ?? "")"
            let causes = status.details?.causes ?? []
            if !causes.isEmpty {
                text += " [" + causes.map { [$0.field, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ") + "]"
            }
            return text
        }
    }
}
