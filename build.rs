//! Builds the one piece of C: Redis's long-double arithmetic for
//! INCRBYFLOAT, which Rust's floating-point types cannot reproduce.

fn main() {
    println!("cargo:rerun-if-changed=src/storage/long_double.c");
    cc::Build::new()
        .file("src/storage/long_double.c")
        .warnings(true)
        .compile("ferrodis_long_double");
}
