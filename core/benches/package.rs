//! Packaging throughput: a generated 5 MiB skill folder and the corpus's largest skill.

#[path = "support/gen_tree.rs"]
mod gen_tree;

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skilldex_core::package::package_skill;

fn folder_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

fn bench_package(c: &mut Criterion) {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let generated = tmp.path().join("bench-skill");
    gen_tree::generate(&generated, 5 * 1024 * 1024).expect("generate bench folder");

    let mut group = c.benchmark_group("package_skill");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(folder_bytes(&generated)));
    group.bench_function("generated_5mib", |b| {
        b.iter(|| package_skill(black_box(&generated), std::io::sink()).expect("package"))
    });
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/anthropics_skills/skills/claude-api");
    if corpus.is_dir() {
        group.throughput(Throughput::Bytes(folder_bytes(&corpus)));
        group.bench_function("corpus_claude_api", |b| {
            b.iter(|| package_skill(black_box(&corpus), std::io::sink()).expect("package"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_package);
criterion_main!(benches);
