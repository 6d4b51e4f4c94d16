/** Typed calls for every endpoint the UI uses (docs/api.md). */
import { ApiError, apiFetch } from './client.ts';
import type {
  AuditEntry,
  BlacklistEntry,
  DiscoverySource,
  LoginResponse,
  Page,
  Registration,
  RegistrationCreated,
  Repository,
  RepositoryPage,
  SearchResults,
  SkillPage,
  Stats,
  Version,
} from './types.ts';

export interface SearchQuery {
  q?: string;
  sort?: string;
  owner?: string;
  license?: string;
  marketplace?: string;
  plugin?: string;
  has_errors?: string;
  cursor?: string;
  limit?: number;
  facets?: boolean;
}

function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const enc = encodeURIComponent;

/** Page sizes of the lists the UI pages through with `next_cursor`. */
export const VERSIONS_PAGE = 20;
export const ADMIN_PAGE = 50;

export function skillPath(owner: string, repo: string, name: string): string {
  return `/skills/${enc(owner)}/${enc(repo)}/${enc(name)}`;
}

export const api = {
  stats: (signal?: AbortSignal) => apiFetch<Stats>('/api/v1/stats', { signal }),
  search: (params: SearchQuery, signal?: AbortSignal) =>
    apiFetch<SearchResults>(`/api/v1/skills${query({ ...params })}`, { signal }),
  skill: (owner: string, repo: string, name: string, signal?: AbortSignal) =>
    apiFetch<SkillPage>(`/api/v1${skillPath(owner, repo, name)}`, { signal }),
  versions: (owner: string, repo: string, name: string, cursor: string | null, signal?: AbortSignal) =>
    apiFetch<Page<Version>>(`/api/v1${skillPath(owner, repo, name)}/versions${query({ limit: VERSIONS_PAGE, cursor })}`, {
      signal,
    }),
  fileUrl: (owner: string, repo: string, name: string, hash: string, path: string) =>
    `/api/v1${skillPath(owner, repo, name)}/versions/${enc(hash)}/files/${path.split('/').map(enc).join('/')}`,
  repository: (owner: string, repo: string, signal?: AbortSignal) =>
    apiFetch<RepositoryPage>(`/api/v1/repositories/${enc(owner)}/${enc(repo)}`, { signal }),
  repositories: (sort: string, signal?: AbortSignal) =>
    apiFetch<Page<Repository>>(`/api/v1/repositories${query({ sort, limit: 12 })}`, { signal }),
  register: (repository: string) =>
    apiFetch<RegistrationCreated>('/api/v1/repositories', { method: 'POST', json: { repository } }),
  registration: (id: string, signal?: AbortSignal) =>
    apiFetch<Registration>(`/api/v1/registrations/${enc(id)}`, { signal }),
};

// ---- admin session --------------------------------------------------------------------

const REFRESH_KEY = 'skilldex.refresh';

/** The access token lives in memory only; the refresh token survives reloads of the tab. */
let accessToken: string | null = null;
let username: string | null = null;
const listeners = new Set<() => void>();

function notify() {
  for (const listener of listeners) listener();
}

export const session = {
  get user(): string | null {
    return accessToken ? username : null;
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  async login(user: string, password: string): Promise<void> {
    const response = await apiFetch<LoginResponse>('/api/v1/auth/login', {
      method: 'POST',
      json: { username: user, password },
    });
    accept(response);
  },
  /** Restores a session from the stored refresh token; false when there is none. */
  async resume(): Promise<boolean> {
    if (accessToken) return true;
    return refresh();
  },
  async logout(): Promise<void> {
    const token = sessionStorage.getItem(REFRESH_KEY);
    accessToken = null;
    username = null;
    sessionStorage.removeItem(REFRESH_KEY);
    notify();
    if (token) {
      await apiFetch<void>('/api/v1/auth/logout', { method: 'POST', json: { refresh_token: token } }).catch(
        () => undefined,
      );
    }
  },
};

function accept(response: LoginResponse) {
  accessToken = response.access_token;
  username = response.user.username;
  sessionStorage.setItem(REFRESH_KEY, response.refresh_token);
  notify();
}

let refreshing: Promise<boolean> | null = null;

function refresh(): Promise<boolean> {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return Promise.resolve(false);
  refreshing ??= apiFetch<LoginResponse>('/api/v1/auth/refresh', {
    method: 'POST',
    json: { refresh_token: token },
  })
    .then((response) => {
      accept(response);
      return true;
    })
    .catch(() => {
      sessionStorage.removeItem(REFRESH_KEY);
      accessToken = null;
      notify();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** An admin request; on a 401 the session is refreshed once and the request retried. */
async function admin<T>(path: string, init: { method?: string; json?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const send = () =>
    apiFetch<T>(`/api/v1/admin${path}`, {
      ...init,
      headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
    });
  try {
    return await send();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && (await refresh())) return send();
    throw error;
  }
}

export const adminApi = {
  sources: (cursor: string | null, signal?: AbortSignal) =>
    admin<Page<DiscoverySource>>(`/discovery-sources${query({ limit: ADMIN_PAGE, cursor })}`, { signal }),
  createSource: (source: {
    key: string;
    kind: string;
    query: string;
    interval_seconds: number;
    max_concurrency: number;
  }) =>
    admin<{ source: DiscoverySource; schedule_sync: string }>('/discovery-sources', {
      method: 'POST',
      json: source,
    }),
  setSourceEnabled: (id: string, enabled: boolean) =>
    admin<{ source: DiscoverySource; schedule_sync: string }>(`/discovery-sources/${enc(id)}`, {
      method: 'PATCH',
      json: { enabled },
    }),
  deleteSource: (id: string) => admin<unknown>(`/discovery-sources/${enc(id)}`, { method: 'DELETE' }),
  runSource: (id: string) =>
    admin<{ source_id: string; workflow_id: string }>(`/discovery-sources/${enc(id)}/run`, { method: 'POST' }),
  blacklist: (cursor: string | null, signal?: AbortSignal) =>
    admin<Page<BlacklistEntry>>(`/blacklist${query({ limit: ADMIN_PAGE, cursor })}`, { signal }),
  addBlacklist: (owner: string, repo: string | null, reason: string) =>
    admin<BlacklistEntry>('/blacklist', { method: 'POST', json: { owner, repo, reason } }),
  removeBlacklist: (id: string) => admin<void>(`/blacklist/${enc(id)}`, { method: 'DELETE' }),
  resync: (owner: string, repo: string) =>
    admin<RegistrationCreated>(`/repositories/${enc(owner)}/${enc(repo)}/resync`, { method: 'POST' }),
  yank: (owner: string, repo: string, name: string, hash: string, reason: string) =>
    admin<unknown>(`/skills/${enc(owner)}/${enc(repo)}/${enc(name)}/versions/${enc(hash)}/yank`, {
      method: 'POST',
      json: { reason },
    }),
  unyank: (owner: string, repo: string, name: string, hash: string) =>
    admin<unknown>(`/skills/${enc(owner)}/${enc(repo)}/${enc(name)}/versions/${enc(hash)}/unyank`, {
      method: 'POST',
      json: {},
    }),
  audit: (cursor: string | null, signal?: AbortSignal) =>
    admin<Page<AuditEntry>>(`/audit-log${query({ limit: ADMIN_PAGE, cursor })}`, { signal }),
};
