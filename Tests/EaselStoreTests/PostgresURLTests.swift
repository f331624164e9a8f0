import EaselStore
import Testing

@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test func readsEveryPartAndNeverShowsThePassword() throws {
        let url = try PostgresURL("postgresql://easel:s%40cret@db.internal:6543/images?sslmode=require")
        #expect(url.host == "db.internal" && url.port == 6543 && url.user == "easel" && url.database == "images")
        #expect(url.password == "s@cret", "percent-encoded passwords are decoded")
        #expect(url.sslMode == .require)
        #expect(url.description == "postgres://easel@db.internal:6543/images")
        #expect(!url.description.contains("cret"))

        let socket = try PostgresURL("postgres://postgres@/easel?host=/run/postgresql")
        #expect(socket.socketDirectory == "/run/postgresql" && socket.port == 5432)
        #expect(try PostgresURL("postgres://u@h/d").sslMode == .prefer, "libpq's default")
    }

    @Test func badURLsSayWhatIsWrong() {
        for (text, words) in [
            ("mysql://u@h/d", "postgres://"),
            ("postgres://u@h:5432/", "names no database"),
            ("postgres://u@h/d?sslmode=maybe", "sslmode 'maybe'"),
            ("postgres://u@h/d?pool=3", "unknown option 'pool'"),
        ] {
            let error = #expect(throws: PostgresURLError.self) { try PostgresURL(text) }
            #expect(error?.description.contains(words) == true, "\(text): \(error?.description ?? "")")
        }
    }
}
