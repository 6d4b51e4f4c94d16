/** JSON shapes of the Skilldex API (docs/api.md, /api/openapi.json). */

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface LatestRef {
  content_hash: string;
  published_at: string;
}

export interface Highlight {
  name: string | null;
  description: string | null;
}

export interface SkillSummary {
  id: string;
  name: string;
  path: string;
  owner: string;
  repo: string;
  description: string | null;
  license: string | null;
  stars: number;
  downloads: number;
  has_errors: boolean;
  error_count: number;
  warning_count: number;
  latest_version?: LatestRef | null;
  updated_at: string;
  highlight: Highlight | null;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface SearchResults extends Page<SkillSummary> {
  total: number | null;
  total_exact: boolean;
  fuzzy: boolean;
  corrected_query: string | null;
  facets: {
    owner: FacetValue[];
    license: FacetValue[];
    has_errors: FacetValue[];
    marketplace: FacetValue[];
    plugin: FacetValue[];
  } | null;
}

export interface Finding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  file: string;
  line: number | null;
  field: string | null;
}

export interface Repository {
  id: string;
  owner: string;
  name: string;
  full_name: string;
  description: string | null;
  html_url: string | null;
  default_branch: string | null;
  stars: number;
  license: string | null;
  topics: string[];
  archived: boolean;
  sync_status: 'pending' | 'syncing' | 'succeeded' | 'failed';
  last_synced_at: string | null;
  last_error: string | null;
  last_error_kind: string | null;
  last_indexed_commit: string | null;
  skill_count: number;
}

export interface RepositoryPage extends Repository {
  skills: SkillSummary[];
  problems: Finding[];
}

export interface Version {
  content_hash: string;
  commit_sha: string;
  published_at: string;
  archive_size: number;
  file_count: number;
  error_count: number;
  warning_count: number;
  yanked: boolean;
  yanked_reason: string | null;
}

export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
  content_type: string;
  executable: boolean;
}

export interface SkillPage extends Omit<SkillSummary, 'latest_version'> {
  status: 'active' | 'removed';
  frontmatter: Record<string, unknown>;
  body: string;
  findings: Finding[];
  repository: Repository;
  latest_version: Version | null;
  files: FileEntry[];
  install: { label: string; command: string }[];
  download_url: string | null;
  marketplaces: { marketplace: string; plugin: string }[];
}

export interface Stats {
  skills: number;
  repositories: number;
  versions: number;
  downloads: number;
  marketplaces: number;
}

export interface RegistrationCreated {
  registration_id: string;
  workflow_id: string;
  status: string;
  existing: boolean;
  repository: string;
}

export type RegistrationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Registration {
  id: string;
  repository: string;
  status: RegistrationStatus;
  workflow_id: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: Record<string, unknown> | null;
  skills: { name: string; path: string; owner: string; repo: string; errors: number; warnings: number }[];
}

export interface LoginResponse {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  token_type: string;
  user: { id: string; username: string; role: string };
}

export interface DiscoverySource {
  id: string;
  key: string;
  kind: string;
  query: string;
  enabled: boolean;
  interval_seconds: number;
  max_repositories: number | null;
  /** SyncRepository runs a scan keeps in flight (1–20). */
  max_concurrency: number;
  last_run_at: string | null;
  last_workflow_id: string | null;
}

export interface BlacklistEntry {
  id: string;
  owner: string;
  repo: string | null;
  reason: string | null;
  created_by: string | null;
  created_at: string;
}

export interface AuditEntry {
  id: number;
  actor: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: unknown;
  request_id: string | null;
  at: string;
}
