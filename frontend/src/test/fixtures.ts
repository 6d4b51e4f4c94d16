import type { SkillSummary } from '../api/types.ts';

/** A search result as the API sends it. */
export function summary(name: string, extra: Partial<SkillSummary> = {}): SkillSummary {
  return {
    id: `id-${name}`,
    name,
    path: `skills/${name}`,
    owner: 'anthropics',
    repo: 'skills',
    description: `The ${name} skill.`,
    license: 'MIT',
    stars: 1200,
    downloads: 42,
    has_errors: false,
    error_count: 0,
    warning_count: 0,
    latest_version: { content_hash: 'a'.repeat(64), published_at: '2026-11-20T12:00:00Z' },
    updated_at: '2026-11-20T12:00:00Z',
    highlight: null,
    ...extra,
  };
}

