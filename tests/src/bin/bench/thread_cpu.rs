//! CPU time per thread name from `/proc/self/task/*/schedstat` (Linux), so the exporter's
//! own CPU cost can be told apart from the simulators' in the same process.

use std::collections::BTreeMap;

/// Name under which the main thread is reported.
pub const MAIN: &str = "main";

/// CPU seconds used so far by this process's live threads, summed per thread name (the
/// main thread as [`MAIN`]).
pub fn by_thread_name() -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let main_tid = std::process::id().to_string();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let (Ok(name), Ok(schedstat)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("schedstat")),
        ) else {
            continue;
        };
        let name = if task.file_name().to_str() == Some(main_tid.as_str()) {
            MAIN.to_owned()
        } else {
            name.trim().to_owned()
        };
        if let Some(nanos) = on_cpu_nanos(&schedstat) {
            *out.entry(name).or_default() += nanos as f64 / 1e9;
        }
    }
    out
}

/// The first field of `schedstat`: nanoseconds spent on a CPU.
fn on_cpu_nanos(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().next()?.parse().ok()
}

/// CPU seconds used between two readings by threads named `name`.
pub fn spent(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, name: &str) -> f64 {
    let at = |m: &BTreeMap<String, f64>| m.get(name).copied().unwrap_or(0.0);
    (at(after) - at(before)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_gives_nanoseconds_on_cpu() {
        assert_eq!(on_cpu_nanos("348882941 349102 25\n"), Some(348_882_941));
        assert_eq!(on_cpu_nanos(""), None);
    }

    #[test]
    fn this_thread_shows_up_with_its_cpu_time() {
        let before = by_thread_name();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        let after = by_thread_name();
        let total = |m: &BTreeMap<String, f64>| m.values().sum::<f64>();
        assert!(total(&after) > total(&before));
    }
}
