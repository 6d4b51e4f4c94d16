import { apiFetch, type ApiRequestOptions } from './client.ts';

/** `GET /health`: the API process is up. */
export interface ApiHealth {
  status: 'ok';
  version: string;
}

/** `GET /health/db`, `/health/temporal`, `/health/storage`: a dependency answers. */
export interface DependencyHealth {
  status: 'ok';
  [field: string]: unknown;
}

export const HEALTH_PATHS = {
  api: '/health',
  database: '/health/db',
  temporal: '/health/temporal',
  storage: '/health/storage',
} as const;

export function getApiHealth(options?: ApiRequestOptions): Promise<ApiHealth> {
  return apiFetch<ApiHealth>(HEALTH_PATHS.api, options);
}

export function getDatabaseHealth(options?: ApiRequestOptions): Promise<DependencyHealth> {
  return apiFetch<DependencyHealth>(HEALTH_PATHS.database, options);
}

export function getTemporalHealth(options?: ApiRequestOptions): Promise<DependencyHealth> {
  return apiFetch<DependencyHealth>(HEALTH_PATHS.temporal, options);
}

export function getStorageHealth(options?: ApiRequestOptions): Promise<DependencyHealth> {
  return apiFetch<DependencyHealth>(HEALTH_PATHS.storage, options);
}
