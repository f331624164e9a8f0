import Foundation

/// A partial image streamed while a picture is being made (from a provider, or kept in the database for
/// watchers in other processes).
public struct PartialImage: Sendable {
    public var imageIndex: Int
    public var partialIndex: Int
    public var data: Data
    public var format: ImageFormat

    public init(imageIndex: Int, partialIndex: Int, data: Data, format: ImageFormat) {
        self.imageIndex = imageIndex
        self.partialIndex = partialIndex
        self.data = data
        self.format = format
    }
}
