//! The process's resident memory from `/proc/self/status` (Linux), and resetting its peak.

/// Resident set size now and its peak, in bytes (`None` where the kernel does not tell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`.
    pub current: Option<u64>,
    /// `VmHWM`: the peak since the process started or since [`reset_peak`].
    pub peak: Option<u64>,
}

/// Read `VmRSS` and `VmHWM`.
pub fn read() -> Rss {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Rss::default();
    };
    Rss {
        current: field_bytes(&status, "VmRSS:"),
        peak: field_bytes(&status, "VmHWM:"),
    }
}

/// Reset `VmHWM` to the current RSS (Linux ≥ 4.0: write 5 to `/proc/self/clear_refs`).
/// False when the kernel refused.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmRSS:   12345 kB` → bytes.
fn field_bytes(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let mut words = line[name.len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_bytes() {
        let status = "Name:\tbench\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(field_bytes(status, "VmRSS:"), Some(1024 * 1024));
        assert_eq!(field_bytes(status, "VmHWM:"), Some(2048 * 1024));
        assert_eq!(field_bytes(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_has_a_resident_set() {
        let rss = read();
        assert!(rss.current.is_some_and(|b| b > 0));
        assert!(rss.peak >= rss.current);
    }
}
