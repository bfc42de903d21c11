// musl's own allocator serializes threads on one lock; the static build (the container image)
// allocates through mimalloc instead. glibc builds keep glibc's allocator.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    waras::cli::main()
}
