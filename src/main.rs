//! The `blocsim` command: everything happens in the library's [`blocsim::cli`].

fn main() -> std::process::ExitCode {
    return_large_blocks();
    blocsim::cli::main()
}

/// Blocks of 4 MiB and more (a million-agent world's and run's arrays) go back to the system when
/// freed. By default glibc raises that threshold to the largest block freed so far (up to 32
/// MiB), and later arrays up to that size then come from its heaps, which keep them resident once
/// freed: at N = 10^6 the peak grew by 15–90 MB over what the structures hold. Smaller blocks
/// are reused from the heaps, which keep up to 16 MiB free before trimming: with the default
/// (128 KiB) a run's smaller arrays went back at its end, and the next run faulted them in
/// again (at N = 10^5, two thirds of a benchmark's page faults).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks() {
    // SAFETY: `mallopt` only sets parameters of the allocator; it is called before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks() {}
