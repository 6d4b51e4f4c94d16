import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { Skeleton } from './components/ui.tsx';
import { Home } from './pages/Home.tsx';
import { RepositoryPage } from './pages/RepositoryPage.tsx';
import { Search } from './pages/Search.tsx';
import { RegistrationView, Submit } from './pages/Submit.tsx';
import { Link, useLocation, useTitle } from './lib/router.tsx';

// The Markdown stack and the admin pages load only when visited.
const SkillPage = lazy(() => import('./pages/SkillPage.tsx').then((m) => ({ default: m.SkillPage })));
const Admin = lazy(() => import('./pages/Admin.tsx').then((m) => ({ default: m.Admin })));

type Theme = 'light' | 'dark';
const THEME_KEY = 'skilldex.theme';

/** The theme: the visitor's explicit choice (remembered), else the OS preference. */
function useTheme(): [Theme, () => void] {
  const [choice, setChoice] = useState<Theme | null>(() => {
    const stored = localStorage.getItem(THEME_KEY);
    return stored === 'light' || stored === 'dark' ? stored : null;
  });
  useEffect(() => {
    // Without a choice the CSS follows prefers-color-scheme, live.
    if (choice) document.documentElement.dataset.theme = choice;
    else delete document.documentElement.dataset.theme;
  }, [choice]);
  const effective: Theme =
    choice ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  return [
    effective,
    () => {
      const next = effective === 'dark' ? 'light' : 'dark';
      localStorage.setItem(THEME_KEY, next);
      setChoice(next);
    },
  ];
}

function segments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
}

function Route() {
  const { pathname } = useLocation();
  const parts = segments(pathname);
  const [head, a = '', b = '', c = ''] = parts;
  if (parts.length === 0) return <Home />;
  switch (head) {
    case 'search':
      return <Search />;
    case 'skills':
      if (parts.length === 4) return <SkillPage key={pathname} owner={a} repo={b} name={c} />;
      break;
    case 'repositories':
      if (parts.length === 3) return <RepositoryPage key={pathname} owner={a} repo={b} />;
      break;
    case 'submit':
      return <Submit />;
    case 'registrations':
      if (parts.length === 2) return <RegistrationView key={pathname} id={a} />;
      break;
    case 'admin':
      return <Admin />;
  }
  return <NotFound />;
}

function NotFound() {
  useTitle('Not found');
  return (
    <section className="narrow">
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link href="/search">Search the registry</Link> or go to the{' '}
        <Link href="/">home page</Link>.
      </p>
    </section>
  );
}

/** How long (ms) a page that is still loading may take to show its heading before focus goes to main. */
const HEADING_WAIT_MS = 3000;

/** Whether `el` is displayed (no ancestor up to main is `display: none`). */
function shown(el: HTMLElement): boolean {
  for (let node: HTMLElement | null = el; node && node.id !== 'main'; node = node.parentElement) {
    if (node.hidden || getComputedStyle(node).display === 'none') return false;
  }
  return true;
}

/**
 * After an in-app navigation, focus moves to the new page's main heading (or to the control
 * the page focused itself, such as the search box) and a live region says the page's title,
 * as a full page load would for a screen reader.
 */
function RouteFocus() {
  const { pathname } = useLocation();
  const [message, setMessage] = useState('');
  const initial = useRef(true);
  useEffect(() => {
    if (initial.current) {
      initial.current = false;
      return;
    }
    setMessage('');
    const main = document.getElementById('main');
    const started = performance.now();
    let frame = 0;
    const settle = () => {
      const active = document.activeElement;
      // While a lazy page loads, React keeps the previous page in the DOM, hidden: only shown
      // elements count.
      const heading = [...(main?.querySelectorAll<HTMLElement>('h1') ?? [])].find(shown);
      const ownFocus = active instanceof HTMLElement && main?.contains(active) && shown(active);
      if (!ownFocus && !heading && performance.now() - started < HEADING_WAIT_MS) {
        frame = requestAnimationFrame(settle);
        return;
      }
      if (!ownFocus) {
        const target = heading ?? main;
        if (target) {
          target.tabIndex = -1;
          target.focus({ preventScroll: true });
        }
      }
      setMessage(document.title);
    };
    frame = requestAnimationFrame(settle);
    return () => cancelAnimationFrame(frame);
  }, [pathname]);
  return (
    <p className="visually-hidden" role="status" aria-atomic="true">
      {message}
    </p>
  );
}

function NavLink({ href, current, children }: { href: string; current: boolean; children: string }) {
  return (
    <Link href={href} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function App() {
  const [theme, toggleTheme] = useTheme();
  const { pathname } = useLocation();
  const section = pathname.split('/')[1] ?? '';
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link className="brand" href="/">
          <span className="brand__mark" aria-hidden="true">
            ◆
          </span>
          Skilldex
        </Link>
        <nav className="site-nav" aria-label="Main">
          <NavLink href="/search" current={section === 'search'}>
            Browse
          </NavLink>
          <NavLink href="/submit" current={section === 'submit'}>
            Submit a repository
          </NavLink>
          <NavLink href="/admin" current={section === 'admin'}>
            Admin
          </NavLink>
          <button
            type="button"
            className="theme-toggle"
            onClick={toggleTheme}
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          >
            {theme === 'dark' ? '☀' : '☾'}
          </button>
        </nav>
      </header>

      <main className="main" id="main" tabIndex={-1}>
        <Suspense fallback={<Skeleton lines={8} />}>
          <Route />
        </Suspense>
      </main>

      <RouteFocus />
      <footer className="site-footer">
        <p>
          Skilldex is open source under the Apache-2.0 license · <a href="/api/docs/">API</a>
        </p>
      </footer>
    </div>
  );
}
