//! Replays the expectations recorded from real redis-server 7.0.15 by
//! `scripts/lualibs-expect.py`: each case runs in a fresh interpreter with
//! the libraries, inside the same serializing wrapper (`cases/wrap.lua`)
//! and under the chunk name Redis gives scripts, so error positions match.

use mlua::Lua;

/// Runs every case of an `.expected` file and reports all that differ.
pub(crate) fn replay(expected: &str) {
    let wrap = include_str!("cases/wrap.lua").trim();
    let mut failures = Vec::new();
    let mut total = 0;
    let mut lines = expected.lines();
    while let Some(case) = lines.next() {
        let want = lines
            .next()
            .and_then(|l| l.strip_prefix("=> "))
            .unwrap_or_default();
        total += 1;
        let lua = Lua::new();
        super::open_all(&lua).expect("libraries install");
        let got: String = lua
            .load(wrap.replacen("CASE", case, 1))
            .set_name("@user_script")
            .eval()
            .unwrap_or_else(|e| format!("<lua error: {e}>"));
        if got != want {
            failures.push(format!("{case}\n  redis: {want}\n  ours:  {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
