//! Tests that need what a machine may lack (a MongoDB server). A skipped test never passes
//! silently: it prints a `SKIPPED` line on stderr, and under CI (`CI` set) a skip is a failure, so a
//! CI run cannot go green by not running them. Kept free of the rest of `common` so that every
//! test binary can include it.

/// The MongoDB server at `TEST_MONGO_URI`. Without one the test fails, unless `WA_SKIP_MONGO=1`
/// asks to skip outside CI: then the test is reported as skipped and gets `None`.
pub fn mongo_uri() -> Option<String> {
    let uri = std::env::var("TEST_MONGO_URI").unwrap_or_default();
    if !uri.trim().is_empty() {
        return Some(uri);
    }
    if std::env::var("WA_SKIP_MONGO").as_deref() != Ok("1") {
        panic!(
            "TEST_MONGO_URI is not set: start a server with `.ci/mongo-test-server.sh start` and \
             export TEST_MONGO_URI=<the URI it prints>, or set WA_SKIP_MONGO=1 to skip the \
             MongoDB tests (outside CI only)"
        );
    }
    skipped("WA_SKIP_MONGO=1 and no TEST_MONGO_URI");
    None
}

/// Reports the running test as skipped for `why`; under CI, fails it instead.
pub fn skipped(why: &str) {
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if under_ci() {
        panic!("{test} may not be skipped under CI ({why}): CI runs every test");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// `CI` is set, as CI services set it (`CI=true`); `CI=false` or `CI=0` says otherwise.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}
