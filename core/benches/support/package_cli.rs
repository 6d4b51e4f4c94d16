//! Tiny command for `bench/package.sh` (hyperfine):
//!   package_skill generate DIR [MB]   write the benchmark folder
//!   package_skill package DIR OUT     package DIR into OUT (a file)

#[path = "gen_tree.rs"]
mod gen_tree;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("generate") if args.len() >= 3 => {
            let mb: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
            gen_tree::generate(Path::new(&args[2]), mb * 1024 * 1024).map_err(|e| e.to_string())
        }
        Some("package") if args.len() == 4 => std::fs::File::create(&args[3])
            .map_err(|e| e.to_string())
            .and_then(|f| {
                let out = std::io::BufWriter::with_capacity(64 * 1024, f);
                skilldex_core::package::package_skill(Path::new(&args[2]), out)
                    .map(|p| {
                        println!(
                            "{} {} bytes, {} files",
                            p.content_hash,
                            p.size,
                            p.files.len()
                        )
                    })
                    .map_err(|e| e.to_string())
            }),
        _ => Err("usage: package_skill generate DIR [MB] | package DIR OUT".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
