import Hummingbird

/// Request latency by route pattern (not raw path, so ids do not explode the label set).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = EaselRequestContext
    let metrics: EaselMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.httpRequest(
                method: request.method.rawValue,
                route: context.endpointPath ?? "unmatched",
                status: Int(response.status.code),
                seconds: (ContinuousClock.now - start).seconds
            )
            return response
        } catch let error as any HTTPResponseError {
            metrics.httpRequest(
                method: request.method.rawValue,
                route: context.endpointPath ?? "unmatched",
                status: Int(error.status.code),
                seconds: (ContinuousClock.now - start).seconds
            )
            throw error
        }
    }
}
