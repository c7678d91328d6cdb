import Translator
import Foundation
import Logging
import MeshAPI
import ServiceLifecycle
import XDSServer

/// File mode's loop: every change in the config folder becomes a new mesh for the
/// generator and a change for the debouncer. Files that fail to decode are logged with
/// their location and keep serving their last good version.
public struct FileModeRunner: ServiceLifecycle.Service {
    public let watcher: ConfigDirectoryWatcher
    public let generator: MeshResourceGenerator
    public let debouncer: ChangeDebouncer
    let logger: Logger

    public init(watcher: ConfigDirectoryWatcher, generator: MeshResourceGenerator, debouncer: ChangeDebouncer, logger: Logger = Logger(label: "coxswain.files")) {
        self.watcher = watcher
        self.generator = generator
        self.debouncer = debouncer
        self.logger = logger
    }

    public func run() async throws {
        var first = true
        for await load in watcher.loads().cancelOnGracefulShutdown() {
            for error in load.errors {
                logger.error("config file not applied; its last good version is still served", metadata: [
                    "file": "\(error.location.file)", "document": "\(error.location.document)", "line": "\(error.location.line.map(String.init) ?? "-")",
                    "field": "\(error.fieldPath)", "error": "\(error.message)",
                ])
            }
            let snapshot = load.snapshot
            for finding in MeshIndex(snapshot).leftOut {
                logger.warning("invalid object left out", metadata: ["object": "\(finding.kind.rawValue)/\(finding.name)", "error": "\(finding.reason)"])
            }
            let scope = generator.update(snapshot)
            logger.info("mesh loaded", metadata: ["objects": "\(load.objects.count)", "errors": "\(load.errors.count)", "scope": "\(scope)"])
            if first {
                await debouncer.changed(scope)
                await debouncer.flush()
                first = false
            } else {
                await debouncer.changed(scope)
            }
        }
    }
}
