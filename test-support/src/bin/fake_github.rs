//! `fake-github`: serves the corpus repositories, the on-disk fixture repositories and the
//! hostile fixtures over GitHub's REST shapes, for `make dev --offline` demos.
//!
//! Prints its base URL (e.g. `http://127.0.0.1:8787/`) as the first line on stdout; point
//! `SKILLDEX_GITHUB_API_URL` at it.

use std::{io::Write, net::IpAddr, path::PathBuf};

use anyhow::{Context, Result};
use clap::Parser;
use skilldex_test_support::fake_github::{self, FakeGithub};
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(
    name = "fake-github",
    about = "Fake GitHub REST API serving Skilldex fixtures"
)]
struct Args {
    /// Address to listen on (loopback unless you mean it).
    #[arg(long, env = "SKILLDEX_FAKE_GITHUB_HOST", default_value = "127.0.0.1")]
    host: IpAddr,

    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "SKILLDEX_FAKE_GITHUB_PORT", default_value_t = 0)]
    port: u16,

    /// Corpus folder holding `anthropics_skills/` and `obra_superpowers/`
    /// [default: ../shared/corpus beside the workspace].
    #[arg(long, env = "SKILLDEX_CORPUS_DIR")]
    corpus_dir: Option<PathBuf>,

    /// Folder of extra repositories laid out as `{owner}/{repo}/...`
    /// [default: test-support/fixtures/repos].
    #[arg(long, env = "SKILLDEX_FAKE_GITHUB_FIXTURES")]
    fixtures: Option<PathBuf>,

    /// Leave out the hostile repositories (owner `skilldex-hostile`).
    #[arg(long)]
    no_hostile: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let corpus = args.corpus_dir.unwrap_or_else(fake_github::corpus_dir);
    let fixtures = args
        .fixtures
        .unwrap_or_else(|| fake_github::fixtures_dir().join("repos"));

    let mut builder = FakeGithub::builder().bind((args.host, args.port).into());
    let corpus_repos = fake_github::try_corpus_repos(&corpus)
        .with_context(|| format!("loading the corpus from {}", corpus.display()))?;
    builder = builder.repos(corpus_repos);
    if fixtures.is_dir() {
        let repos = fake_github::fixture_repos(&fixtures)
            .with_context(|| format!("loading fixture repositories from {}", fixtures.display()))?;
        builder = builder.repos(repos);
    } else {
        tracing::warn!(path = %fixtures.display(), "no fixture folder; serving corpus only");
    }
    if !args.no_hostile {
        builder = builder.repos(fake_github::hostile_repos());
    }
    let server = builder
        .try_start()
        .await
        .with_context(|| format!("listening on {}:{}", args.host, args.port))?;

    let base = server.base_url();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{base}").context("writing the base URL")?;
        out.flush().context("flushing stdout")?;
    }
    tracing::info!(%base, "fake GitHub serving; set SKILLDEX_GITHUB_API_URL={base}");

    tokio::select! {
        _ = server.wait() => {}
        signal = tokio::signal::ctrl_c() => {
            signal.context("waiting for Ctrl-C")?;
            tracing::info!("stopping");
        }
    }
    Ok(())
}
