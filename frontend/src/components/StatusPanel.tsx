import { useId } from 'react';
import { SERVICE_CHECKS, useServiceStatus, type ServiceStatus } from './useServiceStatus.ts';

const STATE_LABEL: Record<ServiceStatus['state'], string> = {
  checking: 'Checking…',
  up: 'Up',
  down: 'Down',
};

export interface StatusPanelProps {
  /** Re-check every this many milliseconds; 0 disables polling. */
  pollIntervalMs?: number;
}

export function StatusPanel({ pollIntervalMs = 30_000 }: StatusPanelProps) {
  const { statuses, checking, lastChecked, refresh } = useServiceStatus(pollIntervalMs);
  const baseId = useId();
  const headingId = `${baseId}-heading`;

  return (
    <section className="card status-panel" aria-labelledby={headingId} aria-busy={checking}>
      <div className="status-panel__header">
        <h2 id={headingId}>Service status</h2>
        <button type="button" className="button button--secondary" onClick={refresh} disabled={checking}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </div>

      <ul className="status-list" aria-live="polite">
        {SERVICE_CHECKS.map(({ id, label }) => {
          const status = statuses[id];
          const nameId = `${baseId}-${id}-name`;
          const stateId = `${baseId}-${id}-state`;
          return (
            <li
              key={id}
              className="status-item"
              data-state={status.state}
              aria-labelledby={`${nameId} ${stateId}`}
            >
              <span className="status-dot" aria-hidden="true" />
              <span id={nameId} className="status-item__name">
                {label}
              </span>
              <span id={stateId} className="status-item__state">
                {STATE_LABEL[status.state]}
              </span>
              {status.state !== 'checking' && status.detail ? (
                <span className="status-item__detail">{status.detail}</span>
              ) : null}
            </li>
          );
        })}
      </ul>

      <p className="status-panel__updated">
        {lastChecked ? (
          <>
            Last checked <time dateTime={lastChecked.toISOString()}>{lastChecked.toLocaleTimeString()}</time>
          </>
        ) : (
          'Contacting the API…'
        )}
      </p>
    </section>
  );
}
