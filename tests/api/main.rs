//! Integration tests through HTTP and the CLI: one test binary, an app per test.
