import EnvoyAPI
import MeshAPI

/// VirtualService `headers` → headers to add (set = overwrite, add = append) and remove.
enum HeaderTranslator {
    static func toAdd(_ operations: HeaderOperations?) -> [Envoy_Config_Core_V3_HeaderValueOption] {
        guard let operations else { return [] }
        var result: [Envoy_Config_Core_V3_HeaderValueOption] = []
        for (name, value) in (operations.set ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.append(option(name, value, .overwriteIfExistsOrAdd))
        }
        for (name, value) in (operations.add ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.append(option(name, value, .appendIfExistsOrAdd))
        }
        return result
    }

    static func toRemove(_ operations: HeaderOperations?) -> [String] {
        operations?.remove ?? []
    }

    static func option(_ name: String, _ value: String, _ action: Envoy_Config_Core_V3_HeaderValueOption.HeaderAppendAction) -> Envoy_Config_Core_V3_HeaderValueOption {
        var option = Envoy_Config_Core_V3_HeaderValueOption()
        option.header.key = name
        option.header.value = value
        option.appendAction = action
        return option
    }
}
