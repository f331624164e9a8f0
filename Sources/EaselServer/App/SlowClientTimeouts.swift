import HummingbirdCore
import NIOCore

/// Closes a connection whose request arrives too slowly: the head must be complete within `header` of the
/// request's first byte, and the body within `body` of the head. An idle timeout alone never catches a
/// client that trickles a byte every few seconds (slowloris), since each byte counts as activity.
///
/// Only receiving is timed: once a request's end has arrived the connection is the handler's, so long
/// responses (event streams, downloads) are never cut. A connection that sends nothing at all is left to
/// the idle timeout, so browsers' speculative preconnects are not punished. On keep-alive connections the
/// header clock starts again with the first byte of each request.
final class SlowClientTimeouts: ChannelInboundHandler, RemovableChannelHandler {
    /// Hummingbird's HTTP/1 request parts (this handler sits after its HTTP/1 codec, as its connection
    /// handler does), named through that handler so no extra package is needed.
    typealias InboundIn = HTTPConnectionStateHandler.InboundIn
    typealias InboundOut = HTTPConnectionStateHandler.InboundIn

    struct Limits: Sendable {
        var header: TimeAmount
        var body: TimeAmount
    }

    private enum Phase {
        /// Between requests: nothing timed until bytes arrive.
        case waiting
        case head
        case body
    }

    private let limits: Limits
    private var phase = Phase.waiting
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(limits: Limits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The HTTP decoder emits nothing until a head is whole, so the first byte is seen before it.
        try? context.pipeline.syncOperations.addHandler(FirstByteWatcher(owner: self), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            phase = .body
            arm(limits.body)
        case .body:
            break
        case .end:
            phase = .waiting
            cancel()
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    /// Bytes arrived: between requests, they start the next request's header clock.
    fileprivate func bytesArrived() {
        guard phase == .waiting else { return }
        phase = .head
        arm(limits.header)
    }

    private func arm(_ delay: TimeAmount) {
        cancel()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.timer = nil
            self?.context?.close(promise: nil)
        }
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }
}

/// Sits first in the pipeline and tells `SlowClientTimeouts` when raw bytes arrive.
private final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private weak var owner: SlowClientTimeouts?

    init(owner: SlowClientTimeouts) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.bytesArrived()
        context.fireChannelRead(data)
    }
}
