// Seeds the e2e stack through the real path: POST /api/v1/repositories for each repository,
// then polls GET /api/v1/registrations/{id} until the worker has synced it. The first
// success also proves the worker polls its task queue.
//
//   SKILLDEX_E2E_BASE_URL=http://127.0.0.1:8080 node seed.mjs [owner/repo ...]
import { pathToFileURL } from 'node:url';

/** Repositories every browser test may rely on. `skilldex-fixtures/mixed-skills` is left
 * out on purpose: the submit test registers it from the UI. */
export const SEED_REPOSITORIES = [
  'anthropics/skills',
  'obra/superpowers',
  'skilldex-fixtures/hostile-markdown',
];

const POLL_MS = 250;

async function json(response, what) {
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok) {
    throw new Error(`${what}: HTTP ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body;
}

/** Registers one repository; answers the 202 body. */
export async function register(baseUrl, repository) {
  const response = await fetch(`${baseUrl}/api/v1/repositories`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ repository }),
  });
  return json(response, `POST /api/v1/repositories {"repository": "${repository}"}`);
}

/** Polls a registration until it is `succeeded` (answered) or `failed`/overdue (thrown). */
export async function waitForRegistration(baseUrl, id, { timeoutMs, label = id }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await json(
      await fetch(`${baseUrl}/api/v1/registrations/${id}`, { headers: { accept: 'application/json' } }),
      `GET /api/v1/registrations/${id}`,
    );
    if (last.status === 'succeeded') return last;
    if (last.status === 'failed') {
      throw new Error(`registration of ${label} failed: ${last.error ?? '(no error given)'}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `registration of ${label} still ${last.status} after ${Math.round(timeoutMs / 1000)}s ` +
          '(is the worker polling the same task queue as the api? see the worker log)',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function seed(baseUrl, repositories, { timeoutMs }) {
  const started = Date.now();
  const registrations = await Promise.all(
    repositories.map(async (repository) => ({ repository, accepted: await register(baseUrl, repository) })),
  );
  return Promise.all(
    registrations.map(async ({ repository, accepted }) => {
      const done = await waitForRegistration(baseUrl, accepted.registration_id, {
        timeoutMs,
        label: repository,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const r = done.result ?? {};
      console.log(
        `seeded ${repository} in ${seconds}s: ${r.skills ?? '?'} skills, ` +
          `${r.new_versions ?? '?'} new versions, ${r.invalid ?? '?'} invalid`,
      );
      return done;
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const baseUrl = process.env.SKILLDEX_E2E_BASE_URL?.replace(/\/$/, '');
  if (!baseUrl) {
    console.error('SKILLDEX_E2E_BASE_URL is not set');
    process.exit(2);
  }
  const repositories = process.argv.length > 2 ? process.argv.slice(2) : SEED_REPOSITORIES;
  const timeoutMs = Number(process.env.SKILLDEX_E2E_SEED_TIMEOUT ?? 240) * 1000;
  try {
    await seed(baseUrl, repositories, { timeoutMs });
  } catch (error) {
    console.error(`seeding failed: ${error.message}`);
    process.exit(1);
  }
}
