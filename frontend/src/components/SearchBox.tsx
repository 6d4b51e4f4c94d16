import { useId, useState, type FormEvent } from 'react';

export interface SearchBoxProps {
  /** Called with the trimmed query. Without it the box is shown disabled. */
  onSearch?: (query: string) => void;
  initialQuery?: string;
}

export function SearchBox({ onSearch, initialQuery = '' }: SearchBoxProps) {
  const [query, setQuery] = useState(initialQuery);
  const inputId = useId();
  const hintId = useId();
  const disabled = onSearch === undefined;

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const trimmed = query.trim();
    if (onSearch && trimmed) onSearch(trimmed);
  }

  return (
    <form role="search" className="search" onSubmit={handleSubmit} aria-label="Skill search">
      <label htmlFor={inputId} className="search__label">
        Search skills
      </label>
      <div className="search__row">
        <input
          id={inputId}
          className="search__input"
          type="search"
          name="q"
          placeholder="e.g. pdf, code review, terraform"
          autoComplete="off"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          disabled={disabled}
          aria-describedby={disabled ? hintId : undefined}
        />
        <button type="submit" className="button" disabled={disabled}>
          Search
        </button>
      </div>
      {disabled ? (
        <p id={hintId} className="search__hint">
          Search is coming soon.
        </p>
      ) : null}
    </form>
  );
}
