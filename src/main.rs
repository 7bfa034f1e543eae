fn main() -> std::process::ExitCode {
    spbe_desk::cli::main()
}
