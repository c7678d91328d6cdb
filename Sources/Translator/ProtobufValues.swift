import MeshAPI
import SwiftProtobuf

/// Small conversions from mesh values to protobuf well-known types.
extension Google_Protobuf_Duration {
    init(_ duration: IstioDuration) {
        self.init(seconds: duration.nanoseconds / 1_000_000_000, nanos: Int32(duration.nanoseconds % 1_000_000_000))
    }

    init(milliseconds: Int64) {
        self.init(seconds: milliseconds / 1000, nanos: Int32((milliseconds % 1000) * 1_000_000))
    }
}
