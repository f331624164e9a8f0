import EaselCore
import EaselProviders
import EaselTesting
import Foundation
import Testing

@Suite("Provider router")
struct ProviderRouterTests {
    let request = TestSupport.generateRequest(model: "gpt-image-1.5", size: .init(width: 1024, height: 1024))

    func job() -> ProviderJob { ProviderJob(id: "job_r", request: request, attempt: 1) }

    func router(_ targets: [ProviderRouter.Target]) -> ProviderRouter {
        ProviderRouter(routes: [.init(model: .gptImage15, targets: targets)])
    }

    @Test func fallsBackToTheNextProviderOnProviderTrouble() async throws {
        let first = ScriptedProvider([.fail(ScriptedProvider.retryable("first is down", status: 503))])
        let second = ScriptedProvider([])
        let result = try await router([
            .init(provider: first, upstreamModel: "gpt-image-1.5"),
            .init(provider: second, upstreamModel: "vendor/gpt-image-1.5"),
        ]).run(job()) { _ in }
        #expect(result.provider == "scripted")
        #expect(result.fallbackErrors.map(\.message) == ["first is down"])
        #expect(first.callCount == 1 && second.callCount == 1)
        #expect(second.upstreamModels == ["vendor/gpt-image-1.5"])
    }

    @Test func userErrorsDoNotFallBack() async throws {
        let first = ScriptedProvider([.fail(ScriptedProvider.permanent("blocked"))])
        let second = ScriptedProvider([])
        await #expect(throws: ProviderError.self) {
            _ = try await router([.init(provider: first, upstreamModel: "m"), .init(provider: second, upstreamModel: "m")]).run(job()) { _ in }
        }
        #expect(second.callCount == 0)
    }

    @Test func everyFailureTravelsWithTheFinalError() async throws {
        let first = ScriptedProvider([.fail(ScriptedProvider.retryable("a"))])
        let second = ScriptedProvider([.fail(ScriptedProvider.retryable("b"))])
        do {
            _ = try await router([.init(provider: first, upstreamModel: "m"), .init(provider: second, upstreamModel: "m")]).run(job()) { _ in }
            Issue.record("expected failure")
        } catch let failure as ProviderError {
            #expect(failure.error.message == "b")
            #expect(failure.fallbackErrors.map(\.message) == ["a"])
            #expect(failure.retryable)
        }
    }

    @Test func circuitOpensAfterRepeatedFailuresAndClosesAfterCooldown() async throws {
        let clock = ManualClock()
        let gate = ProviderGate(limits: .init(breakerThreshold: 2, breakerCooldownMs: 10_000), clock: clock)
        let flaky = ScriptedProvider([.fail(ScriptedProvider.retryable()), .fail(ScriptedProvider.retryable())])
        let backup = ScriptedProvider([])
        let routes = router([.init(provider: flaky, upstreamModel: "m", gate: gate), .init(provider: backup, upstreamModel: "m")])
        _ = try await routes.run(job()) { _ in }
        _ = try await routes.run(job()) { _ in }
        #expect(flaky.callCount == 2)
        #expect(gate.breakerState == .open(until: clock.nowMillis() + 10_000))
        // Open: the flaky provider is skipped, the backup serves, and the skip is on record.
        let skipped = try await routes.run(job()) { _ in }
        #expect(flaky.callCount == 2)
        #expect(skipped.fallbackErrors.map(\.code) == ["circuit_open"])
        // After the cooldown one trial goes through; it succeeds and the circuit closes.
        clock.advance(byMillis: 10_001)
        _ = try await routes.run(job()) { _ in }
        #expect(flaky.callCount == 3)
        #expect(gate.breakerState == .closed(failures: 0))
    }

    @Test func whenEveryProviderIsCoolingDownTheErrorSaysWhen() async throws {
        let clock = ManualClock()
        let gate = ProviderGate(limits: .init(breakerThreshold: 1, breakerCooldownMs: 4000), clock: clock)
        let only = ScriptedProvider([.fail(ScriptedProvider.retryable())])
        let routes = router([.init(provider: only, upstreamModel: "m", gate: gate)])
        await #expect(throws: ProviderError.self) { _ = try await routes.run(job()) { _ in } }
        do {
            _ = try await routes.run(job()) { _ in }
            Issue.record("expected failure")
        } catch let failure as ProviderError {
            #expect(failure.error.code == "providers_unavailable")
            #expect(failure.retryAfterMs == 4000)
            #expect(failure.retryable)
            // Nothing reached a provider, so the job may wait without spending an attempt.
            #expect(failure.nothingSent)
        }
        #expect(only.callCount == 1)
    }

    @Test func imagesPerMinuteBudgetSendsOverflowToTheNextProvider() async throws {
        let clock = ManualClock()
        let limited = ScriptedProvider([])
        let overflow = ScriptedProvider([])
        let gate = ProviderGate(limits: .init(imagesPerMinute: 2), clock: clock)
        let routes = router([.init(provider: limited, upstreamModel: "m", gate: gate), .init(provider: overflow, upstreamModel: "m")])
        for _ in 0..<3 { _ = try await routes.run(job()) { _ in } }
        #expect(limited.callCount == 2)
        #expect(overflow.callCount == 1)
        clock.advance(byMillis: 30_000)  // one image's worth of budget back
        _ = try await routes.run(job()) { _ in }
        #expect(limited.callCount == 3)
    }

    @Test func concurrencyLimitHoldsCallersBack() async throws {
        let slow = ScriptedProvider(Array(repeating: .delay(milliseconds: 100), count: 4))
        let gate = ProviderGate(limits: .init(concurrency: 1))
        let routes = router([.init(provider: slow, upstreamModel: "m", gate: gate)])
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await routes.run(job()) { _ in } } }
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - start >= .milliseconds(390))
        #expect(slow.maxConcurrent == 1)
    }

    @Test func circuitBreakerStateMachine() {
        var breaker = CircuitBreaker(threshold: 3, cooldownMs: 100)
        var allowed = breaker.allow(now: 0)
        #expect(allowed)
        breaker.recordFailure(now: 0)
        breaker.recordFailure(now: 0)
        breaker.recordSuccess()
        breaker.recordFailure(now: 0)
        breaker.recordFailure(now: 0)
        allowed = breaker.allow(now: 1)
        #expect(allowed)
        breaker.recordFailure(now: 1)
        #expect(breaker.isOpen)
        allowed = breaker.allow(now: 50)
        #expect(!allowed)
        allowed = breaker.allow(now: 101)
        #expect(allowed)  // the half-open trial
        allowed = breaker.allow(now: 102)
        #expect(!allowed)  // only one trial at a time
        breaker.recordFailure(now: 102)
        #expect(breaker.retryAfterMs(now: 102) == 100)
        #expect(breaker.timesOpened == 2)
        #expect(breaker.timesReclosed == 0)
        _ = breaker.allow(now: 203)
        breaker.recordSuccess()
        #expect(breaker.timesReclosed == 1)
        #expect(!breaker.isOpen)
    }

    @Test func tokenBucket() {
        var bucket = TokenBucket(perMinute: 60, now: 0)
        var waits: [Int64?] = []
        for _ in 0..<60 { waits.append(bucket.take(1, now: 0)) }
        #expect(waits.allSatisfy { $0 == nil })
        let empty = bucket.take(1, now: 0)
        #expect(empty == 1000)
        let refilled = bucket.take(1, now: 1000)
        #expect(refilled == nil)
        let tooMany = bucket.take(120, now: 1000)
        #expect(tooMany != nil)  // more than the capacity waits for a full bucket
    }
}
