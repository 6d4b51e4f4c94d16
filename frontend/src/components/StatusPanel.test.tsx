import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { errorEnvelope, mockFetchRoutes } from '../test/fetch.ts';
import { StatusPanel } from './StatusPanel.tsx';

function serviceItem(name: RegExp) {
  return screen.getByRole('listitem', { name });
}

describe('StatusPanel', () => {
  it('shows each service as up or down from the health endpoints', async () => {
    const fetchMock = mockFetchRoutes({
      '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } },
      '/health/db': { status: 200, body: { status: 'ok' } },
      '/health/temporal': {
        status: 503,
        body: errorEnvelope('unavailable', 'temporal is unavailable'),
      },
      '/health/storage': { status: 200, body: { status: 'ok', latency_ms: 1.5 } },
    });

    render(<StatusPanel pollIntervalMs={0} />);

    expect(screen.getAllByText('Checking…').length).toBeGreaterThan(0);

    const api = await screen.findByRole('listitem', { name: 'API Up' });
    expect(api).toHaveAttribute('data-state', 'up');
    expect(within(api).getByText('v0.1.0')).toBeInTheDocument();

    expect(serviceItem(/^Database Up$/)).toHaveAttribute('data-state', 'up');

    const temporal = serviceItem(/^Temporal Down$/);
    expect(temporal).toHaveAttribute('data-state', 'down');
    expect(within(temporal).getByText('temporal is unavailable')).toBeInTheDocument();

    expect(serviceItem(/^Object storage Up$/)).toHaveAttribute('data-state', 'up');

    expect(screen.getByText(/Last checked/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Check again' })).toBeEnabled();
    expect(fetchMock.mock.calls.map(([url]) => url).sort()).toEqual([
      '/health',
      '/health/db',
      '/health/storage',
      '/health/temporal',
    ]);
  });

  it('shows every service down when the API cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));

    render(<StatusPanel pollIntervalMs={0} />);

    await screen.findByRole('listitem', { name: 'API Down' });
    for (const name of [/^Database Down$/, /^Temporal Down$/, /^Object storage Down$/]) {
      const item = serviceItem(name);
      expect(within(item).getByText('Could not reach the Skilldex API')).toBeInTheDocument();
    }
  });

  it('treats a 200 response with a status other than ok as down', async () => {
    mockFetchRoutes({
      '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } },
      '/health/db': { status: 200, body: { status: 'degraded' } },
      '/health/temporal': { status: 200, body: { status: 'ok', namespace: 'default' } },
      '/health/storage': { status: 200, body: { status: 'ok' } },
    });

    render(<StatusPanel pollIntervalMs={0} />);

    await screen.findByRole('listitem', { name: 'Database Down' });
    expect(serviceItem(/^Temporal Up$/)).toBeInTheDocument();
  });

  it('checks again on demand', async () => {
    let dbUp = false;
    mockFetchRoutes({
      '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } },
      '/health/db': async () =>
        dbUp
          ? Response.json({ status: 'ok' })
          : Response.json(errorEnvelope('unavailable', 'database is unavailable'), { status: 503 }),
      '/health/temporal': { status: 200, body: { status: 'ok' } },
      '/health/storage': { status: 200, body: { status: 'ok' } },
    });

    render(<StatusPanel pollIntervalMs={0} />);
    await screen.findByRole('listitem', { name: 'Database Down' });

    dbUp = true;
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));

    await screen.findByRole('listitem', { name: 'Database Up' });
  });

  it('polls on an interval while the page is visible', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const fetchMock = mockFetchRoutes({
        '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } },
        '/health/db': { status: 200, body: { status: 'ok' } },
        '/health/temporal': { status: 200, body: { status: 'ok' } },
        '/health/storage': { status: 200, body: { status: 'ok' } },
      });

      render(<StatusPanel pollIntervalMs={1_000} />);
      await screen.findByRole('listitem', { name: 'API Up' });
      expect(fetchMock).toHaveBeenCalledTimes(4);

      await vi.advanceTimersByTimeAsync(1_000);
      expect(fetchMock).toHaveBeenCalledTimes(8);
    } finally {
      vi.useRealTimers();
    }
  });
});
