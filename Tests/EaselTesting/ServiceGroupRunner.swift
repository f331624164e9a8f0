import EaselServer
import Logging
import ServiceLifecycle

/// Runs services in the background for a test; `stop` triggers graceful shutdown and waits for it.
public final class ServiceGroupRunner: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, Never>

    public init(services: [any Service]) {
        let group = ServiceGroup(configuration: .init(services: services, logger: TestSupport.logger))
        self.group = group
        self.task = Task { try? await group.run() }
    }

    public func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}
