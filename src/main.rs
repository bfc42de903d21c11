// Rust's allocations go through mimalloc: musl's own allocator serializes threads on one lock,
// and glibc's spent a tenth of the send path's CPU (malloc, free, consolidation of its bins),
// most of it on the SQLite thread. On glibc, mimalloc also stands in for the C libraries' malloc
// (see Cargo.toml), SQLite's above all.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    waras::cli::main()
}
