//! The worker's scratch folder: one subfolder per worker process, so a process killed in the
//! middle of a sync (SIGKILL, OOM, power loss) leaves its downloads behind only until the
//! next worker on the machine starts and removes them.

use std::{
    io,
    path::{Path, PathBuf},
};

const PREFIX: &str = "worker-";

/// Creates `{work_dir}/worker-{pid}` for this process after removing the folders of worker
/// processes that no longer run. Folders of live processes (other workers sharing
/// `work_dir`) are left alone.
pub fn claim(work_dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(work_dir)?;
    let own = std::process::id();
    for entry in std::fs::read_dir(work_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own || process_alive(pid) {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => tracing::info!(
                folder = %entry.path().display(),
                "removed the scratch folder of a worker that is gone"
            ),
            Err(e) => tracing::warn!(
                folder = %entry.path().display(),
                error = %e,
                "could not remove the scratch folder of a worker that is gone"
            ),
        }
    }
    let mine = work_dir.join(format!("{PREFIX}{own}"));
    std::fs::create_dir_all(&mine)?;
    Ok(mine)
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Without /proc, assume every process may still run: leaving a folder is safe, removing a
/// live worker's is not.
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_dead_workers_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        // No process has a pid this large (pid_max is at most 2^22 on Linux).
        let dead = dir.path().join("worker-4194399");
        std::fs::create_dir_all(dead.join("sync-x")).expect("mkdir");
        std::fs::write(dead.join("sync-x/repository.tar.gz"), b"left over").expect("write");
        let live = dir.path().join("worker-1"); // init
        std::fs::create_dir_all(&live).expect("mkdir");
        let other = dir.path().join("unrelated");
        std::fs::create_dir_all(&other).expect("mkdir");

        let mine = claim(dir.path()).expect("claim");

        assert_eq!(
            mine,
            dir.path().join(format!("worker-{}", std::process::id()))
        );
        assert!(mine.is_dir());
        assert!(!dead.exists(), "a dead worker's downloads are removed");
        assert!(live.exists(), "a live process's folder stays");
        assert!(other.exists(), "folders that are not worker folders stay");
    }
}
