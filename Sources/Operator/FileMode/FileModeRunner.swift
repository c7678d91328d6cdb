import Translator
import Foundation
import Logging
import MeshAPI
import ServiceLifecycle
import XDSServer

/// File mode's loop: every change in the config folder becomes a new mesh for the
/// generator and a change for the debouncer. Files that fail to decode are logged with
/// their location and keep serving their last good version.
public struct FileModeRunner<C: Clock>: ServiceLifecycle.Service where C.Duration == Duration {
    public let watcher: ConfigDirectoryWatcher<C>
    public let generator: MeshResourceGenerator
    public let debouncer: ChangeDebouncer
    let logger: Logger

    public init(watcher: ConfigDirectoryWatcher<C>, generator: MeshResourceGenerator, debouncer: ChangeDebouncer, logger: Logger = Logger(label: "coxswain.files")) {
        self.watcher = watcher
        self.generator = generator
        self.debouncer = debouncer
        self.logger = logger
    }

    public func run() async throws {
        var first = true
        var lastValid = LastValidVersions()
        for await load in watcher.loads().cancelOnGracefulShutdown() {
            for error in load.errors {
                logger.error("config not applied; the last good version is still served", metadata: Self.metadata(error.location, field: error.fieldPath, message: error.message))
            }
            for warning in load.warnings {
                logger.warning("document skipped", metadata: Self.metadata(warning.location, field: warning.fieldPath, message: warning.message))
            }
            for notice in load.notices {
                logger.debug("document skipped", metadata: Self.metadata(notice.location, field: "", message: notice.message))
            }
            // An object edited into an invalid one keeps serving the version it had while valid.
            let (objects, replaced) = lastValid.resolve(load.objects)
            for replacement in replaced {
                logger.error("invalid edit not applied; the object's last valid version is still served", metadata: [
                    "object": "\(replacement.key)", "error": "\(replacement.errors.first ?? "")", "served": "\(replacement.served.label)",
                ])
            }
            let scope = generator.update(MeshSnapshot(decoded: objects))
            for finding in generator.index.leftOut {
                logger.warning("invalid object left out", metadata: ["object": "\(finding.kind.rawValue)/\(finding.name)", "error": "\(finding.reason)"])
            }
            logger.info("mesh loaded", metadata: ["objects": "\(load.objects.count)", "errors": "\(load.errors.count)", "warnings": "\(load.warnings.count)", "scope": "\(scope)"])
            if first {
                await debouncer.changed(scope)
                await debouncer.flush()
                first = false
            } else {
                await debouncer.changed(scope)
            }
        }
    }

    /// `file: path:line`, so an editor can jump there, plus the document and field.
    static func metadata(_ location: SourceLocation, field: String, message: String) -> Logger.Metadata {
        var place = location.file
        if let line = location.line { place += ":\(line)" }
        var metadata: Logger.Metadata = ["file": "\(place)", "error": "\(message)"]
        if location.document > 0 { metadata["document"] = "\(location.document)" }
        if !field.isEmpty { metadata["field"] = "\(field)" }
        return metadata
    }
}
