extension FuzzTargets {
    /// `precondition` that keeps its message in release builds (libFuzzer's), so a crash says which property broke.
    static func check(_ holds: Bool, _ message: @autoclosure () -> String) {
        if !holds { fatalError("property broken: \(message())") }
    }
}
