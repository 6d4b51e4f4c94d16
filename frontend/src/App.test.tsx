import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockFetchRoutes } from './test/fetch.ts';
import { App } from './App.tsx';

describe('App', () => {
  it('renders the product name, description, search box and status panel', async () => {
    mockFetchRoutes({
      '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } },
      '/health/db': { status: 200, body: { status: 'ok' } },
      '/health/temporal': { status: 200, body: { status: 'ok' } },
      '/health/storage': { status: 200, body: { status: 'ok' } },
    });

    render(<App />);

    expect(screen.getByRole('heading', { level: 1, name: 'Skilldex' })).toBeInTheDocument();
    expect(screen.getByText(/open registry of Agent Skills/)).toBeInTheDocument();
    expect(screen.getByRole('search', { name: 'Skill search' })).toBeInTheDocument();

    const search = screen.getByRole('searchbox', { name: 'Search skills' });
    expect(search).toBeDisabled();
    expect(search).toHaveAccessibleDescription('Search is coming soon.');

    expect(screen.getByRole('region', { name: 'Service status' })).toBeInTheDocument();
    await screen.findByRole('listitem', { name: 'Temporal Up' });
  });
});
