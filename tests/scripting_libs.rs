//! The Lua libraries Redis bundles (cjson, cmsgpack, bit, struct),
//! differentially against redis-server 7.0 through EVAL.
//!
//! The corpus is the one the unit tests beside the libraries replay
//! (`src/scripting/libs/cases/<lib>.lua`): each line runs as the body of a
//! function under pcall in the serializing wrapper `wrap.lua`, on a fresh
//! interpreter (SCRIPT FLUSH), so a library setting never leaks into the
//! next case. A few cases return library results straight to the client,
//! to check their conversion and the error replies of uncaught library
//! errors, in RESP2 and RESP3.

use crate::util::*;

const WRAP: &str = include_str!("../src/scripting/libs/cases/wrap.lua");

const CORPORA: [(&str, &str); 5] = [
    ("bit", include_str!("../src/scripting/libs/cases/bit.lua")),
    (
        "cjson",
        include_str!("../src/scripting/libs/cases/cjson.lua"),
    ),
    (
        "cmsgpack",
        include_str!("../src/scripting/libs/cases/cmsgpack.lua"),
    ),
    (
        "struct",
        include_str!("../src/scripting/libs/cases/structlib.lua"),
    ),
    ("fuzz", include_str!("../src/scripting/libs/cases/fuzz.lua")),
];

/// Cases that encode a library table itself (a method call on it): the
/// scripts' tables are read-only proxies here (docs/compatibility.md), so
/// they encode as the empty proxy where Redis encodes the library's
/// contents or refuses its functions. The unit tests run them on the bare
/// libraries.
const ON_THE_LIBRARY_TABLE: [&str; 2] = ["return cjson:encode()", "return cmsgpack:pack()"];

/// One case per corpus line: a fresh interpreter, then the wrapped line.
fn corpus(name: &str, text: &str) -> Vec<Case> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--"))
        .filter(|l| !ON_THE_LIBRARY_TABLE.contains(&l.trim()))
        .enumerate()
        .map(|(i, line)| {
            let script = WRAP.trim().replacen("CASE", line, 1);
            Case::new(&format!("{name} #{}: {line}", i + 1))
                .cmd(&["SCRIPT", "FLUSH"])
                .cmd(&["EVAL", &script, "0"])
        })
        .collect()
}

#[test]
fn bit_corpus() {
    diff(&corpus(CORPORA[0].0, CORPORA[0].1));
}

#[test]
fn cjson_corpus() {
    diff(&corpus(CORPORA[1].0, CORPORA[1].1));
}

#[test]
fn cmsgpack_corpus() {
    diff(&corpus(CORPORA[2].0, CORPORA[2].1));
}

#[test]
fn struct_corpus() {
    diff(&corpus(CORPORA[3].0, CORPORA[3].1));
}

#[test]
fn fuzz_corpus() {
    diff(&corpus(CORPORA[4].0, CORPORA[4].1));
}

/// Library results returned as they are, and library errors left uncaught.
const DIRECT: &[&str] = &[
    "return cjson.decode('[1,2.5,\"a\",true,false,{\"k\":\"v\"}]')",
    "return cjson.encode({a = {1, 2, 3}})",
    "return cjson.decode('[1,null,3]')",
    "return cjson.decode('x')",
    "return cmsgpack.unpack(cmsgpack.pack({1, 2, 3}, 'x', 2.5))",
    "return cmsgpack.unpack('\\193')",
    "return {struct.unpack('>i2', struct.pack('>i2', -5, 7))}",
    "return struct.pack('>I2', 258)",
    "return struct.pack('q')",
    "return {bit.band(0xff, 0x0f), bit.tohex(-1), bit.tobit(2^31)}",
    "return bit.band({})",
    "return cjson.null",
    "cjson = nil",
    "cjson.encode = nil return 1",
];

fn direct(resp3: bool) -> Vec<Case> {
    DIRECT
        .iter()
        .map(|script| {
            let mut c = Case::new(&format!(
                "direct (RESP{}): {script}",
                if resp3 { 3 } else { 2 }
            ));
            if resp3 {
                c = c.masked(Mask::Pairs(&["id"]), &["HELLO", "3"]);
            }
            c.cmd(&["SCRIPT", "FLUSH"]).cmd(&["EVAL", script, "0"])
        })
        .collect()
}

#[test]
fn direct_replies_resp2() {
    diff(&direct(false));
}

#[test]
fn direct_replies_resp3() {
    diff(&direct(true));
}
