/// The plans a server offers and the one a new user gets.
public struct PlanBook: Sendable {
    public var plans: [String: Plan]
    public var defaultPlan: String

    public init(plans: [String: Plan] = Plan.defaults, defaultPlan: String = "registered") {
        self.plans = plans
        self.defaultPlan = defaultPlan
    }

    /// The plan of that name; a user whose plan was removed from the config falls back to the default.
    public func plan(named name: String) -> Plan { plans[name] ?? plans[defaultPlan] ?? .registered }

    public func requireKnown(_ name: String, param: String = "plan") throws(EaselError) {
        guard plans[name] != nil else {
            throw .invalidRequest("Unknown plan '\(name)'. Plans: \(plans.keys.sorted().joined(separator: ", ")).", param: param)
        }
    }
}
