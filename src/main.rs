fn main() -> std::process::ExitCode {
    waras::cli::main()
}
