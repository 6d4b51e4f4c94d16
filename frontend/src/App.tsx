import { SearchBox } from './components/SearchBox.tsx';
import { StatusPanel } from './components/StatusPanel.tsx';

export function App() {
  return (
    <div className="layout">
      <header className="site-header">
        <a className="brand" href="/">
          <span className="brand__mark" aria-hidden="true">
            ◆
          </span>
          Skilldex
        </a>
      </header>

      <main className="main">
        <section className="hero" aria-labelledby="hero-title">
          <h1 id="hero-title">Skilldex</h1>
          <p className="hero__tagline">
            An open registry of Agent Skills: Skilldex finds <code>SKILL.md</code> folders in GitHub
            repositories, validates them, and publishes versioned archives you can search and install.
          </p>
          <SearchBox />
        </section>

        <StatusPanel />
      </main>

      <footer className="site-footer">
        <p>Skilldex is open source under the Apache-2.0 license.</p>
      </footer>
    </div>
  );
}
