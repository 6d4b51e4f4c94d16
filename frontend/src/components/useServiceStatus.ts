import { useCallback, useEffect, useRef, useState } from 'react';
import { isApiError } from '../api/client.ts';
import { getApiHealth, getDatabaseHealth, getStorageHealth, getTemporalHealth } from '../api/health.ts';
import type { ApiRequestOptions } from '../api/client.ts';

export type ServiceId = 'api' | 'database' | 'temporal' | 'storage';

export type ServiceStatus =
  | { state: 'checking' }
  | { state: 'up'; detail?: string }
  | { state: 'down'; detail: string };

export interface ServiceCheck {
  id: ServiceId;
  label: string;
  run: (options: ApiRequestOptions) => Promise<{ status: string; version?: unknown }>;
}

export const SERVICE_CHECKS: readonly ServiceCheck[] = [
  { id: 'api', label: 'API', run: getApiHealth },
  { id: 'database', label: 'Database', run: getDatabaseHealth },
  { id: 'temporal', label: 'Temporal', run: getTemporalHealth },
  { id: 'storage', label: 'Object storage', run: getStorageHealth },
];

const CHECK_TIMEOUT_MS = 5_000;

async function runCheck(check: ServiceCheck, signal: AbortSignal): Promise<ServiceStatus> {
  try {
    const body = await check.run({ signal, timeoutMs: CHECK_TIMEOUT_MS, cache: 'no-store' });
    if (body.status !== 'ok') {
      return { state: 'down', detail: `Reported status “${String(body.status)}”` };
    }
    const version = typeof body.version === 'string' ? body.version.trim() : '';
    if (!version) return { state: 'up' };
    return { state: 'up', detail: /^v\d/.test(version) ? version : `v${version}` };
  } catch (error) {
    return { state: 'down', detail: isApiError(error) ? error.message : 'Unexpected error' };
  }
}

function initialStatuses(): Record<ServiceId, ServiceStatus> {
  return {
    api: { state: 'checking' },
    database: { state: 'checking' },
    temporal: { state: 'checking' },
    storage: { state: 'checking' },
  };
}

export interface ServiceStatusResult {
  statuses: Record<ServiceId, ServiceStatus>;
  /** True while a round of checks is in flight. */
  checking: boolean;
  lastChecked: Date | undefined;
  refresh: () => void;
}

/**
 * Polls the health endpoints every `intervalMs` (0 disables polling) while the
 * page is visible. Earlier results stay on screen while a new round runs.
 */
export function useServiceStatus(intervalMs: number): ServiceStatusResult {
  const [statuses, setStatuses] = useState(initialStatuses);
  const [checking, setChecking] = useState(true);
  const [lastChecked, setLastChecked] = useState<Date>();
  const inFlight = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setChecking(true);

    void Promise.all(
      SERVICE_CHECKS.map(async (check) => [check.id, await runCheck(check, controller.signal)] as const),
    ).then((results) => {
      if (controller.signal.aborted) return;
      setStatuses(Object.fromEntries(results) as Record<ServiceId, ServiceStatus>);
      setLastChecked(new Date());
      setChecking(false);
      inFlight.current = null;
    });
  }, []);

  useEffect(() => {
    refresh();
    return () => inFlight.current?.abort();
  }, [refresh]);

  useEffect(() => {
    if (intervalMs <= 0) return undefined;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, intervalMs);
    return () => clearInterval(id);
  }, [intervalMs, refresh]);

  return { statuses, checking, lastChecked, refresh };
}
